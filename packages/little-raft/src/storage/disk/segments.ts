// The log segment files DiskStorage appends to: the newest open for writing, a new one started
// once it is full (its first frame the header the caller gives), whole ones deleted oldest first
// once no entry in them is needed; and the directory's handle, through which a file's creation,
// renaming or deletion is made durable. Everything goes through fs.promises: the syncs run on
// libuv's thread pool and never block the event loop.

import { constants } from 'node:fs';
import { open, unlink, type FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';

import { segmentName, writeFully, writevFully } from './files.js';

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

/** The segments of the store in `dir`, from `firstSeq` to `seq` (the one appended to). */
export class Segments {
  firstSeq = 1;
  seq = 1;
  /** Bytes in segment `seq`. */
  private size = 0;
  private file: FileHandle | null = null;
  private dirHandle: FileHandle | null = null;

  constructor(
    private readonly dir: string,
    /** A new segment is started once the current one holds this many bytes. */
    private readonly segmentBytes: number,
  ) {}

  /** Starts the log of a new store (or one whose only segment was never written) at `seq`. */
  async create(seq: number, header: Buffer): Promise<void> {
    const file = await open(join(this.dir, segmentName(seq)), NEW_SEGMENT);
    await writeFully(file, header, 0);
    await syncWrites(file);
    await this.syncDir();
    // The directory itself may be new: make its entry in the parent durable too.
    const parent = await open(dirname(this.dir), 'r');
    await parent.sync().finally(() => parent.close());
    this.file = file;
    this.firstSeq = this.seq = seq;
    this.size = header.length;
  }

  /** Opens the replayed segments `firstSeq`..`seq`, the last of them valid for `size` bytes. */
  async reopen(firstSeq: number, seq: number, size: number): Promise<void> {
    this.firstSeq = firstSeq;
    this.seq = seq;
    this.size = size;
    this.file = await open(join(this.dir, segmentName(seq)), constants.O_RDWR | O_DSYNC);
    // Its last frames may have been written without a sync (a process killed between write and
    // fdatasync, by an older build or on another platform); O_DSYNC writes sync only their own
    // bytes, so make all of it durable once before appending.
    await this.file.datasync();
  }

  /** Whether the next frame goes into a new segment, by {@link rollOver}. */
  get full(): boolean {
    return this.size >= this.segmentBytes;
  }

  /** Appends a frame (its pieces, one after the other) to the current segment; resolves once it is durable. */
  async append(frame: readonly Uint8Array[]): Promise<void> {
    await writevFully(this.file!, frame, this.size);
    await syncWrites(this.file!);
    this.size += byteLength(frame);
  }

  /**
   * Starts segment `seq + 1` with `frames` (pieces of frames, one after the other: first the
   * frame that opens it, naming that seq); resolves once it is durable, and the segment is the
   * current one.
   */
  async rollOver(frames: readonly Uint8Array[]): Promise<void> {
    const seq = this.seq + 1;
    const file = await open(join(this.dir, segmentName(seq)), NEW_SEGMENT);
    try {
      await writevFully(file, frames, 0);
      await Promise.all([syncWrites(file), this.syncDir()]);
      const old = this.file!;
      this.file = file;
      this.seq = seq;
      this.size = byteLength(frames);
      await old.close();
    } catch (error) {
      if (this.file !== file) await file.close();
      throw error;
    }
  }

  /** Deletes the segments before `seq`, oldest first; whether there were any. Syncs no directory. */
  async deleteBefore(seq: number): Promise<boolean> {
    let removed = false;
    while (this.firstSeq < seq) {
      await unlink(join(this.dir, segmentName(this.firstSeq)));
      this.firstSeq++;
      removed = true;
    }
    return removed;
  }

  /** Makes the directory's entries durable (files created, renamed or deleted in it). */
  async syncDir(): Promise<void> {
    this.dirHandle ??= await open(this.dir, 'r');
    await this.dirHandle.sync();
  }

  async close(): Promise<void> {
    await this.file?.close();
    await this.dirHandle?.close();
    this.file = null;
    this.dirHandle = null;
  }
}

function byteLength(pieces: readonly Uint8Array[]): number {
  let n = 0;
  for (const piece of pieces) n += piece.length;
  return n;
}
