// DiskStorage: a crash-safe Storage in a directory, built on an append-only segmented log.
//
// Files in `dir` (files.ts): log segments, wal-<seq>.log, replayed in seq order; snapshot files,
// snap-<seq>.snap, written atomically (temp file, fsync, rename, fsync of the directory), the
// log naming the current one; and identity.json (identity.ts).
//
// Each Storage.write becomes records (records.ts, in the byte format of format.ts): SNAPSHOT,
// TRUNCATE, ENTRIES, HARD, in the order StorageWrite applies them. Writes that arrive while a
// flush is in flight are queued and go together into the next frame: one write + one fdatasync
// per flush (group commit), all through fs.promises, so the syncs run on libuv's thread pool and
// never block the event loop. Nothing is overwritten in place: a truncation or overwrite is a
// record that replay honours, and a frame is the unit of atomicity; a frame torn by a crash can
// only be the last one of the newest segment, and is cut off on open (replay.ts, replayed.ts). A
// new segment starts with the current hard state and snapshot, so a segment whose entries all
// lie at or before the snapshot is deleted whole (segments.ts); nothing else is ever rewritten.
// Snapshot files: snapshot-file.ts. A compaction's file (a snapshot of entries the log holds) is
// written beside the log and named by the first frame after it is durable (writeCompaction).
//
// Memory: the log's entries live in the core (load() hands them over); DiskStorage keeps only
// the log's shape (terms and segments as runs of equal values) for validation and cleanup.

import { mkdir, unlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';

import type { HardState, Storage, StorageWrite, StoredSnapshot, StoredState } from '../../core/types.js';
import { bytesCodec, jsonCodec, type Codec } from '../../encoding/codec.js';
import { CodecError } from '../../encoding/errors.js';
import { identityShapeError } from '../../encoding/identity-shape.js';
import { validateWrite } from '../validate-write.js';
import { ignoreMissing, snapshotName } from './files.js';
import { frame, framePieces } from './format.js';
import { readIdentityFile, writeIdentityFile } from './identity.js';
import { encodeWrite, type EncodedWrite, headerRecords, snapshotRecord, type SnapshotRef } from './records.js';
import { type DiskRecovery, replayStore, type Replay } from './replay.js';
import { Segments } from './segments.js';
import { LogShape } from './shape.js';
import { dataFrames, snapshotFile, writeSnapshotFile, type SnapshotFile } from './snapshot-file.js';
import { SnapshotFileBytes } from './snapshot-file-bytes.js';
import { SnapshotFileWriter } from './snapshot-file-writer.js';
import { ChunkedBytes, type SnapshotBytes, type SnapshotWriter } from '../snapshot-bytes.js';

export { DiskCorruptionError } from '../../encoding/errors.js';
export type { DiskRecovery } from './replay.js';
export { replaceFileDurably } from './identity.js';

/** Snapshot data as snapshotsOnDisk stores it: any SnapshotBytes, a Uint8Array or not. */
function asSnapshotBytes(data: unknown): SnapshotBytes {
  const bytes = data as Partial<SnapshotBytes> | null;
  if (typeof bytes?.subarray !== 'function' || typeof bytes.length !== 'number') {
    throw new CodecError('DiskStorage: with snapshotsOnDisk, snapshot data must be SnapshotBytes (e.g. a Uint8Array)');
  }
  return bytes as SnapshotBytes;
}

/** Options of {@link DiskStorage}: only `dir` is required. */
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
  /**
   * Leave snapshot data in its file: load() hands it over as a {@link SnapshotBytes} that reads a
   * chunk at a time (checked again as read), so a large snapshot costs no memory while the core
   * keeps it to send to followers. Then D is SnapshotBytes, write() takes any SnapshotBytes (a
   * Uint8Array too), and there is no snapshotCodec. Default false: load() reads the data into memory.
   */
  snapshotsOnDisk?: boolean;
  /** A new segment is started once the current one holds this many bytes; default 16 MiB. */
  segmentBytes?: number;
  /** Called with a message when load() cuts a torn tail or removes leftover files; default console.warn. */
  onWarning?: (message: string) => void;
  /**
   * Called once a snapshot is durable on disk: its index, size in bytes (data, as stored) and how
   * long writing and syncing its file took. For logs and metrics; must not throw.
   */
  onSnapshotWritten?: (written: SnapshotWritten) => void;
}

/** What {@link DiskStorageOptions.onSnapshotWritten} is told. */
export interface SnapshotWritten {
  index: number;
  bytes: number;
  seconds: number;
}

