// DiskStorage: a crash-safe Storage in a directory, built on an append-only segmented log.
//
// Files in `dir`:
//   wal-<seq, 16 hex digits>.log   log segments, replayed in seq order
//   snap-<seq, 16 hex digits>.snap snapshot files, written atomically (temp file, fsync, rename,
//                                  fsync of the directory); the log names the current one
//
// Each Storage.write becomes records (see disk-format.ts): SNAPSHOT, TRUNCATE, ENTRIES, HARD,
// in the order StorageWrite applies them. Writes that arrive while a flush is in flight are
// queued and go together into the next frame: one write + one fdatasync per flush (group
// commit), all through fs.promises, so the syncs run on libuv's thread pool and never block
// the event loop. Nothing is overwritten in place: a truncation or overwrite is a record that
// replay honours, and a frame is the unit of atomicity; a frame torn by a crash can only be
// the last one of the newest segment, and is cut off on open. A new segment starts with the
// current hard state and snapshot, so a segment whose entries all lie at or before the
// snapshot is deleted whole; nothing else is ever rewritten.
//
// Memory: the log's entries live in the core (load() hands them over); DiskStorage keeps only
// the log's shape (terms and segments as runs of equal values) for validation and cleanup.

import { constants } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, stat, unlink, type FileHandle } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type {
  HardState,
  LogEntry,
  Membership,
  Storage,
  StorageWrite,
  StoredSnapshot,
  StoredState,
} from '../../core/types.js';
import { bytesCodec, jsonCodec, type Codec } from '../../encoding/codec.js';
import {
  Builder,
  DiskCorruptionError,
  encodeJson,
  FORMAT_VERSION,
  frame,
  HAS_CONFIG,
  HAS_TRANSITION,
  Reader,
  REC_ENTRIES,
  REC_HARD,
  REC_HEADER,
  REC_SNAPSHOT,
  REC_SNAPSHOT_META,
  REC_TRUNCATE,
  scanFrameBounds,
  scanFrames,
} from './format.js';
import { wordsOf } from '../../encoding/crc32.js';
import { EntryList, SegmentBytes, StoredEntry } from './entry.js';
import { LogShape } from './shape.js';
import { isTermStarts, validateWrite } from '../validate-write.js';
import { readIdentityFile, writeIdentityFile } from './identity.js';
import { identityShapeError } from '../../encoding/identity-shape.js';

export { DiskCorruptionError } from './format.js';

export interface DiskStorageOptions<T, D> {
  /** Directory of the store; created if missing. One open DiskStorage per directory at a time. */
  dir: string;
  /** Encodes transitions; default JSON. */
  codec?: Codec<T>;
  /**
   * Encodes snapshot data; default: the data is a Uint8Array, stored as is. The bytes are written
   * after write() returns, so neither they nor a Uint8Array snapshot may change afterwards.
   */
  snapshotCodec?: Codec<D>;
  /** A new segment is started once the current one holds this many bytes; default 16 MiB. */
  segmentBytes?: number;
  /** Called with a message when load() cuts a torn tail or removes leftover files; default console.warn. */
  onWarning?: (message: string) => void;
}

/** What opening the store found and repaired. */
export interface DiskRecovery {
  /** Log segment files replayed. */
  segments: number;
  /** Bytes read from them. */
  bytes: number;
  /** Entries after the snapshot. */
  entries: number;
  snapshotIndex: number;
  /** The torn end of the newest segment (a crash mid-write), cut off; null when there was none. */
  tornTail: { file: string; position: number; discardedBytes: number; reason: string } | null;
  /** Leftover files deleted: superseded segments and snapshots, temporary files. */
  removed: string[];
  /** Wall-clock time of the open, in milliseconds. */
  milliseconds: number;
}

const DEFAULT_SEGMENT_BYTES = 16 * 1024 * 1024;
const SNAPSHOT_CHUNK = 1024 * 1024;
/** Bytes of a segment whose frames are checked at a time, then parsed (well within a CPU cache). */
const SCAN_SLICE = 128 * 1024;
const SEGMENT = /^wal-([0-9a-f]{16})\.log$/;
const SNAPSHOT = /^snap-([0-9a-f]{16})\.snap$/;
const TEMPORARY = /\.tmp$/;

/**
 * Directories open in this process. Two DiskStorage objects appending to one directory would
 * interleave their frames; across processes, one process per directory is up to the operator
 * (a pid lock file would outlive a crash and could name a reused pid).
 */
const openDirs = new Set<string>();

const hex = (n: number): string => n.toString(16).padStart(16, '0');
const segmentName = (seq: number): string => `wal-${hex(seq)}.log`;
const snapshotName = (seq: number): string => `snap-${hex(seq)}.snap`;

/**
 * A snapshot file to write: its first frame, and the data that goes after it in chunks of
 * SNAPSHOT_CHUNK bytes, a frame each. The chunks are framed (copied, checksummed) only as they are
 * written, so a large snapshot does not hold the event loop for all of it at once.
 */
interface SnapshotFile {
  meta: Buffer;
  data: Uint8Array;
}

/** A write accepted but not yet durable. */
interface Pending {
  records: Uint8Array;
  snapshot?: { index: number; term: number; fileSeq: number; file: SnapshotFile };
  truncateFrom?: number;
  first: number;
  terms: number[];
  hardState?: HardState;
  /**
   * The write changes only the commit index (no snapshot, truncation or entries; term and vote
   * as before). It is not synced on its own: see {@link DiskStorage.flush}.
   */
  commitOnly: boolean;
  resolve: () => void;
  reject: (error: Error) => void;
}

