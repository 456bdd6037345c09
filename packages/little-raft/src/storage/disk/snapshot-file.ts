// DiskStorage's snapshot files, snap-<fileSeq>.snap: a first frame holding a SNAPSHOT_META
// record (see format.ts), then the encoded snapshot data in chunks, a frame each. Written
// atomically (temporary file, fsync, rename, fsync of the directory); the log names the current
// one, and reading it checks that it is the one named.

import { open, rename, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';

import type { StoredSnapshot } from '../../core/types.js';
import type { SnapshotBytes } from '../snapshot-bytes.js';
import { bytesCodec, type Codec } from '../../encoding/codec.js';
import { DiskCorruptionError } from '../../encoding/errors.js';
import { termStartsProblem } from '../../encoding/numbers.js';
import { snapshotName, writeFully } from './files.js';
import { Builder, encodeMembership, frame, FRAME_HEADER, Reader, REC_SNAPSHOT_META, sealFrame } from './format.js';
import { FrameStream } from './frame-stream.js';
import { type DataFrame, SnapshotFileBytes } from './snapshot-file-bytes.js';
import { META_ROOM, SNAPSHOT_CHUNK, type SnapshotFileWriter } from './snapshot-file-writer.js';

/**
 * A snapshot file to write: its first frame, and the data that goes after it in chunks of
 * SNAPSHOT_CHUNK bytes, a frame each. The chunks are framed (copied, checksummed) only as they are
 * written, so a large snapshot does not hold the event loop for all of it at once.
 */
export interface SnapshotFile {
  meta: Buffer;
  /** The first frame's payload (`meta` is it framed). */
  metaPayload: Uint8Array;
  data: SnapshotBytes;
  /** The data frames are already written, by this writer (snapshot-file-writer.ts). */
  written?: SnapshotFileWriter;
}

/** The file of snapshot `s`, number `fileSeq`: its data encoded now, its chunks framed as they are written. */
export function snapshotFile<D>(
  s: StoredSnapshot<D>,
  fileSeq: number,
  encode: (data: D) => SnapshotBytes,
): SnapshotFile {
  const data = encode(s.data);
  const chunks = Math.ceil(data.length / SNAPSHOT_CHUNK);
  const b = new Builder();
  b.u8(REC_SNAPSHOT_META);
  b.f64(fileSeq);
  b.f64(s.lastIncludedIndex);
  b.f64(s.lastIncludedTerm);
  b.lengthPrefixed(encodeMembership(s.config));
  b.u32(s.termStarts.length);
  for (const v of s.termStarts) b.f64(v);
  b.f64(data.length);
  b.u32(chunks);
  const metaPayload = b.finish();
  return { meta: frame([metaPayload]), metaPayload, data };
}

/**
 * Writes snapshot file `fileSeq` in `dir` atomically: temporary file, fsync, rename, then
 * `syncDir` (which makes the directory's entries durable).
 */
export async function writeSnapshotFile(
  dir: string,
  fileSeq: number,
  { meta, metaPayload, data, written }: SnapshotFile,
  syncDir: () => Promise<void>,
): Promise<void> {
  const name = snapshotName(fileSeq);
  if (written !== undefined && written.fileSeq === fileSeq && metaPayload.length <= META_ROOM) {
    // The data frames are in the writer's file: the first frame goes into the room left for it.
    const first = Buffer.alloc(FRAME_HEADER + META_ROOM); // zeros pad the payload
    first.set(metaPayload, FRAME_HEADER);
    sealFrame(first, META_ROOM);
    const file = await open(written.tmpPath, 'r+');
    try {
      await writeFully(file, first, 0);
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(written.tmpPath, join(dir, name));
    await syncDir();
    return;
  }
  const temporary = join(dir, `${name}.tmp`);
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
  await rename(temporary, join(dir, name));
  await syncDir();
  await written?.removeFile(); // its first frame did not fit its room: the data was copied
}

/** Where writeSnapshotFile put the data frames of `file` (a chunk each). */
export function dataFrames({ meta, data }: SnapshotFile): DataFrame[] {
  const frames: DataFrame[] = [];
  for (let from = 0, pos = meta.length; from < data.length; from += SNAPSHOT_CHUNK) {
    const length = Math.min(SNAPSHOT_CHUNK, data.length - from);
    frames.push({ pos, length });
    pos += FRAME_HEADER + length;
  }
  return frames;
}

/**
 * Reads snapshot file `fileSeq` in `dir`, which the log (at `namedAt`) names as the snapshot at
 * `index` (term `term`); its data decoded by `codec`. Throws a {@link DiskCorruptionError} if
 * it is missing, damaged, or another snapshot. Read a frame at a time, each chunk straight into
 * the data and checked as it arrives (frame-stream.ts): nothing is returned before every chunk
 * was checked, and the event loop is never held for the whole file.
 */
export async function readSnapshotFile<D>(
  dir: string,
  fileSeq: number,
  index: number,
  term: number,
  namedAt: string,
  codec: Codec<D>,
  onDisk = false,
): Promise<StoredSnapshot<D>> {
  const path = join(dir, snapshotName(fileSeq));
  let file: FileHandle;
  try {
    file = await open(path, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    throw new DiskCorruptionError(path, 0, `the snapshot file is missing (named by ${namedAt})`);
  }
  try {
    const frames = new FrameStream(file, path, (await file.stat()).size);
    const metaLength = await frames.next();
    if (metaLength === null) throw new DiskCorruptionError(path, 0, 'the snapshot file is empty');
    // The first frame whole (header too), so that the positions its reader reports are the file's.
    const head = Buffer.allocUnsafe(FRAME_HEADER + metaLength);
    head.set(frames.headerBytes, 0);
    await frames.payload(head.subarray(FRAME_HEADER));
    const start = FRAME_HEADER;
    const r: Reader = new Reader(head, start, head.length, path); // typed: its fail() narrows
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
    const problem = termStartsProblem(termStarts);
    if (problem !== null) r.fail(problem, start);
    const length = r.int('snapshot data length');
    const chunks = r.u32();
    // Never pooled: the data is handed over whole (a Uint8Array snapshot is its own buffer). Left
    // on disk, each chunk is read into `scratch` only to be checked.
    const data = onDisk ? null : Buffer.allocUnsafeSlow(length);
    let scratch = Buffer.allocUnsafe(0);
    const dataFrames: DataFrame[] = [];
    let at = 0;
    for (let chunk = 0; chunk < chunks; chunk++) {
      const chunkAt = frames.pos;
      const n = await frames.next();
      if (n === null) r.fail(`the file has ${chunk} data chunks, its header says ${chunks}`, start);
      if (at + n > length) {
        throw new DiskCorruptionError(path, chunkAt + FRAME_HEADER, 'more snapshot data than its header says');
      }
      if (data === null && scratch.length < n) scratch = Buffer.allocUnsafe(n);
      await frames.payload(data === null ? scratch.subarray(0, n) : data.subarray(at, at + n));
      dataFrames.push({ pos: chunkAt, length: n });
      at += n;
    }
    if (frames.pos !== frames.size) {
      r.fail(`the file has more than the ${chunks} data chunks its header says (bytes from ${frames.pos} on)`, start);
    }
    if (at !== length)
      throw new DiskCorruptionError(path, frames.size, `${at} bytes of snapshot data, expected ${length}`);
    if (data === null) {
      const bytes = new SnapshotFileBytes(path, fileSeq, dataFrames) as unknown as D; // snapshotsOnDisk: D is SnapshotBytes
      return { lastIncludedIndex, lastIncludedTerm, data: bytes, config, termStarts };
    }
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.length);
    let decoded: D;
    try {
      // Bytes stored as they are need no copy: this memory is the snapshot's own.
      decoded = codec === (bytesCodec as unknown) ? (bytes as D) : codec.decode(bytes);
    } catch (error) {
      throw new DiskCorruptionError(
        path,
        head.length + FRAME_HEADER,
        `the snapshot data does not decode: ${(error as Error).message}`,
      );
    }
    return { lastIncludedIndex, lastIncludedTerm, data: decoded, config, termStarts };
  } finally {
    await file.close();
  }
}
