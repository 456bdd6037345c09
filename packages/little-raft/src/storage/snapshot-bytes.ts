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