const DEFAULT_SEGMENT_BYTES = 16 * 1024 * 1024;

/**
 * Directories open in this process. Two DiskStorage objects appending to one directory would
 * interleave their frames; across processes, one process per directory is up to the operator
 * (a pid lock file would outlive a crash and could name a reused pid).
 */
const openDirs = new Set<string>();

/** A snapshot to write: where it stands in the log, and its file. */
type CompactionFile = SnapshotRef & { file: SnapshotFile };

/** A write accepted but not yet durable. */
interface Pending extends EncodedWrite {
  resolve: () => void;
  reject: (error: Error) => void;
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
  private readonly snapshotsOnDisk: boolean;
  /** Snapshot data left in files and handed out: closed when their file is deleted. */
  private readonly snapshotFiles = new Set<SnapshotFileBytes>();
  /** Snapshot writers whose data no write has taken yet (snapshotWriter). */
  private readonly writers = new Set<SnapshotFileWriter>();
  private readonly segmentBytes: number;
  private readonly warn: (message: string) => void;
  private readonly onSnapshotWritten: ((written: SnapshotWritten) => void) | undefined;

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
  private durableSnapshot: SnapshotRef | null = null;
  private snapshotSeq = 0;
  /** Snapshot files written since the store was opened, until superseded and deleted. */
  private staleSnapshots: number[] = [];

  private readonly segments: Segments;

  private queue: Pending[] = [];
  /** Commit-only writes, acknowledged but not yet written: they go into the next frame. */
  private deferred: Pending[] = [];
  /** Term and vote as accepted writes leave them (what makes a write commit-only). */
  private acceptedTerm = 0;
  private acceptedVote: number | null = null;
  private flushing = false;
  private idleWaiters: (() => void)[] = [];
  /** The compactions' snapshot files being written beside the log, one after the other (see accept). */
  private compacting: Promise<void> | null = null;
  /** A compaction whose file is durable and whose SNAPSHOT record the log does not hold yet. */
  private compacted: CompactionFile | null = null;
  /** The newest compaction whose file is not being written yet. */
  private waitingCompaction: { compaction: CompactionFile; epoch: number } | null = null;
  /** Counts the snapshots accepted from elsewhere: a compaction accepted before one is abandoned. */
  private snapshotEpoch = 0;

