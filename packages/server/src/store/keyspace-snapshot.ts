// The snapshot format of the key space (what Raft snapshots carry and DiskStorage keeps).
//
// Version 2:
//   "LRKS" | u8 version (2) | f64 clock | varint count | entry*count
//   | varint versionFloor | versions (older generation) | versions (current generation)
//   versions: varint count | (varint keyLength key | varint version)*count
//   | u32 crc32 of all bytes before it
//   entry: varint keyLength key | u8 type | value | u8 hasExpiry (0 or 1) | [f64 expireAt]
//   value by type: 0 string: str | 1 hash: varint n (str field, str value)*n | 2 list: varint n str*n
//                  | 3 set: varint n str*n | 4 zset: varint n (str member, f64 score)*n
//   str: varint length bytes
// Version 1 (strings only, read for data written before version 2): entry is
//   varint keyLength key | varint valueLength value | u8 hasExpiry | [f64 expireAt], and nothing
//   between the entries and the checksum.
// Numbers are little-endian; varints are unsigned LEB128 up to 2^53-1; keys and values are raw bytes
// (latin1 strings in memory). Keys already expired at `clock` are left out. The versions are those
// WATCH compares (Keyspace): part of the state, so a replica restored from a snapshot decides as
// one that applied the log.
//
// Decoding treats the bytes as untrusted: magic, version, checksum, every length and count, the
// type and flag bytes, the numbers and key uniqueness are checked, and nothing is allocated beyond
// what the input holds.

import { crc32, varintSize, writeVarint } from 'little-raft';

import { readLatin1, writeLatin1 } from '../commands/args.js';
import { SnapshotError } from '../errors.js';
import { HashValue, ListValue, SetValue, ZSetValue, type Value } from './values.js';

const MAGIC = [0x4c, 0x52, 0x4b, 0x53]; // "LRKS"
const VERSION = 2;
const VERSION_STRINGS = 1;
const T_STRING = 0;
const T_HASH = 1;
const T_LIST = 2;
const T_SET = 3;
const T_ZSET = 4;
const HEADER = 4 + 1 + 8;
const MAX_VARINT_BYTES = 8;

/** Bytes a latin1 string takes with its length prefix. */
function strSize(s: string): number {
  return varintSize(s.length) + s.length;
}

/** Bytes a value takes after its type byte. */
function valueSize(v: Value): number {
  if (typeof v === 'string') return strSize(v);
  let size = 0;
  if (v instanceof HashValue) {
    for (const [f, x] of v) size += strSize(f) + strSize(x);
    return varintSize(v.size) + size;
  }
  if (v instanceof ListValue) {
    for (let i = 0; i < v.length; i++) size += strSize(v.at(i));
    return varintSize(v.length) + size;
  }
  if (v instanceof SetValue) {
    for (const m of v) size += strSize(m);
    return varintSize(v.size) + size;
  }
  for (const e of v) size += strSize(e.member) + 8;
  return varintSize(v.size) + size;
}

/**
 * The snapshot bytes of a key space, after `reserve` bytes left free at the start of the buffer
 * for the caller's own header (one allocation and no copy of what may be hundreds of MB).
 */
export function encodeKeyspace(
  clock: number,
  values: ReadonlyMap<string, Value>,
  expires: ReadonlyMap<string, number>,
  versions: KeyVersions,
  reserve = 0,
): Uint8Array {
  let count = 0;
  let size = HEADER + 4;
  for (const [k, v] of values) {
    const e = expires.get(k);
    if (e !== undefined && e <= clock) continue;
    count++;
    size += strSize(k) + 1 + valueSize(v) + 1 + (e === undefined ? 0 : 8);
  }
  size += varintSize(count) + varintSize(versions.floor);
  for (const generation of [versions.older, versions.current]) {
    size += varintSize(generation.size);
    for (const [k, version] of generation) size += strSize(k) + varintSize(version);
  }
  const buf = Buffer.allocUnsafe(reserve + size);
  MAGIC.forEach((b, i) => (buf[reserve + i] = b));
  buf[reserve + 4] = VERSION;
  buf.writeDoubleLE(clock, reserve + 5);
  let p = writeVarint(buf, reserve + HEADER, count);
  const str = (s: string): void => {
    p = writeLatin1(buf, s, writeVarint(buf, p, s.length));
  };
  for (const [k, v] of values) {
    const e = expires.get(k);
    if (e !== undefined && e <= clock) continue;
    str(k);
    if (typeof v === 'string') {
      buf[p++] = T_STRING;
      str(v);
    } else if (v instanceof HashValue) {
      buf[p++] = T_HASH;
      p = writeVarint(buf, p, v.size);
      for (const [f, x] of v) {
        str(f);
        str(x);
      }
    } else if (v instanceof ListValue) {
      buf[p++] = T_LIST;
      p = writeVarint(buf, p, v.length);
      for (let i = 0; i < v.length; i++) str(v.at(i));
    } else if (v instanceof SetValue) {
      buf[p++] = T_SET;
      p = writeVarint(buf, p, v.size);
      for (const m of v) str(m);
    } else {
      buf[p++] = T_ZSET;
      p = writeVarint(buf, p, v.size);
      for (const z of v) {
        str(z.member);
        buf.writeDoubleLE(z.score, p);
        p += 8;
      }
    }
    if (e === undefined) {
      buf[p++] = 0;
    } else {
      buf[p++] = 1;
      buf.writeDoubleLE(e, p);
      p += 8;
    }
  }
  p = writeVarint(buf, p, versions.floor);
  for (const generation of [versions.older, versions.current]) {
    p = writeVarint(buf, p, generation.size);
    for (const [k, version] of generation) {
      str(k);
      p = writeVarint(buf, p, version);
    }
  }
  buf.writeUInt32LE(crc32(buf, reserve, p), p);
  return buf;
}

