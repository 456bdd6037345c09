// Snapshot data that need not be in memory: what the core can send to followers in chunks.

/**
 * Snapshot data the core sends to followers in chunks: a Uint8Array is one, and so is data kept in
 * a file and read a chunk at a time (DiskStorage's `snapshotsOnDisk`). `subarray` returns the bytes
 * from `begin` to `end`, and may throw (a damaged file).
 */
export interface SnapshotBytes {
  readonly length: number;
  subarray(begin: number, end: number): Uint8Array;
}

/**
 * Where a state machine writes a snapshot as it produces it (DiskStorage's snapshotWriter()), so
 * that its bytes go to disk as they come and are never all in memory at once.
 */
export interface SnapshotWriter {
  /** Appends `bytes`; resolves once they are taken (the caller may then reuse them). */
  write(bytes: Uint8Array): Promise<void>;
  /** Ends the data: resolves to it, readable a chunk at a time, to hand over as the snapshot's data. */
  finish(): Promise<SnapshotBytes>;
  /** Gives up: what was written is removed. */
  abort(): Promise<void>;
}

/**
 * Bytes held as the chunks they came in (a snapshot received from the leader): nothing copied.
 * Once the same bytes are in a file (DiskStorage with snapshotsOnDisk wrote them), they are read
 * from there and the chunks are let go (spill).
 */
export class ChunkedBytes implements SnapshotBytes {
  /** Where each chunk starts. */
  private readonly starts: number[] = [];
  private spilled: SnapshotBytes | null = null;

  constructor(
    private chunks: readonly Uint8Array[],
    readonly length: number,
  ) {
    let at = 0;
    for (const c of chunks) {
      this.starts.push(at);
      at += c.length;
    }
    if (at !== length) throw new RangeError(`ChunkedBytes: chunks of ${at} bytes, not ${length}`);
  }

  /** From now on, reads come from `to`, which holds the same bytes; the chunks are let go. */
  spill(to: SnapshotBytes): void {
    if (to.length !== this.length) throw new RangeError(`ChunkedBytes: ${to.length} bytes, not ${this.length}`);
    this.spilled = to;
    this.chunks = [];
  }

  /** The bytes from `begin` to `end`: a view when they lie in one chunk, else a copy. */
  subarray(begin: number, end: number = this.length): Uint8Array {
    if (this.spilled !== null) return this.spilled.subarray(begin, end);
    const from = Math.max(0, Math.min(begin, this.length));
    const to = Math.max(from, Math.min(end, this.length));
    if (from === to) return new Uint8Array(0);
    const lo = pieceAt(this.starts, from);
    const first = this.chunks[lo]!;
    const within = from - this.starts[lo]!;
    if (to - this.starts[lo]! <= first.length) return first.subarray(within, to - this.starts[lo]!);
    const out = new Uint8Array(to - from);
    for (let i = lo, at = 0; at < out.length; i++) {
      const piece = this.chunks[i]!.subarray(i === lo ? within : 0);
      const n = Math.min(piece.length, out.length - at);
      out.set(piece.subarray(0, n), at);
      at += n;
    }
    return out;
  }
}

/** The piece holding byte `offset`, given where each piece starts (ascending, the first at 0). */
export function pieceAt(starts: readonly number[], offset: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid]! <= offset) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}
