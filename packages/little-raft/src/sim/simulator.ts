import type {
  AbandonedReason,
  LogEntry,
  Message,
  ReplicaId,
  StateMachineTransition,
  TransitionState,
} from '../core/types.js';
import { Replica, coreOf, type Clock } from '../driver/replica.js';
import { EventQueue, type SimEvent } from './event-queue.js';
import type { KvMachine, KvTransition } from './kv-machine.js';
import { checkLinearizable, type HistoryEntry } from './linearizability.js';
import { Random } from './random.js';
import { SimStorage } from './storage.js';
import { RecordingMachine, kvWorkload, type SimWorkload } from './workload.js';

/** Every fault the simulator can inject; each is on unless switched off. */
export const FAULTS = [
  'drop',
  'duplicate',
  'reorder',
  'delay',
  'partition',
  'one-way',
  'isolate-leader',
  'crash',
  'disk-lost',
  'slow-disk',
  'clock-skew',
  'snapshot',
  'membership',
  'transfer',
] as const;
/** A fault the simulator can inject; all are on by default. */
export type Fault = (typeof FAULTS)[number];

/** Options of {@link simulate}: the seed, the cluster size, which faults, how long, and optionally your own workload. */
export interface SimOptions {
  seed: number;
  /** Voting replicas at the start (3, 5 or 7); with 'membership', two spares join later. */
  nodes?: number;
  /** Faults to inject (default: all of FAULTS). */
  faults?: readonly Fault[];
  /** Virtual milliseconds of faults, then of healed running before the liveness checks. */
  faultTime?: number;
  settleTime?: number;
  clients?: number;
  /** Keys of the default key-value workload. */
  keys?: number;
  /** Your own state machine and transitions instead of the key-value store. */
  workload?: SimWorkload<StateMachineTransition>;
  /** Record a readable timeline. */
  trace?: boolean;
}

/** What a simulation found: whether every invariant held, the first violation if not, and counts of what happened. */
export interface SimResult {
  seed: number;
  ok: boolean;
  violation: string | null;
  /** Virtual time reached. */
  time: number;
  events: number;
  stats: {
    committed: number;
    leaders: number;
    crashes: number;
    disksLost: number;
    acknowledged: number;
    operations: number;
    reads: number;
    membershipChanges: number;
    transfers: number;
  };
  trace: string[];
}

const HEARTBEAT = 50;
const ELECTION: [number, number] = [300, 600];
const OP_TIMEOUT = 2_000;

type Tx = StateMachineTransition;
type SimMessage = Message<Tx, Uint8Array>;

interface SimNode {
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

class Violation extends Error {}

const configKeys = new WeakMap<LogEntry<Tx>, string>();

/** What an entry holds, as a string: a transition's id, or a configuration's members. */
function entryKey(e: LogEntry<Tx>): string {
  if (e.transition) return String(e.transition.id);
  let key = configKeys.get(e);
  if (key === undefined) configKeys.set(e, (key = 'config:' + JSON.stringify(e.config)));
  return key;
}

/** One deterministic run: the same options give the same run, event for event. */
export class Simulation {
  time = 0;
  events = 0;
  readonly trace: string[] = [];
  private readonly queue = new EventQueue();
  private readonly rng: Random;
  private readonly faults: ReadonlySet<Fault>;
  private readonly nodes: SimNode[] = [];
  private readonly ids: ReplicaId[];
  private readonly tracing: boolean;
  private readonly faultTime: number;
  private readonly settleTime: number;
  private readonly workload: SimWorkload<Tx>;
  /** The default workload: reads and writes on a key-value store, checked for linearizability. */
  private readonly kv: boolean;
  private readonly snapshotDelta: number;
  private dropRate = 0;
  private duplicateRate = 0;
  private healed = false;
  private blocked = new Set<string>();
  // Global invariant state.
  private readonly leaderOfTerm = new Map<number, ReplicaId>();
  private readonly entryAt = new Map<string, string>();
  private readonly prevTermAt = new Map<string, number>();
  private readonly committed: string[] = [];
  private maxCommitted = 0;
  /** The term in which each committed entry was first seen committed (by its leader). */
  private readonly commitTerm: number[] = [];
  private readonly appliedAt: string[] = [];
  private readonly snapshotAt = new Map<number, string>();
  // Clients.
  private readonly history: HistoryEntry[] = [];
  private readonly pending = new Map<string, PendingOp>();
  private readonly acknowledged = new Map<string, number>();
  private leaderHint: ReplicaId;
  private crashes = 0;
  private disksLost = 0;
  private operations = 0;
  private clientsRunning = true;
  /** Promises of the replicas' async operations still running: the loop lets them settle. */
  private asyncOps = 0;
  private reads = 0;
  private membershipChanges = 0;
  private transfers = 0;
  private changing = false;
  private readonly initialVoters: ReplicaId[];

