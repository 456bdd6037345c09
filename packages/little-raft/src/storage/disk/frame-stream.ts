// A file's frames (format.ts) read one at a time, each payload read straight into the memory its
// reader gives and checked against its checksum as it arrives: a snapshot file of hundreds of MB
// is never held whole, copied, or summed in one step (reading it in one piece, then checking and
// copying it, held the event loop for seconds at a restart).

import type { FileHandle } from 'node:fs/promises';

import { crc32 } from '../../encoding/crc32.js';
import { DiskCorruptionError } from '../../encoding/errors.js';
import { FRAME_HEADER, frameHeader } from './format.js';

export class FrameStream {
  /** Where the next frame starts. */
  pos = 0;
  private readonly header = Buffer.allocUnsafe(FRAME_HEADER);
  /** The frame whose header next() read, until payload() reads it. */
  private pending: { length: number; sum: number } | null = null;

  constructor(
    private readonly file: FileHandle,
    private readonly path: string,
    readonly size: number,
  ) {}

  /** Reads and checks the next frame's header: its payload's length; null at the end of the file. */
  async next(): Promise<number | null> {
    if (this.pos === this.size) return null;
    if (this.size - this.pos >= FRAME_HEADER) await this.read(this.header, this.pos);
    const h = frameHeader(this.header, this.pos, this.size);
    if (typeof h === 'string') throw new DiskCorruptionError(this.path, this.pos, h);
    this.pending = h;
    return h.length;
  }

  /** The frame header next() read (its 12 bytes, valid until the next call). */
  get headerBytes(): Uint8Array {
    return this.header;
  }

  /** Reads the payload of the frame next() announced into `into` (exactly its length) and checks it. */
  async payload(into: Uint8Array): Promise<void> {
    const frame = this.pending;
    if (frame === null || into.length !== frame.length) throw new Error('FrameStream: payload() without next()');
    this.pending = null;
    await this.read(into, this.pos + FRAME_HEADER);
    if (crc32(into) !== frame.sum) {
      throw new DiskCorruptionError(this.path, this.pos, `checksum mismatch in the frame of ${frame.length} bytes`);
    }
    this.pos += FRAME_HEADER + frame.length;
  }

  private async read(into: Uint8Array, position: number): Promise<void> {
    for (let done = 0; done < into.length;) {
      const { bytesRead } = await this.file.read(into, done, into.length - done, position + done);
      if (bytesRead === 0) {
        throw new DiskCorruptionError(this.path, position + done, 'the file ended while it was read (it shrank)');
      }
      done += bytesRead;
    }
  }
}
