// Membership of a running cluster, carried from the library (changeMembership, learners,
// transferLeadership) to the server:
//   - where members are: every node records its own Raft / Redis / HTTP addresses in the replicated
//     member table (store/members.ts), and keeps its transport's peers in step with the table and
//     Raft's configuration;
//   - add: the address goes into the table, then the node into the configuration as a learner; the
//     leader promotes a learner to voter by itself once it has caught up (Autopilot's rule: a new
//     server votes only once it holds the log), one change at a time;
//   - remove: refused when the voters left could not form a quorum of live members (unless forced);
//     the leader hands leadership over before removing itself; the removed node is told so.

import type { Logger } from 'pino';

import type { Replica, ReplicaId, ReplicaStatus } from 'little-raft';
import type { TcpCluster } from 'little-raft/tcp';
import type { KvBatch } from '../store/batch.js';
import { memberDelCommand, memberSetCommand, type MemberAddresses } from '../store/members.js';
import type { KvStateMachine } from '../store/state-machine.js';
import type { Reply } from '../resp/reply.js';
import { ErrorReply } from '../resp/reply.js';

/** A member as `member list` shows it. */
export interface MemberRow {
  id: ReplicaId;
  raft: string | null;
  redis: string | null;
  http: string | null;
  role: 'leader' | 'follower' | 'learner' | 'candidate' | 'down';
  /** Leader only: the member's match index and how far it is behind the leader's log. */
  matchIndex: number | null;
  lag: number | null;
  connected: boolean;
}

/** A refused or failed admin request: the HTTP status to answer with, and why. */
export class MembershipError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly leaderId: ReplicaId | null = null,
  ) {
    super(message);
  }
}

export interface MembershipOptions {
  id: ReplicaId;
  /** This node's own addresses, as it registers them. */
  self: MemberAddresses;
  /** Where this node reaches members (--peers, or a join's answer); the table says where the rest are. */
  seeds: Map<ReplicaId, string>;
  /** Where members were when this node last stopped (member-file.ts): for those the table lacks. */
  lastKnown: Map<ReplicaId, string>;
  machine: KvStateMachine;
  replica: () => Replica<KvBatch, Uint8Array> | null;
  cluster: () => TcpCluster<KvBatch, Uint8Array> | null;
  /** The other members' ids, kept in step here (the pub/sub gossip reads the same array). */
  peerIds: ReplicaId[];
  submit: (commands: Uint8Array[][]) => Promise<Reply[]>;
  /** Tells a removed member so (node message). */
  notifyRemoved: (id: ReplicaId) => void;
  log: Logger;
  /** Promote caught-up learners to voters (default true); false keeps them learners until changed by hand. */
  autoPromote?: boolean;
}

export class Membership {
  /** A change (add, promotion, remove) is under way on this leader. */
  private changing = false;
  /** A registration of this node's own addresses is in flight. */
  private registering = false;
  constructor(private readonly o: MembershipOptions) {}

  get changeInProgress(): boolean {
    return this.changing;
  }

  /** Runs every sweep: peers in step, own addresses registered, caught-up learners promoted. */
  tick(): void {
    const status = this.o.replica()?.status();
    if (status === undefined) return;
    this.syncPeers(status);
    this.registerSelf(status);
    if (status.role === 'leader' && this.o.autoPromote !== false) this.promote(status);
  }

  /** The members this node knows of, as `member list` shows them. */
  rows(): MemberRow[] {
    const status = this.o.replica()?.status();
    const table = this.o.machine.members;
    const ids = new Set<ReplicaId>([...(status?.voters ?? []), ...(status?.learners ?? [])]);
    for (const [id] of table.entries()) ids.add(id);
    const connected = new Set(this.o.cluster()?.connectedPeers() ?? []);
    const leading = status?.role === 'leader';
    return [...ids]
      .sort((a, b) => a - b)
      .map((id) => {
        // This node's own addresses are known before it has registered them (a new cluster's first
        // moments, a restored one's): a node joining through it learns its Raft address here.
        const a = table.get(id) ?? (id === this.o.id ? this.o.self : undefined);
        const isConnected = id === this.o.id || connected.has(id);
        const match = leading ? (id === this.o.id ? status.lastLogIndex : (status.matchIndex[id] ?? 0)) : null;
        let role: MemberRow['role'];
        if (id === status?.leaderId) role = 'leader';
        else if (!isConnected) role = 'down';
        else if (status?.learners.includes(id)) role = 'learner';
        else if (id === this.o.id && status?.role === 'candidate') role = 'candidate';
        else role = 'follower';
        return {
          id,
          raft: a?.raft ?? this.o.seeds.get(id) ?? null,
          redis: a?.redis ?? null,
          http: a?.http ?? null,
          role,
          matchIndex: match,
          lag: match === null || status === undefined ? null : Math.max(0, status.lastLogIndex - match),
          connected: isConnected,
        };
      });
  }