/** What replaying the directory found. */
interface Replay<T, D> {
  shape: LogShape;
  hardState: HardState;
  snapshot: StoredSnapshot<D> | null;
  snapshotSeq: number;
  entries: LogEntry<T>[];
  /** Segment seqs replayed, oldest first (after repairs). */
  seqs: number[];
  /** Valid bytes in the newest segment. */
  size: number;
  /** With no segment left: the seq to start with. */
  freshSeq: number;
  maxSnapshotSeq: number;
  recovery: DiskRecovery;
}

/**
 * Crash-safe {@link Storage} in a directory. `load()` opens the store (replaying and
 * verifying every record, cutting a torn tail, which `recovery` then reports) and rejects
 * with a {@link DiskCorruptionError} naming the file and byte position if anything else is
 * damaged. `write()` validates the batch as MemoryStorage does (rejecting, changing nothing,
 * if it would leave a malformed log) and resolves once it is durable.
 */
export class DiskStorage<T = unknown, D = Uint8Array> implements Storage<T, D> {
  readonly dir: string;
  /** Set once the store is open: what the open found and repaired. */
  recovery: DiskRecovery | null = null;

  private readonly codec: Codec<T>;
  private readonly snapshotCodec: Codec<D>;
  private readonly segmentBytes: number;
  private readonly warn: (message: string) => void;

  private opening: Promise<Replay<T, D>> | null = null;
  /** This instance has the directory in `openDirs`. */
  private holdsDir = false;
  private open = false;
  private closed = false;
  private failure: Error | null = null;

  /** The log as accepted writes leave it (validation); `durable`: as synced writes leave it. */
  private readonly accepted = new LogShape();
  private durable = new LogShape();
  private durableHard: HardState = { term: 0, vote: null, commit: 0 };
  private durableSnapshot: { index: number; term: number; fileSeq: number } | null = null;
  private snapshotSeq = 0;
  /** Snapshot files written since the store was opened, until superseded and deleted. */
  private staleSnapshots: number[] = [];

  private file: FileHandle | null = null;
  private dirHandle: FileHandle | null = null;
  private firstSeq = 1;
  private seq = 1;
  private size = 0;

  private queue: Pending[] = [];
  /** Commit-only writes, acknowledged but not yet written: they go into the next frame. */
  private deferred: Pending[] = [];
  /** Term and vote as accepted writes leave them (what makes a write commit-only). */
  private acceptedTerm = 0;
  private acceptedVote: number | null = null;
  private flushing = false;
  private idleWaiters: (() => void)[] = [];

  constructor(options: DiskStorageOptions<T, D>) {
    if (typeof options.dir !== 'string' || options.dir === '') throw new TypeError('DiskStorage: dir is required');
    this.dir = resolve(options.dir);
    this.codec = options.codec ?? jsonCodec<T>();
    this.snapshotCodec = options.snapshotCodec ?? (bytesCodec as unknown as Codec<D>);
    this.segmentBytes = options.segmentBytes ?? DEFAULT_SEGMENT_BYTES;
    if (!(this.segmentBytes > 0)) throw new RangeError('DiskStorage: segmentBytes must be > 0');
    this.warn = options.onWarning ?? ((message) => console.warn(message));
  }

  /** Index covered by the snapshot (as accepted writes leave it); 0 when none. */
  get snapshotIndex(): number {
    return this.accepted.snapIndex;
  }

  /** Index of the last entry (as accepted writes leave it), or the snapshot index. */
  get lastIndex(): number {
    return this.accepted.last;
  }

  /**
   * Opens the store on the first call and returns what it holds. Later calls wait for the
   * writes in flight and read the directory again.
   */
  async load(): Promise<StoredState<T, D>> {
    if (this.closed) throw new Error('DiskStorage: closed');
    if (!this.open) {
      const replay = await this.ensureOpen(true);
      const identity = await readIdentityFile(this.dir);
      return { hardState: replay.hardState, snapshot: replay.snapshot, entries: replay.entries, identity };
    }
    await this.idle();
    await this.writeDeferred();
    if (this.failure) throw this.failure;
    const replay = await this.replay(true, false);
    const identity = await readIdentityFile(this.dir);
    return { hardState: replay.hardState, snapshot: replay.snapshot, entries: replay.entries, identity };
  }

  /** Applies `batch` as {@link StorageWrite} documents; resolves once it is durable. */
  write(batch: StorageWrite<T, D>): Promise<void> {
    if (this.closed) return Promise.reject(new Error('DiskStorage: closed'));
    if (!this.open) return this.ensureOpen(false).then(() => this.accept(batch));
    return this.accept(batch);
  }

