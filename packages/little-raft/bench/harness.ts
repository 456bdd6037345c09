// The benchmark's in-process world: three Replicas over MemoryStorage, joined by mailboxes.
import {
  Replica,
  type Cluster,
  type Message,
  type Snapshot,
  type StateMachine,
  type TransitionState,
} from 'little-raft';
import { sleep } from './stats.js';

/** A 100-byte transition: an id and a 100-character payload. */
export interface Tx {
  id: number;
  payload: string;
}

export const PAYLOAD = 'x'.repeat(100);
export const NOOP: Tx = { id: 0, payload: '' };

const NO_TRANSITIONS: Tx[] = [];

/** Counts what it applies; on the leader, reports every 'applied' to `onApplied`. */
export class BenchMachine implements StateMachine<Tx> {
  applied = 0;
  /** Transitions submitted through getPendingTransitions, not yet handed over. */
  queue: Tx[] = [];
  onApplied: ((id: number) => void) | null = null;
  onAbandoned: ((id: number) => void) | null = null;

  registerTransitionState(id: number, state: TransitionState): void {
    if (state === 'applied') {
      if (this.onApplied !== null && id !== 0) this.onApplied(id);
    } else if (state === 'abandoned') {
      this.onAbandoned?.(id);
    }
  }

  applyTransition(_transition: Tx): void {
    this.applied++;
  }

  createSnapshot(lastIncludedIndex: number, lastIncludedTerm: number): Snapshot<Uint8Array> {
    const data = new Uint8Array(8);
    new DataView(data.buffer).setFloat64(0, this.applied);
    return { lastIncludedIndex, lastIncludedTerm, data };
  }

  setSnapshot(snapshot: Snapshot<Uint8Array>): void {
    this.applied = new DataView(snapshot.data.buffer, snapshot.data.byteOffset).getFloat64(0);
  }

  getPendingTransitions(): Tx[] {
    const q = this.queue;
    if (q.length === 0) return NO_TRANSITIONS;
    this.queue = [];
    return q;
  }
}

interface Box {
  inbox: Message<Tx>[];
  replica: Replica<Tx> | null;
}

/** In-memory mailboxes: sendMessage pushes to the target's inbox and notifies it. */
export class Mailboxes {
  private readonly boxes = new Map<number, Box>();
  halted = false;
  leader: number | null = null;
  leaderChanges = 0;

  attach(id: number, replica: Replica<Tx>): void {
    this.box(id).replica = replica;
  }

  clusterFor(id: number): Cluster<Tx> {
    const own = this.box(id);
    return {
      sendMessage: (to, message) => {
        const box = this.boxes.get(to);
        if (box === undefined) return;
        box.inbox.push(message);
        box.replica?.notifyMessages();
      },
      receiveMessages: () => {
        const messages = own.inbox;
        own.inbox = [];
        return messages;
      },
      halt: () => this.halted,
      registerLeader: (leaderId) => {
        if (leaderId !== null && leaderId !== this.leader) {
          this.leader = leaderId;
          this.leaderChanges++;
        }
      },
    };
  }

  private box(id: number): Box {
    let box = this.boxes.get(id);
    if (box === undefined) {
      box = { inbox: [], replica: null };
      this.boxes.set(id, box);
    }
    return box;
  }
}

export interface Node {
  id: number;
  replica: Replica<Tx>;
  machine: BenchMachine;
  done: Promise<void>;
}

export interface World {
  net: Mailboxes;
  nodes: Node[];
  stop(): Promise<void>;
}

/**
 * Starts three replicas and waits until one of them leads. `snapshotDelta` > 0 compacts
 * the log every that many entries (0: the logs grow for the whole run).
 */
export async function startWorld(snapshotDelta: number, ids: number[] = [1, 2, 3]): Promise<World> {
  const net = new Mailboxes();
  const nodes = ids.map((id): Node => {
    const machine = new BenchMachine();
    const replica = new Replica<Tx>({
      id,
      peerIds: ids.filter((p) => p !== id),
      cluster: net.clusterFor(id),
      stateMachine: machine,
      noopTransition: NOOP,
      heartbeatTimeout: 50,
      electionTimeoutRange: [300, 600],
      snapshotDelta,
    });
    net.attach(id, replica);
    return { id, replica, machine, done: Promise.resolve() };
  });
  for (const node of nodes) node.done = node.replica.start();
  const deadline = performance.now() + 10_000;
  while (net.leader === null || nodes.find((n) => n.id === net.leader)!.replica.status().role !== 'leader') {
    if (performance.now() > deadline) throw new Error('no leader elected within 10 s');
    await sleep(10);
  }
  return {
    net,
    nodes,
    async stop() {
      net.halted = true;
      for (const node of nodes) await node.replica.stop();
      await Promise.all(nodes.map((n) => n.done));
    },
  };
}
