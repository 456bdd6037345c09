import { Raft, type Ready } from '../core/raft.js';
import { isVoter } from '../core/quorum.js';
import type {
  AbandonedReason,
  LogEntry,
  Membership,
  Message,
  ReplicaId,
  Snapshot,
  StateMachineTransition,
  Storage,
  StorageWrite,
  StoredSnapshot,
  TransitionState,
} from '../core/types.js';
import { estimateEntrySize } from './entry-size.js';
import { NotLeaderError, ReplicaStoppedError, TimeoutError } from '../encoding/errors.js';
import { MemberIdentities } from './identity.js';
import { messageShapeError } from '../encoding/message-shape.js';
import { MemoryStorage } from '../storage/memory.js';
import { termAt } from './term-history.js';
import {
  sameMembers,
  sameMembership,
  targetMembership,
  withNewVotersAsLearners,
  type MembershipChange,
} from './membership.js';
import { Waiters, type Condition } from './waiters.js';

/** The state machine you replicate (little_raft's StateMachine trait): applies committed transitions in log order, hands over pending ones, and optionally takes and restores snapshots. */
export interface StateMachine<T extends StateMachineTransition, D = Uint8Array> {
  registerTransitionState(id: T['id'], state: TransitionState, reason?: AbandonedReason): void;
  /** `index` (an addition to little_raft) is the transition's log index. */
  applyTransition(transition: T, index?: number): void;
  getPendingTransitions(): T[];
  getSnapshot?(): Snapshot<D> | null;
  createSnapshot?(lastIncludedIndex: number, lastIncludedTerm: number): Snapshot<D>;
  setSnapshot?(snapshot: Snapshot<D>): void;
}

/** How a replica talks to the others (little_raft's Cluster trait): implement it over your transport, or use `TcpCluster` from `little-raft/tcp`. `sendMessage` and `receiveMessages` must not block. */
export interface Cluster<T extends StateMachineTransition, D = Uint8Array> {
  sendMessage(toId: ReplicaId, message: Message<T, D>): void;
  receiveMessages(): Message<T, D>[];
  halt(): boolean;
  registerLeader(leaderId: ReplicaId | null): void;
}

