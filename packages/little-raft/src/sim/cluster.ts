import type { AbandonedReason, Message, ReplicaId, StateMachineTransition, TransitionState } from '../core/types.js';
import { Replica, coreOf, type Clock } from '../driver/replica.js';
import type { SimEvent } from './event-queue.js';
import type { SimKernel } from './kernel.js';
import { SimStorage } from './storage.js';
import { RecordingMachine, type SimWorkload } from './workload.js';

export type Tx = StateMachineTransition;
export type SimMessage = Message<Tx, Uint8Array>;

const HEARTBEAT = 50;
const ELECTION: [number, number] = [300, 600];

/** One simulated replica: its disk, its clock rate, and what it runs while up. */
export interface SimNode {
  id: ReplicaId;
  replica: Replica<Tx, Uint8Array>;
  machine: RecordingMachine<Tx>;
  storage: SimStorage<Tx, Uint8Array>;
  rate: number;
  up: boolean;
  incarnation: number;
  inbox: SimMessage[];
  timers: SimEvent[];
  /** Incremental invariant bookkeeping, reset at restart. */
  verified: number;
  verifiedKey: string;
  commitSeen: number;
  leaderTerm: number;
  failure: Error | null;
}

/** What a booted replica reports to the rest of the simulation. */
export interface NodeHooks {
  send(from: SimNode, to: ReplicaId, message: SimMessage): void;
  applied(node: SimNode, index: number, transition: Tx): void;
  state(node: SimNode, id: string, state: TransitionState, reason?: AbandonedReason): void;
  snapshot(index: number, data: Uint8Array): void;
  leader(id: ReplicaId): void;
}

/** The replicas: booting, crashing, losing disks and restarting them. */
export class SimCluster {
  readonly nodes: SimNode[] = [];
  readonly ids: ReplicaId[];
  readonly initialVoters: ReplicaId[];
  crashes = 0;
  disksLost = 0;
  /** Set once the parts the replicas report to exist, before the first boot. */
  hooks!: NodeHooks;

  constructor(
    private readonly kernel: SimKernel,
    private readonly workload: SimWorkload<Tx>,
    voters: number,
    spares: number,
    private readonly skew: boolean,
    private readonly slowDisk: boolean,
    private readonly snapshotDelta: number,
    private readonly fastFirstElection = false,
  ) {
    this.ids = Array.from({ length: voters + spares }, (_, i) => i + 1);
    this.initialVoters = this.ids.slice(0, voters);
  }

  /** Creates the nodes (down); a separate step, for the order of random draws. */
  createNodes(): void {
    for (const id of this.ids) this.nodes.push(this.createNode(id));
  }

  node(id: ReplicaId): SimNode {
    return this.nodes[id - 1]!;
  }

  leaderNode(): SimNode | undefined {
    return this.nodes.find((n) => n.up && coreOf(n.replica)?.role === 'leader');
  }

  private createNode(id: ReplicaId): SimNode {
    const rate = this.skew ? 0.8 + this.kernel.rng.next() * 0.45 : 1;
    const storage = this.newStorage();
    const node = { id, rate, storage, up: false, incarnation: 0, inbox: [], timers: [] } as unknown as SimNode;
    return node;
  }

  private newStorage(): SimStorage<Tx, Uint8Array> {
    const kernel = this.kernel;
    return new SimStorage<Tx, Uint8Array>(
      (delay, run) => void kernel.at(delay, run),
      () => kernel.time,
      kernel.rng.fork(),
      this.slowDisk,
    );
  }

  private clockFor(node: SimNode): Clock {
    const kernel = this.kernel;
    const incarnation = node.incarnation;
    return {
      now: () => kernel.time * node.rate,
      setInterval: (callback, ms) => {
        const period = Math.max(1, ms / node.rate);
        const fire = () => {
          if (node.incarnation !== incarnation) return;
          callback();
          node.timers.push(kernel.at(period, fire));
        };
        node.timers.push(kernel.at(period, fire));
        return node.timers;
      },
      clearInterval: () => {
        for (const timer of node.timers) timer.cancelled = true;
        node.timers = [];
      },
      defer: (callback) => {
        kernel.at(0, () => {
          if (node.incarnation === incarnation) callback();
        });
      },
    };
  }

  boot(node: SimNode): void {
    const hooks = this.hooks;
    const rng = this.kernel.rng;
    node.incarnation++;
    node.up = true;
    node.inbox = [];
    node.verified = 0;
    node.verifiedKey = '';
    node.commitSeen = 0;
    node.leaderTerm = 0;
    node.failure = null;
    node.machine = new RecordingMachine(this.workload.createMachine(), {
      applied: (index, t) => hooks.applied(node, index, t),
      state: (id, state, reason) => hooks.state(node, id, state, reason),
      snapshot: (snapshot) => hooks.snapshot(snapshot.lastIncludedIndex, snapshot.data),
    });
    node.replica = new Replica<Tx, Uint8Array>({
      id: node.id,
      peerIds: this.initialVoters.filter((id) => id !== node.id),
      join: !this.initialVoters.includes(node.id),
      cluster: {
        sendMessage: (to, m) => hooks.send(node, to, m),
        receiveMessages: () => node.inbox.splice(0),
        halt: () => false,
        registerLeader: (leader) => {
          if (leader !== null) hooks.leader(leader);
        },
      },
      stateMachine: node.machine,
      noopTransition: this.workload.noop,
      heartbeatTimeout: HEARTBEAT,
      electionTimeoutRange: ELECTION,
      snapshotDelta: this.snapshotDelta,
      fastFirstElection: this.fastFirstElection,
      snapshotChunkBytes: 64,
      storage: node.storage,
      // Two forks, as ever: the seeds of recorded runs depend on the order of draws.
      random: rng.fork().next.bind(rng.fork()),
      clock: this.clockFor(node),
    });
    node.replica.start().catch((error: unknown) => {
      node.failure = error instanceof Error ? error : new Error(String(error));
    });
  }

  crash(node: SimNode): void {
    if (!node.up) return;
    node.up = false;
    void node.replica.stop();
    node.incarnation++;
    const lost = node.storage.crash();
    this.crashes++;
    this.kernel.record({
      kind: 'crash',
      node: node.id,
      text: `n${node.id} crashed (${lost} unsynced write${lost === 1 ? '' : 's'} lost)`,
    });
  }

  /**
   * The node's disk dies: it comes back on empty storage under its old id. The others must never
   * count it again (its uid is new), nor may a stale candidate win with its vote.
   */
  loseDisk(node: SimNode): void {
    this.crash(node);
    node.storage = this.newStorage();
    this.disksLost++;
    this.kernel.record({ kind: 'disk-lost', node: node.id, text: `n${node.id} lost its disk` });
  }

  restart(node: SimNode): void {
    if (node.up) return;
    this.boot(node);
    this.kernel.record({ kind: 'restart', node: node.id, text: `n${node.id} restarted` });
  }
}
