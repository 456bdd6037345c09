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

export const MAGIC = [0x4c, 0x52, 0x4b, 0x53]; // "LRKS"
const VERSION = 2;
const VERSION_STRINGS = 1;
const T_STRING = 0;
const T_HASH = 1;
const T_LIST = 2;
const T_SET = 3;
const T_ZSET = 4;
export const HEADER = 4 + 1 + 8;
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
  values: Iterable<[string, Value]>,
  expires: { get(key: string): number | undefined },
  versions: KeyVersions,
  reserve = 0,
): Uint8Array {
  let count = 0;
  let size = HEADER + 4;
  for (const [k, v] of values) {
    const e = expires.get(k);
    if (e !== undefined && e <= clock) continue;
    count++;
    size += entrySize(k, v, e);
  }
  size += varintSize(count) + versionsSize(versions);
  const buf = Buffer.allocUnsafe(reserve + size);
  MAGIC.forEach((b, i) => (buf[reserve + i] = b));
  buf[reserve + 4] = VERSION;
  buf.writeDoubleLE(clock, reserve + 5);
  let p = writeVarint(buf, reserve + HEADER, count);
  for (const [k, v] of values) {
    const e = expires.get(k);
    if (e !== undefined && e <= clock) continue;
    p = writeEntry(buf, p, k, v, e);
  }
  p = writeVersions(buf, p, versions);
  buf.writeUInt32LE(crc32(buf, reserve, p), p);
  return buf;
}

/** Bytes the WATCH versions take. */
function versionsSize(versions: KeyVersions): number {
  let size = varintSize(versions.floor);
  for (const generation of [versions.older, versions.current]) {
    size += varintSize(generation.size);
    for (const [k, version] of generation) size += strSize(k) + varintSize(version);
  }
  return size;
}

/** Writes the WATCH versions at `p`; returns the position after them. */
function writeVersions(buf: Buffer, p: number, versions: KeyVersions): number {
  p = writeVarint(buf, p, versions.floor);
  for (const generation of [versions.older, versions.current]) {
    p = writeVarint(buf, p, generation.size);
    for (const [k, version] of generation) {
      p = writeLatin1(buf, k, writeVarint(buf, p, k.length));
      p = writeVarint(buf, p, version);
    }
  }
  return p;
}

/** Bytes one key's entry takes. */
export function entrySize(key: string, v: Value, expireAt: number | undefined): number {
  return strSize(key) + 1 + valueSize(v) + 1 + (expireAt === undefined ? 0 : 8);
}

/** Writes one key's entry at `p` (entrySize bytes); returns the position after it. */
export function writeEntry(buf: Buffer, p: number, k: string, v: Value, e: number | undefined): number {
  const str = (s: string): void => {
    p = writeLatin1(buf, s, writeVarint(buf, p, s.length));
  };
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
  return p;
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

  const c = new SnapshotCursor(buf, HEADER, end, version);
  const count = c.varint('key count');
  // Each entry takes at least 3 bytes: two lengths and a flag.
  if (count * 3 > end - c.p) throw new SnapshotError(`key count ${count} does not fit in ${end - c.p} bytes`);
  for (let i = 0; i < count; i++) {
    const key = c.string('key');
    if (!visit.entry(key, c.value(key), c.expiry())) throw new SnapshotError(`key ${show(key)} appears twice`);
  }
  let versionFloor = 0;
  if (version === VERSION) versionFloor = c.versions(visit);
  if (c.p !== end) throw new SnapshotError(`${end - c.p} trailing bytes before the checksum`);
  return { clock, versionFloor };
}

/** Reads a snapshot's parts from position `p` on, checking every length against `end`. */
export class SnapshotCursor {
  constructor(
    private readonly buf: Buffer,
    public p: number,
    private readonly end: number,
    private readonly version: number,
  ) {}

  varint(what: string): number {
    const { buf, end } = this;
    let result = 0;
    let mul = 1;
    for (let n = 0; n < MAX_VARINT_BYTES; n++) {
      if (this.p >= end) throw new SnapshotError(`truncated ${what} at byte ${this.p}`);
      const b = buf[this.p++]!;
      result += (b & 0x7f) * mul;
      if (b < 0x80) {
        if (result > Number.MAX_SAFE_INTEGER) throw new SnapshotError(`${what} exceeds 2^53-1`);
        return result;
      }
      mul *= 128;
    }
    throw new SnapshotError(`${what}: varint too long at byte ${this.p}`);
  }