/** Time source and timer for the driver; inject one to drive time explicitly. */
export interface Clock {
  now(): number;
  setInterval(callback: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
  /** Runs `callback` soon, after the current work (default setImmediate); batches notifications. */
  defer?(callback: () => void): void;
}

/** Options of a {@link Replica}: little_raft's constructor arguments, then additions (see docs/api.md for each). */
export interface ReplicaOptions<T extends StateMachineTransition, D = Uint8Array> {
  id: ReplicaId;
  peerIds: ReplicaId[];
  cluster: Cluster<T, D>;
  stateMachine: StateMachine<T, D>;
  noopTransition: T;
  heartbeatTimeout: number;
  electionTimeoutRange: [number, number];
  snapshotDelta?: number;
  storage?: Storage<T, D>;
  join?: boolean;
  // Beyond little_raft's options:
  /** Uniform in [0, 1); default Math.random. */
  random?: () => number;
  clock?: Clock;
  preVote?: boolean;
  checkQuorum?: boolean;
  maxEntriesPerMessage?: number;
  maxBytesPerMessage?: number;
  /** Unacknowledged appends in flight per follower. */
  maxInflight?: number;
  snapshotChunkBytes?: number;
  /** Encoded size of a transition, for the per-message byte bound; default: a shallow estimate. */
  transitionSize?: (transition: T) => number;
}

/** A plain snapshot of a replica's state, from {@link Replica.status}. */
export interface ReplicaStatus {
  id: ReplicaId;
  role: 'follower' | 'candidate' | 'leader' | 'learner';
  term: number;
  leaderId: ReplicaId | null;
  commitIndex: number;
  lastApplied: number;
  lastLogIndex: number;
  snapshotIndex: number;
  voters: ReplicaId[];
  learners: ReplicaId[];
  /**
   * On the leader, how far each other member's log is known to match its own (the highest index
   * it acknowledged); empty on other replicas.
   */
  matchIndex: Record<ReplicaId, number>;
  /** Who this member is beyond its id (see "Member identity"); null when its storage keeps none. */
  identity: MemberIdentityStatus | null;
}

/** Who a member is beyond its id (docs/storage.md, "Member identity"): part of {@link ReplicaStatus}. */
export interface MemberIdentityStatus {
  /** Random, made when this replica's storage was new. */
  uid: number;
  /** The other members' uids as this replica knows them, by id. */
  peers: Record<ReplicaId, number>;
  /**
   * Set when member `by` knows this id under another uid: this replica's storage was lost or
   * replaced, and it takes no part in the cluster any more (remove the id, join under a new one).
   */
  excluded: { by: ReplicaId; uid: number } | null;
}

interface Pending<T extends StateMachineTransition> {
  id: T['id'];
  index: number;
  term: number;
  resolve?: () => void;
  reject?: (error: Error) => void;
}

const cores = new WeakMap<object, Readonly<Raft<never, never>>>();

/** The core behind a started replica, for the simulator's invariant checks (not public API). */
export function coreOf<T extends StateMachineTransition, D>(replica: Replica<T, D>): Readonly<Raft<T, D>> | undefined {
  return cores.get(replica);
}

const systemClock: Clock = {
  now: () => performance.now(),
  setInterval: (callback, ms) => setInterval(callback, ms),
  clearInterval: (handle) => clearInterval(handle as ReturnType<typeof setInterval>),
};

/** The driver: owns time and I/O around the pure Raft core (docs/design.md). */
export class Replica<T extends StateMachineTransition, D = Uint8Array> {
  private readonly options: ReplicaOptions<T, D>;
  private readonly storage: Storage<T, D>;
  private readonly clock: Clock;
  private core: Raft<T, D> | null = null;
  private running = false;
  private stopped = false;
  private timer: unknown = null;
  private lastTick = 0;
  private scheduled = false;
  private messagesWaiting = true;
  private transitionsWaiting = true;
  private writing = false;
  /** Proposals this replica took in, by ascending index. */
  private pending: Pending<T>[] = [];
  private pendingHead = 0;
  /** propose() calls since the last run, taken in as one batch (parallel arrays). */
  private proposed: T[] = [];
  private proposedResolve: (() => void)[] = [];
  private proposedReject: ((error: Error) => void)[] = [];
  private knownLeader: ReplicaId | null = null;
  private finish: (() => void) | null = null;
  private fail: ((error: Error) => void) | null = null;
  private readonly droppedHere: Record<string, number> = {};
  /** Cluster operations waiting on the replica's state (reads, transfers, membership steps). */
  private readonly waiters = new Waiters();
  private readonly reads = new Map<number, { resolve: () => void; reject: (e: Error) => void; deadline: number }>();
  private readSeq = 0;
  private changingMembership = false;
  private identities: MemberIdentities | null = null;
  /** Outbound messages waiting until this replica's new uid is durable. */
  private unsent: Message<T, D>[] = [];
  /** Inbound messages waiting until a peer uid recorded on their account is durable. */
  private held: Message<T, D>[] = [];
  /** run, bound once: schedule() is called per batch and should not allocate. */
  private readonly runBound = (): void => this.run();

  constructor(options: ReplicaOptions<T, D>) {
    const [min, max] = options.electionTimeoutRange;
    if (!(options.heartbeatTimeout > 0)) throw new RangeError('heartbeatTimeout must be > 0 ms');
    if (!(min > 0 && max >= min)) throw new RangeError('electionTimeoutRange must be [min, max] with 0 < min <= max');
    if ((options.snapshotDelta ?? 0) > 0 && !options.stateMachine.createSnapshot) {
      throw new TypeError('snapshotDelta > 0 needs stateMachine.createSnapshot');
    }
    this.options = options;
    this.storage = options.storage ?? new MemoryStorage<T, D>();
    this.clock = options.clock ?? systemClock;
  }

