// CRC-32 (IEEE 802.3, the polynomial of zlib, gzip and PNG), table-driven, slicing by 8.
// zlib.crc32 computes the same value but exists only on Node >= 20.15 (and 22.2); it is used when
// present for long inputs. For short ones (a log frame of one entry) the call into zlib, about
// 0.25 µs with the view it needs, costs more than the sum itself, so they are summed here.
import * as zlib from 'node:zlib';

// Int32Array, not Uint32Array: every value stays a small integer to the JIT (a Uint32Array
// element above 2^31 is a double), which makes the loop below about twice as fast.
const TABLES = makeTables();

function makeTables(): Int32Array {
  const t = new Int32Array(8 * 256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c;
  }
  for (let n = 0; n < 256; n++) {
    let c = t[n]!;
    for (let k = 1; k < 8; k++) {
      c = t[c & 0xff]! ^ (c >>> 8);
      t[k * 256 + n] = c;
    }
  }
  return t;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/**
 * The whole of `bytes.buffer` as 32-bit words, for {@link crc32js} to read four bytes at once
 * where they are aligned; null on a big-endian machine, where the words would read wrong. Make
 * one per buffer and pass it to every call: making it costs more than summing a short range.
 */
export function wordsOf(bytes: Uint8Array): Int32Array | null {
  return LITTLE_ENDIAN ? new Int32Array(bytes.buffer, 0, bytes.buffer.byteLength >>> 2) : null;
}

/**
 * CRC-32 of bytes[start..end), in pure JavaScript. `words` ({@link wordsOf}(bytes)) makes it
 * about twice as fast: the bytes are then read a 32-bit word at a time. With `previous`, the
 * CRC-32 of bytes that came before these: the sum goes on over both (as zlib's crc32 chains).
 */
export function crc32js(
  bytes: Uint8Array,
  start = 0,
  end = bytes.length,
  words: Int32Array | null = null,
  previous = 0,
): number {
  const t = TABLES;
  let c = ~previous;
  let i = start;
  if (words !== null && end - start >= 16) {
    // Byte by byte up to a word boundary, then 8 bytes (two aligned words) per step.
    for (; ((bytes.byteOffset + i) & 3) !== 0; i++) c = t[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
    return ~finish(bytes, words, c, i, (bytes.byteOffset + i) >>> 2, end) >>> 0;
  }
  for (const stop = end - 8; i <= stop; i += 8) {
    const a = c ^ (bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24));
    c =
      t[1792 + (a & 0xff)]! ^
      t[1536 + ((a >>> 8) & 0xff)]! ^
      t[1280 + ((a >>> 16) & 0xff)]! ^
      t[1024 + (a >>> 24)]! ^
      t[768 + bytes[i + 4]!]! ^
      t[512 + bytes[i + 5]!]! ^
      t[256 + bytes[i + 6]!]! ^
      t[bytes[i + 7]!]!;
  }
  for (; i < end; i++) c = t[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

/**
 * CRC-32 of bytes[s1..e1) into out[0] and of bytes[s2..e2) into out[1], reading aligned words
 * of `words` ({@link wordsOf}(bytes), not null). The two sums go through the loop together:
 * each step of one waits on its table lookups, which the other's fill in (about 1.6 times as
 * fast as two calls of {@link crc32js} on frames of 200 bytes).
 */
export function crc32jsPair(
  bytes: Uint8Array,
  s1: number,
  e1: number,
  s2: number,
  e2: number,
  words: Int32Array,
  out: Uint32Array,
): void {
  const t = TABLES;
  const base = bytes.byteOffset;
  let c1 = -1;
  let c2 = -1;
  let i = s1;
  let j = s2;
  for (; i < e1 && ((base + i) & 3) !== 0; i++) c1 = t[(c1 ^ bytes[i]!) & 0xff]! ^ (c1 >>> 8);
  for (; j < e2 && ((base + j) & 3) !== 0; j++) c2 = t[(c2 ^ bytes[j]!) & 0xff]! ^ (c2 >>> 8);
  let w1 = (base + i) >>> 2;
  let w2 = (base + j) >>> 2;
  // Together for as many 8-byte steps as both have, then each alone.
  for (let n = Math.min(e1 - i, e2 - j) >> 3; n > 0; n--, i += 8, j += 8, w1 += 2, w2 += 2) {
    const a = c1 ^ words[w1]!;
    const b = words[w1 + 1]!;
    const a2 = c2 ^ words[w2]!;
    const b2 = words[w2 + 1]!;
    c1 =
      t[1792 + (a & 0xff)]! ^
      t[1536 + ((a >>> 8) & 0xff)]! ^
      t[1280 + ((a >>> 16) & 0xff)]! ^
      t[1024 + (a >>> 24)]! ^
      t[768 + (b & 0xff)]! ^
      t[512 + ((b >>> 8) & 0xff)]! ^
      t[256 + ((b >>> 16) & 0xff)]! ^
      t[b >>> 24]!;
    c2 =
      t[1792 + (a2 & 0xff)]! ^
      t[1536 + ((a2 >>> 8) & 0xff)]! ^
      t[1280 + ((a2 >>> 16) & 0xff)]! ^
      t[1024 + (a2 >>> 24)]! ^
      t[768 + (b2 & 0xff)]! ^
      t[512 + ((b2 >>> 8) & 0xff)]! ^
      t[256 + ((b2 >>> 16) & 0xff)]! ^
      t[b2 >>> 24]!;
  }
  out[0] = ~finish(bytes, words, c1, i, w1, e1);
  out[1] = ~finish(bytes, words, c2, j, w2, e2);
}

/** The rest of a sum from `c`, at word `w` = byte `i` (aligned), up to `end`: before the final inversion. */
function finish(bytes: Uint8Array, words: Int32Array, c: number, i: number, w: number, end: number): number {
  const t = TABLES;
  for (const stop = end - 8; i <= stop; i += 8, w += 2) {
    const a = c ^ words[w]!;
    const b = words[w + 1]!;
    c =
      t[1792 + (a & 0xff)]! ^
      t[1536 + ((a >>> 8) & 0xff)]! ^
      t[1280 + ((a >>> 16) & 0xff)]! ^
      t[1024 + (a >>> 24)]! ^
      t[768 + (b & 0xff)]! ^
      t[512 + ((b >>> 8) & 0xff)]! ^
      t[256 + ((b >>> 16) & 0xff)]! ^
      t[b >>> 24]!;
  }
  if (end - i >= 4) {
    const a = c ^ words[w]!;
    c = t[768 + (a & 0xff)]! ^ t[512 + ((a >>> 8) & 0xff)]! ^ t[256 + ((a >>> 16) & 0xff)]! ^ t[a >>> 24]!;
    i += 4;
  }
  for (; i < end; i++) c = t[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return c;
}

type NativeCrc32 = (data: Uint8Array, value?: number) => number;
const native = (zlib as unknown as { crc32?: NativeCrc32 }).crc32;

/** CRC-32 of bytes[start..end): zlib's where Node has it, else {@link crc32js}. */
export const crc32: (bytes: Uint8Array, start?: number, end?: number) => number =
  typeof native === 'function'
    ? (bytes, start = 0, end = bytes.length) =>
        native(
          start === 0 && end === bytes.length
            ? bytes
            : new Uint8Array(bytes.buffer, bytes.byteOffset + start, end - start),
        ) >>> 0
    : crc32js;

/** CRC-32 of `pieces` one after the other, as if they were one byte string. */
export const crc32Pieces: (pieces: readonly Uint8Array[]) => number =
  typeof native === 'function'
    ? (pieces) => {
        let c = 0;
        for (const piece of pieces) c = native(piece, c);
        return c >>> 0;
      }
    : (pieces) => {
        let c = 0;
        for (const piece of pieces) c = crc32js(piece, 0, piece.length, null, c);
        return c;
      };
