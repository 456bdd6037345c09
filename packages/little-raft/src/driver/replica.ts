import { Raft, type Ready } from '../core/raft.js';
import type { LogEntry, Message, ReplicaId, StateMachineTransition, Storage, StorageWrite } from '../core/types.js';
import { estimateEntrySize } from './entry-size.js';
import { NotLeaderError, ReplicaStoppedError, TimeoutError } from '../encoding/errors.js';
import { MemberIdentities } from './identity.js';
import { messageShapeError } from '../encoding/message-shape.js';
import { MemoryStorage } from '../storage/memory.js';
import type { MembershipChange } from './membership.js';
import { MembershipChanges } from './membership-change.js';
import type { Clock, ReplicaOptions } from './options.js';
import { Proposals } from './proposals.js';
import { Reads } from './reads.js';
import { SnapshotTrigger } from './snapshot-trigger.js';
import { replicaStatus, type ReplicaStatus } from './status.js';
import { Waiters, type Condition } from './waiters.js';

export type { Cluster, Clock, ReplicaOptions, StateMachine } from './options.js';
export type { MemberIdentityStatus, ReplicaStatus } from './status.js';

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
  private knownLeader: ReplicaId | null = null;
  private finish: (() => void) | null = null;
  private fail: ((error: Error) => void) | null = null;
  private readonly droppedHere: Record<string, number> = {};
  /** Cluster operations waiting on the replica's state (reads, transfers, membership steps). */
  private readonly waiters = new Waiters();
  private readonly proposals: Proposals<T, D>;
  private readonly reads: Reads<T, D>;
  private readonly membershipChanges: MembershipChanges<T, D>;
  private identities: MemberIdentities | null = null;
  /** Outbound messages waiting until this replica's new uid is durable. */
  private unsent: Message<T, D>[] = [];
  /** Inbound messages waiting until a peer uid recorded on their account is durable. */
  private held: Message<T, D>[] = [];
  private readonly entrySize: (entry: LogEntry<T>) => number;
  private readonly snapshotTrigger: SnapshotTrigger<T>;
  /** run, bound once: schedule() is called per batch and should not allocate. */
  private readonly runBound = (): void => this.run();

  constructor(options: ReplicaOptions<T, D>) {
    const [min, max] = options.electionTimeoutRange;
    if (!(options.heartbeatTimeout > 0)) throw new RangeError('heartbeatTimeout must be > 0 ms');
    if (!(min > 0 && max >= min)) throw new RangeError('electionTimeoutRange must be [min, max] with 0 < min <= max');
    if (
      ((options.snapshotDelta ?? 0) > 0 || (options.snapshotLogBytes ?? 0) > 0) &&
      !options.stateMachine.createSnapshot
    ) {
      throw new TypeError('snapshotDelta or snapshotLogBytes > 0 needs stateMachine.createSnapshot');
    }
    this.options = options;
    this.storage = options.storage ?? new MemoryStorage<T, D>();
    this.clock = options.clock ?? systemClock;
    const sizeOf = options.transitionSize;
    this.entrySize = sizeOf
      ? (e: LogEntry<T>) => (e.transition === undefined ? 64 : 24 + sizeOf(e.transition))
      : estimateEntrySize;
    this.snapshotTrigger = new SnapshotTrigger(
      options.snapshotDelta ?? 0,
      options.snapshotLogBytes ?? 0,
      this.entrySize,
    );
    this.proposals = new Proposals(options.stateMachine, () => this.core?.leaderId ?? null);
    this.reads = new Reads(this.clock, options.electionTimeoutRange, this.waiters);
    this.membershipChanges = new MembershipChanges({
      live: () => (this.running ? this.core : null),
      stoppedError: () => this.stoppedError(),
      waitFor: (check, timeoutMessage, electionTimeouts) => this.waitFor(check, timeoutMessage, electionTimeouts),
      schedule: () => this.schedule(),
    });
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
      ...(o.maxApplyBytes !== undefined && { maxApplyBytes: o.maxApplyBytes }),
      ...(o.snapshotChunkBytes !== undefined && { snapshotChunkBytes: o.snapshotChunkBytes }),
      ...(o.joinSnapshotChunks !== undefined && { joinSnapshotChunks: o.joinSnapshotChunks }),
      entrySize: this.entrySize,
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
    // A lone restarted replica that campaigns early only asks for pre-votes, which its peers
    // refuse while they hear from a leader: only a cluster without one gets a quicker election.
    if (o.fastFirstElection === true && o.preVote !== false) {
      core.tick(Math.max(0, o.electionTimeoutRange[0] - o.heartbeatTimeout));
    }
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
      this.proposals.propose(transition, resolve, reject);
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
    const read = this.reads.request(core.role === 'leader' && options.allowFollower !== true);
    this.schedule();
    return read;
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
  changeMembership(change: MembershipChange): Promise<void> {
    return this.membershipChanges.change(change);
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
    return replicaStatus(this.options, this.core, this.identities);
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
    this.reads.expire(now);
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
      this.proposals.takeProposed(core);
      this.reads.flush(core);
      if (this.transitionsWaiting) {
        this.transitionsWaiting = false;
        const transitions = o.stateMachine.getPendingTransitions();
        if (transitions.length > 0) this.proposals.take(core, transitions);
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

  /** Drains the core's output until it has nothing more to say. */
  private process(): void {
    const core = this.core!;
    this.persistIdentity(core);
    for (let ready = core.ready(!this.writing); ready; ready = core.ready(!this.writing)) {
      this.handle(core, ready);
      if (!this.running) return;
      // A backlog of entries to apply goes a Ready (maxApplyBytes) per turn: timers and sockets
      // are served in between, so a big one cannot hold the event loop until elections start.
      if (ready.apply.length > 0 && core.applied < Math.min(core.commit, core.stable)) {
        this.schedule();
        break;
      }
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
      this.proposals.settleThrough(ready.snapshot);
    }
    if (ready.truncatedFrom > 0) this.proposals.abandonFrom(ready.truncatedFrom);
    if (ready.apply.length > 0) this.proposals.apply(ready.apply);
    for (const r of ready.reads) this.reads.indexed(core, r.id, r.index);
    const trigger = this.snapshotTrigger;
    if (ready.snapshot) trigger.started(false);
    else if (ready.apply.length > 0) trigger.applied(ready.apply);
    if (trigger.due(core.applied, core.log.snapshotIndex)) this.takeSnapshot(core);
    if (ready.write) this.persist(core, ready.write, ready.afterWrite);
    else for (const m of ready.afterWrite) this.send(m);
  }

  /**
   * Asks the state machine for a snapshot at the applied index. One taken asynchronously compacts
   * the log when it is ready; entries go on being applied meanwhile (the core ignores it if a
   * snapshot installed from the leader went past it in the meantime).
   */
  private takeSnapshot(core: Raft<T, D>): void {
    const term = core.log.term(core.applied)!;
    const taken = this.options.stateMachine.createSnapshot!(core.applied, term);
    if (!(taken instanceof Promise)) {
      this.snapshotTrigger.started(false);
      return core.compact(taken);
    }
    this.snapshotTrigger.started(true);
    taken.then(
      (snapshot) => {
        this.snapshotTrigger.finished();
        if (!this.running) return;
        core.compact(snapshot);
        this.run();
      },
      (error: unknown) => this.crash(error),
    );
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

  private halt(): void {
    if (!this.running) return;
    this.running = false;
    this.stopped = true;
    if (this.timer !== null) this.clock.clearInterval(this.timer);
    this.timer = null;
    const error = new ReplicaStoppedError('replica stopped before the transition was applied');
    this.proposals.rejectAll(error);
    const stopped = new ReplicaStoppedError('replica stopped before the operation completed');
    this.waiters.rejectAll(stopped);
    this.reads.rejectAll(stopped);
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