  /** Runs until cluster.halt() returns true or stop() is called. */
  async start(): Promise<void> {
    if (this.running || this.stopped) throw new Error('a Replica can be started once');
    this.running = true;
    const o = this.options;
    // Stay synchronous when storage is: a simulator can then run replicas without an event loop.
    const loaded = this.storage.load();
    const stored = loaded instanceof Promise ? await loaded : loaded;
    if (!this.running) return; // stop() was called while storage was loading
    // A new uid is written by the first process(); messages wait for it (see send()).
    this.identities = new MemberIdentities(o.id, stored);
    const sm = o.stateMachine;
    const bootstrap = o.join
      ? { voters: [], learners: [], outgoing: [] }
      : { voters: [...new Set([o.id, ...o.peerIds])].sort((a, b) => a - b), learners: [], outgoing: [] };
    const sizeOf = o.transitionSize;
    const core = new Raft<T, D>({
      id: o.id,
      bootstrap,
      heartbeatInterval: o.heartbeatTimeout,
      electionTimeoutRange: o.electionTimeoutRange,
      random: o.random ?? Math.random,
      noop: o.noopTransition,
      stored,
      ...(o.preVote !== undefined && { preVote: o.preVote }),
      ...(o.checkQuorum !== undefined && { checkQuorum: o.checkQuorum }),
      ...(o.maxEntriesPerMessage !== undefined && { maxEntriesPerMessage: o.maxEntriesPerMessage }),
      ...(o.maxBytesPerMessage !== undefined && { maxBytesPerMessage: o.maxBytesPerMessage }),
      ...(o.maxInflight !== undefined && { maxInflight: o.maxInflight }),
      ...(o.snapshotChunkBytes !== undefined && { snapshotChunkBytes: o.snapshotChunkBytes }),
      entrySize: sizeOf
        ? (e: LogEntry<T>) => (e.transition === undefined ? 64 : 24 + sizeOf(e.transition))
        : estimateEntrySize,
    });
    if (stored.snapshot) {
      const { lastIncludedIndex, lastIncludedTerm, data } = stored.snapshot;
      sm.setSnapshot?.({ lastIncludedIndex, lastIncludedTerm, data });
    } else {
      const own = sm.getSnapshot?.();
      if (own) core.restoreSnapshot(own);
    }
    this.core = core;
    cores.set(this, core as unknown as Raft<never, never>);
    const done = new Promise<void>((resolve, reject) => {
      this.finish = resolve;
      this.fail = reject;
    });
    this.lastTick = this.clock.now();
    const interval = Math.max(1, Math.floor(Math.min(o.heartbeatTimeout, o.electionTimeoutRange[0]) / 2));
    this.timer = this.clock.setInterval(() => this.onTimer(), interval);
    this.run();
    return done;
  }

  /** little_raft's recv_msg channel: the cluster has messages for us. */
  notifyMessages(): void {
    this.messagesWaiting = true;
    this.schedule();
  }

  /** little_raft's recv_transition channel: the state machine has pending transitions. */
  notifyTransitions(): void {
    this.transitionsWaiting = true;
    this.schedule();
  }

  /** Stops now, as if cluster.halt() had returned true. */
  stop(): Promise<void> {
    return new Promise((resolve) => {
      this.halt();
      resolve();
    });
  }

  /** Queues a transition; resolves once applied here, rejects with NotLeaderError if abandoned. */
  propose(transition: T): Promise<void> {
    return new Promise((resolve, reject) => {
      if (!this.running || !this.core) {
        reject(new ReplicaStoppedError(this.stopped ? 'replica is stopped' : 'replica is not started'));
        return;
      }
      this.proposed.push(transition);
      this.proposedResolve.push(resolve);
      this.proposedReject.push(reject);
      this.schedule();
    });
  }

  /**
   * Linearizable read barrier (ReadIndex): resolves once this replica has applied everything
   * committed before the call, as confirmed by a quorum. On a follower it rejects with
   * NotLeaderError unless `allowFollower`, which asks the leader for the read index instead.
   */
  ensureLinearizable(options: { allowFollower?: boolean } = {}): Promise<void> {
    const core = this.core;
    if (!this.running || !core) return Promise.reject(this.stoppedError());
    if (this.identities?.excluded) return Promise.reject(this.excludedError());
    if (core.role !== 'leader' && !options.allowFollower) return Promise.reject(new NotLeaderError(core.leaderId));
    return new Promise((resolve, reject) => {
      const id = ++this.readSeq;
      this.reads.set(id, { resolve, reject, deadline: this.clock.now() + 2 * this.options.electionTimeoutRange[1] });
      core.readIndex(id);
      this.schedule();
    });
  }

