// In-memory Storage: what a process restarted over a durable store would recover,
// kept in this object. A new Replica over the same MemoryStorage recovers exactly
// the hard state, log and snapshot that earlier writes left.

import type {
  HardState,
  Membership,
  Storage,
  StorageWrite,
  StoredIdentity,
  StoredSnapshot,
  StoredState,
} from '../core/types.js';
import { copyIdentity, identityShapeError } from '../encoding/identity-shape.js';
import { validateWrite } from './validate-write.js';
// The log is the core's chunked RaftLog: appends to one huge array would cost growth copies and
// make the GC track a huge old array full of young entries.
import { RaftLog } from '../core/log.js';

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
  /** The entries after the snapshot; its snapshotIndex/Term follow the stored snapshot's. */
  private log = new RaftLog<T>();

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
    return this.log.snapshotIndex;
  }

  /** Index of the last stored entry, or the snapshot index when the log is empty. */
  get lastIndex(): number {
    return this.log.lastIndex;
  }

  load(): StoredState<T, D> {
    return {
      hardState: { ...this.hardState },
      snapshot: this.snapshot === null ? null : copySnapshot(this.snapshot),
      entries: this.log.slice(this.log.snapshotIndex + 1, this.log.lastIndex),
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
      this.log.compact(snapshot.lastIncludedIndex, snapshot.lastIncludedTerm);
      this.snapshot = copySnapshot(snapshot);
    }
    if (truncateFrom !== undefined) this.log.truncateFrom(truncateFrom);
    if (entries !== undefined && entries.length > 0) {
      this.log.truncateFrom(entries[0]!.index);
      for (const e of entries) this.log.push(e);
    }

    if (hardState !== undefined) {
      this.hardState = { term: hardState.term, vote: hardState.vote, commit: hardState.commit };
    }
  }

  /** Throws if applying `batch` would leave a malformed state; changes nothing. */
  private validate(batch: StorageWrite<T, D>): void {
    const log = this.log;
    const termAt = (index: number) => log.term(index)!;
    validateWrite('MemoryStorage', batch, {
      snapIndex: log.snapshotIndex,
      snapTerm: log.snapshotTerm,
      last: log.lastIndex,
      termAt,
    });
  }
}
