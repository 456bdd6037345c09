import type { Raft } from '../core/raft.js';
import type { AbandonedReason, LogEntry, ReplicaId, StateMachineTransition, StoredSnapshot } from '../core/types.js';
import { NotLeaderError } from '../encoding/errors.js';
import type { StateMachine } from './options.js';
import { termAt } from './term-history.js';

interface Pending<T extends StateMachineTransition> {
  id: T['id'];
  index: number;
  term: number;
  resolve?: () => void;
  reject?: (error: Error) => void;
}

/**
 * The transitions a replica took in, from propose() (or the state machine's pending ones) until
 * applied or abandoned: their promises and the states registered with the state machine.
 */
export class Proposals<T extends StateMachineTransition, D> {
  /** Proposals this replica took in, by ascending index. */
  private pending: Pending<T>[] = [];
  private pendingHead = 0;
  /** propose() calls since the last run, taken in as one batch (parallel arrays). */
  private proposed: T[] = [];
  private proposedResolve: (() => void)[] = [];
  private proposedReject: ((error: Error) => void)[] = [];

  /** `leaderId` names the leader in the errors of abandoned proposals. */
  constructor(
    private readonly sm: StateMachine<T, D>,
    private readonly leaderId: () => ReplicaId | null,
  ) {}

  /** A propose() call: taken in by the next takeProposed(). */
  propose(transition: T, resolve: () => void, reject: (error: Error) => void): void {
    this.proposed.push(transition);
    this.proposedResolve.push(resolve);
    this.proposedReject.push(reject);
  }

  /** Takes in the propose() calls since the last time, as one batch. */
  takeProposed(core: Raft<T, D>): void {
    if (this.proposed.length === 0) return;
    const transitions = this.proposed;
    const resolves = this.proposedResolve;
    const rejects = this.proposedReject;
    this.proposed = [];
    this.proposedResolve = [];
    this.proposedReject = [];
    this.take(core, transitions, resolves, rejects);
  }

  /**
   * Takes transitions in as leader (queued) or abandons them (not-leader). From propose(),
   * `resolves[i]` and `rejects[i]` settle `transitions[i]`.
   */
  take(core: Raft<T, D>, transitions: readonly T[], resolves?: (() => void)[], rejects?: ((e: Error) => void)[]): void {
    const sm = this.sm;
    const first = core.propose(transitions);
    if (first === 0) {
      for (let i = 0; i < transitions.length; i++) {
        sm.registerTransitionState(transitions[i]!.id, 'abandoned', 'not-leader');
        rejects?.[i]!(new NotLeaderError(core.leaderId));
      }
      return;
    }
    const term = core.term;
    for (let i = 0; i < transitions.length; i++) {
      const id = transitions[i]!.id;
      // One object shape for every entry (no spreads): this runs per transition.
      this.pending.push({ id, index: first + i, term, resolve: resolves?.[i], reject: rejects?.[i] });
      sm.registerTransitionState(id, 'queued');
    }
  }

  /** Applies committed entries to the state machine and settles the proposals among them. */
  apply(entries: LogEntry<T>[]): void {
    const sm = this.sm;
    const pending = this.pending;
    for (const e of entries) {
      const t = e.transition;
      if (t === undefined) continue; // a configuration entry
      sm.applyTransition(t, e.index);
      sm.registerTransitionState(t.id, 'committed');
      sm.registerTransitionState(t.id, 'applied');
      const p = pending[this.pendingHead];
      if (p !== undefined && p.index === e.index) {
        this.pendingHead++;
        if (p.term === e.term) p.resolve?.();
        else this.abandon(p, 'conflict-with-leader');
      }
    }
    if (this.pendingHead > 1024 && this.pendingHead * 2 > pending.length) {
      this.pending = pending.slice(this.pendingHead);
      this.pendingHead = 0;
    }
  }

  /** The log was truncated from `index`: the proposals there are lost. */
  abandonFrom(index: number): void {
    while (this.pending.length > this.pendingHead && this.pending[this.pending.length - 1]!.index >= index) {
      this.abandon(this.pending.pop()!, 'conflict-with-leader');
    }
  }

  /**
   * A snapshot from the leader replaced the log through its lastIncludedIndex: settles the
   * proposals it covers by its term history. Where it has p's term at p.index, the committed
   * entry there is p's own (one leader per term, one entry per index): p is committed and, in the
   * loaded snapshot, applied. Another term: p was overwritten. An index older than the table
   * covers (over 1,024 term changes back, or before the log a leader held when it restored its
   * state machine's getSnapshot): p's fate is unknown and it is reported abandoned -- extremely rare.
   */
  settleThrough(snapshot: StoredSnapshot<D>): void {
    const sm = this.sm;
    const pending = this.pending;
    while (this.pendingHead < pending.length && pending[this.pendingHead]!.index <= snapshot.lastIncludedIndex) {
      const p = pending[this.pendingHead++]!;
      if (termAt(snapshot.termStarts, p.index) !== p.term) {
        this.abandon(p, 'conflict-with-leader');
        continue;
      }
      sm.registerTransitionState(p.id, 'committed');
      sm.registerTransitionState(p.id, 'applied');
      p.resolve?.();
    }
  }

  /** The replica stopped: rejects every proposal still waiting, taken in or not. */
  rejectAll(error: Error): void {
    for (let i = this.pendingHead; i < this.pending.length; i++) this.pending[i]!.reject?.(error);
    this.pending = [];
    this.pendingHead = 0;
    for (const reject of this.proposedReject) reject(error);
    this.proposed = [];
    this.proposedResolve = [];
    this.proposedReject = [];
  }

  private abandon(p: Pending<T>, reason: AbandonedReason): void {
    this.sm.registerTransitionState(p.id, 'abandoned', reason);
    p.reject?.(new NotLeaderError(this.leaderId(), `transition ${String(p.id)} abandoned: ${reason}`));
  }
}