  /** Hands leadership to the up-to-date voter `toId`; resolves when it leads. */
  transferLeadership(toId: ReplicaId): Promise<void> {
    const core = this.core;
    if (!this.running || !core) return Promise.reject(this.stoppedError());
    if (core.role !== 'leader') return Promise.reject(new NotLeaderError(core.leaderId));
    if (toId === core.id) return Promise.resolve();
    if (!core.transferLeadership(toId)) {
      return Promise.reject(new RangeError(`transferLeadership: ${toId} is not a voter of the current configuration`));
    }
    return this.waitFor(() => {
      if (core.leaderId === toId) return true;
      // The core gives up after an election timeout and carries on leading.
      if (core.role === 'leader' && core.transferee !== toId) {
        return new TimeoutError(`leadership transfer to ${toId} did not happen; ${core.id} leads on`);
      }
      return false;
    }, `leadership transfer to ${toId} timed out`);
  }

  /**
   * Moves the cluster to { voters, learners } with joint consensus. New voters first join as
   * learners and are promoted once caught up; resolves when the final configuration is committed.
   */
  async changeMembership(change: MembershipChange): Promise<void> {
    const target = targetMembership(change);
    const core = this.core;
    if (!this.running || !core) throw this.stoppedError();
    if (core.role !== 'leader') throw new NotLeaderError(core.leaderId);
    if (this.changingMembership) throw new Error('changeMembership: another membership change is in progress');
    this.changingMembership = true;
    try {
      const learnersFirst = withNewVotersAsLearners(core.config, target);
      if (learnersFirst) await this.commitConfig(core, learnersFirst);
      const added = target.voters.filter((id) => !isVoter(core.config, id));
      const upTo = core.commit;
      await this.waitFor(
        () => this.leading(core) ?? added.every((id) => core.matchIndex(id) >= upTo),
        `changeMembership: new voters ${added.join(', ')} did not catch up`,
        20,
      );
      const current = core.config;
      if (sameMembers(current.voters, target.voters)) {
        if (!sameMembership(current, target)) await this.commitConfig(core, target);
        return;
      }
      await this.commitConfig(core, { ...target, outgoing: current.voters });
      // Once the joint configuration is committed the leader appends the final one itself.
      await this.waitFor(
        () => (sameMembership(core.config, target) && core.configIndex <= core.commit) || this.leading(core) || false,
        'changeMembership: the final configuration was not committed in time',
      );
    } finally {
      this.changingMembership = false;
    }
  }

  /** Proposes `config` (retrying while another change is pending) and waits until it is committed. */
  private commitConfig(core: Raft<T, D>, config: Membership): Promise<void> {
    let index = 0;
    return this.waitFor(() => {
      const lost = this.leading(core);
      if (lost) return lost;
      if (index === 0) {
        index = core.proposeConfig(config);
        if (index > 0) this.schedule();
        return false;
      }
      return core.commit >= index;
    }, 'changeMembership: a configuration entry was not committed in time');
  }

  /** null while `core` leads; the error to reject with once it does not. */
  private leading(core: Raft<T, D>): NotLeaderError | null {
    return core.role === 'leader' ? null : new NotLeaderError(core.leaderId, 'leadership lost during the operation');
  }

  private waitFor(check: Condition, timeoutMessage: string, electionTimeouts = 10): Promise<void> {
    const deadline = this.clock.now() + electionTimeouts * this.options.electionTimeoutRange[1];
    const done = this.waiters.wait(check, deadline, timeoutMessage);
    this.schedule();
    return done;
  }

  private excludedError(): NotLeaderError {
    const x = this.identities!.excluded!;
    return new NotLeaderError(null, `replica excluded: member ${x.by} knows this id under another uid (${x.uid})`);
  }

