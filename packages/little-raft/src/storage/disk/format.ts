// The byte format of DiskStorage's files: checksummed frames of records.
//
// Every file (log segment or snapshot) is a sequence of frames:
//
//   u32 MAGIC | u32 payload length | u32 CRC-32 of the payload | payload
//
// (integers little-endian). A frame is what one flush writes: it is either entirely valid
// or, at the very end of the newest segment after a crash, torn. A log frame's payload is a
// sequence of records, each a u8 type followed by its fields; numbers are float64 holding
// safe integers, lengths u32:
//
//   HEADER    u8 version, seq                      first record of every segment
//   HARD      term, vote (-1: none), commit
//   SNAPSHOT  index, term, fileSeq                 snap-<fileSeq>.snap is now the snapshot
//   TRUNCATE  from                                  drop entries >= from
//   ENTRIES   first, u32 count, count * entry      drop entries >= first, then store these
//     entry:  term, u8 flags (1: transition, 2: config),
//             [u32 length, codec bytes] if transition, [u32 length, JSON] if config
//
// A snapshot file's first frame holds a SNAPSHOT_META record (fileSeq, index, term, u32
// length + JSON config, u32 count + termStarts values, data length, u32 chunk count); each
// following frame holds one chunk of the encoded snapshot data.

import type { Membership } from '../../core/types.js';
import { crc32, crc32js, crc32jsPair, crc32Pieces, wordsOf } from '../../encoding/crc32.js';
import { DiskCorruptionError } from '../../encoding/errors.js';

const MAGIC = 0x5446524c; // "LRFT" read as bytes
export const FRAME_HEADER = 12;
export const FORMAT_VERSION = 1;

export const REC_HEADER = 1;
export const REC_HARD = 2;
export const REC_SNAPSHOT = 3;
export const REC_TRUNCATE = 4;
export const REC_ENTRIES = 5;
export const REC_SNAPSHOT_META = 6;

export const HAS_TRANSITION = 1;
export const HAS_CONFIG = 2;

const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder('utf-8', { fatal: true });

/**
 * Byte strings of at least this many bytes (an entry's transition) go into records as they are,
 * pieces of their own (see {@link Builder.pieces}), not copied: copying megabytes into new memory
 * holds the event loop for milliseconds per megabyte (page faults).
 */
const SHARED_BYTES = 64 * 1024;

/** A growable byte buffer for encoding records. */
export class Builder {
  private buf: Uint8Array;
  private view: DataView;
  length = 0;
  /** What came before `buf` (its bytes, and the shared byte strings), when {@link share} was used. */
  private done: Uint8Array[] = [];

  constructor(capacity = 256) {
    this.buf = new Uint8Array(capacity);
    this.view = new DataView(this.buf.buffer);
  }

  private room(n: number): void {
    if (this.length + n <= this.buf.length) return;
    const bigger = new Uint8Array(Math.max(this.buf.length * 2, this.length + n));
    bigger.set(this.buf.subarray(0, this.length));
    this.buf = bigger;
    this.view = new DataView(bigger.buffer);
  }

  u8(v: number): void {
    this.room(1);
    this.buf[this.length++] = v;
  }

  u32(v: number): void {
    this.room(4);
    this.view.setUint32(this.length, v, true);
    this.length += 4;
  }

  f64(v: number): void {
    this.room(8);
    this.view.setFloat64(this.length, v, true);
    this.length += 8;
  }