  /** Adds a new member as a learner (leader only); resolves once that configuration is committed. */
  async add(id: ReplicaId, addresses: MemberAddresses): Promise<void> {
    const status = this.leaderStatus();
    const known = this.o.machine.members.get(id);
    if (status.voters.includes(id) || status.learners.includes(id)) {
      // Asked again (a joining node restarted, a retried request): done if it is the same server.
      if (known?.raft === addresses.raft || (known === undefined && this.o.seeds.get(id) === addresses.raft)) return;
      throw new MembershipError(409, `node ${id} is already a member (raft ${known?.raft ?? '?'})`);
    }
    for (const [other, a] of this.o.machine.members.entries()) {
      if (a.raft === addresses.raft && other !== id) {
        throw new MembershipError(409, `raft address ${addresses.raft} belongs to member ${other}`);
      }
    }
    await this.exclusively(async () => {
      await this.write([memberSetCommand(id, addresses)]);
      this.syncPeers(this.leaderStatus());
      const s = this.leaderStatus();
      await this.o.replica()!.changeMembership({ voters: s.voters, learners: [...s.learners, id] });
      this.o.log.info({ member: id, raft: addresses.raft }, `node ${id} added as a learner`);
    });
  }

  /**
   * Removes member `id` (leader only). Refused if the voters left would not have a quorum of live
   * (connected) members, unless `force`. The leader removing itself hands leadership over first and
   * answers with the new leader (421), where the request is to be made again.
   */
  async remove(id: ReplicaId, force: boolean): Promise<void> {
    const status = this.leaderStatus();
    const isVoter = status.voters.includes(id);
    if (!isVoter && !status.learners.includes(id)) {
      if (this.o.machine.members.get(id) === undefined) throw new MembershipError(404, `node ${id} is not a member`);
      // Only the table still has it (a removal interrupted before its last step): finish it.
      await this.exclusively(() => this.write([memberDelCommand(id)]));
      return;
    }
    const voters = status.voters.filter((v) => v !== id);
    if (voters.length === 0) throw new MembershipError(409, `node ${id} is the last voter; it cannot be removed`);
    const connected = new Set(this.o.cluster()?.connectedPeers() ?? []);
    const live = voters.filter((v) => v === this.o.id || connected.has(v)).length;
    const quorum = Math.floor(voters.length / 2) + 1;
    if (isVoter && live < quorum && !force) {
      throw new MembershipError(
        409,
        `removing node ${id} would leave ${live} live of ${voters.length} voters, fewer than a quorum of ${quorum} (use --force)`,
      );
    }
    if (id === this.o.id) {
      const to = this.successor(status, voters, connected);
      if (to === null) throw new MembershipError(409, `no other live voter is up to date to take over leadership`);
      await this.exclusively(() => this.o.replica()!.transferLeadership(to));
      throw new MembershipError(421, `leadership handed to node ${to}; ask it to remove node ${id}`, to);
    }
    await this.exclusively(async () => {
      await this.o.replica()!.changeMembership({ voters, learners: status.learners.filter((l) => l !== id) });
      this.o.notifyRemoved(id);
      await this.write([memberDelCommand(id)]);
      this.o.log.info({ member: id }, `node ${id} removed from the cluster`);
    });
  }

  /** Hands leadership to voter `to` (leader only). */
  async transfer(to: ReplicaId): Promise<void> {
    const status = this.leaderStatus();
    if (to === this.o.id) return;
    if (!status.voters.includes(to)) throw new MembershipError(404, `node ${to} is not a voter`);
    await this.exclusively(() => this.o.replica()!.transferLeadership(to));
  }

  // ---------------------------------------------------------------------------------------------

  private leaderStatus(): ReplicaStatus {
    const status = this.o.replica()?.status();
    if (status === undefined) throw new MembershipError(503, 'the node is not running');
    if (status.role !== 'leader') {
      if (status.leaderId === null) throw new MembershipError(503, 'no leader is known; try again');
      throw new MembershipError(421, `node ${this.o.id} is not the leader`, status.leaderId);
    }
    return status;
  }

  private async exclusively(step: () => Promise<void>): Promise<void> {
    if (this.changing) throw new MembershipError(409, 'a membership change is already in progress');
    this.changing = true;
    try {
      await step();
    } catch (e) {
      if (e instanceof MembershipError) throw e;
      const text = (e as Error).message;
      if (/in progress/.test(text)) throw new MembershipError(409, 'a membership change is already in progress');
      if ((e as Error).name === 'NotLeaderError') throw new MembershipError(503, `leadership was lost: ${text}`);
      throw new MembershipError(500, text);
    } finally {
      this.changing = false;
    }
  }