  constructor(private readonly options: SimOptions) {
    this.rng = new Random(options.seed);
    this.faults = new Set(options.faults ?? FAULTS);
    this.tracing = options.trace ?? false;
    this.faultTime = options.faultTime ?? 6_000;
    this.settleTime = options.settleTime ?? 6_000;
    this.kv = options.workload === undefined;
    this.workload = options.workload ?? kvWorkload(options.keys ?? 4);
    const n = options.nodes ?? 3;
    const spares = this.faults.has('membership') ? 2 : 0;
    this.ids = Array.from({ length: n + spares }, (_, i) => i + 1);
    this.initialVoters = this.ids.slice(0, n);
    this.leaderHint = 1;
    const probe = this.workload.createMachine();
    const snapshots = this.faults.has('snapshot') && !!probe.createSnapshot && !!probe.setSnapshot;
    this.snapshotDelta = snapshots ? this.rng.int(8, 40) : 0;
    if (this.faults.has('drop')) this.dropRate = this.rng.next() * 0.2;
    if (this.faults.has('duplicate')) this.duplicateRate = this.rng.next() * 0.1;
    for (const id of this.ids) this.nodes.push(this.createNode(id));
  }

  async run(): Promise<SimResult> {
    const end = this.faultTime + this.settleTime;
    let violation: string | null = null;
    try {
      for (const node of this.nodes) this.boot(node);
      this.startFaults();
      for (let c = 0; c < (this.options.clients ?? 3); c++) this.at(this.rng.int(0, 50), () => this.nextOp(c));
      this.at(this.faultTime, () => this.heal());
      this.at(end, () => {
        this.clientsRunning = false;
      });
      // After clients stop, give in-flight operations time to finish, then check liveness.
      const deadline = end + OP_TIMEOUT + 1_000;
      for (let event = this.queue.pop(); event && event.time <= deadline; event = this.queue.pop()) {
        if (event.cancelled) continue;
        this.time = event.time;
        this.events++;
        event.run();
        // Let promise callbacks (reads, membership changes) run before virtual time moves on:
        // a few microtask turns settle their chains; no macrotask, so nothing else interleaves.
        if (this.asyncOps > 0) for (let turn = 0; turn < 8; turn++) await Promise.resolve();
        this.checkInvariants();
      }
      this.time = deadline;
      this.checkLiveness();
      this.checkHistory();
    } catch (error) {
      if (!(error instanceof Violation)) throw error;
      violation = error.message;
      this.log(`VIOLATION: ${violation}`);
    }
    return {
      seed: this.options.seed,
      ok: violation === null,
      violation,
      time: this.time,
      events: this.events,
      stats: {
        committed: this.maxCommitted,
        leaders: this.leaderOfTerm.size,
        crashes: this.crashes,
        disksLost: this.disksLost,
        acknowledged: this.acknowledged.size,
        operations: this.operations,
        reads: this.reads,
        membershipChanges: this.membershipChanges,
        transfers: this.transfers,
      },
      trace: this.trace,
    };
  }

  // ---- plumbing -------------------------------------------------------------------------

  private at(delay: number, run: () => void): SimEvent {
    return this.queue.push(this.time + Math.max(0, delay), run);
  }

  private log(line: string): void {
    if (this.tracing) this.trace.push(`${this.time.toFixed(1).padStart(8)}ms  ${line}`);
  }

  private fail(message: string): never {
    throw new Violation(`t=${this.time.toFixed(1)}ms: ${message}`);
  }

  private createNode(id: ReplicaId): SimNode {
    const rate = this.faults.has('clock-skew') ? 0.8 + this.rng.next() * 0.45 : 1;
    const storage = this.newStorage();
    const node = { id, rate, storage, up: false, incarnation: 0, inbox: [], timers: [] } as unknown as SimNode;
    return node;
  }

