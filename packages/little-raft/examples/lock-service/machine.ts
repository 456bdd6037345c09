// The lock service's state machine: named locks, each held by one owner until released or
// until its lease runs out. It is the replicated part of the service: every replica applies the
// same operations in the same order, so it must be deterministic. No reading the local clock,
// no Math.random, no iteration over anything unordered in what it stores or snapshots.
//
// Time: the leader stamps each operation with its wall clock (`at`) when it proposes it; the
// machine's clock is the largest stamp applied so far, so it never runs backwards, even when a
// new leader's clock is behind the old one's. A lease is judged against that replicated clock
// when the next operation is applied. Leases therefore assume roughly synchronized clocks; what
// protects the resource itself is the fencing token: it grows with every new holder, so the
// resource can refuse a writer whose token is older than one it has seen.
//
// Used by node.ts (three processes over TCP, on disk) and by ../sim-check.ts (the simulator).
import type { Snapshot, StateMachine } from 'little-raft';

export type LockOp =
  | { id: string; kind: 'acquire'; lock: string; owner: string; leaseMs: number; at: number }
  | { id: string; kind: 'release'; lock: string; owner: string; at: number }
  | { id: string; kind: 'noop' };

/** Who holds a lock: the owner, the fencing token of this holding, and when the lease ends. */
export interface Holder {
  owner: string;
  token: number;
  expiresAt: number;
}

/** What applying an acquire or release did. */
export type LockOutcome =
  | { ok: true; lock: string; holder: Holder | null }
  | { ok: false; lock: string; reason: 'held-by-another' | 'not-the-holder'; holder: Holder | null };

export const NOOP: LockOp = { id: 'noop', kind: 'noop' };

interface State {
  clock: number;
  nextToken: number;
  locks: [string, Holder][];
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export class LockMachine implements StateMachine<LockOp> {
  /** The replicated clock: the largest `at` applied. */
  protected clock = 0;
  /** The fencing token the next new holder gets. */
  protected nextToken = 1;
  protected readonly locks = new Map<string, Holder>();
  /** Outcomes kept for the operations this process proposed (see watch/take); not replicated. */
  private readonly outcomes = new Map<string, LockOutcome | null>();

  // The machine is driven through Replica.propose, so it queues nothing itself.
  registerTransitionState(): void {}
  getPendingTransitions(): LockOp[] {
    return [];
  }

  applyTransition(op: LockOp): void {
    if (op.kind === 'noop') return;
    this.clock = Math.max(this.clock, op.at);
    const held = this.holder(op.lock);
    let outcome: LockOutcome;
    if (op.kind === 'acquire') {
      if (held && held.owner !== op.owner) {
        outcome = { ok: false, lock: op.lock, reason: 'held-by-another', holder: held };
      } else {
        // A new holder gets a new token; the holder renewing its lease keeps its own.
        const token = held ? held.token : this.nextToken++;
        const holder = { owner: op.owner, token, expiresAt: this.leaseEnd(op.leaseMs) };
        this.locks.set(op.lock, holder);
        outcome = { ok: true, lock: op.lock, holder };
      }
    } else if (held && held.owner === op.owner) {
      this.locks.delete(op.lock);
      outcome = { ok: true, lock: op.lock, holder: null };
    } else {
      outcome = { ok: false, lock: op.lock, reason: 'not-the-holder', holder: held };
    }
    if (this.outcomes.has(op.id)) this.outcomes.set(op.id, outcome);
  }

  /** When a lease of `leaseMs` taken now ends (a subclass in the tests gets this wrong). */
  protected leaseEnd(leaseMs: number): number {
    return this.clock + leaseMs;
  }

  /** The lock's holder as of the replicated clock; an expired lease is dropped here. */
  holder(lock: string): Holder | null {
    const held = this.locks.get(lock);
    if (held === undefined) return null;
    if (held.expiresAt > this.clock) return held;
    this.locks.delete(lock);
    return null;
  }

  /** What a read sees (no change to the state: safe outside applyTransition). */
  peek(lock: string): Holder | null {
    const held = this.locks.get(lock);
    return held !== undefined && held.expiresAt > this.clock ? held : null;
  }

  /** Keep the outcome of operation `id` when it is applied here, for take(). */
  watch(id: string): void {
    this.outcomes.set(id, null);
  }

  /** The outcome of a watched operation (undefined if it was not applied here one by one). */
  take(id: string): LockOutcome | undefined {
    const outcome = this.outcomes.get(id);
    this.outcomes.delete(id);
    return outcome ?? undefined;
  }

  createSnapshot(lastIncludedIndex: number, lastIncludedTerm: number): Snapshot<Uint8Array> {
    const state: State = { clock: this.clock, nextToken: this.nextToken, locks: this.sortedLocks() };
    return { lastIncludedIndex, lastIncludedTerm, data: encoder.encode(JSON.stringify(state)) };
  }

  setSnapshot(snapshot: Snapshot<Uint8Array>): void {
    const state = JSON.parse(decoder.decode(snapshot.data)) as State;
    this.clock = state.clock;
    this.nextToken = state.nextToken;
    this.locks.clear();
    for (const [lock, holder] of state.locks) this.locks.set(lock, holder);
  }

  /** A canonical description of the state (the simulator compares replicas with it). */
  describe(): string {
    const live = this.sortedLocks().filter(([, h]) => h.expiresAt > this.clock);
    return JSON.stringify({ clock: this.clock, nextToken: this.nextToken, locks: live });
  }

  private sortedLocks(): [string, Holder][] {
    return [...this.locks].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  }
}