  string(what: string): string {
    const len = this.varint(`${what} length`);
    if (len > this.end - this.p)
      throw new SnapshotError(`truncated ${what}: need ${len} bytes, have ${this.end - this.p}`);
    const start = this.p;
    this.p += len;
    return readLatin1(this.buf, start, this.p);
  }

  /** A byte (a type, a flag, a marker). */
  byte(what: string): number {
    if (this.p >= this.end) throw new SnapshotError(`truncated ${what} at byte ${this.p}`);
    return this.buf[this.p++]!;
  }

  /** A collection's element count: each element takes at least `min` bytes. */
  private elements(what: string, min: number): number {
    const n = this.varint(`${what} size`);
    if (n * min > this.end - this.p)
      throw new SnapshotError(`${what} of ${n} elements does not fit in ${this.end - this.p} bytes`);
    if (n === 0) throw new SnapshotError(`empty ${what} at byte ${this.p}`);
    return n;
  }

  value(key: string): Value {
    if (this.version === VERSION_STRINGS) return this.string('value');
    const type = this.byte('type');
    switch (type) {
      case T_STRING:
        return this.string('value');
      case T_HASH: {
        const h = new HashValue();
        const n = this.elements('hash', 2);
        for (let i = 0; i < n; i++) h.set(this.string('field'), this.string('field value'));
        if (h.size !== n) throw new SnapshotError(`hash ${show(key)} repeats a field`);
        return h;
      }
      case T_LIST: {
        const l = new ListValue();
        for (let n = this.elements('list', 1); n > 0; n--) l.pushBack(this.string('element'));
        return l;
      }
      case T_SET: {
        const s = new SetValue();
        const n = this.elements('set', 1);
        for (let i = 0; i < n; i++) s.add(this.string('member'));
        if (s.size !== n) throw new SnapshotError(`set ${show(key)} repeats a member`);
        return s;
      }
      case T_ZSET: {
        const z = new ZSetValue();
        for (let n = this.elements('sorted set', 9); n > 0; n--) {
          const member = this.string('member');
          if (this.end - this.p < 8) throw new SnapshotError(`truncated score at byte ${this.p}`);
          const score = this.buf.readDoubleLE(this.p);
          this.p += 8;
          if (Number.isNaN(score)) throw new SnapshotError(`score NaN at byte ${this.p - 8}`);
          if (z.scores.has(member)) throw new SnapshotError(`sorted set ${show(key)} repeats a member`);
          z.add(member, score);
        }
        return z;
      }
      default:
        throw new SnapshotError(`unknown type ${type} at byte ${this.p - 1}`);
    }
  }

  /** An entry's expiry flag and time: undefined when it has none. */
  expiry(): number | undefined {
    const flag = this.byte('expiry flag');
    if (flag === 0) return undefined;
    if (flag !== 1) throw new SnapshotError(`expiry flag ${flag} at byte ${this.p - 1} is neither 0 nor 1`);
    if (this.end - this.p < 8) throw new SnapshotError(`truncated expiry at byte ${this.p}`);
    const expireAt = this.buf.readDoubleLE(this.p);
    this.p += 8;
    if (!isTime(expireAt)) throw new SnapshotError(`expiry ${expireAt} is not a non-negative integer`);
    return expireAt;
  }

  /** The WATCH versions, told to `visit`; returns the version floor. */
  versions(visit: Pick<KeyspaceVisitor, 'version'>): number {
    const floor = this.varint('version floor');
    for (const older of [true, false]) {
      const versions = this.varint('version count');
      if (versions * 2 > this.end - this.p)
        throw new SnapshotError(`version count ${versions} does not fit in ${this.end - this.p} bytes`);
      for (let i = 0; i < versions; i++) visit.version(this.string('versioned key'), this.varint('key version'), older);
    }
    return floor;
  }
}

function show(key: string): string {
  return JSON.stringify(key.slice(0, 64));
}

function isTime(v: number): boolean {
  return Number.isInteger(v) && v >= 0;
}
