// A snapshot's data left in its file (DiskStorage's `snapshotsOnDisk`): read a frame at a time when
// asked for, each frame checked against its checksum again as it is read, so that a snapshot of
// hundreds of MB costs no memory until a follower needs a chunk of it.

import { closeSync, openSync, readSync } from 'node:fs';

import { crc32 } from '../../encoding/crc32.js';
import { DiskCorruptionError } from '../../encoding/errors.js';
import { pieceAt, type SnapshotBytes } from '../snapshot-bytes.js';
import { FRAME_HEADER, frameHeader } from './format.js';

/** Where a data frame is in the file (its header's position) and its payload's length. */
export interface DataFrame {
  pos: number;
  length: number;
}

export class SnapshotFileBytes implements SnapshotBytes {
  readonly length: number;
  /** The data offset at which each frame's payload starts. */
  private readonly starts: number[] = [];
  private fd: number | null;
  /** The frame read last: never changed once read, so views of it may be handed out. */
  private last: { i: number; payload: Uint8Array } | null = null;

  /**
   * Opens `path` (whose frames were checked) and keeps it open: a file replaced or removed later
   * stays readable until close(). `fileSeq`: the snapshot file's number in its store.
   */
  constructor(
    readonly path: string,
    readonly fileSeq: number,
    private readonly frames: readonly DataFrame[],
  ) {
    let at = 0;
    for (const f of frames) {
      this.starts.push(at);
      at += f.length;
    }
    this.length = at;
    this.fd = openSync(path, 'r');
  }

  /** The bytes from `begin` to `end` (clamped as Uint8Array.subarray's; negative not supported). */
  subarray(begin: number, end: number = this.length): Uint8Array {
    const from = Math.max(0, Math.min(begin, this.length));
    const to = Math.max(from, Math.min(end, this.length));
    if (from === to) return new Uint8Array(0);
    let i = pieceAt(this.starts, from);
    const first = this.readFrame(i);
    const within = from - this.starts[i]!;
    if (to - this.starts[i]! <= first.length) return first.subarray(within, to - this.starts[i]!);
    const out = new Uint8Array(to - from);
    out.set(first.subarray(within), 0);
    let at = first.length - within;
    while (at < out.length) {
      const payload = this.readFrame(++i);
      const n = Math.min(payload.length, out.length - at);
      out.set(payload.subarray(0, n), at);
      at += n;
    }
    return out;
  }

  /** Closes the file; reads after this throw. */
  close(): void {
    if (this.fd === null) return;
    closeSync(this.fd);
    this.fd = null;
    this.last = null;
  }

  /** Frame `i`'s payload, read and checked; the last one read is kept (reads come in runs). */
  private readFrame(i: number): Uint8Array {
    if (this.last?.i === i) return this.last.payload;
    const payload = this.readFrameAnew(i);
    this.last = { i, payload };
    return payload;
  }

  private readFrameAnew(i: number): Uint8Array {
    if (this.fd === null) throw new Error(`DiskStorage: snapshot file ${this.path} was superseded and closed`);
    const { pos, length } = this.frames[i]!;
    const buf = Buffer.allocUnsafeSlow(FRAME_HEADER + length); // handed out: never pooled
    for (let done = 0; done < buf.length;) {
      const n = readSync(this.fd, buf, done, buf.length - done, pos + done);
      if (n === 0) throw new DiskCorruptionError(this.path, pos + done, 'the snapshot file ended early (it shrank)');
      done += n;
    }
    const h = frameHeader(buf, pos, Number.MAX_SAFE_INTEGER);
    if (typeof h === 'string') throw new DiskCorruptionError(this.path, pos, h);
    if (h.length !== length) throw new DiskCorruptionError(this.path, pos, 'a snapshot frame changed length');
    const payload = new Uint8Array(buf.buffer, buf.byteOffset + FRAME_HEADER, length);
    if (crc32(payload) !== h.sum) {
      throw new DiskCorruptionError(this.path, pos, `checksum mismatch in the frame of ${length} bytes`);
    }
    return payload;
  }
}
