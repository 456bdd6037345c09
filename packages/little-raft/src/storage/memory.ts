// In-memory Storage: what a process restarted over a durable store would recover,
// kept in this object. A new Replica over the same MemoryStorage recovers exactly
// the hard state, log and snapshot that earlier writes left.

import type {
  HardState,
  LogEntry,
  Membership,
  Storage,
  StorageWrite,
  StoredIdentity,
  StoredSnapshot,
  StoredState,
} from '../core/types.js';
import { copyIdentity, identityShapeError } from '../encoding/identity-shape.js';
import { validateWrite } from './validate-write.js';
// The log is kept as a list of chunks of at most CHUNK entries: a write's entries are copied in
// slices (or, while the last chunk has room, appended to it) instead of being pushed one by one
// onto one ever-growing array, which costs far more under steady appends (growth copies, and the
// garbage collector tracking a huge old array full of young entries).
import { CHUNK } from '../core/log.js';

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
  private identity: StoredIdentity | null = null;
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
      if (initial.identity) this.write({ identity: initial.identity });
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
      identity: this.identity === null ? null : copyIdentity(this.identity),
    };
  }

  write(batch: StorageWrite<T, D>): void {
    if (batch.identity !== undefined) {
      const problem = identityShapeError(batch.identity);
      if (problem !== null) throw new Error(`MemoryStorage: ${problem}`);
    }
    this.validate(batch);
    if (batch.identity !== undefined) this.identity = copyIdentity(batch.identity);
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
    const snapTerm = this.snapshot === null ? 0 : this.snapshot.lastIncludedTerm;
    const termAt = (index: number) => this.termAt(index);
    validateWrite('MemoryStorage', batch, { snapIndex: this.snapshotIndex, snapTerm, last: this.lastIndex, termAt });
  }
}
