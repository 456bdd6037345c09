// The snapshot format of the key space (what Raft snapshots carry and DiskStorage keeps).
//
//   "LRKS" | u8 version (1) | f64 clock | varint count | entry*count | u32 crc32 of all bytes before it
//   entry: varint keyLength key | varint valueLength value | u8 hasExpiry (0 or 1) | [f64 expireAt]
// Numbers are little-endian; varints are unsigned LEB128 up to 2^53-1; keys and values are raw bytes
// (latin1 strings in memory). Keys already expired at `clock` are left out.
//
// Decoding treats the bytes as untrusted: magic, version, checksum, every length, the flags, the
// numbers and key uniqueness are checked, and nothing is allocated beyond what the input holds.

import { crc32, varintSize, writeVarint } from 'little-raft';

import { readLatin1, writeLatin1 } from '../commands/args.js';
import { SnapshotError } from '../errors.js';

const MAGIC = [0x4c, 0x52, 0x4b, 0x53]; // "LRKS"
const VERSION = 1;
const HEADER = 4 + 1 + 8;
const MAX_VARINT_BYTES = 8;

/**
 * The snapshot bytes of a key space, after `reserve` bytes left free at the start of the buffer
 * for the caller's own header (one allocation and no copy of what may be hundreds of MB).
 */
export function encodeKeyspace(
  clock: number,
  values: ReadonlyMap<string, string>,
  expires: ReadonlyMap<string, number>,
  reserve = 0,
): Uint8Array {
  let count = 0;
  let size = HEADER + 4;
  for (const [k, v] of values) {
    const e = expires.get(k);
    if (e !== undefined && e <= clock) continue;
    count++;
    size += varintSize(k.length) + k.length + varintSize(v.length) + v.length + 1 + (e === undefined ? 0 : 8);
  }
  size += varintSize(count);
  const buf = Buffer.allocUnsafe(reserve + size);
  MAGIC.forEach((b, i) => (buf[reserve + i] = b));
  buf[reserve + 4] = VERSION;
  buf.writeDoubleLE(clock, reserve + 5);
  let p = writeVarint(buf, reserve + HEADER, count);
  for (const [k, v] of values) {
    const e = expires.get(k);
    if (e !== undefined && e <= clock) continue;
    p = writeLatin1(buf, k, writeVarint(buf, p, k.length));
    p = writeLatin1(buf, v, writeVarint(buf, p, v.length));
    if (e === undefined) {
      buf[p++] = 0;
    } else {
      buf[p++] = 1;
      buf.writeDoubleLE(e, p);
      p += 8;
    }
  }
  buf.writeUInt32LE(crc32(buf, reserve, p), p);
  return buf;
}

/**
 * Decodes a snapshot, calling `entry` once per key (`expireAt` is undefined when the key has none);
 * `entry` returns false for a key it has seen before. Returns the snapshot's clock. Throws
 * SnapshotError on any defect, duplicate keys included.
 */
export function decodeKeyspace(
  bytes: Uint8Array,
  entry: (key: string, value: string, expireAt: number | undefined) => boolean,
): number {
  if (!(bytes instanceof Uint8Array)) throw new SnapshotError('not a Uint8Array');
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < HEADER + 1 + 4) throw new SnapshotError(`${buf.length} bytes is too short`);
  for (let i = 0; i < 4; i++) if (buf[i] !== MAGIC[i]) throw new SnapshotError('wrong magic bytes');
  if (buf[4] !== VERSION) throw new SnapshotError(`unsupported version ${buf[4]} (this reads ${VERSION})`);
  const end = buf.length - 4;
  const stored = buf.readUInt32LE(end);
  const actual = crc32(buf, 0, end);
  if (stored !== actual) throw new SnapshotError(`checksum mismatch (stored ${stored}, computed ${actual})`);
  const clock = buf.readDoubleLE(5);
  if (!isTime(clock)) throw new SnapshotError(`clock ${clock} is not a non-negative integer`);

  let p = HEADER;
  const varint = (what: string): number => {
    let result = 0;
    let mul = 1;
    for (let n = 0; n < MAX_VARINT_BYTES; n++) {
      if (p >= end) throw new SnapshotError(`truncated ${what} at byte ${p}`);
      const b = buf[p++]!;
      result += (b & 0x7f) * mul;
      if (b < 0x80) {
        if (result > Number.MAX_SAFE_INTEGER) throw new SnapshotError(`${what} exceeds 2^53-1`);
        return result;
      }
      mul *= 128;
    }
    throw new SnapshotError(`${what}: varint too long at byte ${p}`);
  };
  const string = (what: string): string => {
    const len = varint(`${what} length`);
    if (len > end - p) throw new SnapshotError(`truncated ${what}: need ${len} bytes, have ${end - p}`);
    const start = p;
    p += len;
    return readLatin1(buf, start, p);
  };

  const count = varint('key count');
  // Each entry takes at least 3 bytes: two lengths and a flag.
  if (count * 3 > end - p) throw new SnapshotError(`key count ${count} does not fit in ${end - p} bytes`);
  for (let i = 0; i < count; i++) {
    const key = string('key');
    const value = string('value');
    if (p >= end) throw new SnapshotError(`truncated expiry flag at byte ${p}`);
    const flag = buf[p++]!;
    let expireAt: number | undefined;
    if (flag === 1) {
      if (end - p < 8) throw new SnapshotError(`truncated expiry at byte ${p}`);
      expireAt = buf.readDoubleLE(p);
      p += 8;
      if (!isTime(expireAt)) throw new SnapshotError(`expiry ${expireAt} is not a non-negative integer`);
    } else if (flag !== 0) {
      throw new SnapshotError(`expiry flag ${flag} at byte ${p - 1} is neither 0 nor 1`);
    }
    if (!entry(key, value, expireAt)) {
      throw new SnapshotError(`key ${JSON.stringify(key.slice(0, 64))} appears twice`);
    }
  }
  if (p !== end) throw new SnapshotError(`${end - p} trailing bytes before the checksum`);
  return clock;
}

function isTime(v: number): boolean {
  return Number.isInteger(v) && v >= 0;
}
