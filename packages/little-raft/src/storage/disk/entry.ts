// Log entries as DiskStorage.load() returns them: the transition stays encoded in the bytes of
// the segment it was read from and is decoded each time it is read. Opening a store thus costs
// no decoding (a replica reads each transition once when it applies it, and again only to send
// it to a follower that lags), and the log is in memory once, as the segments' bytes, rather
// than also as decoded values.

import type { LogEntry } from '../../core/types.js';
import type { Codec } from '../../encoding/codec.js';
import { DiskCorruptionError } from '../../encoding/errors.js';

/** A segment file's bytes as read at open, and how its transitions decode. */
export class SegmentBytes<T> {
  readonly view: DataView;

  constructor(
    readonly buf: Buffer,
    readonly file: string,
    readonly codec: Codec<T>,
  ) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }
}

/**
 * A stored entry with a transition: `at` is where the transition's u32 length prefix sits in
 * `source`. Immutable, like every log entry. `transition` is a getter on the prototype, so a
 * spread (`{...entry}`) drops it; JSON.stringify goes through toJSON.
 */
export class StoredEntry<T> implements LogEntry<T> {
  constructor(
    readonly index: number,
    readonly term: number,
    private readonly source: SegmentBytes<T>,
    private readonly at: number,
  ) {}

  /**
   * Decoded on every read. A codec that cannot decode bytes it wrote (the checksum vouches for
   * the bytes) throws a DiskCorruptionError naming the file and the entry's position.
   */
  get transition(): T {
    const { buf, view, codec, file } = this.source;
    const length = view.getUint32(this.at, true);
    try {
      return codec.decode(new Uint8Array(buf.buffer, buf.byteOffset + this.at + 4, length));
    } catch (error) {
      throw new DiskCorruptionError(
        file,
        this.at - 9, // the entry's start: its term and flags precede the length
        `the transition of entry ${this.index} does not decode: ${(error as Error).message}`,
      );
    }
  }

  toJSON(): LogEntry<T> {
    return { index: this.index, term: this.term, transition: this.transition };
  }
}
