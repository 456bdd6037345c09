// A peer's outgoing frames, waiting for its connection to take them.

import { frameLength, type FramePieces } from './frames.js';

const EMPTY_FRAME = new Uint8Array(0);

/** A FIFO of encoded frames that counts their bytes (Peer bounds it). */
export class SendQueue {
  private frames: FramePieces[] = [];
  private head = 0;
  bytes = 0;

  get length(): number {
    return this.frames.length - this.head;
  }

  push(frame: FramePieces): void {
    this.frames.push(frame);
    this.bytes += frameLength(frame);
  }

  shift(): FramePieces | undefined {
    if (this.head >= this.frames.length) return undefined;
    const frame = this.frames[this.head]!;
    this.frames[this.head++] = EMPTY_FRAME;
    this.bytes -= frameLength(frame);
    if (this.head === this.frames.length) {
      this.frames = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.frames.length) {
      this.frames = this.frames.slice(this.head);
      this.head = 0;
    }
    return frame;
  }

  clear(): void {
    this.frames = [];
    this.head = 0;
    this.bytes = 0;
  }
}
