// In-memory Storage: what a process restarted over a durable store would recover,
// kept in this object. A new Replica over the same MemoryStorage recovers exactly
// the hard state, log and snapshot that earlier writes left.

import type {
  HardState,
  LogEntry,
  Membership,
  Storage,
  StorageWrite,
  StoredSnapshot,
  StoredState,
} from '../core/types.js';

/**
 * The log is kept as a list of chunks of at most this many entries: a write's entries are
 * copied in slices (or, while the last chunk has room, appended to it) instead of being pushed
 * one by one onto one ever-growing array, which costs far more under steady appends (growth
 * copies, and the garbage collector tracking a huge old array full of young entries).
 */
const CHUNK = 4096;

function isNat(v: unknown): v is number {
  return Number.isSafeInteger(v) && (v as number) >= 0;
}

/** [firstIndex, term] pairs, flattened, with indices and terms strictly increasing. */
function isTermStarts(ts: unknown): boolean {
  if (!Array.isArray(ts) || ts.length % 2 !== 0) return false;
  for (let i = 0; i < ts.length; i++) {
    if (!isNat(ts[i]) || (i >= 2 && (ts[i] as number) <= (ts[i - 2] as number))) return false;
  }
  return true;
}

function copyMembership(m: Membership): Membership {
  return { voters: m.voters.slice(), learners: m.learners.slice(), outgoing: m.outgoing.slice() };
}

function copySnapshot<D>(s: StoredSnapshot<D>): StoredSnapshot<D> {
  return {
    lastIncludedIndex: s.lastIncludedIndex,
    lastIncludedTerm: s.lastIncludedTerm,
    data: s.data,
    config: copyMembership(s.config),
    termStarts: s.termStarts.slice(),
  };
}

/**
 * Synchronous in-memory {@link Storage}: `load()` and `write()` return plain values.
 *
 * `write` applies a batch exactly as documented on {@link StorageWrite} (snapshot, then
 * truncateFrom, then entries, then hardState). It validates the whole batch first and
 * throws an Error, changing nothing, if applying it would leave a malformed log:
 * a snapshot older than the stored one, a truncation or entries reaching into the
 * snapshot, entries that are not consecutive or that would leave a gap after the stored
 * log, log terms that decrease, or a snapshot whose termStarts is malformed.
 *
 * Entry objects and snapshot data are kept by reference (they are never mutated);
 * the hard state, memberships and termStarts are copied in and out.
 */
export class MemoryStorage<T = unknown, D = Uint8Array> implements Storage<T, D> {
  private hardState: HardState = { term: 0, vote: null, commit: 0 };
  private snapshot: StoredSnapshot<D> | null = null;
  /** Live entries: chunks[0][head..], then chunks[1], ...; the first has index snapshotIndex + 1. */
  private chunks: LogEntry<T>[][] = [];
  private head = 0;
  /** Number of live entries. */
  private count = 0;

  /** Optionally start from a given state (validated like a write). */
  constructor(initial?: Partial<StoredState<T, D>>) {
    if (initial !== undefined) {
      const batch: StorageWrite<T, D> = {};
      if (initial.snapshot) batch.snapshot = initial.snapshot;
      if (initial.entries) batch.entries = initial.entries;
      if (initial.hardState) batch.hardState = initial.hardState;
      this.write(batch);
    }
  }

  /** Index covered by the stored snapshot; 0 when none. */
  get snapshotIndex(): number {
    return this.snapshot === null ? 0 : this.snapshot.lastIncludedIndex;
  }

  /** Index of the last stored entry, or the snapshot index when the log is empty. */
  get lastIndex(): number {
    return this.snapshotIndex + this.count;
  }

  load(): StoredState<T, D> {
    return {
      hardState: { ...this.hardState },
      snapshot: this.snapshot === null ? null : copySnapshot(this.snapshot),
      entries: this.chunks.flat().slice(this.head),
    };
  }

  write(batch: StorageWrite<T, D>): void {
    this.validate(batch);
    const { snapshot, truncateFrom, entries, hardState } = batch;

    if (snapshot !== undefined) {
      const last = this.lastIndex;
      const drop = Math.min(snapshot.lastIncludedIndex, last) - this.snapshotIndex;
      if (snapshot.lastIncludedIndex >= last) {
        this.chunks = [];
        this.head = 0;
        this.count = 0;
      } else if (drop > 0) {
        this.dropFirst(drop);
      }
      this.snapshot = copySnapshot(snapshot);
    }

    if (truncateFrom !== undefined && truncateFrom <= this.lastIndex) {
      this.keepFirst(truncateFrom - this.snapshotIndex - 1);
    }

    if (entries !== undefined && entries.length > 0) {
      this.keepFirst(entries[0]!.index - this.snapshotIndex - 1);
      const last = this.chunks[this.chunks.length - 1];
      if (last !== undefined && last.length + entries.length <= CHUNK) {
        for (let i = 0; i < entries.length; i++) last.push(entries[i]!);
      } else {
        for (let i = 0; i < entries.length; i += CHUNK) this.chunks.push(entries.slice(i, i + CHUNK));
      }
      this.count += entries.length;
    }

    if (hardState !== undefined) {
      this.hardState = { term: hardState.term, vote: hardState.vote, commit: hardState.commit };
    }
  }

