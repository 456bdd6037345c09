// Version 3 of the key space's snapshot bytes: written and read in slices, so that snapshots of
// millions of keys never hold the event loop (frozen-view.ts, slices.ts).
//
//   "LRKS" | u8 3 | f64 clock | (u8 1 | entry)* | u8 0 | varint count | versions | u32 crc32
//
// entry and versions are those of version 2 (keyspace-snapshot.ts). Each entry is preceded by a
// marker instead of a count up front: the writer does not know how many keys the view holds until
// it has walked them; the count after the last one is checked by the reader. The checksum covers
// every byte before it and is checked before anything is decoded.

import { crc32 } from 'node:zlib';

import { varintSize, writeVarint } from 'little-raft';

import { SnapshotError } from '../errors.js';
import {
  entrySize,
  HEADER,
  type KeyspaceVisitor,
  type KeyVersions,
  MAGIC,
  SnapshotCursor,
  writeEntry,
} from './keyspace-snapshot.js';
import { writeLatin1 } from '../commands/args.js';
import type { Value } from './values.js';

export const STREAM_VERSION = 3;
const CHUNK = 1024 * 1024;
const MORE = 1;
const END = 0;
/** Bytes checksummed between checks of the time when reading (8 MiB at once took up to 80 ms here). */
const CRC_PER_STEP = 1024 * 1024;

/**
 * Writes a key space's snapshot bytes, one key at a time, after `prefix` (bytes of the caller's,
 * outside the checksum) into one buffer of `sizeHint` bytes, then into chunks of a MiB when they
 * do not fit. Given a hint that fits, finish() returns one buffer: no copy, and half the memory
 * a snapshot allocates (which is what brings on V8's full collections here).
 */
export class KeyspaceWriter {
  private readonly chunks: Buffer[] = [];
  /** Chunks written and given back (recycle), for reuse. */
  private readonly free: Buffer[] = [];
  private chunk: Buffer;
  private p: number;
  private crc = 0;
  /** Bytes of `chunk` before this are in `crc`. */
  private crcAt: number;
  private count = 0;
  /** Where versions() is: the generation (0 older, 1 current) and its keys left. */
  private versionsAt: { generation: number; keys: IterableIterator<[string, number]> | null } | null = null;
  /** writeKey bound once: it is called per key. */
  readonly key = (key: string, value: Value, expireAt: number | undefined): void => {
    this.room(1 + entrySize(key, value, expireAt));
    this.chunk[this.p++] = MORE;
    this.p = writeEntry(this.chunk, this.p, key, value, expireAt);
    this.count++;
  };

  constructor(clock: number, prefix: Uint8Array = new Uint8Array(0), sizeHint = 0) {
    // Never pooled: a snapshot's buffer is handed over whole.
    this.chunk = Buffer.allocUnsafeSlow(Math.max(CHUNK, prefix.length + HEADER, sizeHint));
    this.chunk.set(prefix, 0);
    const at = prefix.length;
    MAGIC.forEach((b, i) => (this.chunk[at + i] = b));
    this.chunk[at + 4] = STREAM_VERSION;
    this.chunk.writeDoubleLE(clock, at + 5);
    this.p = at + HEADER;
    this.crcAt = at;
  }

  /** Chunks full and sealed (in the checksum), not yet taken (takeSealed). */
  get sealedCount(): number {
    return this.chunks.length;
  }

  /** The sealed chunks, in order, for the caller to write; recycle() each once written. */
  takeSealed(): Buffer[] {
    return this.chunks.splice(0);
  }

  /** A chunk takeSealed() gave, written: its memory is used for a later chunk. */
  recycle(chunk: Buffer): void {
    if (chunk.byteOffset === 0 && chunk.buffer.byteLength === CHUNK && this.free.length < 2) {
      this.free.push(Buffer.from(chunk.buffer, 0, CHUNK));
    }
  }

  /** Keys written so far. */
  get keys(): number {
    return this.count;
  }

  /**
   * Writes the count and the WATCH versions (up to two generations of 65,536 keys) until
   * `deadline`; true once all are written.
   */
  versions(versions: KeyVersions, deadline: number): boolean {
    if (this.versionsAt === null) {
      this.room(1 + varintSize(this.count) + varintSize(versions.floor));
      this.chunk[this.p++] = END;
      this.p = writeVarint(this.chunk, this.p, this.count);
      this.p = writeVarint(this.chunk, this.p, versions.floor);
      this.versionsAt = { generation: 0, keys: null };
    }
    const at = this.versionsAt;
    let n = 0;
    for (; at.generation < 2; at.generation++, at.keys = null) {
      const generation = at.generation === 0 ? versions.older : versions.current;
      if (at.keys === null) {
        this.room(varintSize(generation.size));
        this.p = writeVarint(this.chunk, this.p, generation.size);
        at.keys = generation.entries();
      }
      for (let r = at.keys.next(); r.done !== true; r = at.keys.next()) {
        const [key, version] = r.value;
        this.room(varintSize(key.length) + key.length + varintSize(version));
        this.p = writeLatin1(this.chunk, key, writeVarint(this.chunk, this.p, key.length));
        this.p = writeVarint(this.chunk, this.p, version);
        if ((++n & 255) === 0 && performance.now() > deadline) return false;
      }
    }
    return true;
  }