  private stoppedError(): ReplicaStoppedError {
    return new ReplicaStoppedError(this.stopped ? 'replica is stopped' : 'replica is not started');
  }

  status(): ReplicaStatus {
    const core = this.core;
    const o = this.options;
    if (!core) {
      const voters = o.join ? [] : [...new Set([o.id, ...o.peerIds])];
      const base = {
        term: 0,
        leaderId: null,
        commitIndex: 0,
        lastApplied: 0,
        lastLogIndex: 0,
        snapshotIndex: 0,
      };
      const role = o.join ? 'learner' : 'follower';
      return { id: o.id, role, ...base, voters, learners: [], matchIndex: {}, identity: null };
    }
    const roles = {
      follower: 'follower',
      'pre-candidate': 'candidate',
      candidate: 'candidate',
      leader: 'leader',
    } as const;
    let role: ReplicaStatus['role'] = roles[core.role];
    if (role === 'follower' && !isVoter(core.config, core.id)) role = 'learner';
    return {
      id: core.id,
      role,
      term: core.term,
      leaderId: core.leaderId,
      commitIndex: core.commit,
      lastApplied: core.applied,
      lastLogIndex: core.log.lastIndex,
      snapshotIndex: core.log.snapshotIndex,
      voters: [...new Set([...core.config.voters, ...core.config.outgoing])],
      learners: [...core.config.learners],
      matchIndex: this.matchIndexes(core),
      identity: this.identityStatus(),
    };
  }

  private matchIndexes(core: Raft<T, D>): Record<ReplicaId, number> {
    const out: Record<ReplicaId, number> = {};
    if (core.role !== 'leader') return out;
    const { voters, learners, outgoing } = core.config;
    for (const id of [...voters, ...learners, ...outgoing]) if (id !== core.id) out[id] = core.matchIndex(id);
    return out;
  }

  private identityStatus(): MemberIdentityStatus | null {
    const identities = this.identities;
    if (!identities?.enabled) return null;
    const excluded = identities.excluded;
    const peers = Object.fromEntries(identities.known());
    return { uid: identities.uid, peers, excluded: excluded && { ...excluded } };
  }

  /** Messages dropped as malformed, misaddressed, stale or from unknown peers, by reason. */
  droppedMessages(): Record<string, number> {
    return { ...this.droppedHere, ...(this.core?.dropped ?? {}) };
  }

  // ---- the loop -------------------------------------------------------------------------

  private schedule(): void {
    if (this.scheduled || !this.running) return;
    this.scheduled = true;
    if (this.clock.defer) this.clock.defer(this.runBound);
    else setImmediate(this.runBound);
  }

  private onTimer(): void {
    if (!this.running || !this.core) return;
    if (this.options.cluster.halt()) return this.halt();
    const now = this.clock.now();
    // An excluded replica never times out into a campaign.
    if (this.identities?.excluded === null) this.core.tick(now - this.lastTick);
    this.lastTick = now;
    for (const [id, read] of this.reads) {
      if (read.deadline > now) break; // deadlines grow with ids
      this.reads.delete(id);
      read.reject(new TimeoutError('read: no read index from the leader in time'));
    }
    this.messagesWaiting = true;
    this.transitionsWaiting = true;
    this.run();
  }

  private run(): void {
    this.scheduled = false;
    const core = this.core;
    if (!this.running || !core) return;
    try {
      const o = this.options;
      if (this.messagesWaiting) {
        this.messagesWaiting = false;
        for (const m of o.cluster.receiveMessages()) this.receive(core, m);
      }
      if (this.proposed.length > 0) {
        const transitions = this.proposed;
        const resolves = this.proposedResolve;
        const rejects = this.proposedReject;
        this.proposed = [];
        this.proposedResolve = [];
        this.proposedReject = [];
        this.take(transitions, resolves, rejects);
      }
      if (this.transitionsWaiting) {
        this.transitionsWaiting = false;
        const transitions = o.stateMachine.getPendingTransitions();
        if (transitions.length > 0) this.take(transitions);
      }
      this.process();
    } catch (error) {
      this.crash(error);
    }
  }