  private newStorage(): SimStorage<Tx, Uint8Array> {
    return new SimStorage<Tx, Uint8Array>(
      (delay, run) => void this.at(delay, run),
      () => this.time,
      this.rng.fork(),
      this.faults.has('slow-disk'),
    );
  }

  private clockFor(node: SimNode): Clock {
    const incarnation = node.incarnation;
    return {
      now: () => this.time * node.rate,
      setInterval: (callback, ms) => {
        const period = Math.max(1, ms / node.rate);
        const fire = () => {
          if (node.incarnation !== incarnation) return;
          callback();
          node.timers.push(this.at(period, fire));
        };
        node.timers.push(this.at(period, fire));
        return node.timers;
      },
      clearInterval: () => {
        for (const timer of node.timers) timer.cancelled = true;
        node.timers = [];
      },
      defer: (callback) => {
        this.at(0, () => {
          if (node.incarnation === incarnation) callback();
        });
      },
    };
  }

  private boot(node: SimNode): void {
    node.incarnation++;
    node.up = true;
    node.inbox = [];
    node.verified = 0;
    node.verifiedKey = '';
    node.commitSeen = 0;
    node.leaderTerm = 0;
    node.failure = null;
    node.machine = new RecordingMachine(this.workload.createMachine(), {
      applied: (index, t) => this.onApplied(node, index, t),
      state: (id, state, reason) => this.onState(node, id, state, reason),
      snapshot: (snapshot) => this.checkSnapshot(snapshot.lastIncludedIndex, snapshot.data),
    });
    const clusterNode = node;
    node.replica = new Replica<Tx, Uint8Array>({
      id: node.id,
      peerIds: this.initialVoters.filter((id) => id !== node.id),
      join: !this.initialVoters.includes(node.id),
      cluster: {
        sendMessage: (to, m) => this.send(clusterNode, to, m),
        receiveMessages: () => clusterNode.inbox.splice(0),
        halt: () => false,
        registerLeader: (leader) => {
          if (leader !== null) this.leaderHint = leader;
        },
      },
      stateMachine: node.machine,
      noopTransition: this.workload.noop,
      heartbeatTimeout: HEARTBEAT,
      electionTimeoutRange: ELECTION,
      snapshotDelta: this.snapshotDelta,
      snapshotChunkBytes: 64,
      storage: node.storage,
      random: this.rng.fork().next.bind(this.rng.fork()),
      clock: this.clockFor(node),
    });
    node.replica.start().catch((error: unknown) => {
      node.failure = error instanceof Error ? error : new Error(String(error));
    });
  }

  private crash(node: SimNode): void {
    if (!node.up) return;
    node.up = false;
    void node.replica.stop();
    node.incarnation++;
    const lost = node.storage.crash();
    this.crashes++;
    this.log(`n${node.id} crashed (${lost} unsynced write${lost === 1 ? '' : 's'} lost)`);
  }

  /**
   * The node's disk dies: it comes back on empty storage under its old id. The others must never
   * count it again (its uid is new), nor may a stale candidate win with its vote.
   */
  private loseDisk(node: SimNode): void {
    this.crash(node);
    node.storage = this.newStorage();
    this.disksLost++;
    this.log(`n${node.id} lost its disk`);
  }

