// Three replicas of a calculator in one process: they elect a leader and apply the same
// arithmetic in the same order. Run with `npm run example`. The README's example is this
// program with the logging left out; both print [ 15, 15, 15 ].
import { Replica, type Cluster, type Message, type StateMachine, type TransitionState } from 'little-raft';

// 1. The state machine: the replicated thing. Transitions are plain data with an id.
interface Op {
  id: string;
  kind: 'add' | 'mul' | 'noop';
  delta: number;
}

class Calculator implements StateMachine<Op> {
  value = 0;
  private queue: Op[] = [];
  constructor(private readonly name: string) {}
  submit(op: Op): void {
    this.queue.push(op);
  }
  registerTransitionState(id: Op['id'], state: TransitionState): void {
    if (state === 'applied' && id !== 'noop') console.log(`${this.name}: ${id} applied -> ${this.value}`);
  }
  applyTransition(op: Op): void {
    if (op.kind === 'add') this.value += op.delta;
    if (op.kind === 'mul') this.value *= op.delta;
  }
  getPendingTransitions(): Op[] {
    const ops = this.queue;
    this.queue = [];
    return ops;
  }
}

// 2. The cluster: how replicas reach each other. Here, in-memory mailboxes.
class Mailboxes {
  readonly inbox = new Map<number, Message<Op>[]>();
  readonly replicas = new Map<number, Replica<Op>>();
  leader: number | null = null;
  halted = false;
  clusterFor(id: number): Cluster<Op> {
    this.inbox.set(id, []);
    return {
      sendMessage: (to, message) => {
        this.inbox.get(to)?.push(message);
        this.replicas.get(to)?.notifyMessages();
      },
      receiveMessages: () => this.inbox.get(id)!.splice(0),
      halt: () => this.halted,
      registerLeader: (leaderId) => {
        if (leaderId !== null && leaderId !== this.leader) console.log(`replica ${id} sees leader ${leaderId}`);
        if (leaderId !== null) this.leader = leaderId;
      },
    };
  }
}

// 3. Start a Replica per node.
const ids = [1, 2, 3];
const net = new Mailboxes();
const machines = new Map(ids.map((id) => [id, new Calculator(`replica ${id}`)]));
const runs = ids.map((id) => {
  const replica = new Replica<Op>({
    id,
    peerIds: ids.filter((p) => p !== id),
    cluster: net.clusterFor(id),
    stateMachine: machines.get(id)!,
    noopTransition: { id: 'noop', kind: 'noop', delta: 0 },
    heartbeatTimeout: 50,
    electionTimeoutRange: [150, 300],
  });
  net.replicas.set(id, replica);
  return replica.start();
});

// Wait for a leader, then send it some arithmetic.
while (net.leader === null) await new Promise((r) => setTimeout(r, 20));
const leader = net.replicas.get(net.leader)!;
await leader.propose({ id: 'add-5', kind: 'add', delta: 5 });
await leader.propose({ id: 'mul-3', kind: 'mul', delta: 3 });
// Followers learn the final commit index with the next heartbeat.
while (ids.some((id) => net.replicas.get(id)!.status().lastApplied < leader.status().commitIndex)) {
  await new Promise((r) => setTimeout(r, 20));
}
for (const id of ids) {
  const { role, term, lastApplied } = net.replicas.get(id)!.status();
  console.log(`replica ${id}: ${role} in term ${term}, applied through ${lastApplied}`);
}
console.log(ids.map((id) => machines.get(id)!.value)); // [ 15, 15, 15 ]
net.halted = true;
await Promise.all(runs);
