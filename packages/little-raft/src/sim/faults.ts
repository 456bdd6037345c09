import { coreOf } from '../driver/replica.js';
import type { SimCluster, SimNode } from './cluster.js';
import type { SimKernel } from './kernel.js';
import type { MembershipFault } from './membership.js';
import type { SimNetwork } from './network.js';

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

/**
 * The fault schedule: from the start until the faults heal, network cuts, membership changes,
 * leadership transfers, a lost disk and crashes, each at random intervals. (Drops, duplicates,
 * delays, slow disks and clock skew are the network's, disks' and clocks' own.)
 */
export class FaultSchedule {
  transfers = 0;

  constructor(
    private readonly kernel: SimKernel,
    private readonly cluster: SimCluster,
    private readonly network: SimNetwork,
    private readonly faults: ReadonlySet<Fault>,
    private readonly faultTime: number,
    /** Membership changes, made as the server makes them (membership.ts). */
    readonly membership: MembershipFault,
  ) {}

  private get healed(): boolean {
    return this.network.healed;
  }

  start(): void {
    const { rng } = this.kernel;
    const at = this.kernel.at.bind(this.kernel);
    const f = this.faults;
    const network = (['partition', 'one-way', 'isolate-leader'] as const).filter((x) => f.has(x));
    if (network.length > 0) {
      const tick = () => {
        if (this.healed) return;
        this.network.mend();
        if (rng.chance(0.6)) {
          const kind = rng.pick(network);
          if (kind === 'partition') this.network.split();
          else if (kind === 'one-way') this.network.cutOneWay();
          else this.network.isolateLeader();
        } else this.network.recordCuts('network healed');
        at(rng.int(200, 1_500), tick);
      };
      at(rng.int(100, 800), tick);
    }
    if (f.has('membership')) {
      const tick = () => {
        if (this.healed) return;
        // Soon again when no change could start (no leader, one in progress): each takes steps.
        at(this.membership.step() ? rng.int(400, 2_000) : rng.int(100, 400), tick);
      };
      at(rng.int(300, 1_500), tick);
    }
    if (f.has('transfer')) {
      const tick = () => {
        if (this.healed) return;
        this.transferLeadership();
        at(rng.int(500, 2_500), tick);
      };
      at(rng.int(500, 2_000), tick);
    }
    if (f.has('disk-lost')) {
      // Once per run: a member whose disk was lost stays out until an operator replaces it, so a
      // second loss in a three-node cluster would rightly leave no quorum.
      const tryLoseDisk = (): void => {
        if (this.healed) return;
        if (!this.loseDiskOfKnownMember()) at(rng.int(100, 400), tryLoseDisk);
      };
      at(rng.int(300, Math.max(400, this.faultTime - 2_000)), tryLoseDisk);
    }
    if (f.has('crash')) {
      const tick = () => {
        if (this.healed) return;
        const node = rng.pick(this.cluster.nodes);
        if (node.up) {
          this.cluster.crash(node);
          at(rng.int(50, 1_500), () => this.cluster.restart(node));
        }
        at(rng.int(300, 2_000), tick);
      };
      at(rng.int(300, 1_500), tick);
    }
  }

  /** The end of the faults: the network whole, every node up. */
  heal(): void {
    this.network.heal();
    for (const node of this.cluster.nodes) this.cluster.restart(node);
    this.network.recordCuts('faults healed: network whole, every node up');
  }

  /**
   * The guarantee under test: a member's disk may die once every other member knows its uid (a
   * leader tells its followers within a heartbeat). A member that never heard of it could not tell
   * its replacement from a member of a new cluster on its first start. False when no member's
   * disk can be lost under that rule right now.
   */
  private loseDiskOfKnownMember(): boolean {
    const { rng } = this.kernel;
    const cluster = this.cluster;
    const leader = cluster.leaderNode();
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
    if (!ids.some((id) => behind(cluster.node(id)))) return false;
    const upToDate = ids.filter((id) => !behind(cluster.node(id)));
    if (upToDate.length === 0) return false;
    const node = cluster.node(rng.pick(upToDate));
    const uid = node.replica.status().identity?.uid;
    const others = cluster.nodes.filter((n) => n !== node && members.has(n.id));
    if (uid === undefined || !others.every((n) => n.replica.status().identity?.peers[node.id] === uid)) return false;
    cluster.loseDisk(node);
    this.kernel.at(rng.int(20, 300), () => cluster.restart(node));
    if (rng.chance(0.7)) {
      cluster.crash(leader);
      this.kernel.at(rng.int(300, 1_500), () => cluster.restart(leader));
    }
    return true;
  }

  private transferLeadership(): void {
    const leader = this.cluster.leaderNode();
    const core = leader && coreOf(leader.replica);
    if (!leader || !core || core.config.outgoing.length > 0) return;
    const voters = core.config.voters.filter((id) => id !== leader.id);
    if (voters.length === 0) return;
    const to = this.kernel.rng.pick(voters);
    this.transfers++;
    const what = `n${leader.id} transfers leadership to n${to}`;
    this.kernel.log(what);
    this.kernel.track(leader.replica.transferLeadership(to), what);
  }
}