  private receive(core: Raft<T, D>, m: Message<T, D>): void {
    const problem = messageShapeError(m);
    if (problem !== null) return this.countDrop('malformed');
    const identities = this.identities!;
    const verdict = identities.inbound(m);
    if (verdict === 'refuse') return this.refuse(m);
    if (verdict === 'drop') return this.countDrop(identities.excluded ? 'excluded' : 'identity');
    if (identities.waitingForWrite) {
      this.held.push(m);
      return;
    }
    this.step(core, m);
  }

  private step(core: Raft<T, D>, m: Message<T, D>): void {
    core.step(m);
    if (m.type === 'append' && core.term === m.term && core.leaderId === m.from) {
      this.identities!.learn(m.from, m.memberUids);
    }
  }

  private countDrop(reason: string): void {
    this.droppedHere[reason] = (this.droppedHere[reason] ?? 0) + 1;
  }

  /**
   * A message from a member that lost its storage (its uid is not the one recorded for its id):
   * it must not count. Vote requests and appends are answered with a refusal that carries the uid
   * this replica knows the sender by, which tells the sender that it is excluded.
   */
  private refuse(m: Message<T, D>): void {
    this.countDrop('identity');
    const envelope = { from: this.options.id, to: m.from, term: m.term };
    if (m.type === 'vote-request') {
      this.send({ type: 'vote-response', ...envelope, granted: false, preVote: m.preVote });
    } else if (m.type === 'append') {
      // A leader that some member knows by another uid (adopted by peers that did not): it
      // learns that it is excluded, stops, and the others elect a leader that is not.
      const answer = { success: false, index: m.prevLogIndex, hintIndex: 0, hintTerm: 0, seq: m.seq };
      this.send({ type: 'append-response', ...envelope, ...answer });
    }
  }

  private send(m: Message<T, D>): void {
    const identities = this.identities!;
    // Nothing leaves before this replica's uid is durable: a vote or acknowledgement from it must
    // never count with peers unable to recognize it after a loss of its storage.
    if (!identities.uidDurable) {
      this.unsent.push(m);
      return;
    }
    identities.stamp(m);
    this.options.cluster.sendMessage(m.to, m);
  }

  /** Persists a changed identity; held messages are stepped once it is durable. */
  private persistIdentity(core: Raft<T, D>): void {
    const identities = this.identities!;
    if (this.writing) return;
    const identity = identities.takeWrite();
    if (identity === null) return;
    const done = (): void => {
      identities.written();
      const unsent = this.unsent;
      this.unsent = [];
      for (const m of unsent) this.send(m);
      if (identities.waitingForWrite) return;
      const held = this.held;
      this.held = [];
      for (const m of held) if (identities.inbound(m) === 'step') this.step(core, m);
    };
    const result = this.storage.write({ identity });
    if (!result) return done();
    this.writing = true;
    result.then(
      () => {
        this.writing = false;
        if (!this.running) return;
        done();
        this.run();
      },
      (error: unknown) => this.crash(error),
    );
  }