  /** Term of the stored entry at `index`, which must lie in [snapshotIndex, lastIndex]. */
  private termAt(index: number): number {
    const snapIndex = this.snapshotIndex;
    if (index === snapIndex) return this.snapshot === null ? 0 : this.snapshot.lastIncludedTerm;
    // From the back: validate asks for the entry before a write's entries, usually the last.
    let end = this.count;
    const at = index - snapIndex - 1;
    for (let c = this.chunks.length - 1; ; c--) {
      const chunk = this.chunks[c]!;
      const from = c === 0 ? this.head : 0;
      const start = end - (chunk.length - from);
      if (at >= start) return chunk[from + at - start]!.term;
      end = start;
    }
  }

  /** Keeps only the first `n` live entries. */
  private keepFirst(n: number): void {
    for (let excess = this.count - n; excess > 0;) {
      const last = this.chunks[this.chunks.length - 1]!;
      const live = last.length - (this.chunks.length === 1 ? this.head : 0);
      if (live > excess) {
        last.length -= excess;
        break;
      }
      this.chunks.pop();
      excess -= live;
    }
    if (this.chunks.length === 0) this.head = 0;
    this.count = Math.min(this.count, n);
  }

  /** Drops the first `n` live entries (n < count). */
  private dropFirst(n: number): void {
    this.count -= n;
    let c = 0;
    for (let live = this.chunks[0]!.length - this.head; n >= live; live = this.chunks[++c]!.length) {
      n -= live;
      this.head = 0;
    }
    if (c > 0) this.chunks.splice(0, c);
    this.head += n;
  }

  /** Throws if applying `batch` would leave a malformed state; changes nothing. */
  private validate(batch: StorageWrite<T, D>): void {
    const { snapshot, truncateFrom, entries, hardState } = batch;
    // The log after each step is described by (snapIndex, snapTerm, last).
    let snapIndex = this.snapshotIndex;
    let snapTerm = this.snapshot === null ? 0 : this.snapshot.lastIncludedTerm;
    let last = this.lastIndex;

    if (snapshot !== undefined) {
      const s = snapshot;
      if (!isNat(s.lastIncludedIndex) || !isNat(s.lastIncludedTerm)) {
        throw new Error(
          `MemoryStorage: snapshot lastIncludedIndex/lastIncludedTerm must be non-negative integers, got ${s.lastIncludedIndex}/${s.lastIncludedTerm}`,
        );
      }
      if (s.lastIncludedIndex < snapIndex) {
        throw new Error(
          `MemoryStorage: snapshot at index ${s.lastIncludedIndex} is older than the stored snapshot at index ${snapIndex}`,
        );
      }
      if (
        s.config === null ||
        typeof s.config !== 'object' ||
        !Array.isArray(s.config.voters) ||
        !Array.isArray(s.config.learners) ||
        !Array.isArray(s.config.outgoing)
      ) {
        throw new Error('MemoryStorage: snapshot config must have voters, learners and outgoing');
      }
      if (!isTermStarts(s.termStarts)) {
        throw new Error(
          'MemoryStorage: snapshot termStarts must be [firstIndex, term] pairs with indices and terms strictly increasing',
        );
      }
      snapIndex = s.lastIncludedIndex;
      snapTerm = s.lastIncludedTerm;
      if (last < snapIndex) last = snapIndex;
    }

    if (truncateFrom !== undefined) {
      if (!Number.isSafeInteger(truncateFrom) || truncateFrom <= snapIndex) {
        throw new Error(
          `MemoryStorage: truncateFrom ${truncateFrom} must be an integer above the snapshot index ${snapIndex}`,
        );
      }
      if (truncateFrom - 1 < last) last = truncateFrom - 1;
    }

    if (entries !== undefined && entries.length > 0) {
      const first = entries[0]!.index;
      if (!Number.isSafeInteger(first) || first <= snapIndex || first > last + 1) {
        throw new Error(
          `MemoryStorage: entries start at index ${first} but must start within ${snapIndex + 1}..${last + 1} (the log ends at ${last}${snapIndex > 0 ? `, the snapshot at ${snapIndex}` : ''})`,
        );
      }
      // The term before entries[0]: the stored entry there survives steps 1-2 (index <= last).
      let prevTerm = first - 1 === snapIndex ? snapTerm : this.termAt(first - 1);
      for (let i = 0; i < entries.length; i++) {
        const e = entries[i]!;
        if (e.index !== first + i) {
          throw new Error(
            `MemoryStorage: entries are not consecutive: entries[${i}].index is ${e.index}, expected ${first + i}`,
          );
        }
        if (!isNat(e.term) || e.term < prevTerm) {
          throw new Error(
            `MemoryStorage: entries[${i}] (index ${e.index}) has term ${e.term}, below the preceding term ${prevTerm}`,
          );
        }
        prevTerm = e.term;
      }
    }

    if (hardState !== undefined) {
      const h = hardState;
      if (!isNat(h.term) || !isNat(h.commit) || (h.vote !== null && !isNat(h.vote as unknown))) {
        throw new Error(
          `MemoryStorage: malformed hard state {term: ${String(h.term)}, vote: ${String(h.vote)}, commit: ${String(h.commit)}}: term and commit must be non-negative integers, vote one or null`,
        );
      }
    }
  }
}