  /**
   * The guarantee under test: a member's disk may die once every other member knows its uid (a
   * leader tells its followers within a heartbeat). A member that never heard of it could not tell
   * its replacement from a member of a new cluster on its first start. False when no member's
   * disk can be lost under that rule right now.
   */
  private loseDiskOfKnownMember(): boolean {
    const leader = this.leaderNode();
    if (!leader) return false;
    const leaderCore = coreOf(leader.replica)!;
    const { voters, learners, outgoing } = leaderCore.config;
    const members = new Set([...voters, ...learners, ...outgoing]);
    // The dangerous moment: another member lags behind the commit index (down or cut off), and the
    // victim holds every committed entry; with the leader gone too, the victim's forgotten vote
    // is what a stale candidate would need.
    const commit = leaderCore.commit;
    const behind = (n: SimNode): boolean => !n.up || (coreOf(n.replica)?.log.lastIndex ?? 0) < commit;
    const ids = [...members].filter((id) => id !== leader.id);
    if (!ids.some((id) => behind(this.nodes[id - 1]!))) return false;
    const upToDate = ids.filter((id) => !behind(this.nodes[id - 1]!));
    if (upToDate.length === 0) return false;
    const node = this.nodes[this.rng.pick(upToDate) - 1]!;
    const uid = node.replica.status().identity?.uid;
    const others = this.nodes.filter((n) => n !== node && members.has(n.id));
    if (uid === undefined || !others.every((n) => n.replica.status().identity?.peers[node.id] === uid)) return false;
    this.loseDisk(node);
    this.at(this.rng.int(20, 300), () => this.restart(node));
    if (this.rng.chance(0.7)) {
      this.crash(leader);
      this.at(this.rng.int(300, 1_500), () => this.restart(leader));
    }
    return true;
  }

  private restart(node: SimNode): void {
    if (node.up) return;
    this.boot(node);
    this.log(`n${node.id} restarted`);
  }

  // ---- network --------------------------------------------------------------------------

  private send(from: SimNode, to: ReplicaId, m: SimMessage): void {
    if (!from.up) return;
    const cut = this.blocked.has(`${from.id}>${to}`);
    if (cut || (!this.healed && this.rng.chance(this.dropRate))) {
      if (this.tracing && m.type !== 'append-response')
        this.log(`cut ${m.type} n${from.id}->n${to}${cut ? ' (partition)' : ''}`);
      return;
    }
    const copies = !this.healed && this.rng.chance(this.duplicateRate) ? 2 : 1;
    for (let i = 0; i < copies; i++) {
      let delay = this.faults.has('reorder') ? this.rng.int(1, 8) : 2;
      if (!this.healed && this.faults.has('delay') && this.rng.chance(0.01)) delay += this.rng.int(100, 2_000);
      this.at(delay, () => {
        const target = this.nodes[to - 1]!;
        if (!target.up) return;
        target.inbox.push(m);
        target.replica.notifyMessages();
      });
    }
  }

  // ---- faults ---------------------------------------------------------------------------

  private startFaults(): void {
    const f = this.faults;
    const network = (['partition', 'one-way', 'isolate-leader'] as const).filter((x) => f.has(x));
    if (network.length > 0) {
      const tick = () => {
        if (this.healed) return;
        this.blocked.clear();
        if (this.rng.chance(0.6)) {
          const kind = this.rng.pick(network);
          if (kind === 'partition') this.split();
          else if (kind === 'one-way') this.cutOneWay();
          else this.isolateLeader();
        } else this.log('network healed');
        this.at(this.rng.int(200, 1_500), tick);
      };
      this.at(this.rng.int(100, 800), tick);
    }
    if (f.has('membership')) {
      const tick = () => {
        if (this.healed) return;
        this.changeMembership();
        this.at(this.rng.int(400, 2_000), tick);
      };
      this.at(this.rng.int(300, 1_500), tick);
    }
    if (f.has('transfer')) {
      const tick = () => {
        if (this.healed) return;
        this.transferLeadership();
        this.at(this.rng.int(500, 2_500), tick);
      };
      this.at(this.rng.int(500, 2_000), tick);
    }
    if (f.has('disk-lost')) {
      // Once per run: a member whose disk was lost stays out until an operator replaces it, so a
      // second loss in a three-node cluster would rightly leave no quorum.
      const tryLoseDisk = (): void => {
        if (this.healed) return;
        if (!this.loseDiskOfKnownMember()) this.at(this.rng.int(100, 400), tryLoseDisk);
      };
      this.at(this.rng.int(300, Math.max(400, this.faultTime - 2_000)), tryLoseDisk);
    }
    if (f.has('crash')) {
      const tick = () => {
        if (this.healed) return;
        const node = this.rng.pick(this.nodes);
        if (node.up) {
          this.crash(node);
          this.at(this.rng.int(50, 1_500), () => this.restart(node));
        }
        this.at(this.rng.int(300, 2_000), tick);
      };
      this.at(this.rng.int(300, 1_500), tick);
    }
  }

