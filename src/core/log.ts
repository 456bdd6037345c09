import type { LogEntry } from './types.js';

/**
 * The in-memory Raft log: entries after the snapshot point (snapshotIndex, snapshotTerm).
 * Index 0 / term 0 is the empty prefix. Entries are immutable once created.
 */
export class RaftLog<T> {
  snapshotIndex = 0;
  snapshotTerm = 0;
  /** entries[i] has index snapshotIndex + 1 + i (plus `offset`, see compact). */
  private entries: LogEntry<T>[] = [];
  /** Number of dead slots at the front of `entries` (dropped by compaction, not yet spliced). */
  private offset = 0;

  constructor(snapshotIndex = 0, snapshotTerm = 0, entries: LogEntry<T>[] = []) {
    this.snapshotIndex = snapshotIndex;
    this.snapshotTerm = snapshotTerm;
    this.entries = entries.slice();
  }

  get lastIndex(): number {
    return this.snapshotIndex + this.entries.length - this.offset;
  }

  get lastTerm(): number {
    return this.term(this.lastIndex) ?? this.snapshotTerm;
  }

  /** Term at `index`; undefined when compacted away or beyond the end. */
  term(index: number): number | undefined {
    if (index === this.snapshotIndex) return this.snapshotTerm;
    if (index < this.snapshotIndex || index > this.lastIndex) return undefined;
    return this.entries[index - this.snapshotIndex - 1 + this.offset]!.term;
  }

  entry(index: number): LogEntry<T> {
    return this.entries[index - this.snapshotIndex - 1 + this.offset]!;
  }

  /** Entries [from, to] inclusive, at most maxCount and (past the first) maxBytes by `size`. */
  slice(
    from: number,
    to: number,
    maxCount = Infinity,
    maxBytes = Infinity,
    size?: (e: LogEntry<T>) => number,
  ): LogEntry<T>[] {
    const base = this.offset - this.snapshotIndex - 1;
    let end = Math.min(to, this.lastIndex, from + maxCount - 1);
    if (size !== undefined && maxBytes !== Infinity) {
      let bytes = 0;
      for (let i = from; i <= end; i++) {
        bytes += size(this.entries[i + base]!);
        if (bytes > maxBytes && i > from) {
          end = i - 1;
          break;
        }
      }
    }
    return this.entries.slice(from + base, end + 1 + base);
  }

  /** Appends entries that follow lastIndex. */
  push(entry: LogEntry<T>): void {
    this.entries.push(entry);
  }

  /** Drops entries with index >= `from`. */
  truncateFrom(from: number): void {
    if (from <= this.lastIndex) this.entries.length = this.offset + Math.max(0, from - this.snapshotIndex - 1);
  }

  /**
   * Appends leader entries, cutting a conflicting suffix first (Raft §5.3). Returns null,
   * changing nothing, when that would cut an entry at or below `committed`.
   */
  appendFromLeader(entries: LogEntry<T>[], committed: number): { truncatedFrom: number; firstNew: number } | null {
    let i = 0;
    let conflict = 0;
    for (; i < entries.length; i++) {
      const e = entries[i]!;
      if (e.index <= this.snapshotIndex) continue; // already in the snapshot
      const t = this.term(e.index);
      if (t === undefined) break;
      if (t !== e.term) {
        conflict = e.index;
        break;
      }
    }
    if (conflict > 0) {
      if (conflict <= committed) return null;
      this.truncateFrom(conflict);
    }
    const firstNew = i < entries.length ? entries[i]!.index : 0;
    for (; i < entries.length; i++) this.entries.push(entries[i]!);
    return { truncatedFrom: conflict, firstNew };
  }

  /** Forgets entries up to `index` (inclusive), which a snapshot now covers. */
  compact(index: number, term: number): void {
    if (index <= this.snapshotIndex) return;
    if (index >= this.lastIndex) {
      this.entries = [];
      this.offset = 0;
    } else {
      this.offset += index - this.snapshotIndex;
      // Splice dead slots lazily so repeated compaction stays amortised O(1) per entry.
      if (this.offset > 1024 && this.offset * 2 > this.entries.length) {
        this.entries = this.entries.slice(this.offset);
        this.offset = 0;
      }
    }
    this.snapshotIndex = index;
    this.snapshotTerm = term;
  }

  /**
   * Largest index <= `index` whose term is <= `term` (etcd's findConflictByTerm). When even the
   * snapshot point's term is too high, an index below it (unknown term: the caller must send a snapshot).
   */
  lastIndexWithTermAtMost(index: number, term: number): number {
    let i = Math.min(index, this.lastIndex);
    for (; i >= this.snapshotIndex; i--) {
      if (this.term(i)! <= term) return i;
    }
    return i;
  }

  /** Raft §5.4.1: is (lastIndex, lastTerm) at least as up to date as this log? */
  isUpToDate(lastIndex: number, lastTerm: number): boolean {
    return lastTerm > this.lastTerm || (lastTerm === this.lastTerm && lastIndex >= this.lastIndex);
  }
}