  private async write(commands: Uint8Array[][]): Promise<void> {
    const replies = await this.o.submit(commands);
    const error = replies.find((r) => r instanceof ErrorReply);
    if (error instanceof ErrorReply) throw new Error(error.message);
  }

  /** The voter most up to date among the live ones other than this node, or null. */
  private successor(status: ReplicaStatus, voters: ReplicaId[], connected: Set<ReplicaId>): ReplicaId | null {
    let best: ReplicaId | null = null;
    for (const v of voters) {
      if (v === this.o.id || !connected.has(v)) continue;
      if (best === null || (status.matchIndex[v] ?? 0) > (status.matchIndex[best] ?? 0)) best = v;
    }
    return best;
  }

  /** Peers = the configuration's members and the table's, at a seed's address, else the table's. */
  private syncPeers(status: ReplicaStatus): void {
    const cluster = this.o.cluster();
    if (cluster === null) return;
    const table = this.o.machine.members;
    const ids = new Set<ReplicaId>([...status.voters, ...status.learners]);
    for (const [id] of table.entries()) ids.add(id);
    // A node that holds no configuration yet (joining) talks to the members it was told of.
    if (ids.size === 0) for (const id of [...this.o.seeds.keys(), ...this.o.lastKnown.keys()]) ids.add(id);
    ids.delete(this.o.id);
    const wanted = new Map<ReplicaId, string>();
    for (const id of ids) {
      // This node's own --peers wins: it may reach a member another way (a proxy, NAT).
      const address = this.o.seeds.get(id) ?? table.get(id)?.raft ?? this.o.lastKnown.get(id);
      if (address !== undefined) wanted.set(id, address);
    }
    const current = cluster.peerAddresses();
    for (const [id, address] of wanted) {
      if (current[id] !== address) {
        cluster.addPeer(id, address);
        this.o.log.info({ member: id, raft: address }, `peer ${id} at ${address}`);
      }
    }
    for (const id of Object.keys(current).map(Number)) {
      if (!wanted.has(id)) {
        cluster.removePeer(id);
        this.o.log.info({ member: id }, `peer ${id} is no longer a member`);
      }
    }
    const peerIds = [...wanted.keys()].sort((a, b) => a - b);
    if (peerIds.join() !== this.o.peerIds.join()) this.o.peerIds.splice(0, this.o.peerIds.length, ...peerIds);
  }

  /** Records this node's addresses in the table when they are missing or changed. */
  private registerSelf(status: ReplicaStatus): void {
    if (this.registering || status.leaderId === null) return;
    // Until the node has applied what it knows committed, the table it reads may be stale (a
    // restart): its own entry is likely there already, and a write now would be a needless one.
    if (status.lastApplied < status.commitIndex) return;
    if (!status.voters.includes(this.o.id) && !status.learners.includes(this.o.id)) return;
    const known = this.o.machine.members.get(this.o.id);
    const self = this.o.self;
    if (known?.raft === self.raft && known.redis === self.redis && known.http === self.http) return;
    this.registering = true;
    this.write([memberSetCommand(this.o.id, self)])
      .then(() => this.o.log.info({ ...self }, `registered this node's addresses`))
      .catch((e: unknown) => this.o.log.debug({ err: e }, 'registering addresses failed; trying again'))
      .finally(() => (this.registering = false));
  }

  /** Promotes the first caught-up, connected learner to voter (leader only, one change at a time). */
  private promote(status: ReplicaStatus): void {
    if (this.changing || status.learners.length === 0) return;
    const connected = new Set(this.o.cluster()?.connectedPeers() ?? []);
    const ready = status.learners.find((l) => connected.has(l) && (status.matchIndex[l] ?? 0) >= status.commitIndex);
    if (ready === undefined) return;
    this.changing = true;
    this.o
      .replica()!
      .changeMembership({ voters: [...status.voters, ready], learners: status.learners.filter((l) => l !== ready) })
      .then(() => this.o.log.info({ member: ready }, `node ${ready} caught up: promoted to voter`))
      .catch((e: unknown) => {
        // An earlier leader's change still being finished is expected; the next tick tries again.
        const busy = e instanceof Error && /in progress/.test(e.message);
        this.o.log[busy ? 'debug' : 'warn']({ err: e }, `promoting node ${ready} failed; trying again`);
      })
      .finally(() => (this.changing = false));
  }
}
