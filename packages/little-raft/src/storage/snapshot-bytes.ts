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
