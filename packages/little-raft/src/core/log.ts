import type { LogEntry } from './types.js';

/** Entries per chunk of the in-memory log (RaftLog, which MemoryStorage and DiskStorage use too). */
const CHUNK = 4096;

/**
 * The in-memory Raft log: entries after the snapshot point (snapshotIndex, snapshotTerm).
 * Index 0 / term 0 is the empty prefix. Entries are immutable once created.
 */
export class RaftLog<T> {
  snapshotIndex = 0;
  snapshotTerm = 0;
  lastIndex = 0;
  /**
   * Entry i is chunks[k][j] where i - base = CHUNK k + j; every chunk but the last is full. Chunks,
   * not one ever-growing array: appends to a huge array cost several times more (growth copies,
   * and the GC tracking a huge old array full of young entries). Compaction drops whole chunks
   * and empties the compacted slots of the first one left.
   */
  private chunks: LogEntry<T>[][] = [];
  private base = 1;

  constructor(snapshotIndex = 0, snapshotTerm = 0, entries: LogEntry<T>[] = []) {
    this.snapshotIndex = snapshotIndex;
    this.lastIndex = snapshotIndex;
    this.snapshotTerm = snapshotTerm;
    this.base = snapshotIndex + 1;
    for (const e of entries) this.push(e);
  }

  get lastTerm(): number {
    return this.term(this.lastIndex) ?? this.snapshotTerm;
  }

  /** Term at `index`; undefined when compacted away or beyond the end. */
  term(index: number): number | undefined {
    if (index === this.snapshotIndex) return this.snapshotTerm;
    if (index < this.snapshotIndex || index > this.lastIndex) return undefined;
    return this.entry(index).term;
  }

  entry(index: number): LogEntry<T> {
    return this.chunks[Math.floor((index - this.base) / CHUNK)]![(index - this.base) % CHUNK]!;
  }

  /** Entries [from, to] inclusive, at most maxCount and (past the first) maxBytes by `size`. */
  slice(
    from: number,
    to: number,
    maxCount = Infinity,
    maxBytes = Infinity,
    size?: (e: LogEntry<T>) => number,
  ): LogEntry<T>[] {
    let end = Math.min(to, this.lastIndex, from + maxCount - 1);
    // The byte bound first, so that only what is returned is copied (a backlog can be long).
    for (let i = from, bytes = 0; size !== undefined && maxBytes !== Infinity && i <= end; i++) {
      if ((bytes += size(this.entry(i))) > maxBytes && i > from) end = i - 1;
    }
    // One native slice per chunk the range touches (usually one).
    const parts: LogEntry<T>[][] = [];
    for (let i = from, j = (from - this.base) % CHUNK; i <= end; i += CHUNK - j, j = 0) {
      parts.push(this.chunks[Math.floor((i - this.base) / CHUNK)]!.slice(j, j + end - i + 1));
    }
    return parts.length === 1 ? parts[0]! : ([] as LogEntry<T>[]).concat(...parts);
  }

  /** Appends the entry that follows lastIndex. */
  push(entry: LogEntry<T>): void {
    if ((++this.lastIndex - this.base) % CHUNK === 0) this.chunks.push([entry]);
    else this.chunks[this.chunks.length - 1]!.push(entry);
  }

  /** Drops entries with index >= `from`. */
  truncateFrom(from: number): void {
    if (from > this.lastIndex) return;
    this.lastIndex = Math.max(this.snapshotIndex, from - 1);
    const at = this.lastIndex - this.base; // -1: no entry left in the chunks
    this.chunks.length = Math.floor(at / CHUNK) + 1;
    if (at >= 0) this.chunks[this.chunks.length - 1]!.length = (at % CHUNK) + 1;
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
    for (; i < entries.length; i++) this.push(entries[i]!);
    return { truncatedFrom: conflict, firstNew };
  }

  /** Forgets entries up to `index` (inclusive), which a snapshot now covers. */
  compact(index: number, term: number): void {
    if (index <= this.snapshotIndex) return;
    const drop = index >= this.lastIndex ? this.chunks.length : Math.floor((index + 1 - this.base) / CHUNK);
    this.chunks.splice(0, drop);
    this.base = index >= this.lastIndex ? index + 1 : this.base + CHUNK * drop;
    // The first chunk left lets go of its compacted entries: a client's pipeline makes entries of
    // megabytes, and 4,095 of them must not stay reachable until the chunk goes.
    this.chunks[0]?.fill(undefined as never, 0, index + 1 - this.base);
    this.lastIndex = Math.max(this.lastIndex, index);
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