  private cutBetween(a: ReplicaId[], b: ReplicaId[]): void {
    for (const x of a) for (const y of b) this.blocked.add(`${x}>${y}`).add(`${y}>${x}`);
  }

  private split(): void {
    const shuffled = [...this.ids].sort(() => this.rng.next() - 0.5);
    const k = this.rng.int(1, this.ids.length - 1);
    const a = shuffled.slice(0, k);
    const b = shuffled.slice(k);
    this.cutBetween(a, b);
    this.log(`partition {${a.join(',')}} | {${b.join(',')}}`);
  }

  private cutOneWay(): void {
    const from = this.rng.pick(this.ids);
    const to = this.rng.pick(this.ids.filter((id) => id !== from));
    this.blocked.add(`${from}>${to}`);
    this.log(`one-way cut n${from}->n${to}`);
  }

  private isolateLeader(): void {
    const leader = this.nodes.find((n) => n.up && coreOf(n.replica)?.role === 'leader');
    if (!leader) return this.split();
    this.cutBetween(
      [leader.id],
      this.ids.filter((id) => id !== leader.id),
    );
    this.log(`leader n${leader.id} isolated`);
  }

  private leaderNode(): SimNode | undefined {
    return this.nodes.find((n) => n.up && coreOf(n.replica)?.role === 'leader');
  }

  /** Runs a replica's async operation; the loop yields to promise callbacks while any runs. */
  private track(promise: Promise<void>, what: string): void {
    this.asyncOps++;
    promise
      .then(
        () => this.log(`${what}: done`),
        (error: unknown) => this.log(`${what}: ${error instanceof Error ? error.message : String(error)}`),
      )
      .finally(() => this.asyncOps--);
  }

  private changeMembership(): void {
    const leader = this.leaderNode();
    if (!leader || this.changing) return;
    const pool = [...this.ids].sort(() => this.rng.next() - 0.5);
    const voters = pool.slice(0, this.rng.int(3, Math.min(5, pool.length))).sort((a, b) => a - b);
    const learners = pool.slice(voters.length).filter(() => this.rng.chance(0.3));
    this.changing = true;
    this.membershipChanges++;
    const what = `n${leader.id} changes membership to voters {${voters.join(',')}} learners {${learners.join(',')}}`;
    this.log(what);
    const change = leader.replica.changeMembership({ voters, learners }).finally(() => (this.changing = false));
    this.track(change, what);
  }

  private transferLeadership(): void {
    const leader = this.leaderNode();
    const core = leader && coreOf(leader.replica);
    if (!leader || !core || core.config.outgoing.length > 0) return;
    const voters = core.config.voters.filter((id) => id !== leader.id);
    if (voters.length === 0) return;
    const to = this.rng.pick(voters);
    this.transfers++;
    const what = `n${leader.id} transfers leadership to n${to}`;
    this.log(what);
    this.track(leader.replica.transferLeadership(to), what);
  }

  private heal(): void {
    this.healed = true;
    this.blocked.clear();
    for (const node of this.nodes) this.restart(node);
    this.log('faults healed: network whole, every node up');
  }

  // ---- clients --------------------------------------------------------------------------

  private nextOp(client: number): void {
    if (!this.clientsRunning) return;
    const seq = this.operations++;
    const transition = this.workload.nextTransition(this.rng, client, seq);
    const id = String(transition.id);
    const up = this.nodes.filter((n) => n.up);
    const hinted = this.nodes[this.leaderHint - 1]!;
    const target = hinted.up && this.rng.chance(0.9) ? hinted : this.rng.pick(up.length > 0 ? up : this.nodes);
    const barrier = this.kv && (transition as KvTransition).op === 'get' && this.rng.chance(0.5);
    const op: PendingOp = {
      client,
      transition,
      target: target.id,
      invokedAt: this.time,
      result: null,
      appliedHere: false,
      barrier,
      timeout: this.at(OP_TIMEOUT, () => this.finish(id, 'unknown')),
    };
    this.pending.set(id, op);
    if (!target.up) return;
    if (barrier) return this.linearizableRead(target, op, this.rng.chance(0.5));
    target.machine.submit(transition);
    target.replica.notifyTransitions();
  }