  /** Waits for the writes in flight, then closes the files. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.opening) await this.opening.catch(() => undefined);
    await this.idle();
    if (this.open) await this.writeDeferred().catch(() => undefined);
    await this.file?.close();
    await this.dirHandle?.close();
    this.file = null;
    this.dirHandle = null;
    if (this.holdsDir) openDirs.delete(this.dir);
    this.holdsDir = false;
  }

  // ---- writing ------------------------------------------------------------------------

  private accept(batch: StorageWrite<T, D>): Promise<void> {
    if (this.closed) return Promise.reject(new Error('DiskStorage: closed'));
    if (this.failure) return Promise.reject(this.failure);
    if (batch.identity !== undefined) return this.acceptIdentity(batch);
    let pending: Omit<Pending, 'resolve' | 'reject'>;
    try {
      this.validate(batch);
      pending = this.encode(batch);
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    const h = batch.hardState;
    pending.commitOnly =
      h !== undefined &&
      pending.snapshot === undefined &&
      pending.truncateFrom === undefined &&
      pending.terms.length === 0 &&
      h.term === this.acceptedTerm &&
      h.vote === this.acceptedVote;
    if (h !== undefined) {
      this.acceptedTerm = h.term;
      this.acceptedVote = h.vote;
    }
    const shape = this.accepted;
    if (pending.snapshot) shape.snapshot(pending.snapshot.index, pending.snapshot.term);
    if (pending.truncateFrom !== undefined) shape.truncate(pending.truncateFrom);
    if (pending.terms.length > 0) shape.append(pending.first, pending.terms, 0);
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ ...pending, resolve, reject });
      if (!this.flushing) void this.flush();
    });
  }

  /** An identity write: alone in its batch, after the log writes before it are durable. */
  private async acceptIdentity(batch: StorageWrite<T, D>): Promise<void> {
    const { identity, ...rest } = batch;
    if (Object.values(rest).some((v) => v !== undefined)) {
      throw new Error('DiskStorage: an identity is written in a batch of its own');
    }
    const problem = identityShapeError(identity);
    if (problem !== null) throw new Error(`DiskStorage: ${problem}`);
    await this.idle();
    await writeIdentityFile(this.dir, identity!);
  }

  /** The records of `batch`, and what the durable shape needs from it. */
  private encode(batch: StorageWrite<T, D>): Omit<Pending, 'resolve' | 'reject'> {
    const { snapshot, truncateFrom, entries, hardState } = batch;
    const b = new Builder(entries ? 64 + entries.length * 128 : 64);
    const out: Omit<Pending, 'resolve' | 'reject'> = { records: b.finish(), first: 0, terms: [], commitOnly: false };
    if (snapshot !== undefined) {
      const fileSeq = this.snapshotSeq + 1;
      out.snapshot = {
        index: snapshot.lastIncludedIndex,
        term: snapshot.lastIncludedTerm,
        fileSeq,
        file: this.snapshotFile(snapshot, fileSeq),
      };
      this.snapshotSeq = fileSeq;
      b.u8(REC_SNAPSHOT);
      b.f64(snapshot.lastIncludedIndex);
      b.f64(snapshot.lastIncludedTerm);
      b.f64(fileSeq);
    }
    if (truncateFrom !== undefined) {
      out.truncateFrom = truncateFrom;
      b.u8(REC_TRUNCATE);
      b.f64(truncateFrom);
    }
    if (entries !== undefined && entries.length > 0) {
      out.first = entries[0]!.index;
      b.u8(REC_ENTRIES);
      b.f64(out.first);
      b.u32(entries.length);
      for (const e of entries) {
        out.terms.push(e.term);
        b.f64(e.term);
        const flags = (e.transition !== undefined ? HAS_TRANSITION : 0) | (e.config !== undefined ? HAS_CONFIG : 0);
        b.u8(flags);
        if (e.transition !== undefined) b.lengthPrefixed(this.codec.encode(e.transition));
        if (e.config !== undefined) b.lengthPrefixed(encodeJson(membership(e.config)));
      }
    }
    if (hardState !== undefined) {
      out.hardState = { term: hardState.term, vote: hardState.vote, commit: hardState.commit };
      b.u8(REC_HARD);
      b.f64(hardState.term);
      b.f64(hardState.vote === null ? -1 : hardState.vote);
      b.f64(hardState.commit);
    }
    out.records = b.finish();
    return out;
  }

  /** The snapshot file for `s`: its data encoded now, its chunks framed as they are written. */
  private snapshotFile(s: StoredSnapshot<D>, fileSeq: number): SnapshotFile {
    const data = this.snapshotCodec.encode(s.data);
    const chunks = Math.ceil(data.length / SNAPSHOT_CHUNK);
    const b = new Builder();
    b.u8(REC_SNAPSHOT_META);
    b.f64(fileSeq);
    b.f64(s.lastIncludedIndex);
    b.f64(s.lastIncludedTerm);
    b.lengthPrefixed(encodeJson(membership(s.config)));
    b.u32(s.termStarts.length);
    for (const v of s.termStarts) b.f64(v);
    b.f64(data.length);
    b.u32(chunks);
    return { meta: frame([b.finish()]), data };
  }

  /**
   * Writes queued batches, a group per frame and sync, until the queue is empty.
   *
   * A group of commit-only writes alone is acknowledged at once, once every earlier write is
   * durable (they are flushed in order), and its records go at the front of the next frame,
   * synced with it; close() and load() write them too. A crash may lose them: the store then
   * holds a lower commit index, which is safe (as in etcd, which does not sync a change of the
   * commit index alone): every entry up to it is still committed, and the leader tells the
   * replica the rest. Putting them in the next frame rather than writing them now keeps the
   * rule that only the last frame is ever unsynced, so only the last one can be torn.
   */
  private async flush(): Promise<void> {
    this.flushing = true;
    while (this.queue.length > 0 && this.failure === null) {
      let group = this.queue;
      this.queue = [];
      if (group.every((p) => p.commitOnly)) {
        this.deferred.push(...group);
        for (const p of group) p.resolve();
        continue;
      }
      if (this.deferred.length > 0) {
        group = [...this.deferred, ...group];
        this.deferred = [];
      }
      try {
        await this.persist(group);
      } catch (error) {
        this.failure = new Error(`DiskStorage: a write to ${this.dir} failed; the store takes no more writes`, {
          cause: error,
        });
        for (const p of group) p.reject(this.failure);
        for (const p of this.queue) p.reject(this.failure);
        this.queue = [];
        break;
      }
      for (const p of group) p.resolve();
      try {
        await this.cleanup();
      } catch (error) {
        this.warn(`DiskStorage: could not delete superseded files in ${this.dir}: ${String(error)}`);
      }
    }
    this.flushing = false;
    for (const wake of this.idleWaiters.splice(0)) wake();
  }

