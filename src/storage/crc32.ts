// CRC-32 (IEEE 802.3, the polynomial of zlib, gzip and PNG), table-driven, slicing by 8.
// zlib.crc32 computes the same value but exists only on Node >= 20.15 (and 22.2); it is used when present.
import * as zlib from 'node:zlib';

const TABLES = makeTables();

function makeTables(): Uint32Array {
  const t = new Uint32Array(8 * 256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  for (let n = 0; n < 256; n++) {
    let c = t[n]!;
    for (let k = 1; k < 8; k++) {
      c = t[c & 0xff]! ^ (c >>> 8);
      t[k * 256 + n] = c >>> 0;
    }
  }
  return t;
}

/** CRC-32 of bytes[start..end), in pure JavaScript. */
export function crc32js(bytes: Uint8Array, start = 0, end = bytes.length): number {
  const t = TABLES;
  let c = 0xffffffff;
  let i = start;
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
  return (c ^ 0xffffffff) >>> 0;
}

type NativeCrc32 = (data: Uint8Array, value?: number) => number;
const native = (zlib as unknown as { crc32?: NativeCrc32 }).crc32;

/** CRC-32 of bytes[start..end): zlib's where Node has it, else {@link crc32js}. */
export const crc32: (bytes: Uint8Array, start?: number, end?: number) => number =
  typeof native === 'function'
    ? (bytes, start = 0, end = bytes.length) =>
        native(start === 0 && end === bytes.length ? bytes : bytes.subarray(start, end)) >>> 0
    : crc32js;