  /** A read served from the local state machine after a ReadIndex barrier (leader or follower). */
  private linearizableRead(target: SimNode, op: PendingOp, allowFollower: boolean): void {
    const id = String(op.transition.id);
    const incarnation = target.incarnation;
    this.reads++;
    this.asyncOps++;
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
      .finally(() => this.asyncOps--);
  }

  private onState(node: SimNode, id: string, state: TransitionState, reason?: AbandonedReason): void {
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
    const returnedAt = outcome === 'ok' ? this.time : Infinity;
    if (this.kv && outcome !== 'failed' && (t.op === 'put' || outcome === 'ok')) {
      const kvOp =
        t.op === 'put'
          ? { kind: 'put' as const, key: t.key, value: t.value }
          : { kind: 'get' as const, key: t.key, result: op.result };
      this.history.push({ client: op.client, op: kvOp, invokedAt: op.invokedAt, returnedAt });
    }
    this.at(this.rng.int(0, 30), () => this.nextOp(op.client));
  }

  // ---- invariants -----------------------------------------------------------------------

  private onApplied(node: SimNode, index: number, t: Tx): void {
    const id = String(t.id);
    const seen = this.appliedAt[index];
    if (seen === undefined) this.appliedAt[index] = id;
    else if (seen !== id)
      this.fail(`state machine safety: n${node.id} applied ${id} at ${index}, others applied ${seen}`);
    const op = this.pending.get(id);
    if (op && op.target === node.id) {
      op.appliedHere = true;
      const kv = t as KvTransition;
      if (this.kv && kv.op === 'get') op.result = (node.machine.inner as KvMachine).lastRead;
      else this.acknowledged.set(id, index);
    }
  }

  private checkSnapshot(index: number, data: Uint8Array): void {
    const text = new TextDecoder().decode(data);
    const seen = this.snapshotAt.get(index);
    if (seen === undefined) this.snapshotAt.set(index, text);
    else if (seen !== text) this.fail(`snapshots at index ${index} differ`);
  }

  private checkInvariants(): void {
    for (const node of this.nodes) {
      if (node.failure) this.fail(`n${node.id} threw: ${node.failure.message}`);
      if (!node.up) continue;
      const core = coreOf(node.replica);
      if (!core) continue;
      const log = core.log;
      // Election safety: at most one leader per term.
      if (core.role === 'leader') {
        // A leader outside C(new) may lead only until C(new) is committed.
        const voter = core.config.voters.includes(node.id) || core.config.outgoing.includes(node.id);
        if (!voter && core.configIndex <= core.commit) this.fail(`n${node.id} leads term ${core.term} as a non-voter`);
        const other = this.leaderOfTerm.get(core.term);
        if (other === undefined) {
          this.leaderOfTerm.set(core.term, node.id);
          this.log(`n${node.id} leads term ${core.term}`);
        } else if (other !== node.id)
          this.fail(`election safety: n${other} and n${node.id} both lead term ${core.term}`);
      }
      // Leader append-only and log matching, checked on what changed since last time.
      let from = node.verified;
      const truncated =
        from > log.lastIndex || (from > log.snapshotIndex && entryKey(log.entry(from)) !== node.verifiedKey);
      if (truncated) {
        if (core.role === 'leader' && node.leaderTerm === core.term) {
          this.fail(`leader append-only: leader n${node.id} of term ${core.term} lost entry ${from}`);
        }
        from = log.snapshotIndex;
      }
      if (from < log.snapshotIndex) from = log.snapshotIndex;
      for (let i = from + 1; i <= log.lastIndex; i++) {
        const e = log.entry(i);
        const slot = `${i}:${e.term}`;
        const key = entryKey(e);
        const prevTerm = log.term(i - 1) ?? -1;
        const known = this.entryAt.get(slot);
        if (known === undefined) {
          this.entryAt.set(slot, key);
          this.prevTermAt.set(slot, prevTerm);
        } else if (known !== key) {
          this.fail(`log matching: index ${i} term ${e.term} holds ${known} and ${key} (n${node.id})`);
        } else {
          const expected = this.prevTermAt.get(slot)!;
          if (expected === -1) this.prevTermAt.set(slot, prevTerm);
          else if (prevTerm !== -1 && prevTerm !== expected) {
            this.fail(
              `log matching: entry ${i}/${e.term} follows term ${prevTerm} on n${node.id}, ${expected} elsewhere`,
            );
          }
        }
      }
      node.verified = log.lastIndex;
      node.verifiedKey = log.lastIndex > log.snapshotIndex ? entryKey(log.entry(log.lastIndex)) : '';
      // Commit index never decreases; committed entries never change.
      if (core.commit < node.commitSeen)
        this.fail(`n${node.id} commit index went back from ${node.commitSeen} to ${core.commit}`);
      for (let i = Math.max(node.commitSeen, log.snapshotIndex) + 1; i <= core.commit; i++) {
        const key = entryKey(log.entry(i));
        const known = this.committed[i];
        if (known === undefined) {
          this.committed[i] = key;
          this.commitTerm[i] = core.term;
          if (i > this.maxCommitted) this.maxCommitted = i;
          if (this.tracing) this.log(`entry ${i} (${key}, term ${log.term(i)}) committed`);
        } else if (known !== key) this.fail(`committed entry ${i} is ${known}, but n${node.id} committed ${key}`);
      }
      node.commitSeen = core.commit;
      // Leader completeness: a leader holds every entry committed in its term or an earlier one.
      // (A stale candidate can still win a lower term late, through delayed votes: it owes
      // nothing to entries that later terms committed.)
      if (core.role === 'leader' && node.leaderTerm !== core.term) {
        node.leaderTerm = core.term;
        for (let i = log.snapshotIndex + 1; i <= this.maxCommitted; i++) {
          const key = this.committed[i];
          if (key === undefined || this.commitTerm[i]! > core.term) continue;
          if (i > log.lastIndex || entryKey(log.entry(i)) !== key) {
            this.fail(`leader completeness: n${node.id} leads term ${core.term} without committed entry ${i}`);
          }
        }
      }
    }
  }

