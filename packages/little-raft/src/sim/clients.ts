import type { AbandonedReason, ReplicaId, TransitionState } from '../core/types.js';
import type { HistoryEntry } from './checkers/linearizability.js';
import type { SimCluster, SimNode, Tx } from './cluster.js';
import type { SimEvent } from './event-queue.js';
import type { SimKernel } from './kernel.js';
import type { KvMachine, KvTransition } from './kv-machine.js';
import type { SimWorkload } from './workload.js';

/** How long a client waits for an operation before giving up on knowing its outcome. */
export const OP_TIMEOUT = 2_000;

interface PendingOp {
  client: number;
  transition: Tx;
  target: ReplicaId;
  invokedAt: number;
  timeout: SimEvent;
  result: string | null;
  /**
   * The target applied it itself. One that reached the target inside a snapshot is
   * 'applied' too, but a read then has no result.
   */
  appliedHere: boolean;
  /** A read served by ensureLinearizable instead of through the log. */
  barrier: boolean;
}

/**
 * The client workload: each client submits one transition at a time to the replica it believes
 * leads (or any), and records what it saw; with the key-value workload, a history of puts and gets.
 */
export class SimClients {
  /** The key-value history, for the linearizability checker. */
  readonly history: HistoryEntry[] = [];
  readonly pending = new Map<string, PendingOp>();
  /** Transitions whose success a client saw, and their log index. */
  readonly acknowledged = new Map<string, number>();
  operations = 0;
  reads = 0;
  private leaderHint: ReplicaId = 1;
  private running = true;

  constructor(
    private readonly kernel: SimKernel,
    private readonly cluster: SimCluster,
    private readonly workload: SimWorkload<Tx>,
    /** The default workload: reads and writes on a key-value store, checked for linearizability. */
    private readonly kv: boolean,
  ) {}

  /** Client `client` submits its first operation after a short random delay. */
  start(client: number): void {
    this.kernel.at(this.kernel.rng.int(0, 50), () => this.nextOp(client));
  }

  /** No new operations from now on. */
  stop(): void {
    this.running = false;
  }

  /** A replica named a leader. */
  leader(id: ReplicaId): void {
    this.leaderHint = id;
  }

  private nextOp(client: number): void {
    if (!this.running) return;
    const { rng } = this.kernel;
    const nodes = this.cluster.nodes;
    const seq = this.operations++;
    const transition = this.workload.nextTransition(rng, client, seq);
    const id = String(transition.id);
    const up = nodes.filter((n) => n.up);
    const hinted = this.cluster.node(this.leaderHint);
    const target = hinted.up && rng.chance(0.9) ? hinted : rng.pick(up.length > 0 ? up : nodes);
    const barrier = this.kv && (transition as KvTransition).op === 'get' && rng.chance(0.5);
    const op: PendingOp = {
      client,
      transition,
      target: target.id,
      invokedAt: this.kernel.time,
      result: null,
      appliedHere: false,
      barrier,
      timeout: this.kernel.at(OP_TIMEOUT, () => this.finish(id, 'unknown')),
    };
    this.pending.set(id, op);
    if (!target.up) return;
    if (barrier) return this.linearizableRead(target, op, rng.chance(0.5));
    target.machine.submit(transition);
    target.replica.notifyTransitions();
  }

  /** A read served from the local state machine after a ReadIndex barrier (leader or follower). */
  private linearizableRead(target: SimNode, op: PendingOp, allowFollower: boolean): void {
    const kernel = this.kernel;
    const id = String(op.transition.id);
    const incarnation = target.incarnation;
    this.reads++;
    kernel.asyncOps++;
    target.replica
      .ensureLinearizable({ allowFollower })
      .then(
        () => {
          if (target.incarnation !== incarnation || this.pending.get(id) !== op) return;
          op.result = (target.machine.inner as KvMachine).data.get((op.transition as KvTransition).key) ?? null;
          this.finish(id, 'ok');
        },
        () => this.finish(id, 'failed'),
      )
      .finally(() => kernel.asyncOps--);
  }

  /** A replica applied a transition: the result of a client's, if it was submitted there. */
  applied(node: SimNode, index: number, t: Tx): void {
    const id = String(t.id);
    const op = this.pending.get(id);
    if (op && op.target === node.id) {
      op.appliedHere = true;
      const kv = t as KvTransition;
      if (this.kv && kv.op === 'get') op.result = (node.machine.inner as KvMachine).lastRead;
      else this.acknowledged.set(id, index);
    }
  }

  /** A replica reported what became of a transition submitted to it. */
  state(node: SimNode, id: string, state: TransitionState, reason?: AbandonedReason): void {
    const op = this.pending.get(id);
    if (!op || op.target !== node.id || op.barrier) return;
    // A read that reached this replica inside a snapshot has no result here.
    const unread = this.kv && (op.transition as KvTransition).op === 'get' && !op.appliedHere;
    if (state === 'applied') this.finish(id, unread ? 'unknown' : 'ok');
    else if (state === 'abandoned') this.finish(id, reason === 'not-leader' ? 'failed' : 'unknown');
  }

  private finish(id: string, outcome: 'ok' | 'failed' | 'unknown'): void {
    const op = this.pending.get(id);
    if (!op) return;
    this.pending.delete(id);
    op.timeout.cancelled = true;
    const t = op.transition as KvTransition;
    const returnedAt = outcome === 'ok' ? this.kernel.time : Infinity;
    if (this.kv && outcome !== 'failed' && (t.op === 'put' || outcome === 'ok')) {
      const kvOp =
        t.op === 'put'
          ? { kind: 'put' as const, key: t.key, value: t.value }
          : { kind: 'get' as const, key: t.key, result: op.result };
      this.history.push({ client: op.client, op: kvOp, invokedAt: op.invokedAt, returnedAt });
    }
    this.kernel.at(this.kernel.rng.int(0, 30), () => this.nextOp(op.client));
  }
}