  constructor(options: DiskStorageOptions<T, D>) {
    if (typeof options.dir !== 'string' || options.dir === '') throw new TypeError('DiskStorage: dir is required');
    this.dir = resolve(options.dir);
    this.codec = options.codec ?? jsonCodec<T>();
    this.snapshotCodec = options.snapshotCodec ?? (bytesCodec as unknown as Codec<D>);
    this.snapshotsOnDisk = options.snapshotsOnDisk === true;
    if (this.snapshotsOnDisk && options.snapshotCodec !== undefined) {
      throw new TypeError('DiskStorage: snapshotsOnDisk keeps the data as bytes; it takes no snapshotCodec');
    }
    this.segmentBytes = options.segmentBytes ?? DEFAULT_SEGMENT_BYTES;
    if (!(this.segmentBytes > 0)) throw new RangeError('DiskStorage: segmentBytes must be > 0');
    this.warn = options.onWarning ?? ((message) => console.warn(message));
    this.onSnapshotWritten = options.onSnapshotWritten;
    this.segments = new Segments(this.dir, this.segmentBytes);
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

  /**
   * With snapshotsOnDisk: a writer for a snapshot's data, written to a file of the store as it is
   * produced. The data its finish() gives, handed to the core (and so to write() as a snapshot),
   * becomes that snapshot's file without being copied. Data never handed over is removed once a
   * later snapshot is taken or installed, and at close.
   */
  snapshotWriter(): SnapshotWriter {
    if (!this.snapshotsOnDisk) throw new Error('DiskStorage: snapshotWriter() needs snapshotsOnDisk');
    if (this.closed) throw new Error('DiskStorage: closed');
    if (!this.open) throw new Error('DiskStorage: snapshotWriter() before load()');
    const writer = new SnapshotFileWriter(this.dir, ++this.snapshotSeq);
    this.writers.add(writer);
    return writer;
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
    await this.segments.close();
    this.closeSnapshotFiles(null);
    await this.abortWriters(Infinity);
    if (this.holdsDir) openDirs.delete(this.dir);
    this.holdsDir = false;
  }

  // ---- writing ------------------------------------------------------------------------

  private accept(batch: StorageWrite<T, D>): Promise<void> {
    if (this.closed) return Promise.reject(new Error('DiskStorage: closed'));
    if (this.failure) return Promise.reject(this.failure);
    if (batch.identity !== undefined) return this.acceptIdentity(batch);
    let pending: EncodedWrite;
    let compaction: CompactionFile | undefined;
    try {
      this.validate(batch);
      const s = batch.snapshot;
      if (s !== undefined && batch.truncateFrom === undefined && this.holds(s.lastIncludedIndex, s.lastIncludedTerm)) {
        // A compaction: the log holds what the snapshot covers, so its file is written beside the
        // log rather than before it, and the writes behind it (and the acknowledgements waiting
        // for them) do not wait for the file. The log names it once it is durable (persist); a
        // crash before then loses nothing: the log still holds its entries.
        compaction = this.newSnapshotFile(s);
        pending = encodeWrite({ ...batch, snapshot: undefined }, undefined, this.codec);
      } else {
        pending = this.encode(batch);
      }
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    if (compaction !== undefined) this.writeCompaction(compaction);
    else if (pending.snapshot) this.abandonCompactions();
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
    const snapshotRef = pending.snapshot ?? compaction;
    if (snapshotRef) shape.snapshot(snapshotRef.index, snapshotRef.term);
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
  private encode(batch: StorageWrite<T, D>): EncodedWrite {
    const { snapshot } = batch;
    return encodeWrite(batch, snapshot === undefined ? undefined : this.newSnapshotFile(snapshot), this.codec);
  }

  /** The next snapshot file, for `snapshot`. */
  private newSnapshotFile(snapshot: StoredSnapshot<D>): CompactionFile {
    const index = snapshot.lastIncludedIndex;
    const term = snapshot.lastIncludedTerm;
    const written = [...this.writers].find((w) => w.bytes !== null && w.bytes === (snapshot.data as unknown));
    const encode = this.snapshotsOnDisk ? asSnapshotBytes : (data: D) => this.snapshotCodec.encode(data);
    if (written === undefined) {
      const fileSeq = ++this.snapshotSeq;
      return { index, term, fileSeq, file: snapshotFile(snapshot, fileSeq, encode) };
    }
    // Data from snapshotWriter(): its file becomes the snapshot's. Writers before it will never be.
    this.writers.delete(written);
    this.snapshotFiles.add(written.bytes!);
    void this.abortWriters(written.fileSeq);
    const file = { ...snapshotFile(snapshot, written.fileSeq, encode), written };
    return { index, term, fileSeq: written.fileSeq, file };
  }

  /**
   * Removes the data of the finished writers before `fileSeq` that no write took (one still
   * writing is left to finish: its snapshot's take would fail).
   */
  private async abortWriters(fileSeq: number): Promise<void> {
    for (const writer of this.writers) {
      if (writer.fileSeq >= fileSeq || (writer.bytes === null && fileSeq !== Infinity)) continue;
      this.writers.delete(writer);
      await writer.abort();
    }
  }

  /** A compaction that will never be written: the data a writer wrote for it goes. */
  private discard(compaction: CompactionFile | undefined): void {
    if (compaction?.file.written !== undefined) void compaction.file.written.abort();
  }

  /** The accepted log holds entry `index` of term `term`. */
  private holds(index: number, term: number): boolean {
    const shape = this.accepted;
    return index > shape.snapIndex && index <= shape.last && shape.termAt(index) === term;
  }

  /**
   * Writes a compaction's file, after the one being written if any; once it is durable, the next
   * frame names it (a frame of its own if nothing else is queued). One waits at most: a newer
   * compaction replaces it unwritten (the files of snapshots taken faster than the disk writes
   * them would otherwise pile up in memory). A failure fails the store, as a failed log write does.
   */
  private writeCompaction(compaction: CompactionFile): void {
    this.discard(this.waitingCompaction?.compaction);
    this.waitingCompaction = { compaction, epoch: this.snapshotEpoch };
    if (this.compacting === null) this.runCompactions();
  }

  private runCompactions(): void {
    const running = (async () => {
      while (this.waitingCompaction !== null && this.failure === null) {
        const { compaction, epoch } = this.waitingCompaction;
        this.waitingCompaction = null;
        const started = performance.now();
        try {
          await writeSnapshotFile(this.dir, compaction.fileSeq, compaction.file, () => this.segments.syncDir());
        } catch (error) {
          this.fail(error);
          return;
        }
        const seconds = (performance.now() - started) / 1000;
        this.onSnapshotWritten?.({ index: compaction.index, bytes: compaction.file.data.length, seconds });
        if (epoch !== this.snapshotEpoch) {
          this.staleSnapshots.push(compaction.fileSeq);
          continue;
        }
        // An older one not named yet is superseded: its file goes with the other stale ones.
        if (this.compacted) this.staleSnapshots.push(this.compacted.fileSeq);
        this.compacted = compaction;
        this.queue.push({ records: [], first: 0, terms: [], commitOnly: false, resolve: () => {}, reject: () => {} });
        if (!this.flushing) void this.flush();
      }
    })();
    this.compacting = running;
    void running.then(() => {
      this.compacting = null;
      if (this.waitingCompaction !== null && this.failure === null) this.runCompactions();
      else this.wakeIfIdle();
    });
  }

  /**
   * A snapshot from elsewhere (an install) was accepted: the compactions not named yet are older
   * and are never named (their files are deleted as stale), so that no record of theirs can
   * follow its own.
   */
  private abandonCompactions(): void {
    this.snapshotEpoch++;
    if (this.compacted) this.staleSnapshots.push(this.compacted.fileSeq);
    this.compacted = null;
    this.discard(this.waitingCompaction?.compaction);
    this.waitingCompaction = null;
    void this.abortWriters(this.snapshotSeq); // started before the install: they would be older
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
      // Taken with the group: every write accepted before the compaction is in it or written.
      const compacted = this.compacted;
      this.compacted = null;
      try {
        await this.persist(group, compacted);
      } catch (error) {
        this.fail(error);
        for (const p of group) p.reject(this.failure!);
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
    this.wakeIfIdle();
  }

  private wakeIfIdle(): void {
    if (this.flushing || this.queue.length > 0 || this.compacting !== null) return;
    for (const wake of this.idleWaiters.splice(0)) wake();
  }

  /** The store takes no more writes: those queued are refused with the reason. */
  private fail(error: unknown): void {
    this.failure ??= new Error(`DiskStorage: a write to ${this.dir} failed; the store takes no more writes`, {
      cause: error,
    });
    for (const p of this.queue) p.reject(this.failure);
    this.queue = [];
    this.wakeIfIdle();
  }

  /** Writes `group`, then names `compacted` (a compaction's durable file), if any. */
  private async persist(group: Pending[], compacted: CompactionFile | null): Promise<void> {
    let snapshot: Pending['snapshot'];
    for (const p of group) if (p.snapshot) snapshot = p.snapshot;
    if (snapshot) {
      const started = performance.now();
      await writeSnapshotFile(this.dir, snapshot.fileSeq, snapshot.file, () => this.segments.syncDir());
      const seconds = (performance.now() - started) / 1000;
      this.onSnapshotWritten?.({ index: snapshot.index, bytes: snapshot.file.data.length, seconds });
      this.spill(snapshot);
    }
    const records = group.flatMap((p) => p.records);
    // Last: a compaction's record may follow later entries (it drops only those it covers), but
    // not precede a snapshot accepted before it. None accepted after it is here (see accept).
    if (compacted) records.push(snapshotRecord(compacted));
    if (records.length === 0) return;

    const body = framePieces(records);
    const segments = this.segments;
    // Once full, roll over: the new segment opens with the durable hard state and snapshot.
    if (segments.full) await segments.rollOver([frame([this.headerRecords(segments.seq + 1)]), ...body]);
    else await segments.append(body);

    const shape = this.durable;
    for (const p of group) {
      if (p.snapshot) {
        shape.snapshot(p.snapshot.index, p.snapshot.term);
        this.durableSnapshot = { index: p.snapshot.index, term: p.snapshot.term, fileSeq: p.snapshot.fileSeq };
      }
      if (p.truncateFrom !== undefined) shape.truncate(p.truncateFrom);
      if (p.terms.length > 0) shape.append(p.first, p.terms, segments.seq);
      if (p.hardState) this.durableHard = p.hardState;
    }
    if (snapshot) this.staleSnapshots.push(...group.flatMap((p) => (p.snapshot ? [p.snapshot.fileSeq] : [])));
    if (compacted) {
      shape.snapshot(compacted.index, compacted.term);
      this.durableSnapshot = { index: compacted.index, term: compacted.term, fileSeq: compacted.fileSeq };
      this.staleSnapshots.push(compacted.fileSeq);
    }
  }

  private headerRecords(seq: number): Uint8Array {
    return headerRecords(seq, this.durableHard, this.durableSnapshot);
  }

  /** Deletes segments that hold only entries covered by the snapshot, and superseded snapshots. */
  private async cleanup(): Promise<void> {
    let removed = await this.segments.deleteBefore(this.durable.firstSegment() ?? this.segments.seq);
    const current = this.durableSnapshot?.fileSeq ?? 0;
    const keep: number[] = [];
    for (const seq of this.staleSnapshots) {
      if (seq < current) {
        this.closeSnapshotFiles(seq);
        await unlink(join(this.dir, snapshotName(seq))).catch(ignoreMissing);
        removed = true;
      } else {
        keep.push(seq);
      }
    }
    this.staleSnapshots = keep;
    if (removed) await this.segments.syncDir();
  }

  /** Writes and syncs the commit-only writes held back for the next frame, if any. */
  private async writeDeferred(): Promise<void> {
    if (this.deferred.length === 0 || this.failure) return;
    await new Promise<void>((resolve, reject) => {
      this.queue.push({ records: [], first: 0, terms: [], commitOnly: false, resolve, reject });
      if (!this.flushing) void this.flush();
    });
  }

  /** Resolves once no write is queued or in flight, compactions' files and records included. */
  private idle(): Promise<void> {
    if (!this.flushing && this.queue.length === 0 && this.compacting === null) return Promise.resolve();
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
      await this.segments.close();
      throw error;
    }
  }

  private async openFiles(decode: boolean): Promise<Replay<T, D>> {
    await mkdir(this.dir, { recursive: true });
    const replay = await this.replay(decode, true);
    if (replay.seqs.length === 0) {
      // A new store (or one whose only segment was never written): it opens with the empty hard state.
      await this.segments.create(replay.freshSeq, frame([this.headerRecords(replay.freshSeq)]));
    } else {
      await this.segments.reopen(replay.seqs[0]!, replay.seqs[replay.seqs.length - 1]!, replay.size);
    }
    const shape = replay.shape;
    this.durable = shape;
    this.accepted.copyFrom(shape);
    this.durableHard = replay.hardState;
    this.acceptedTerm = replay.hardState.term;
    this.acceptedVote = replay.hardState.vote;
    this.durableSnapshot =
      replay.snapshot === null ? null : { index: shape.snapIndex, term: shape.snapTerm, fileSeq: replay.snapshotSeq };
    // Deleted once a newer one is named, as those written by this instance are.
    if (this.durableSnapshot) this.staleSnapshots.push(this.durableSnapshot.fileSeq);
    this.snapshotSeq = replay.maxSnapshotSeq;
    this.recovery = replay.recovery;
    this.open = true;
    return replay;
  }

  /**
   * Reads the directory and replays the log. With `repair` (opening), cuts a torn tail and
   * deletes leftovers; without, changes nothing. With `decode`, decodes the entries.
   */
  private replay(decode: boolean, repair: boolean): Promise<Replay<T, D>> {
    const { dir, codec, snapshotCodec, snapshotsOnDisk, warn } = this;
    const store = { dir, codec, snapshotCodec, snapshotsOnDisk, warn, syncDir: () => this.segments.syncDir() };
    return replayStore(store, decode, repair).then((replay) => {
      const data: unknown = replay.snapshot?.data;
      if (data instanceof SnapshotFileBytes) this.snapshotFiles.add(data);
      return replay;
    });
  }

  /**
   * With snapshotsOnDisk, data held in memory as received (ChunkedBytes, an install) is read from
   * its file once that is durable: the core keeps the snapshot to send it on, not its memory.
   */
  private spill({ file, fileSeq }: CompactionFile): void {
    if (!this.snapshotsOnDisk || !(file.data instanceof ChunkedBytes) || file.written !== undefined) return;
    const bytes = new SnapshotFileBytes(join(this.dir, snapshotName(fileSeq)), fileSeq, dataFrames(file));
    this.snapshotFiles.add(bytes);
    file.data.spill(bytes);
  }

  /** Closes the snapshot data handed out from file `fileSeq` (null: from every file). */
  private closeSnapshotFiles(fileSeq: number | null): void {
    for (const bytes of this.snapshotFiles) {
      if (fileSeq !== null && bytes.fileSeq !== fileSeq) continue;
      bytes.close();
      this.snapshotFiles.delete(bytes);
    }
  }

  // ---- validation (as MemoryStorage's) ---------------------------------------------------

  /** Throws if applying `batch` would leave a malformed log; changes nothing. */
  private validate(batch: StorageWrite<T, D>): void {
    validateWrite('DiskStorage', batch, this.accepted);
  }
}
