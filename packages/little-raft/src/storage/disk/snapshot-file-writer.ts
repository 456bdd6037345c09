// A snapshot file written as the state machine produces its data (DiskStorage.snapshotWriter): data
// frames of SNAPSHOT_CHUNK bytes go into a temporary file after room left for the first frame,
// which says where the snapshot stands in the log and is known only once the core compacts. When
// the store takes the snapshot, that frame is written into the room, and the file synced and
// renamed into place (snapshot-file.ts, sealSnapshotFile): the bytes are written once.

import { open, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';

import type { SnapshotBytes, SnapshotWriter } from '../snapshot-bytes.js';
import { ignoreMissing, snapshotName, writeFully } from './files.js';
import { FRAME_HEADER, sealFrame } from './format.js';
import { type DataFrame, SnapshotFileBytes } from './snapshot-file-bytes.js';

/** Data bytes per frame: as snapshotFile() frames them, so that the first frame's count holds. */
export const SNAPSHOT_CHUNK = 1024 * 1024;
/**
 * The first frame's payload, padded to this size: the meta record with a membership and up to 2,048
 * term runs fits with room to spare; one that does not is copied into a new file instead.
 */
export const META_ROOM = 64 * 1024;

export class SnapshotFileWriter implements SnapshotWriter {
  readonly tmpPath: string;
  /** Set by finish(): the data, read from this file. */
  bytes: SnapshotFileBytes | null = null;
  private file: Promise<FileHandle> | null = null;
  private readonly frame = Buffer.allocUnsafeSlow(FRAME_HEADER + SNAPSHOT_CHUNK);
  private filled = 0;
  private pos = FRAME_HEADER + META_ROOM;
  private readonly frames: DataFrame[] = [];
  private state: 'writing' | 'finished' | 'aborted' = 'writing';

  constructor(
    dir: string,
    readonly fileSeq: number,
  ) {
    this.tmpPath = join(dir, `${snapshotName(fileSeq)}.data.tmp`); // *.tmp: removed as a leftover at open
  }

  async write(bytes: Uint8Array): Promise<void> {
    if (this.state !== 'writing') throw new Error(`DiskStorage: snapshot writer ${this.fileSeq} is ${this.state}`);
    for (let at = 0; at < bytes.length;) {
      const n = Math.min(bytes.length - at, SNAPSHOT_CHUNK - this.filled);
      this.frame.set(bytes.subarray(at, at + n), FRAME_HEADER + this.filled);
      this.filled += n;
      at += n;
      if (this.filled === SNAPSHOT_CHUNK) await this.writeFrame();
    }
  }

  async finish(): Promise<SnapshotBytes> {
    if (this.state !== 'writing') throw new Error(`DiskStorage: snapshot writer ${this.fileSeq} is ${this.state}`);
    if (this.filled > 0) await this.writeFrame();
    const file = await this.handle();
    await file.close();
    this.state = 'finished';
    this.bytes = new SnapshotFileBytes(this.tmpPath, this.fileSeq, this.frames);
    return this.bytes;
  }

  async abort(): Promise<void> {
    if (this.state === 'aborted') return;
    const wasWriting = this.state === 'writing';
    this.state = 'aborted';
    this.bytes?.close();
    if (wasWriting && this.file !== null) await (await this.file).close().catch(() => undefined);
    await unlink(this.tmpPath).catch(ignoreMissing);
  }

  /** Removes the file once its data was copied elsewhere; the data stays readable until closed. */
  async removeFile(): Promise<void> {
    await unlink(this.tmpPath).catch(ignoreMissing);
  }

  private handle(): Promise<FileHandle> {
    this.file ??= open(this.tmpPath, 'w');
    return this.file;
  }

  private async writeFrame(): Promise<void> {
    const length = this.filled;
    sealFrame(this.frame, length);
    await writeFully(await this.handle(), this.frame.subarray(0, FRAME_HEADER + length), this.pos);
    this.frames.push({ pos: this.pos, length });
    this.pos += FRAME_HEADER + length;
    this.filled = 0;
  }
}