  private async persist(group: Pending[]): Promise<void> {
    let snapshot: Pending['snapshot'];
    for (const p of group) if (p.snapshot) snapshot = p.snapshot;
    if (snapshot) await this.writeSnapshotFile(snapshot.fileSeq, snapshot.file);

    const body = frame(group.map((p) => p.records));
    if (this.size >= this.segmentBytes) {
      // Roll over: the new segment opens with the durable hard state and snapshot.
      const seq = this.seq + 1;
      const file = await open(join(this.dir, segmentName(seq)), NEW_SEGMENT);
      try {
        const header = frame([this.headerRecords(seq)]);
        const bytes = Buffer.concat([header, body]);
        await writeFully(file, bytes, 0);
        await Promise.all([syncWrites(file), this.syncDir()]);
        const old = this.file!;
        this.file = file;
        this.seq = seq;
        this.size = bytes.length;
        await old.close();
      } catch (error) {
        if (this.file !== file) await file.close();
        throw error;
      }
    } else {
      await writeFully(this.file!, body, this.size);
      await syncWrites(this.file!);
      this.size += body.length;
    }

    const shape = this.durable;
    for (const p of group) {
      if (p.snapshot) {
        shape.snapshot(p.snapshot.index, p.snapshot.term);
        this.durableSnapshot = { index: p.snapshot.index, term: p.snapshot.term, fileSeq: p.snapshot.fileSeq };
      }
      if (p.truncateFrom !== undefined) shape.truncate(p.truncateFrom);
      if (p.terms.length > 0) shape.append(p.first, p.terms, this.seq);
      if (p.hardState) this.durableHard = p.hardState;
    }
    if (snapshot) this.staleSnapshots.push(...group.flatMap((p) => (p.snapshot ? [p.snapshot.fileSeq] : [])));
  }

  private headerRecords(seq: number): Uint8Array {
    const b = new Builder();
    b.u8(REC_HEADER);
    b.u8(FORMAT_VERSION);
    b.f64(seq);
    const h = this.durableHard;
    b.u8(REC_HARD);
    b.f64(h.term);
    b.f64(h.vote === null ? -1 : h.vote);
    b.f64(h.commit);
    const s = this.durableSnapshot;
    if (s) {
      b.u8(REC_SNAPSHOT);
      b.f64(s.index);
      b.f64(s.term);
      b.f64(s.fileSeq);
    }
    return b.finish();
  }

  /** Writes a snapshot file atomically: temporary file, fsync, rename, fsync the directory. */
  private async writeSnapshotFile(fileSeq: number, { meta, data }: SnapshotFile): Promise<void> {
    const name = snapshotName(fileSeq);
    const temporary = join(this.dir, `${name}.tmp`);
    const file = await open(temporary, 'w');
    try {
      await writeFully(file, meta, 0);
      let at = meta.length;
      for (let from = 0; from < data.length; from += SNAPSHOT_CHUNK) {
        const f = frame([data.subarray(from, Math.min(data.length, from + SNAPSHOT_CHUNK))]);
        await writeFully(file, f, at);
        at += f.length;
      }
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temporary, join(this.dir, name));
    await this.syncDir();
  }

  /** Deletes segments that hold only entries covered by the snapshot, and superseded snapshots. */
  private async cleanup(): Promise<void> {
    const needed = this.durable.firstSegment() ?? this.seq;
    let removed = false;
    while (this.firstSeq < needed) {
      await unlink(join(this.dir, segmentName(this.firstSeq)));
      this.firstSeq++;
      removed = true;
    }
    const current = this.durableSnapshot?.fileSeq ?? 0;
    const keep: number[] = [];
    for (const seq of this.staleSnapshots) {
      if (seq < current) {
        await unlink(join(this.dir, snapshotName(seq))).catch(ignoreMissing);
        removed = true;
      } else {
        keep.push(seq);
      }
    }
    this.staleSnapshots = keep;
    if (removed) await this.syncDir();
  }

  private async syncDir(): Promise<void> {
    this.dirHandle ??= await open(this.dir, 'r');
    await this.dirHandle.sync();
  }

  /** Writes and syncs the commit-only writes held back for the next frame, if any. */
  private async writeDeferred(): Promise<void> {
    if (this.deferred.length === 0 || this.failure) return;
    await new Promise<void>((resolve, reject) => {
      this.queue.push({ records: new Uint8Array(0), first: 0, terms: [], commitOnly: false, resolve, reject });
      if (!this.flushing) void this.flush();
    });
  }