/** The WATCH versions of a key space (Keyspace): two generations of key -> version, and the floor. */
export interface KeyVersions {
  floor: number;
  older: ReadonlyMap<string, number>;
  current: ReadonlyMap<string, number>;
}

/** What decoding a snapshot reports, key by key. */
export interface KeyspaceVisitor {
  /** A key (`expireAt` undefined when it has none); false if the key was seen before. */
  entry(key: string, value: Value, expireAt: number | undefined): boolean;
  /** A key's WATCH version, in the older generation or the current one. */
  version(key: string, version: number, older: boolean): void;
}

/**
 * Decodes a snapshot (version 2 or 1), telling `visit` each key and version. Returns the snapshot's
 * clock and version floor. Throws SnapshotError on any defect, duplicate keys included.
 */
export function decodeKeyspace(bytes: Uint8Array, visit: KeyspaceVisitor): { clock: number; versionFloor: number } {
  if (!(bytes instanceof Uint8Array)) throw new SnapshotError('not a Uint8Array');
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < HEADER + 1 + 4) throw new SnapshotError(`${buf.length} bytes is too short`);
  for (let i = 0; i < 4; i++) if (buf[i] !== MAGIC[i]) throw new SnapshotError('wrong magic bytes');
  const version = buf[4];
  if (version !== VERSION && version !== VERSION_STRINGS) {
    throw new SnapshotError(`unsupported version ${version} (this reads ${VERSION_STRINGS} and ${VERSION})`);
  }
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

  /** A collection's element count: each element takes at least `min` bytes. */
  const elements = (what: string, min: number): number => {
    const n = varint(`${what} size`);
    if (n * min > end - p) throw new SnapshotError(`${what} of ${n} elements does not fit in ${end - p} bytes`);
    if (n === 0) throw new SnapshotError(`empty ${what} at byte ${p}`);
    return n;
  };
  const value = (key: string): Value => {
    if (version === VERSION_STRINGS) return string('value');
    if (p >= end) throw new SnapshotError(`truncated type at byte ${p}`);
    const type = buf[p++]!;
    switch (type) {
      case T_STRING:
        return string('value');
      case T_HASH: {
        const h = new HashValue();
        const n = elements('hash', 2);
        for (let i = 0; i < n; i++) h.set(string('field'), string('field value'));
        if (h.size !== n) throw new SnapshotError(`hash ${show(key)} repeats a field`);
        return h;
      }
      case T_LIST: {
        const l = new ListValue();
        for (let n = elements('list', 1); n > 0; n--) l.pushBack(string('element'));
        return l;
      }
      case T_SET: {
        const s = new SetValue();
        const n = elements('set', 1);
        for (let i = 0; i < n; i++) s.add(string('member'));
        if (s.size !== n) throw new SnapshotError(`set ${show(key)} repeats a member`);
        return s;
      }
      case T_ZSET: {
        const z = new ZSetValue();
        for (let n = elements('sorted set', 9); n > 0; n--) {
          const member = string('member');
          if (end - p < 8) throw new SnapshotError(`truncated score at byte ${p}`);
          const score = buf.readDoubleLE(p);
          p += 8;
          if (Number.isNaN(score)) throw new SnapshotError(`score NaN at byte ${p - 8}`);
          if (z.scores.has(member)) throw new SnapshotError(`sorted set ${show(key)} repeats a member`);
          z.add(member, score);
        }
        return z;
      }
      default:
        throw new SnapshotError(`unknown type ${type} at byte ${p - 1}`);
    }
  };
  const count = varint('key count');
  // Each entry takes at least 3 bytes: two lengths and a flag.
  if (count * 3 > end - p) throw new SnapshotError(`key count ${count} does not fit in ${end - p} bytes`);
  for (let i = 0; i < count; i++) {
    const key = string('key');
    const v = value(key);
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
    if (!visit.entry(key, v, expireAt)) throw new SnapshotError(`key ${show(key)} appears twice`);
  }
  let versionFloor = 0;
  if (version === VERSION) {
    versionFloor = varint('version floor');
    for (const older of [true, false]) {
      const versions = varint('version count');
      if (versions * 2 > end - p) throw new SnapshotError(`version count ${versions} does not fit in ${end - p} bytes`);
      for (let i = 0; i < versions; i++) visit.version(string('versioned key'), varint('key version'), older);
    }
  }
  if (p !== end) throw new SnapshotError(`${end - p} trailing bytes before the checksum`);
  return { clock, versionFloor };
}

function show(key: string): string {
  return JSON.stringify(key.slice(0, 64));
}

function isTime(v: number): boolean {
  return Number.isInteger(v) && v >= 0;
}