  bytes(b: Uint8Array): void {
    this.room(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
  }

  /** u32 length, then the bytes. */
  lengthPrefixed(b: Uint8Array): void {
    this.u32(b.length);
    this.bytes(b);
  }

  /**
   * u32 length, then the bytes; the bytes are not copied if they are many (they must not change
   * until written), for {@link pieces}.
   */
  lengthPrefixedShared(b: Uint8Array): void {
    this.u32(b.length);
    if (b.length < SHARED_BYTES) return this.bytes(b);
    this.done.push(this.buf.subarray(0, this.length), b);
    this.buf = new Uint8Array(256);
    this.view = new DataView(this.buf.buffer);
    this.length = 0;
  }

  /** The bytes written, whole; not after {@link lengthPrefixedShared}. */
  finish(): Uint8Array {
    if (this.done.length > 0) throw new Error('Builder.finish: shared bytes were written; use pieces()');
    return this.buf.subarray(0, this.length);
  }

  /** The bytes written, as pieces to be written one after the other. */
  pieces(): Uint8Array[] {
    return [...this.done, this.buf.subarray(0, this.length)];
  }
}

/**
 * A configuration as stored: JSON of its fields (nothing else the object may carry), as
 * {@link Reader.membership} reads it.
 */
export function encodeMembership(m: Membership): Uint8Array {
  return textEncoder.encode(JSON.stringify({ voters: m.voters, learners: m.learners, outgoing: m.outgoing }));
}

/**
 * One frame holding `payloads` back to back, as pieces to be written one after the other: the
 * payloads themselves after a header of its own (nothing copied).
 */
export function framePieces(payloads: readonly Uint8Array[]): Uint8Array[] {
  const pieces = coalesce(payloads);
  let length = 0;
  for (const p of pieces) length += p.length;
  const header = Buffer.allocUnsafe(FRAME_HEADER);
  header.writeUInt32LE(MAGIC, 0);
  header.writeUInt32LE(length, 4);
  header.writeUInt32LE(crc32Pieces(pieces), 8);
  return [header, ...pieces];
}

/**
 * `pieces` with each run of small ones copied into one: few pieces for one system call (writev
 * takes at most IOV_MAX), the big ones as they are.
 */
function coalesce(pieces: readonly Uint8Array[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  let run: Uint8Array[] = [];
  const close = (): void => {
    if (run.length === 1) out.push(run[0]!);
    else if (run.length > 1) out.push(Buffer.concat(run));
    run = [];
  };
  for (const piece of pieces) {
    if (piece.length >= SHARED_BYTES) {
      close();
      out.push(piece);
    } else if (piece.length > 0) {
      run.push(piece);
    }
  }
  close();
  return out;
}

/** Writes the header of the frame whose payload is `buf`'s `length` bytes after FRAME_HEADER. */
export function sealFrame(buf: Buffer, length: number): void {
  buf.writeUInt32LE(MAGIC, 0);
  buf.writeUInt32LE(length, 4);
  buf.writeUInt32LE(crc32(buf, FRAME_HEADER, FRAME_HEADER + length), 8);
}

/** One frame holding `payloads` back to back. */
export function frame(payloads: readonly Uint8Array[]): Buffer {
  let length = 0;
  for (const p of payloads) length += p.length;
  const out = Buffer.allocUnsafe(FRAME_HEADER + length);
  let at = FRAME_HEADER;
  for (const p of payloads) {
    out.set(p, at);
    at += p.length;
  }
  out.writeUInt32LE(MAGIC, 0);
  out.writeUInt32LE(length, 4);
  out.writeUInt32LE(crc32(out, FRAME_HEADER, FRAME_HEADER + length), 8);
  return out;
}

/**
 * A frame's header read on its own (a file read a frame at a time: snapshot-file.ts): the
 * payload's length and checksum, or why the `header` bytes at `pos` of a file of `fileSize`
 * bytes start no frame (the words {@link frameDefect} uses).
 */
export function frameHeader(
  header: Uint8Array,
  pos: number,
  fileSize: number,
): { length: number; sum: number } | string {
  if (fileSize - pos < FRAME_HEADER) return `${fileSize - pos} bytes left, too few for a frame header`;
  const magic = u32(header, 0);
  if (magic !== MAGIC) return `no frame starts here (magic 0x${magic.toString(16)})`;
  const length = u32(header, 4);
  if (pos + FRAME_HEADER + length > fileSize) {
    return `frame of ${length} bytes runs past the end of the file (${fileSize} bytes)`;
  }
  return { length, sum: u32(header, 8) };
}

/** Why the bytes at `pos` are not a valid frame, or null if they are. */
function frameDefect(buf: Buffer, pos: number): string | null {
  if (buf.length - pos < FRAME_HEADER) return `${buf.length - pos} bytes left, too few for a frame header`;
  const magic = buf.readUInt32LE(pos);
  if (magic !== MAGIC) return `no frame starts here (magic 0x${magic.toString(16)})`;
  const length = buf.readUInt32LE(pos + 4);
  const end = pos + FRAME_HEADER + length;
  if (end > buf.length) return `frame of ${length} bytes runs past the end of the file (${buf.length} bytes)`;
  if (crc32(buf, pos + FRAME_HEADER, end) !== buf.readUInt32LE(pos + 8)) {
    return `checksum mismatch in the frame of ${length} bytes`;
  }
  return null;
}

const MAGIC_BYTES = Buffer.from([MAGIC & 0xff, (MAGIC >>> 8) & 0xff, (MAGIC >>> 16) & 0xff, MAGIC >>> 24]);

/** Offset of the first valid frame at or after `from`, or -1. */
function nextValidFrame(buf: Buffer, from: number): number {
  for (let at = buf.indexOf(MAGIC_BYTES, from); at >= 0; at = buf.indexOf(MAGIC_BYTES, at + 1)) {
    if (frameDefect(buf, at) === null) return at;
  }
  return -1;
}

export interface Frames {
  /** Payload [start, end) offsets, in file order. */
  payloads: [number, number][];
  /** Offset where the valid frames end. */
  end: number;
  /** Set when the file ends in bytes that are no valid frame (a torn tail). */
  torn: { position: number; reason: string } | null;
}

/** {@link Frames} with the payloads' bounds flattened: start, end, start, end, ... */
export interface FrameBounds {
  bounds: number[];
  end: number;
  torn: { position: number; reason: string } | null;
}

/** Below this payload size the JavaScript CRC beats a call into zlib (about 0.25 µs with its view). */
const SMALL_FRAME = 512;

/**
 * Splits `buf` (the whole file at `file`) into frames. With `mayBeTorn` (the newest log
 * segment), invalid bytes after the last valid frame are a torn tail, returned in `torn`; but
 * invalid bytes followed by a valid frame are corruption. Without it, any defect is. Every
 * frame's checksum is verified.
 */
export function scanFrames(buf: Buffer, file: string, mayBeTorn: boolean): Frames {
  const { bounds, end, torn } = scanFrameBounds(buf, file, mayBeTorn);
  const payloads: [number, number][] = [];
  for (let i = 0; i < bounds.length; i += 2) payloads.push([bounds[i]!, bounds[i + 1]!]);
  return { payloads, end, torn };
}

/**
 * {@link scanFrames} without an allocation per frame (a log segment may hold millions). With
 * `from` and `until`, only the frames that start in [from, until): `end` is then where the next
 * one starts (`from` must be where a frame starts). A defect is judged against the whole of
 * `buf` all the same (whether a valid frame follows it). `words` is {@link wordsOf}(buf), made
 * once per buffer; `bounds`, an array to fill (emptied first; it is the result's `bounds`), so
 * that scanning a segment a slice at a time allocates nothing per slice.
 */
export function scanFrameBounds(
  buf: Buffer,
  file: string,
  mayBeTorn: boolean,
  from = 0,
  until = buf.length,
  words: Int32Array | null = wordsOf(buf),
  bounds: number[] = [],
): FrameBounds {
  bounds.length = 0;
  const size = buf.length;
  const stop = Math.min(size, until);
  let pos = from;
  // First the frames whose header is right (magic, a length within the file), up to the first
  // that is not; then their checksums, two at a time where both are short (crc32jsPair).
  while (pos < stop && size - pos >= FRAME_HEADER && u32(buf, pos) === MAGIC) {
    const start = pos + FRAME_HEADER;
    const end = start + u32(buf, pos + 4);
    if (end > size) break;
    bounds.push(start, end);
    pos = end;
  }
  const n = bounds.length;
  const sums = PAIR;
  for (let k = 0; k < n; k += 2) {
    const start = bounds[k]!;
    const end = bounds[k + 1]!;
    const sum = u32(buf, start - 4);
    const m = k + 2;
    if (words !== null && m < n && end - start < SMALL_FRAME && bounds[m + 1]! - bounds[m]! < SMALL_FRAME) {
      crc32jsPair(buf, start, end, bounds[m]!, bounds[m + 1]!, words, sums);
      if (sums[0] === sum) {
        if (sums[1] === u32(buf, bounds[m]! - 4)) {
          k = m;
          continue;
        }
        k = m; // the second one is bad
      }
    } else if ((end - start < SMALL_FRAME ? crc32js(buf, start, end, words) : crc32(buf, start, end)) === sum) {
      continue;
    }
    // The frame at bounds[k] has a wrong checksum: the valid frames end there.
    pos = bounds[k]! - FRAME_HEADER;
    bounds.length = k;
    break;
  }
  if (pos < stop) {
    const defect = frameDefect(buf, pos) ?? 'invalid frame';
    if (!mayBeTorn || nextValidFrame(buf, pos + 1) >= 0) throw new DiskCorruptionError(file, pos, defect);
    return { bounds, end: pos, torn: { position: pos, reason: defect } };
  }
  return { bounds, end: pos, torn: null };
}

/** The u32 at buf[p..p + 4), little-endian, which must be in bounds (Buffer.readUInt32LE checks). */
function u32(buf: Uint8Array, p: number): number {
  return (buf[p]! | (buf[p + 1]! << 8) | (buf[p + 2]! << 16) | (buf[p + 3]! << 24)) >>> 0;
}

/** Where crc32jsPair puts its two sums. */
const PAIR = new Uint32Array(2);

/** Reads fields from a frame payload; any read out of bounds or out of range is corruption. */
export class Reader {
  pos: number;
  readonly view: DataView;

  constructor(
    readonly buf: Buffer,
    start: number,
    public end: number,
    readonly file: string,
  ) {
    this.pos = start;
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  /** Reads [start, end) of the same buffer next. */
  range(start: number, end: number): void {
    this.pos = start;
    this.end = end;
  }

  get done(): boolean {
    return this.pos >= this.end;
  }

  fail(detail: string, at = this.pos): never {
    throw new DiskCorruptionError(this.file, at, detail);
  }

  private need(n: number, what: string): void {
    if (this.end - this.pos < n) this.fail(`${what} runs past the end of its frame`);
  }

  u8(): number {
    this.need(1, 'a byte');
    return this.buf[this.pos++]!;
  }

  u32(): number {
    this.need(4, 'a length');
    const v = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }

  /** A float64 that must be a safe integer >= min. */
  int(what: string, min = 0): number {
    this.need(8, what);
    const v = this.view.getFloat64(this.pos, true);
    if (!Number.isSafeInteger(v) || v < min) this.fail(`${what} is ${v}, not an integer >= ${min}`);
    this.pos += 8;
    return v;
  }

  /** Skips `n` bytes; returns where they start. */
  skip(n: number, what: string): number {
    this.need(n, what);
    const start = this.pos;
    this.pos += n;
    return start;
  }

  /** [start, end) of `n` bytes. */
  span(n: number, what: string): [number, number] {
    this.need(n, what);
    const start = this.pos;
    this.pos += n;
    return [start, this.pos];
  }

  json(what: string): unknown {
    const at = this.pos;
    const [s, e] = this.span(this.u32(), what);
    try {
      return JSON.parse(textDecoder.decode(this.buf.subarray(s, e)));
    } catch (error) {
      return this.fail(`${what} is not valid JSON: ${(error as Error).message}`, at);
    }
  }

  membership(what: string): Membership {
    const at = this.pos;
    const m = this.json(what) as Membership | null;
    const ids = (v: unknown): boolean => Array.isArray(v) && v.every((x) => Number.isSafeInteger(x) && x >= 0);
    if (m === null || typeof m !== 'object' || !ids(m.voters) || !ids(m.learners) || !ids(m.outgoing)) {
      this.fail(`${what} is not a membership {voters, learners, outgoing}`, at);
    }
    return { voters: m.voters, learners: m.learners, outgoing: m.outgoing };
  }
}