  private checkLiveness(): void {
    // The newest leader, and its configuration's members: replicas removed from the configuration
    // may stop anywhere (even idle in a higher term, as etcd's do); members must all follow it.
    const all = this.nodes.map((n) => coreOf(n.replica)!);
    const leader = all.filter((c) => c.role === 'leader').sort((a, b) => b.term - a.term)[0];
    if (!leader) this.fail(`liveness: no leader ${this.settleTime}ms after the faults healed`);
    const { voters, learners, outgoing } = leader.config;
    const memberIds = new Set([...voters, ...learners, ...outgoing]);
    // A member that lost its disk and was excluded waits for its operator: it follows nobody.
    const up = this.nodes.filter((n) => memberIds.has(n.id) && !n.replica.status().identity?.excluded);
    const cores = up.map((n) => coreOf(n.replica)!);
    for (const c of cores) {
      if (c !== leader && (c.role === 'leader' || c.term > leader.term || c.leaderId !== leader.id)) {
        this.fail(
          `liveness: member n${c.id} (term ${c.term}) does not follow leader n${leader.id} (term ${leader.term})`,
        );
      }
    }
    if (leader.commit < leader.log.lastIndex) this.fail(`liveness: leader n${leader.id} has uncommitted entries`);
    for (const c of cores) {
      if (c.applied !== leader.commit)
        this.fail(`liveness: n${c.id} applied ${c.applied}, leader committed ${leader.commit}`);
    }
    if (this.pending.size > 0) this.fail(`liveness: ${this.pending.size} client operations still pending`);
    // No acknowledged write lost: every replica's state machine holds what was acknowledged.
    for (const [id, index] of this.acknowledged) {
      if (this.appliedAt[index] !== id) this.fail(`acknowledged ${id} at ${index} was lost`);
    }
    const describe = this.workload.describe?.bind(this.workload);
    if (describe) {
      const states = up.map((n) => describe(n.machine.inner));
      if (new Set(states).size !== 1) this.fail('replicas ended with different state machine states');
    }
  }

  private checkHistory(): void {
    if (!this.kv) return;
    const result = checkLinearizable(this.history);
    if (!result.ok)
      this.fail(`linearizability: history of key ${result.key} is not linearizable (${result.reason ?? ''})`);
  }
}

/** Runs one deterministic simulation (see docs/simulator.md): the same options give the same run, event for event; resolves with its result, `ok` false and `violation` set at the first broken invariant. */
export function simulate(options: SimOptions): Promise<SimResult> {
  return new Simulation(options).run();
}
