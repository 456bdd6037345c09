// Reading a DiskStorage directory back: which segments count, replaying their frames in order
// (a slice at a time, the next segment read while one is parsed), the torn tail of the newest
// one, the snapshot file the log names, and, when opening, the repairs: cutting the torn tail
// and deleting leftover files, done only once the whole store has been verified.

import { open, readdir, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';

import type { HardState, LogEntry, StoredSnapshot } from '../../core/types.js';
import type { Codec } from '../../encoding/codec.js';
import { wordsOf } from '../../encoding/crc32.js';
import { DiskCorruptionError } from '../../encoding/errors.js';
import { SegmentBytes } from './entry.js';
import { ignoreMissing, SEGMENT, segmentName, SNAPSHOT, snapshotName, TEMPORARY } from './files.js';
import { Reader, scanFrameBounds } from './format.js';
import { Replayed } from './replayed.js';
import { readSnapshotFile } from './snapshot-file.js';
import type { LogShape } from './shape.js';

/** Bytes of a segment whose frames are checked at a time, then parsed (well within a CPU cache). */
const SCAN_SLICE = 128 * 1024;

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

/** The store to replay, and what replaying it needs. */
export interface ReplayStore<T, D> {
  dir: string;
  codec: Codec<T>;
  snapshotCodec: Codec<D>;
  /** Snapshot data is left in its file (DiskStorageOptions.snapshotsOnDisk). */
  snapshotsOnDisk: boolean;
  warn: (message: string) => void;
  /** Makes the directory's entries durable (after repairs). */
  syncDir: () => Promise<void>;
}

/** What replaying the directory found. */
export interface Replay<T, D> {
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

/** Repairs found while replaying: done, with `repair`, once the whole store has been verified. */
interface Repairs {
  /** Files to delete. */
  removed: string[];
  tornTail: DiskRecovery['tornTail'];
  /** Where the newest segment's valid frames end, when it has a torn tail to cut. */
  cut: { path: string; end: number } | null;
}

/**
 * Reads the directory and replays the log. With `repair` (opening), cuts a torn tail and
 * deletes leftovers; without, changes nothing. With `decode`, decodes the entries.
 */
export async function replayStore<T, D>(
  store: ReplayStore<T, D>,
  decode: boolean,
  repair: boolean,
): Promise<Replay<T, D>> {
  const started = performance.now();
  const { dir } = store;
  const repairs: Repairs = { removed: [], tornTail: null, cut: null };
  const listed = await listFiles(dir, repairs.removed);
  const freshSeq = listed.seqs[0] ?? 1;

  const replayed = new Replayed<T>(decode);
  const { seqs, bytes, size } = await replaySegments(dir, listed.seqs, store.codec, replayed, repairs);

  const { shape, base, snapshotSeq, snapshotAt, entries } = replayed;
  if (shape.last > shape.snapIndex && base > shape.snapIndex) {
    const file = join(dir, segmentName(seqs[0]!));
    throw new DiskCorruptionError(
      file,
      0,
      `entries ${shape.snapIndex + 1}..${base} are missing: the log starts at ${base + 1}, after the snapshot at ${shape.snapIndex}`,
    );
  }

  let snapshot: StoredSnapshot<D> | null = null;
  if (snapshotSeq > 0) {
    snapshot = await readSnapshotFile(
      dir,
      snapshotSeq,
      shape.snapIndex,
      shape.snapTerm,
      snapshotAt,
      store.snapshotCodec,
      store.snapshotsOnDisk,
    );
  }
  for (const s of listed.snapshotSeqs) if (s !== snapshotSeq) repairs.removed.push(snapshotName(s));
  if (repair) await applyRepairs(store, repairs);
  return {
    shape,
    hardState: {
      term: replayed.hardTerm,
      vote: replayed.hardVote === -1 ? null : replayed.hardVote,
      commit: replayed.hardCommit,
    },
    snapshot,
    snapshotSeq,
    entries: entries.slice(entries.snapshotIndex + 1, entries.lastIndex),
    seqs,
    size,
    freshSeq,
    maxSnapshotSeq: Math.max(snapshotSeq, ...listed.snapshotSeqs),
    recovery: {
      segments: seqs.length,
      bytes,
      entries: shape.last - shape.snapIndex,
      snapshotIndex: shape.snapIndex,
      tornTail: repairs.tornTail,
      removed: repair ? repairs.removed : [],
      milliseconds: performance.now() - started,
    },
  };
}

/**
 * The segments and snapshot files in `dir`, by seq (segments sorted): only the newest run of
 * consecutive segments counts. Leftovers (older segments, temporary files) go into `removed`.
 */
async function listFiles(dir: string, removed: string[]): Promise<{ seqs: number[]; snapshotSeqs: number[] }> {
  const names = await readdir(dir);
  const seqs: number[] = [];
  const snapshotSeqs: number[] = [];
  for (const name of names) {
    const s = SEGMENT.exec(name);
    if (s) seqs.push(parseInt(s[1]!, 16));
    const n = SNAPSHOT.exec(name);
    if (n) snapshotSeqs.push(parseInt(n[1]!, 16));
    if (TEMPORARY.test(name)) removed.push(name);
  }
  seqs.sort((a, b) => a - b);
  // Older segments are left over from a cleanup that a crash interrupted (deletion goes oldest first).
  let from = seqs.length - 1;
  while (from > 0 && seqs[from - 1] === seqs[from]! - 1) from--;
  for (const seq of seqs.slice(0, Math.max(0, from))) removed.push(segmentName(seq));
  const run = seqs.slice(Math.max(0, from));
  if (run.length === 0 && snapshotSeqs.length > 0) {
    throw new DiskCorruptionError(dir, 0, 'the directory holds snapshot files but no log segment');
  }
  return { seqs: run, snapshotSeqs };
}

/**
 * Replays segments `seqs` of `dir` into `replayed`, in order; the segments replayed (without a
 * newest one of which nothing was written), the bytes read, and the valid bytes of the newest.
 */
async function replaySegments<T>(
  dir: string,
  seqs: number[],
  codec: Codec<T>,
  replayed: Replayed<T>,
  repairs: Repairs,
): Promise<{ seqs: number[]; bytes: number; size: number }> {
  // Every segment's buffer is allocated before any entry is made: V8 counts buffers as external
  // memory and answers its growth with garbage collections, cheap while the heap is small but
  // each a pass over every entry made so far once it is not (several per open of a big log).
  const paths = seqs.map((s) => join(dir, segmentName(s)));
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
  let bytes = 0;
  let size = 0;
  for (let k = 0; k < seqs.length; k++) {
    const seq = seqs[k]!;
    const buf = await reading!;
    reading = read(k + 1);
    bytes += buf.length;
    const end = replaySegment(replayed, buf, paths[k]!, seq, k === seqs.length - 1, codec, repairs);
    if (end === null) {
      // Nothing of the newest segment was written: it never existed.
      repairs.removed.push(segmentName(seq));
      return { seqs: seqs.slice(0, k), bytes, size };
    }
    size = end;
  }
  return { seqs, bytes, size };
}

/**
 * Replays segment `seq` (`buf`, read from `path`; `newest`: the last one, which may end torn)
 * into `replayed`, a slice at a time: a frame is parsed while its bytes, just summed, are still
 * in the cache. Where its valid frames end; null when nothing of it was written.
 */
function replaySegment<T>(
  replayed: Replayed<T>,
  buf: Buffer,
  path: string,
  seq: number,
  newest: boolean,
  codec: Codec<T>,
  repairs: Repairs,
): number | null {
  const source = new SegmentBytes(buf, path, codec);
  const r = new Reader(buf, 0, 0, path);
  const words = wordsOf(buf);
  const bounds: number[] = [];
  replayed.firstRecord = true;
  let from = 0;
  for (let done = false; !done;) {
    const frames = scanFrameBounds(buf, path, newest, from, from + SCAN_SLICE, words, bounds);
    // A crash right after creating the newest segment leaves it empty: as if never created.
    if (newest && buf.length === 0) frames.torn = { position: 0, reason: 'the segment is empty' };
    if (frames.torn) {
      repairs.tornTail = {
        file: path,
        position: frames.torn.position,
        discardedBytes: buf.length - frames.torn.position,
        reason: frames.torn.reason,
      };
      if (frames.end === 0) return null;
      repairs.cut = { path, end: frames.end };
    }
    if (from === 0 && frames.bounds.length === 0) throw new DiskCorruptionError(path, 0, 'the segment is empty');
    from = frames.end;
    done = frames.torn !== null || from >= buf.length;
    replayed.frames(r, source, frames.bounds, seq, path);
  }
  return from;
}

/** Cuts the torn tail and deletes the leftover files found, then syncs the directory and says so. */
async function applyRepairs<T, D>(store: ReplayStore<T, D>, { removed, tornTail, cut }: Repairs): Promise<void> {
  if (removed.length === 0 && !tornTail) return;
  if (cut) {
    const f = await open(cut.path, 'r+');
    await f
      .truncate(cut.end)
      .then(() => f.datasync())
      .finally(() => f.close());
  }
  for (const name of removed) await unlink(join(store.dir, name)).catch(ignoreMissing);
  await store.syncDir();
  if (tornTail) {
    store.warn(
      `DiskStorage: cut a torn tail off ${tornTail.file} at byte ${tornTail.position} (${tornTail.discardedBytes} bytes: ${tornTail.reason})`,
    );
  }
  if (removed.length > 0) store.warn(`DiskStorage: removed leftover files in ${store.dir}: ${removed.join(', ')}`);
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
