import type { StateMachineTransition } from '../core/types.js';
import { checkLinearizable } from './checkers/linearizability.js';
import { InvariantChecker } from './checkers/invariants.js';
import { AddressChecker } from './checkers/member-addresses.js';
import { SimClients, OP_TIMEOUT } from './clients.js';
import { SimCluster, type Tx } from './cluster.js';
import { FAULTS, FaultSchedule, type Fault } from './faults.js';
import { SimKernel, Violation } from './kernel.js';
import { MembershipFault } from './membership.js';
import { SimNetwork } from './network.js';
import { Random } from './random.js';
import { RoleRecorder } from './role-recorder.js';
import type { TimelineEvent } from './timeline.js';
import { kvWorkload, type SimWorkload } from './workload.js';

export { FAULTS, type Fault } from './faults.js';

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
  /** Record the run: a readable trace, and the same as structured events (`timeline`), which `simulationHtml` draws. */
  trace?: boolean;
  /** Replicas start with the Replica option fastFirstElection (as the key-value server's do). */
  fastFirstElection?: boolean;
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
    /** Membership changes started; and, of those, members added (as learners), promoted and removed. */
    membershipChanges: number;
    membersAdded: number;
    membersPromoted: number;
    membersRemoved: number;
    transfers: number;
  };
  trace: string[];
  /** The run as structured events, messages and role changes included, when traced (empty otherwise). */
  timeline: TimelineEvent[];
}

/**
 * One deterministic run: the same options give the same run, event for event. The run loop, wiring
 * the cluster (cluster.ts), its network (network.ts) and disks (storage.ts), the fault schedule
 * (faults.ts), the clients (clients.ts) and the checkers (checkers/).
 */
export class Simulation {
  private readonly kernel: SimKernel;
  private readonly faults: ReadonlySet<Fault>;
  private readonly faultTime: number;
  private readonly settleTime: number;
  private readonly workload: SimWorkload<Tx>;
  /** The default workload: reads and writes on a key-value store, checked for linearizability. */
  private readonly kv: boolean;
  private readonly cluster: SimCluster;
  private readonly network: SimNetwork;
  private readonly schedule: FaultSchedule;
  private readonly clients: SimClients;
  private readonly invariants: InvariantChecker;
  /** With the key-value workload, whose machine keeps the members' address records. */
  private readonly addresses: AddressChecker | null;

  constructor(private readonly options: SimOptions) {
    // The order of construction is the order of random draws: changing it changes every recorded run.
    const kernel = (this.kernel = new SimKernel(new Random(options.seed), options.trace ?? false));
    const faults = (this.faults = new Set(options.faults ?? FAULTS));
    this.faultTime = options.faultTime ?? 6_000;
    this.settleTime = options.settleTime ?? 6_000;
    this.kv = options.workload === undefined;
    const voters = options.nodes ?? 3;
    const initialVoters = Array.from({ length: voters }, (_, i) => i + 1);
    this.workload = options.workload ?? kvWorkload(options.keys ?? 4, initialVoters);
    const probe = this.workload.createMachine();
    const snapshots = faults.has('snapshot') && !!probe.createSnapshot && !!probe.setSnapshot;
    const snapshotDelta = snapshots ? kernel.rng.int(8, 40) : 0;
    this.cluster = new SimCluster(
      kernel,
      this.workload,
      voters,
      faults.has('membership') ? 2 : 0,
      faults.has('clock-skew'),
      faults.has('slow-disk'),
      snapshotDelta,
      options.fastFirstElection ?? false,
    );
    this.network = new SimNetwork(kernel, this.cluster, {
      drop: faults.has('drop'),
      duplicate: faults.has('duplicate'),
      reorder: faults.has('reorder'),
      delay: faults.has('delay'),
    });
    this.cluster.createNodes();
    const membership = new MembershipFault(kernel, this.cluster, this.kv);
    this.schedule = new FaultSchedule(kernel, this.cluster, this.network, faults, this.faultTime, membership);
    this.clients = new SimClients(kernel, this.cluster, this.workload, this.kv);
    this.invariants = new InvariantChecker(kernel);
    this.addresses = this.kv ? new AddressChecker(kernel, this.cluster.initialVoters) : null;
    const { network, clients, invariants, addresses } = this;
    this.cluster.hooks = {
      send: (from, to, m) => network.send(from, to, m),
      applied: (node, index, t) => {
        invariants.applied(node, index, t);
        addresses?.applied(node, index, t);
        clients.applied(node, index, t);
      },
      state: (node, id, state, reason) => clients.state(node, id, state, reason),
      snapshot: (index, data) => invariants.snapshot(index, data),
      leader: (id) => clients.leader(id),
    };
  }

  /** Virtual time reached. */
  get time(): number {
    return this.kernel.time;
  }

  /** Events run so far. */
  get events(): number {
    return this.kernel.events;
  }

  /** The readable timeline, when tracing. */
  get trace(): string[] {
    return this.kernel.trace;
  }

  async run(): Promise<SimResult> {
    const kernel = this.kernel;
    const end = this.faultTime + this.settleTime;
    let violation: string | null = null;
    try {
      for (const node of this.cluster.nodes) this.cluster.boot(node);
      this.schedule.start();
      for (let c = 0; c < (this.options.clients ?? 3); c++) this.clients.start(c);
      kernel.at(this.faultTime, () => this.schedule.heal());
      kernel.at(end, () => this.clients.stop());
      // After clients stop, give in-flight operations time to finish, then check liveness.
      const roles = kernel.tracing ? new RoleRecorder(kernel) : null;
      await kernel.runUntil(end + OP_TIMEOUT + 1_000, () => {
        roles?.look(this.cluster.nodes);
        this.invariants.check(this.cluster.nodes);
        this.addresses?.check(this.cluster.nodes);
      });
      this.invariants.checkLiveness(this.cluster.nodes, this.settleTime, this.clients, this.workload);
      this.checkHistory();
    } catch (error) {
      if (!(error instanceof Violation)) throw error;
      violation = error.message;
      kernel.record({ kind: 'violation', text: `VIOLATION: ${violation}` });
    }
    return {
      seed: this.options.seed,
      ok: violation === null,
      violation,
      time: kernel.time,
      events: kernel.events,
      stats: {
        committed: this.invariants.maxCommitted,
        leaders: this.invariants.leaders,
        crashes: this.cluster.crashes,
        disksLost: this.cluster.disksLost,
        acknowledged: this.clients.acknowledged.size,
        operations: this.clients.operations,
        reads: this.clients.reads,
        membershipChanges: this.schedule.membership.changes,
        membersAdded: this.schedule.membership.added,
        membersPromoted: this.schedule.membership.promoted,
        membersRemoved: this.schedule.membership.removed,
        transfers: this.schedule.transfers,
      },
      trace: kernel.trace,
      timeline: kernel.timeline,
    };
  }

  /** With the key-value workload: the clients' history is linearizable. */
  private checkHistory(): void {
    if (!this.kv) return;
    const result = checkLinearizable(this.clients.history);
    if (!result.ok)
      this.kernel.fail(`linearizability: history of key ${result.key} is not linearizable (${result.reason ?? ''})`);
  }
}

/** Runs one deterministic simulation (see docs/simulator.md): the same options give the same run, event for event; resolves with its result, `ok` false and `violation` set at the first broken invariant. */
export function simulate(options: SimOptions): Promise<SimResult> {
  return new Simulation(options).run();
}