  private idle(): Promise<void> {
    if (!this.flushing && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  // ---- opening ------------------------------------------------------------------------

  private ensureOpen(decode: boolean): Promise<Replay<T, D>> {
    this.opening ??= this.openStore(decode);
    return this.opening;
  }

  private async openStore(decode: boolean): Promise<Replay<T, D>> {
    if (openDirs.has(this.dir)) {
      throw new Error(`DiskStorage: ${this.dir} is already open in this process (close the other DiskStorage first)`);
    }
    openDirs.add(this.dir);
    this.holdsDir = true;
    try {
      return await this.openFiles(decode);
    } catch (error) {
      // A store that failed to open holds nothing: it may be opened again (after a repair).
      openDirs.delete(this.dir);
      this.holdsDir = false;
      await this.file?.close();
      await this.dirHandle?.close();
      this.file = null;
      this.dirHandle = null;
      throw error;
    }
  }

  private async openFiles(decode: boolean): Promise<Replay<T, D>> {
    await mkdir(this.dir, { recursive: true });
    const replay = await this.replay(decode, true);
    if (replay.seqs.length === 0) {
      // A new store (or one whose only segment was never written): it opens with the empty hard state.
      const seq = replay.freshSeq;
      const file = await open(join(this.dir, segmentName(seq)), NEW_SEGMENT);
      const bytes = frame([this.headerRecords(seq)]);
      await writeFully(file, bytes, 0);
      await syncWrites(file);
      await this.syncDir();
      // The directory itself may be new: make its entry in the parent durable too.
      const parent = await open(dirname(this.dir), 'r');
      await parent.sync().finally(() => parent.close());
      this.file = file;
      this.firstSeq = this.seq = seq;
      this.size = bytes.length;
    } else {
      this.firstSeq = replay.seqs[0]!;
      this.seq = replay.seqs[replay.seqs.length - 1]!;
      this.size = replay.size;
      this.file = await open(join(this.dir, segmentName(this.seq)), constants.O_RDWR | O_DSYNC);
      // Its last frames may have been written without a sync (a process killed between write and
      // fdatasync, by an older build or on another platform); O_DSYNC writes sync only their own
      // bytes, so make all of it durable once before appending.
      await this.file.datasync();
    }
    const shape = replay.shape;
    this.durable = shape;
    this.accepted.copyFrom(shape);
    this.durableHard = replay.hardState;
    this.acceptedTerm = replay.hardState.term;
    this.acceptedVote = replay.hardState.vote;
    this.durableSnapshot =
      replay.snapshot === null ? null : { index: shape.snapIndex, term: shape.snapTerm, fileSeq: replay.snapshotSeq };
    this.snapshotSeq = replay.maxSnapshotSeq;
    this.recovery = replay.recovery;
    this.open = true;
    return replay;
  }

  /**
   * Reads the directory and replays the log. With `repair` (opening), cuts a torn tail and
   * deletes leftovers; without, changes nothing. With `decode`, decodes the entries.
   */
  private async replay(decode: boolean, repair: boolean): Promise<Replay<T, D>> {
    const started = performance.now();
    const names = await readdir(this.dir);
    // Repairs are collected and done only once the whole store has been verified.
    const removed: string[] = [];
    const remove = (name: string): void => {
      removed.push(name);
    };
    let cut: { path: string; end: number } | null = null;
    let seqs: number[] = [];
    const snapshotSeqs: number[] = [];
    for (const name of names) {
      const s = SEGMENT.exec(name);
      if (s) seqs.push(parseInt(s[1]!, 16));
      const n = SNAPSHOT.exec(name);
      if (n) snapshotSeqs.push(parseInt(n[1]!, 16));
      if (TEMPORARY.test(name)) remove(name);
    }
    seqs.sort((a, b) => a - b);
    // Only the newest run of consecutive segments counts: older ones are left over from a
    // cleanup that a crash interrupted (deletion goes oldest first).
    let from = seqs.length - 1;
    while (from > 0 && seqs[from - 1] === seqs[from]! - 1) from--;
    for (const seq of seqs.slice(0, Math.max(0, from))) remove(segmentName(seq));
    seqs = seqs.slice(Math.max(0, from));
    if (seqs.length === 0 && snapshotSeqs.length > 0) {
      throw new DiskCorruptionError(this.dir, 0, 'the directory holds snapshot files but no log segment');
    }
    const freshSeq = seqs[0] ?? 1;

    const replayed = new Replayed<T>(decode);
    let bytes = 0;
    let size = 0;
    let tornTail: DiskRecovery['tornTail'] = null;
    const codec = this.codec;
    // Every segment's buffer is allocated before any entry is made: V8 counts buffers as external
    // memory and answers its growth with garbage collections, cheap while the heap is small but
    // each a pass over every entry made so far once it is not (several per open of a big log).
    const paths = seqs.map((s) => join(this.dir, segmentName(s)));
    const sizes = await Promise.all(paths.map(async (path) => (await stat(path)).size));
    const buffers = sizes.map((n) => Buffer.allocUnsafeSlow(n));
    // The next segment is read while this one is parsed.
    const read = (k: number): Promise<Buffer> | null => {
      if (k >= seqs.length) return null;
      const p = readInto(paths[k]!, buffers[k]!);
      p.catch(() => undefined); // awaited below, unless replay stops before
      return p;
    };
    let reading = read(0);

    segments: for (let k = 0; k < seqs.length; k++) {
      const seq = seqs[k]!;
      const newest = k === seqs.length - 1;
      const path = join(this.dir, segmentName(seq));
      const buf = await reading!;
      reading = read(k + 1);
      bytes += buf.length;
      const source = new SegmentBytes(buf, path, codec);
      const r = new Reader(buf, 0, 0, path);
      const words = wordsOf(buf);
      const bounds: number[] = [];
      replayed.firstRecord = true;
      // Checked and parsed a slice at a time: a frame is parsed while its bytes, just summed,
      // are still in the cache.
      for (let from = 0, done = false; !done;) {
        const frames = scanFrameBounds(buf, path, newest, from, from + SCAN_SLICE, words, bounds);
        // A crash right after creating the newest segment leaves it empty: as if never created.
        if (newest && buf.length === 0) frames.torn = { position: 0, reason: 'the segment is empty' };
        if (frames.torn) {
          tornTail = {
            file: path,
            position: frames.torn.position,
            discardedBytes: buf.length - frames.torn.position,
            reason: frames.torn.reason,
          };
          if (frames.end === 0) {
            // Nothing of the newest segment was written: it never existed.
            remove(segmentName(seq));
            seqs = seqs.slice(0, k);
            break segments;
          }
          cut = { path, end: frames.end };
        }
        if (from === 0 && frames.bounds.length === 0) throw new DiskCorruptionError(path, 0, 'the segment is empty');
        from = size = frames.end;
        done = frames.torn !== null || from >= buf.length;
        replayed.frames(r, source, frames.bounds, seq, path);
      }
    }

    const { shape, base, snapshotSeq, snapshotAt, entries } = replayed;
    if (shape.last > shape.snapIndex && base > shape.snapIndex) {
      const file = join(this.dir, segmentName(seqs[0]!));
      throw new DiskCorruptionError(
        file,
        0,
        `entries ${shape.snapIndex + 1}..${base} are missing: the log starts at ${base + 1}, after the snapshot at ${shape.snapIndex}`,
      );
    }

    let snapshot: StoredSnapshot<D> | null = null;
    if (snapshotSeq > 0) {
      snapshot = await this.readSnapshot(snapshotSeq, shape.snapIndex, shape.snapTerm, snapshotAt);
    }
    for (const s of snapshotSeqs) if (s !== snapshotSeq) remove(snapshotName(s));
    if (repair && (removed.length > 0 || tornTail)) {
      if (cut) {
        const f = await open(cut.path, 'r+');
        await f
          .truncate(cut.end)
          .then(() => f.datasync())
          .finally(() => f.close());
      }
      for (const name of removed) await unlink(join(this.dir, name)).catch(ignoreMissing);
      await this.syncDir();
      if (tornTail) {
        this.warn(
          `DiskStorage: cut a torn tail off ${tornTail.file} at byte ${tornTail.position} (${tornTail.discardedBytes} bytes: ${tornTail.reason})`,
        );
      }
      if (removed.length > 0) this.warn(`DiskStorage: removed leftover files in ${this.dir}: ${removed.join(', ')}`);
    }
    return {
      shape,
      hardState: {
        term: replayed.hardTerm,
        vote: replayed.hardVote === -1 ? null : replayed.hardVote,
        commit: replayed.hardCommit,
      },
      snapshot,
      snapshotSeq,
      entries: entries.toArray(),
      seqs,
      size,
      freshSeq,
      maxSnapshotSeq: Math.max(snapshotSeq, ...snapshotSeqs),
      recovery: {
        segments: seqs.length,
        bytes,
        entries: shape.last - shape.snapIndex,
        snapshotIndex: shape.snapIndex,
        tornTail,
        removed: repair ? removed : [],
        milliseconds: performance.now() - started,
      },
    };
  }

  private async readSnapshot(
    fileSeq: number,
    index: number,
    term: number,
    namedAt: string,
  ): Promise<StoredSnapshot<D>> {
    const path = join(this.dir, snapshotName(fileSeq));
    let buf: Buffer;
    try {
      buf = await readFile(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      throw new DiskCorruptionError(path, 0, `the snapshot file is missing (named by ${namedAt})`);
    }
    const frames = scanFrames(buf, path, false);
    if (frames.payloads.length === 0) throw new DiskCorruptionError(path, 0, 'the snapshot file is empty');
    const [start, end] = frames.payloads[0]!;
    const r = new Reader(buf, start, end, path);
    if (r.u8() !== REC_SNAPSHOT_META) r.fail('no snapshot header', start);
    const seq = r.int('snapshot file seq');
    const lastIncludedIndex = r.int('snapshot index');
    const lastIncludedTerm = r.int('snapshot term');
    if (seq !== fileSeq || lastIncludedIndex !== index || lastIncludedTerm !== term) {
      r.fail(
        `the file holds snapshot ${seq} at ${lastIncludedIndex} (term ${lastIncludedTerm}); the log names snapshot ${fileSeq} at ${index} (term ${term})`,
        start,
      );
    }
    const config = r.membership('the snapshot configuration');
    const termStarts: number[] = [];
    for (let i = r.u32(); i > 0; i--) termStarts.push(r.int('a termStarts value'));
    if (!isTermStarts(termStarts)) r.fail('termStarts are not increasing [index, term] pairs', start);
    const length = r.int('snapshot data length');
    const chunks = r.u32();
    if (frames.payloads.length !== chunks + 1) {
      r.fail(`the file has ${frames.payloads.length - 1} data chunks, its header says ${chunks}`, start);
    }
    const data = Buffer.allocUnsafe(length);
    let at = 0;
    for (const [s, e] of frames.payloads.slice(1)) {
      if (at + (e - s) > length) throw new DiskCorruptionError(path, s, 'more snapshot data than its header says');
      buf.copy(data, at, s, e);
      at += e - s;
    }
    if (at !== length)
      throw new DiskCorruptionError(path, buf.length, `${at} bytes of snapshot data, expected ${length}`);
    let decoded: D;
    try {
      decoded = this.snapshotCodec.decode(new Uint8Array(data.buffer, data.byteOffset, data.length));
    } catch (error) {
      throw new DiskCorruptionError(
        path,
        frames.payloads[1]?.[0] ?? end,
        `the snapshot data does not decode: ${(error as Error).message}`,
      );
    }
    return { lastIncludedIndex, lastIncludedTerm, data: decoded, config, termStarts };
  }

  // ---- validation (as MemoryStorage's) ---------------------------------------------------

  /** Throws if applying `batch` would leave a malformed log; changes nothing. */
  private validate(batch: StorageWrite<T, D>): void {
    validateWrite('DiskStorage', batch, this.accepted);
  }
}

// What the replay below reads per frame, as constants of this module: where it runs compiled to
// CommonJS (tsx does so for the benches and the tests), every use of an imported binding is a
// getter call on the exporting module's exports, through a megamorphic property load; on a log
// of one entry per write that was a sixth of the open's instructions.
const HEADER_REC = REC_HEADER;
const HARD_REC = REC_HARD;
const SNAPSHOT_REC = REC_SNAPSHOT;
const TRUNCATE_REC = REC_TRUNCATE;
const ENTRIES_REC = REC_ENTRIES;
const VERSION = FORMAT_VERSION;
const TRANSITION = HAS_TRANSITION;
const CONFIG = HAS_CONFIG;
const Entry = StoredEntry;

/** What replaying a store's records has found so far. */
class Replayed<T> {
  readonly shape = new LogShape();
  // The last hard state: numbers, not an object per record (a log may hold millions).
  hardTerm = 0;
  hardVote = -1;
  hardCommit = 0;
  snapshotSeq = 0;
  snapshotAt = '';
  readonly entries = new EntryList<T>();
  /** Index before entries' head: shape.last === base + entries.length - entries.head while decoding. */
  base = 0;
  /** The terms of one ENTRIES record, reused. */
  terms = new Float64Array(1024);
  /** Whether the next record is the first of its segment. */
  firstRecord = true;

  constructor(readonly decode: boolean) {}

  /**
   * Applies the records in the frames at `bounds` (payload start, end, ...) of segment `seq`,
   * read through `r`. A method of its own, not a loop in the async replay(), so that the JIT
   * optimizes it early: this runs per frame.
   */
  frames(r: Reader, source: SegmentBytes<T>, bounds: number[], seq: number, path: string): void {
    const view = source.view;
    for (let f = 0; f < bounds.length; f += 2) {
      const end = bounds[f + 1]!;
      r.range(bounds[f]!, end);
      while (!r.done) {
        const at = r.pos;
        const type = r.u8();
        if (this.firstRecord !== (type === HEADER_REC)) {
          r.fail(
            this.firstRecord ? 'the segment does not start with a header record' : 'a header record inside a segment',
            at,
          );
        }
        this.firstRecord = false;
        // The most frequent first: a write of entries (and a hard state).
        if (type === ENTRIES_REC) {
          // As for REC_HARD: inline when well-formed, else through r, which says what is wrong.
          const p = r.pos;
          const f64 = end - p >= 12 ? view.getFloat64(p, true) : NaN;
          let first: number;
          let count: number;
          if (f64 >= 1 && isSafe(f64)) {
            first = f64;
            count = view.getUint32(p + 8, true);
            r.pos = p + 12;
          } else {
            first = r.int('first entry index', 1);
            count = r.u32();
          }
          // Each entry takes at least 9 bytes (term and flags).
          if (count * 9 > end - r.pos) r.fail(`${count} entries cannot fit in the rest of the frame`, at);
          if (first <= this.shape.snapIndex)
            r.fail(`entries from ${first}, inside the snapshot at ${this.shape.snapIndex}`, at);
          if (first > this.shape.last + 1 || first - 1 < this.base) {
            // A gap: the log's start lies in deleted segments (checked once replay is done).
            this.entries.clear();
            this.base = first - 1;
            this.shape.reset(this.base);
          } else if (this.decode) {
            this.entries.truncate(this.entries.head + (first - 1 - this.base));
          }
          if (this.terms.length < count) this.terms = new Float64Array(count);
          readEntries(r, source, first, count, this.terms, this.decode ? this.entries : null);
          this.shape.append(first, this.terms, seq, count); // no subarray: one per record adds up
        } else if (type === HARD_REC) {
          // Inline when well-formed (one per write: this runs per frame); else r.int says what is wrong.
          const p = r.pos;
          if (end - p >= 24) {
            const term = view.getFloat64(p, true);
            const vote = view.getFloat64(p + 8, true);
            const commit = view.getFloat64(p + 16, true);
            if (term >= 0 && vote >= -1 && commit >= 0 && isSafe(term) && isSafe(vote) && isSafe(commit)) {
              this.hardTerm = term;
              this.hardVote = vote;
              this.hardCommit = commit;
              r.pos = p + 24;
              continue;
            }
          }
          this.hardTerm = r.int('hard state term');
          this.hardVote = r.int('hard state vote', -1);
          this.hardCommit = r.int('hard state commit');
        } else if (type === HEADER_REC) {
          const version = r.u8();
          if (version !== VERSION) r.fail(`format version ${version}; this DiskStorage reads ${VERSION}`, at);
          const s = r.int('segment seq');
          if (s !== seq) r.fail(`the header names segment ${s}`, at);
        } else if (type === SNAPSHOT_REC) {
          const index = r.int('snapshot index');
          const term = r.int('snapshot term');
          const fileSeq = r.int('snapshot file', 1);
          if (index < this.shape.snapIndex)
            r.fail(`snapshot at ${index} is older than the one at ${this.shape.snapIndex}`, at);
          const lastBefore = this.shape.last;
          this.shape.snapshot(index, term);
          if (index >= lastBefore) {
            this.entries.clear();
            this.base = index;
          } else if (index > this.base) {
            if (this.decode) this.entries.drop(index - this.base);
            this.base = index;
          }
          this.snapshotSeq = fileSeq;
          this.snapshotAt = `${path} at byte ${at}`;
        } else if (type === TRUNCATE_REC) {
          const from = r.int('truncation index');
          if (from <= this.shape.snapIndex)
            r.fail(`truncation at ${from}, inside the snapshot at ${this.shape.snapIndex}`, at);
          if (from - 1 < this.base) {
            this.entries.clear();
            this.base = from - 1;
            this.shape.reset(this.base);
          } else if (from <= this.shape.last) {
            if (this.decode) this.entries.truncate(this.entries.head + (from - 1 - this.base));
            this.shape.truncate(from);
          }
        } else {
          r.fail(`unknown record type ${type}`, at);
        }
      }
    }
  }
}

/**
 * Reads the `count` entries of an ENTRIES record at `r` (first index `first`): their terms into
 * `terms`, and, with `into`, the entries. Field by field as Reader would, but inline and in a
 * function of its own that the JIT optimizes early: this runs per entry.
 */
function readEntries<T>(
  r: Reader,
  source: SegmentBytes<T>,
  first: number,
  count: number,
  terms: Float64Array,
  into: EntryList<T> | null,
): void {
  const { buf, view } = source;
  const end = r.end;
  let p = r.pos;
  for (let i = 0; i < count; i++) {
    const entryAt = p;
    if (end - p < 9) r.fail('an entry runs past the end of its frame', entryAt);
    const term = view.getFloat64(p, true);
    if (!(term >= 0 && Number.isSafeInteger(term))) r.fail(`entry term is ${term}, not an integer >= 0`, p);
    const flags = buf[p + 8]!;
    if (flags > (TRANSITION | CONFIG)) r.fail(`entry flags ${flags}`, entryAt);
    terms[i] = term;
    p += 9;
    let at = -1;
    if (flags & TRANSITION) {
      if (end - p < 4) r.fail('a length runs past the end of its frame', p);
      const length = view.getUint32(p, true);
      at = p;
      p += 4;
      if (end - p < length) r.fail('a transition runs past the end of its frame', p);
      p += length;
    }
    const index = first + i;
    if (flags & CONFIG) {
      r.pos = p;
      const config = r.membership(`the configuration of entry ${index}`);
      p = r.pos;
      // Configuration entries (rare) are plain objects; one with a transition too (which no
      // Replica writes) has it decoded now.
      if (into !== null) {
        into.push(
          at < 0
            ? { index, term, config }
            : { index, term, transition: new Entry(index, term, source, at).transition, config },
        );
      }
    } else if (into !== null) {
      into.push(at >= 0 ? new Entry(index, term, source, at) : { index, term });
    }
  }
  r.pos = p;
}

const isSafe = Number.isSafeInteger;

function membership(m: Membership): Membership {
  return { voters: m.voters, learners: m.learners, outgoing: m.outgoing };
}

/** Reads the file at `path` into `buf`, sized to it; the bytes read (fewer if the file has shrunk). */
async function readInto(path: string, buf: Buffer): Promise<Buffer> {
  const file = await open(path, 'r');
  try {
    let done = 0;
    while (done < buf.length) {
      const { bytesRead } = await file.read(buf, done, buf.length - done, done);
      if (bytesRead === 0) break;
      done += bytesRead;
    }
    return done < buf.length ? buf.subarray(0, done) : buf;
  } finally {
    await file.close();
  }
}

/**
 * On Linux segments are written with O_DSYNC: each write returns once durable, one system call
 * (and one trip through libuv's thread pool) instead of a write and then an fdatasync. Elsewhere
 * (0) every write is followed by an fdatasync: on macOS libuv's fdatasync is F_FULLFSYNC, which
 * also flushes the drive's cache, and an O_DSYNC write does not.
 */
const O_DSYNC: number = process.platform === 'linux' ? (constants.O_DSYNC ?? 0) : 0;
/** A new segment: created, never opened over an existing file. */
const NEW_SEGMENT = constants.O_RDWR | constants.O_CREAT | constants.O_EXCL | O_DSYNC;

/** Makes a segment's writes durable: they already are with O_DSYNC, else an fdatasync. */
async function syncWrites(file: FileHandle): Promise<void> {
  if (O_DSYNC === 0) await file.datasync();
}

async function writeFully(file: FileHandle, bytes: Uint8Array, position: number): Promise<void> {
  for (let done = 0; done < bytes.length;) {
    const { bytesWritten } = await file.write(bytes, done, bytes.length - done, position + done);
    done += bytesWritten;
  }
}

function ignoreMissing(error: unknown): void {
  if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
}
