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

import { type SnapshotBytes, varintSize, writeVarint } from 'little-raft';

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
/** Bytes read at once from a snapshot that is not in memory (a file's); tests make it tiny. */
export const readWindow = { bytes: 1024 * 1024 };

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

/** The clock in a header's bytes 5-12, checked. */
function checkedClock(head: Uint8Array): number {
  const clock = Buffer.from(head.buffer, head.byteOffset, head.byteLength).readDoubleLE(5);
  if (!(Number.isInteger(clock) && clock >= 0)) throw new SnapshotError(`clock ${clock} is not a non-negative integer`);
  return clock;
}

/**
 * Reads version-3 bytes in steps, the keys told to `visit`; any defect throws SnapshotError. Bytes
 * in memory (a Uint8Array) are checked against their checksum first: nothing is told before it
 * matched. Others (a snapshot left in its file) are read once, through a window of a MiB or so
 * (grown for an entry larger than it), so that the snapshot is never all in memory: summed as
 * they are read, and checked before step() returns true, so what `visit` was told must not be
 * used before then (Keyspace.loading installs nothing before).
 */
export class KeyspaceReader {
  private readonly end: number;
  /** The bytes being decoded: source bytes from `windowAt` on (all of them for a Uint8Array). */
  private window: Buffer;
  private windowAt = 0;
  private cursor: SnapshotCursor;
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
    private readonly source: SnapshotBytes,
    private readonly visit: KeyspaceVisitor,
  ) {
    if (source.length < HEADER + 2 + 4) throw new SnapshotError(`${source.length} bytes is too short`);
    const head = source.subarray(0, HEADER);
    for (let i = 0; i < 4; i++) if (head[i] !== MAGIC[i]) throw new SnapshotError('wrong magic bytes');
    if (head[4] !== STREAM_VERSION) throw new SnapshotError(`version ${head[4]} is not ${STREAM_VERSION}`);
    this.end = source.length - 4;
    if (source instanceof Uint8Array) {
      this.window = Buffer.from(source.buffer, source.byteOffset, source.byteLength);
    } else {
      // Read once: summed as the window takes the bytes in, and checked before step() says done
      // (the key space being loaded is new, and no one uses it before then).
      this.windowAt = HEADER;
      const first = source.subarray(HEADER, Math.min(this.end, HEADER + readWindow.bytes));
      this.window = Buffer.allocUnsafeSlow(first.length); // its own memory: reused as the window moves
      this.window.set(first);
      this.crc = crc32(this.window, crc32(head));
      this.checked = this.end;
      this.clock = checkedClock(head);
    }
    this.cursor = this.cursorAt(this.windowAt === 0 ? HEADER : 0);
  }

  /** How far reading is, from 0 to 1 (checksum and keys: half each, roughly). */
  get progress(): number {
    const read = this.windowAt + this.cursor.p;
    return this.source instanceof Uint8Array ? (this.checked + read) / (2 * this.end) : read / this.end;
  }

  /** Keys read so far. */
  get keys(): number {
    return this.count;
  }

  /** Reads until `deadline` (performance.now()); true once everything was read. */
  step(deadline: number): boolean {
    const source = this.source;
    while (this.checked < this.end) {
      const upTo = Math.min(this.end, this.checked + CRC_PER_STEP);
      this.crc = crc32(source.subarray(this.checked, upTo), this.crc);
      this.checked = upTo;
      if (this.checked === this.end) {
        this.checkSum();
        this.clock = checkedClock(source.subarray(0, HEADER));
      }
      if (performance.now() > deadline) return false;
    }
    let n = 0;
    while (!this.keysDone) {
      const c = this.cursor;
      const at = c.p;
      let key: string;
      let value: Value;
      let expireAt: number | undefined;
      try {
        const marker = c.byte('entry marker');
        if (marker === END) {
          const count = c.varint('key count');
          this.versionFloor = c.varint('version floor');
          if (count !== this.count) throw new SnapshotError(`${this.count} keys, the count after them says ${count}`);
          this.keysDone = true;
          break;
        }
        if (marker !== MORE) throw new SnapshotError(`entry marker ${marker} at byte ${c.p - 1} is neither 0 nor 1`);
        key = c.string('key');
        value = c.value(key);
        expireAt = c.expiry();
      } catch (error) {
        if (this.grow(error, at)) continue;
        throw error;
      }
      if (!this.visit.entry(key, value, expireAt)) {
        throw new SnapshotError(`key ${JSON.stringify(key.slice(0, 64))} appears twice`);
      }
      this.count++;
      if ((++n & 255) === 0 && performance.now() > deadline) return false;
    }
    // The WATCH versions, up to two generations of 65,536 keys: in slices too.
    for (; this.generation < 2; this.generation++, this.versionsLeft = -1) {
      if (this.versionsLeft < 0) {
        const at = this.cursor.p;
        try {
          this.versionsLeft = this.cursor.varint('version count');
        } catch (error) {
          if (this.grow(error, at)) return false;
          throw error;
        }
        if (this.versionsLeft * 2 > this.end - this.windowAt - this.cursor.p) {
          throw new SnapshotError(
            `version count ${this.versionsLeft} does not fit in ${this.end - this.windowAt - this.cursor.p} bytes`,
          );
        }
      }
      const older = this.generation === 0;
      while (this.versionsLeft > 0) {
        const c = this.cursor;
        const at = c.p;
        let key: string;
        let version: number;
        try {
          key = c.string('versioned key');
          version = c.varint('key version');
        } catch (error) {
          if (this.grow(error, at)) continue;
          throw error;
        }
        this.visit.version(key, version, older);
        this.versionsLeft--;
        if ((++n & 255) === 0 && performance.now() > deadline) return false;
      }
    }
    const left = this.end - this.windowAt - this.cursor.p;
    if (left !== 0) throw new SnapshotError(`${left} trailing bytes before the checksum`);
    if (!(this.source instanceof Uint8Array)) this.checkSum();
    return true;
  }

  /** Throws unless the sum of the bytes before the checksum is the one stored after them. */
  private checkSum(): void {
    const stored = Buffer.from(this.source.subarray(this.end, this.end + 4)).readUInt32LE(0);
    if (stored !== this.crc >>> 0) {
      throw new SnapshotError(`checksum mismatch (stored ${stored}, computed ${this.crc >>> 0})`);
    }
  }

  /** A cursor over the window from `p`, up to the checksum or the window's end. */
  private cursorAt(p: number): SnapshotCursor {
    return new SnapshotCursor(this.window, p, Math.min(this.window.length, this.end - this.windowAt), STREAM_VERSION);
  }

  /**
   * After `error` reading what starts at window offset `at`: if the window stops short of the
   * checksum (what failed may lie across its end), moves it to start at `at` and reach at least a
   * window further (twice as far for an entry larger than that), and says to read again.
   */
  private grow(error: unknown, at: number): boolean {
    const windowEnd = this.windowAt + this.window.length;
    if (!(error instanceof SnapshotError) || windowEnd >= this.end) return false;
    const keep = this.window.length - at;
    const more = Math.min(this.end - windowEnd, Math.max(readWindow.bytes, keep));
    // The same memory again unless it is too small (strings are copied out of it: nothing points in).
    let store = Buffer.from(
      this.window.buffer,
      this.window.byteOffset,
      this.window.buffer.byteLength - this.window.byteOffset,
    );
    if (store.length < keep + more) {
      const larger = Buffer.allocUnsafeSlow(keep + more);
      larger.set(this.window.subarray(at), 0);
      store = larger;
    } else {
      store.copyWithin(0, at, this.window.length);
    }
    const added = this.source.subarray(windowEnd, windowEnd + more);
    this.crc = crc32(added, this.crc);
    store.set(added, keep);
    this.windowAt += at;
    this.window = store.subarray(0, keep + more);
    this.cursor = this.cursorAt(0);
    return true;
  }
}