  /** The checksum, after versions(): the bytes (the prefix first) are then the parts returned, in order. */
  finish(): Buffer[] {
    this.room(4);
    this.sum();
    this.chunk.writeUInt32LE(this.crc >>> 0, this.p);
    this.p += 4;
    this.chunks.push(this.chunk.subarray(0, this.p));
    return this.chunks;
  }

  /** Adds the bytes written since the last call to the checksum. */
  private sum(): void {
    this.crc = crc32(this.chunk.subarray(this.crcAt, this.p), this.crc);
    this.crcAt = this.p;
  }

  /**
   * Makes room for `bytes` more: the full part of the current chunk is sealed, a new one begun.
   * The checksum follows a MiB at a time (a whole buffer at once would hold the event loop).
   */
  private room(bytes: number): void {
    if (this.p - this.crcAt >= CHUNK) this.sum();
    if (this.p + bytes <= this.chunk.length) return;
    this.sum();
    this.chunks.push(this.chunk.subarray(0, this.p));
    this.chunk = (bytes <= CHUNK ? this.free.pop() : undefined) ?? Buffer.allocUnsafe(Math.max(CHUNK, bytes));
    this.p = 0;
    this.crcAt = 0;
  }
}

/**
 * Reads version-3 bytes in steps: first the checksum, then the keys, told to `visit`. Nothing is
 * told before the checksum matched; any defect throws SnapshotError.
 */
export class KeyspaceReader {
  private readonly buf: Buffer;
  private readonly end: number;
  private readonly cursor: SnapshotCursor;
  private checked = 0;
  private crc = 0;
  private count = 0;
  private keysDone = false;
  /** Which generation of WATCH versions is being read (0 older, 1 current), and its keys left (-1: count unread). */
  private generation = 0;
  private versionsLeft = -1;
  /** The bytes' clock and version floor, once done. */
  clock = 0;
  versionFloor = 0;

  constructor(
    bytes: Uint8Array,
    private readonly visit: KeyspaceVisitor,
  ) {
    this.buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (this.buf.length < HEADER + 2 + 4) throw new SnapshotError(`${this.buf.length} bytes is too short`);
    for (let i = 0; i < 4; i++) if (this.buf[i] !== MAGIC[i]) throw new SnapshotError('wrong magic bytes');
    if (this.buf[4] !== STREAM_VERSION) throw new SnapshotError(`version ${this.buf[4]} is not ${STREAM_VERSION}`);
    this.end = this.buf.length - 4;
    this.cursor = new SnapshotCursor(this.buf, HEADER, this.end, STREAM_VERSION);
  }

  /** How far reading is, from 0 to 1 (checksum and keys: half each, roughly). */
  get progress(): number {
    return (this.checked + this.cursor.p) / (2 * this.end);
  }

  /** Keys read so far. */
  get keys(): number {
    return this.count;
  }

  /** Reads until `deadline` (performance.now()); true once everything was read. */
  step(deadline: number): boolean {
    const buf = this.buf;
    while (this.checked < this.end) {
      const upTo = Math.min(this.end, this.checked + CRC_PER_STEP);
      this.crc = crc32(buf.subarray(this.checked, upTo), this.crc);
      this.checked = upTo;
      if (this.checked === this.end) {
        const stored = buf.readUInt32LE(this.end);
        if (stored !== this.crc >>> 0) {
          throw new SnapshotError(`checksum mismatch (stored ${stored}, computed ${this.crc >>> 0})`);
        }
        this.clock = buf.readDoubleLE(5);
        if (!(Number.isInteger(this.clock) && this.clock >= 0)) {
          throw new SnapshotError(`clock ${this.clock} is not a non-negative integer`);
        }
      }
      if (performance.now() > deadline) return false;
    }
    const c = this.cursor;
    let n = 0;
    while (!this.keysDone) {
      const marker = c.byte('entry marker');
      if (marker === END) {
        const count = c.varint('key count');
        if (count !== this.count) throw new SnapshotError(`${this.count} keys, the count after them says ${count}`);
        this.versionFloor = c.varint('version floor');
        this.keysDone = true;
        break;
      }
      if (marker !== MORE) throw new SnapshotError(`entry marker ${marker} at byte ${c.p - 1} is neither 0 nor 1`);
      const key = c.string('key');
      if (!this.visit.entry(key, c.value(key), c.expiry())) {
        throw new SnapshotError(`key ${JSON.stringify(key.slice(0, 64))} appears twice`);
      }
      this.count++;
      if ((++n & 255) === 0 && performance.now() > deadline) return false;
    }
    // The WATCH versions, up to two generations of 65,536 keys: in slices too.
    for (; this.generation < 2; this.generation++, this.versionsLeft = -1) {
      if (this.versionsLeft < 0) {
        this.versionsLeft = c.varint('version count');
        if (this.versionsLeft * 2 > this.end - c.p) {
          throw new SnapshotError(`version count ${this.versionsLeft} does not fit in ${this.end - c.p} bytes`);
        }
      }
      const older = this.generation === 0;
      for (; this.versionsLeft > 0; this.versionsLeft--) {
        this.visit.version(c.string('versioned key'), c.varint('key version'), older);
        if ((++n & 255) === 0 && performance.now() > deadline) {
          this.versionsLeft--;
          return false;
        }
      }
    }
    if (c.p !== this.end) throw new SnapshotError(`${this.end - c.p} trailing bytes before the checksum`);
    return true;
  }
}
