import type { LogEntry } from '../core/types.js';

// When a replica takes a snapshot: every `snapshotDelta` applied entries (little_raft's rule), or
// once the entries applied since the last one add up to `snapshotLogBytes` (a count alone lets a
// log of large entries grow without bound before compaction). One snapshot at a time: a state
// machine that takes it asynchronously (createSnapshot returning a promise) is not asked again
// until it is done.

export class SnapshotTrigger<T> {
  private bytes = 0;
  private taking = false;

  constructor(
    private readonly delta: number,
    private readonly logBytes: number,
    private readonly sizeOf: (entry: LogEntry<T>) => number,
  ) {}

  /** Entries were applied: counts their bytes toward the next snapshot. */
  applied(entries: readonly LogEntry<T>[]): void {
    if (this.logBytes <= 0) return;
    for (const e of entries) this.bytes += this.sizeOf(e);
  }

  /** Whether to take a snapshot now, `applied` entries in and the last snapshot at `snapshotIndex`. */
  due(applied: number, snapshotIndex: number): boolean {
    if (this.taking || applied <= snapshotIndex) return false;
    if (this.delta > 0 && applied - snapshotIndex >= this.delta) return true;
    return this.logBytes > 0 && this.bytes >= this.logBytes;
  }

  /** A snapshot is being taken (or was installed): entries applied from now on count toward the next. */
  started(asynchronously: boolean): void {
    this.bytes = 0;
    this.taking = asynchronously;
  }

  /** The asynchronous snapshot is done (taken or failed). */
  finished(): void {
    this.taking = false;
  }
}