  /**
   * Takes transitions in as leader (queued) or abandons them (not-leader). From propose(),
   * `resolves[i]` and `rejects[i]` settle `transitions[i]`.
   */
  private take(transitions: readonly T[], resolves?: (() => void)[], rejects?: ((e: Error) => void)[]): void {
    const core = this.core!;
    const sm = this.options.stateMachine;
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

  /** Drains the core's output until it has nothing more to say. */
  private process(): void {
    const core = this.core!;
    this.persistIdentity(core);
    for (let ready = core.ready(!this.writing); ready; ready = core.ready(!this.writing)) {
      this.handle(core, ready);
      if (!this.running) return;
    }
    this.persistIdentity(core);
    if (core.leaderId !== this.knownLeader) {
      this.knownLeader = core.leaderId;
      this.options.cluster.registerLeader(core.leaderId);
    }
    this.waiters.poll(this.clock.now());
  }

  private handle(core: Raft<T, D>, ready: Ready<T, D>): void {
    const o = this.options;
    for (const m of ready.messages) this.send(m);
    if (ready.snapshot) {
      o.stateMachine.setSnapshot?.(ready.snapshot);
      // Before abandonFrom, which would take the proposals the snapshot covers as lost.
      this.settleThrough(ready.snapshot);
    }
    if (ready.truncatedFrom > 0) this.abandonFrom(ready.truncatedFrom);
    if (ready.apply.length > 0) this.apply(ready.apply);
    for (const r of ready.reads) this.readIndexed(core, r.id, r.index);
    const delta = o.snapshotDelta ?? 0;
    if (delta > 0 && core.applied - core.log.snapshotIndex >= delta) {
      const term = core.log.term(core.applied)!;
      core.compact(o.stateMachine.createSnapshot!(core.applied, term));
    }
    if (ready.write) this.persist(core, ready.write, ready.afterWrite);
    else for (const m of ready.afterWrite) this.send(m);
  }

  private apply(entries: LogEntry<T>[]): void {
    const sm = this.options.stateMachine;
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

  private persist(core: Raft<T, D>, write: StorageWrite<T, D>, after: Message<T, D>[]): void {
    const result = this.storage.write(write);
    // Synchronous storage (the common in-process case) allocates no closure here.
    if (!result) return this.written(core, write, after);
    this.writing = true;
    result.then(
      () => {
        this.writing = false;
        if (!this.running) return;
        this.written(core, write, after);
        this.run();
      },
      (error: unknown) => this.crash(error),
    );
  }

  /** `write` is durable: tell the core, then send what waited for it. */
  private written(core: Raft<T, D>, write: StorageWrite<T, D>, after: Message<T, D>[]): void {
    const entries = write.entries;
    if (write.snapshot) core.markStable(write.snapshot.lastIncludedIndex, write.snapshot.lastIncludedTerm);
    if (entries && entries.length > 0) {
      const last = entries[entries.length - 1]!;
      core.markStable(last.index, last.term);
    }
    for (const m of after) this.send(m);
  }

  private abandon(p: Pending<T>, reason: AbandonedReason): void {
    this.options.stateMachine.registerTransitionState(p.id, 'abandoned', reason);
    p.reject?.(new NotLeaderError(this.core?.leaderId ?? null, `transition ${String(p.id)} abandoned: ${reason}`));
  }

  private abandonFrom(index: number): void {
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
  private settleThrough(snapshot: StoredSnapshot<D>): void {
    const sm = this.options.stateMachine;
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

  /** The core answered read `id`: serve it once `index` is applied here. */
  private readIndexed(core: Raft<T, D>, id: number, index: number): void {
    const read = this.reads.get(id);
    if (!read) return;
    this.reads.delete(id);
    if (index === 0) return read.reject(new NotLeaderError(core.leaderId, 'read refused: not the leader'));
    if (core.applied >= index) return read.resolve();
    const applied = this.waiters.wait(
      () => core.applied >= index,
      read.deadline,
      'read: apply did not catch up in time',
    );
    applied.then(read.resolve, read.reject);
  }

  private halt(): void {
    if (!this.running) return;
    this.running = false;
    this.stopped = true;
    if (this.timer !== null) this.clock.clearInterval(this.timer);
    this.timer = null;
    const error = new ReplicaStoppedError('replica stopped before the transition was applied');
    for (let i = this.pendingHead; i < this.pending.length; i++) this.pending[i]!.reject?.(error);
    this.pending = [];
    this.pendingHead = 0;
    for (const reject of this.proposedReject) reject(error);
    this.proposed = [];
    this.proposedResolve = [];
    this.proposedReject = [];
    const stopped = new ReplicaStoppedError('replica stopped before the operation completed');
    this.waiters.rejectAll(stopped);
    for (const read of this.reads.values()) read.reject(stopped);
    this.reads.clear();
    this.finish?.();
  }

  private crash(error: unknown): void {
    const fail = this.fail;
    this.fail = null;
    this.finish = null;
    this.halt();
    fail?.(error instanceof Error ? error : new Error(String(error)));
  }
}
