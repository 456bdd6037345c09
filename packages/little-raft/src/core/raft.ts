import { RaftLog } from './log.js';
import { Progress } from './progress.js';
import { hasQuorum, isVoter, members, quorumIndex, voteOutcome } from './quorum.js';
import type {
  AppendRequest,
  AppendResponse,
  HardState,
  LogEntry,
  Membership,
  Message,
  ReadIndexRequest,
  ReplicaId,
  Snapshot,
  SnapshotChunk,
  SnapshotResponse,
  StorageWrite,
  StoredSnapshot,
  StoredState,
  VoteRequest,
  VoteResponse,
} from './types.js';

/** The core's role, pre-candidate included (a pre-vote in progress). */
export type RaftRole = 'follower' | 'pre-candidate' | 'candidate' | 'leader';

/** What a {@link Raft} core is built from: its id, bootstrap configuration, timing, injected randomness and recovered state. */
export interface RaftOptions<T, D> {
  id: ReplicaId;
  /** Used only while storage holds no configuration (a fresh replica). */
  bootstrap: Membership;
  /** Milliseconds between leader heartbeats. */
  heartbeatInterval: number;
  electionTimeoutRange: [number, number];
  /** Uniform in [0, 1): the only source of randomness (injected for determinism). */
  random: () => number;
  noop: T;
  stored: StoredState<T, D>;
  preVote?: boolean;
  checkQuorum?: boolean;
  maxEntriesPerMessage?: number;
  maxBytesPerMessage?: number;
  /** Approximate encoded size of an entry, for the per-message byte bound. */
  entrySize?: (entry: LogEntry<T>) => number;
  /** Unacknowledged appends per follower in the pipeline. */
  maxInflight?: number;
  /**
   * Entries handed to apply in one Ready, in bytes by entrySize (past the first entry), as etcd's
   * MaxCommittedSizePerReady: a driver that yields between Readies keeps a backlog from holding it.
   * Default: no bound (no entrySize call per entry applied).
   */
  maxApplyBytes?: number;
  snapshotChunkBytes?: number;
  /** A received snapshot's chunks as its data; default: one Uint8Array they are copied into. */
  joinSnapshotChunks?: (chunks: Uint8Array[], size: number) => D;
}

/** What the driver must do next (etcd's Ready). */
export interface Ready<T, D> {
  /** Send now. */
  messages: Message<T, D>[];
  /** Persist, in order after every earlier write. */
  write: StorageWrite<T, D> | null;
  /** Send only once `write` and every earlier write are durable. */
  afterWrite: Message<T, D>[];
  /** Load into the state machine before applying `apply`. */
  snapshot: StoredSnapshot<D> | null;
  /** Committed, durable entries to apply, in order. */
  apply: LogEntry<T>[];
  /** 0, or the first index of entries that were discarded: their proposals are abandoned. */
  truncatedFrom: number;
  /** Answers to readIndex(id): serve the read once `index` is applied; index 0 means refused. */
  reads: ReadState[];
}

export type ReadState = { id: number; index: number };
type ReadRequest = { id: number; from: ReplicaId };

/** The pure Raft state machine: no I/O, no clock, no randomness of its own (see Raft in index.ts). */
export class Raft<T, D> {
  readonly id: ReplicaId;
  role: RaftRole = 'follower';
  term: number;
  vote: ReplicaId | null;
  leaderId: ReplicaId | null = null;
  config!: Membership; // set in the constructor, through setConfig
  /** Index of the log entry that holds `config` (0: from the snapshot or bootstrap). */
  configIndex = 0;
  /** Leadership transfer in progress: the target, until it leads or the transfer times out. */
  transferee: ReplicaId | null = null;
  readonly log: RaftLog<T>;
  commit: number;
  applied: number;
  /** Highest index known durable in local storage. */
  stable: number;
  /** Count of messages dropped, by reason. */
  readonly dropped: Record<string, number> = {};
  /** Latest snapshot, sent to followers behind the log start. */
  snapshot: StoredSnapshot<D> | null;

  private readonly opts: Required<Omit<RaftOptions<T, D>, 'stored'>>;
  private progress = new Map<ReplicaId, Progress>();
  private memberSet = new Set<ReplicaId>();
  private votes = new Map<ReplicaId, boolean>();
  private electionElapsed = 0;
  private heartbeatElapsed = 0;
  private randomizedTimeout = 0;
  private seq = 0;
  /** A snapshot being received in chunks. */
  private inbound: { index: number; term: number; chunks: Uint8Array[]; size: number } | null = null;
  private transferElapsed = 0;
  /** ReadIndex: requests waiting for an own-term commit, then rounds waiting for a quorum's ack. */
  private readsWaiting: ReadRequest[] = [];
  private readRounds: { seq: number; index: number; requests: ReadRequest[] }[] = [];

  // Output accumulated until ready().
  private messages: Message<T, D>[] = [];
  private afterWrite: Message<T, D>[] = [];
  private unstableFrom: number;
  private hardStateDirty = false;
  private snapshotToWrite: StoredSnapshot<D> | null = null;
  private truncateToWrite = 0;
  private snapshotToLoad: StoredSnapshot<D> | null = null;
  private truncatedFrom = 0;
  private dirtyPeers = new Set<ReplicaId>();
  private commitDirty = false;
  private reads: ReadState[] = [];

  constructor(options: RaftOptions<T, D>) {
    this.opts = {
      preVote: true,
      checkQuorum: true,
      maxEntriesPerMessage: 4096,
      maxBytesPerMessage: 1 << 20,
      entrySize: () => 64,
      maxInflight: 256,
      maxApplyBytes: Infinity,
      snapshotChunkBytes: 1 << 20,
      joinSnapshotChunks: concat as (chunks: Uint8Array[], size: number) => D,
      ...options,
    };
    const { stored } = options;
    this.id = options.id;
    this.term = stored.hardState.term;
    this.vote = stored.hardState.vote;
    const snap = stored.snapshot;
    this.snapshot = snap;
    this.log = new RaftLog(snap?.lastIncludedIndex ?? 0, snap?.lastIncludedTerm ?? 0, stored.entries);
    this.config = options.bootstrap;
    this.restoreConfig();
    this.commit = Math.max(stored.hardState.commit, this.log.snapshotIndex);
    this.applied = this.log.snapshotIndex;
    this.stable = this.log.lastIndex;
    this.unstableFrom = this.log.lastIndex + 1;
    this.resetElectionTimer();
  }

  // ---- inputs -------------------------------------------------------------------------

  /** Advances this replica's clock by `ms` milliseconds. */
  tick(ms: number): void {
    this.electionElapsed += ms;
    if (this.role !== 'leader') {
      if (this.electionElapsed >= this.randomizedTimeout) this.campaign(this.opts.preVote);
      return;
    }
    if (this.transferee !== null) {
      this.transferElapsed += ms;
      // The target did not take over in time: carry on leading.
      if (this.transferElapsed >= this.opts.electionTimeoutRange[0]) this.transferee = null;
    }
    if (this.opts.checkQuorum && this.electionElapsed >= this.opts.electionTimeoutRange[0]) {
      this.electionElapsed = 0;
      const active = (id: ReplicaId) => id === this.id || this.progress.get(id)?.recentActive === true;
      if (!hasQuorum(this.config, active)) {
        this.count('check-quorum-step-down');
        this.becomeFollower(this.term, null);
        return;
      }
      for (const pr of this.progress.values()) pr.recentActive = false;
    }
    this.heartbeatElapsed += ms;
    if (this.heartbeatElapsed >= this.opts.heartbeatInterval) {
      this.heartbeatElapsed = 0;
      this.heartbeat();
    }
  }

  /** Appends transitions when leader. Returns the first new index, or 0 when not leader. */
  propose(transitions: readonly T[]): number {
    // Once C(new) without this leader is appended, it takes no more: it leaves when C(new) commits
    // and would never learn the fate of entries after it.
    const removed = !isVoter(this.config, this.id);
    if (this.role !== 'leader' || this.transferee !== null || removed || transitions.length === 0) return 0;
    const first = this.log.lastIndex + 1;
    for (let i = 0; i < transitions.length; i++) {
      this.log.push({ index: first + i, term: this.term, transition: transitions[i]! });
    }
    this.afterAppend();
    return first;
  }

  /**
   * Appends a configuration entry; it takes effect at once. One change at a time, and only once
   * this leader has committed an entry of its own term. Returns its index, or 0 when refused.
   */
  proposeConfig(config: Membership): number {
    const busy = this.configIndex > this.commit || this.log.term(this.commit) !== this.term;
    return this.role !== 'leader' || this.transferee !== null || busy ? 0 : this.appendConfig(config);
  }

  /** Starts handing leadership to voter `to`: no new proposals; TimeoutNow once it is caught up. */
  transferLeadership(to: ReplicaId): boolean {
    if (this.role !== 'leader' || to === this.id || !isVoter(this.config, to)) return false;
    this.transferee = to;
    this.transferElapsed = 0;
    this.dirtyPeers.add(to);
    this.maybeTimeoutNow();
    return true;
  }

  /** How far the leader knows `id`'s log matches its own. */
  matchIndex(id: ReplicaId): number {
    return this.progress.get(id)?.match ?? 0;
  }

  /** Asks for a read index (ReadIndex); the answer comes in Ready.reads under `id`. */
  readIndex(id: number): void {
    if (this.role === 'leader') this.readsWaiting.push({ id, from: this.id });
    else if (this.leaderId === null) this.reads.push({ id, index: 0 });
    else this.send({ type: 'read-index', from: this.id, to: this.leaderId, term: this.term, requestId: id });
  }

  /** Handles one message from a peer. Never throws on bad input: it is dropped and counted. */
  step(m: Message<T, D>): void {
    if (m.to !== this.id || m.from === this.id) return this.count('misaddressed');
    // Requests carry their authority in their term (as in etcd): a replica that missed the change
    // adding a new leader, or is joining, must still hear it. Answers and reads come from members
    // (or from removed replicas the leader still updates); the transport authenticates who is who.
    const request = m.type === 'append' || m.type === 'snapshot' || m.type === 'vote-request';
    if (!request && !this.memberSet.has(m.from) && !this.progress.has(m.from)) return this.count('unknown-peer');
    if (m.term > this.term) {
      if (m.type === 'vote-request' && !m.transfer && this.inLease()) return this.count('vote-in-lease');
      const keepsTerm =
        (m.type === 'vote-request' && m.preVote) || (m.type === 'vote-response' && m.preVote && m.granted);
      if (!keepsTerm) {
        const fromLeader = m.type === 'append' || m.type === 'snapshot' || m.type === 'timeout-now';
        this.becomeFollower(m.term, fromLeader ? m.from : null);
      }
    } else if (m.term < this.term) {
      // Tell a stale leader or candidate about the newer term so it steps down.
      if (m.type === 'append' || m.type === 'snapshot') this.send(this.appendResponse(m.from, false, 0));
      else if (m.type === 'vote-request' && m.preVote) this.send(this.voteResponse(m, false));
      return this.count('stale-term');
    }
    if (m.type === 'vote-request') return this.onVoteRequest(m);
    if (m.type === 'vote-response') return this.onVoteResponse(m);
    if (m.type === 'append') return this.onAppend(m);
    if (m.type === 'append-response') return this.onAppendResponse(m);
    if (m.type === 'snapshot') return this.onSnapshotChunk(m);
    if (m.type === 'snapshot-response') return this.onSnapshotResponse(m);
    if (m.type === 'read-index') return this.onReadIndex(m);
    if (m.type === 'read-index-response') return void this.reads.push({ id: m.requestId, index: m.readIndex });
    if (m.from === this.leaderId) return this.campaign(false, true); // timeout-now: leadership transfer
    this.count('stale-timeout-now');
  }

  /** The driver has made everything up to (index, term) durable. */
  markStable(index: number, term: number): void {
    if (index > this.stable && this.log.term(index) === term) {
      this.stable = index;
      this.commitDirty = true;
    }
  }

  /** The state machine snapshotted at `snapshot.lastIncludedIndex`: compact the log behind it. */
  compact(snapshot: Snapshot<D>): void {
    const index = snapshot.lastIncludedIndex;
    if (index <= this.log.snapshotIndex || index > this.applied) return;
    // termStarts: the previous snapshot's runs, then those of the entries this one now covers
    // (as far as the log holds them), the last 1,024 kept.
    // The configuration is the one in force at `index`, not a later one.
    const starts = this.snapshot?.termStarts.slice() ?? [];
    let config = this.snapshot?.config ?? this.opts.bootstrap;
    // Entry by entry, not a slice: this covers every entry once (a copy of them all is costly).
    let last = starts.at(-1);
    for (let i = this.log.snapshotIndex + 1; i <= Math.min(index, this.log.lastIndex); i++) {
      const e = this.log.entry(i);
      if (e.term !== last) {
        last = e.term;
        starts.push(i, last);
      }
      if (e.config) config = e.config;
    }
    this.snapshot = { ...snapshot, config, termStarts: starts.slice(-2048) };
    this.snapshotToWrite = this.snapshot;
    this.log.compact(index, snapshot.lastIncludedTerm);
    this.unstableFrom = Math.max(this.unstableFrom, index + 1);
  }

  /**
   * At start, without a stored snapshot: the state machine already holds `snapshot`
   * (little_raft's getSnapshot). Entries it covers are not applied again.
   */
  restoreSnapshot(snapshot: Snapshot<D>): void {
    const index = snapshot.lastIncludedIndex;
    if (index <= this.log.snapshotIndex) return;
    if (this.log.term(index) !== snapshot.lastIncludedTerm) {
      this.log.truncateFrom(this.log.snapshotIndex + 1);
      this.truncateToWrite = index + 1;
      this.stable = index;
    }
    this.commit = Math.max(this.commit, index);
    this.applied = index;
    this.compact(snapshot);
  }

  // ---- output -------------------------------------------------------------------------

  /** Collects what the driver must do. `canWrite` false: a write is in flight, hold writes back. */
  ready(canWrite: boolean): Ready<T, D> | null {
    if (this.role === 'leader') {
      if (this.commitDirty) this.maybeCommit();
      if (this.readsWaiting.length > 0 && this.log.term(this.commit) === this.term) this.startReadRound();
      for (const id of this.dirtyPeers) this.sendAppends(id);
      this.dirtyPeers.clear();
      // Followers hear of a commit index they can use at once, not at the next heartbeat (as etcd).
      for (const [id, pr] of this.progress) {
        if (pr.state === 'replicate' && pr.sentCommit < Math.min(this.commit, pr.match)) {
          this.send(this.heartbeatTo(id, pr));
        }
      }
      this.releaseReads();
    }
    this.commitDirty = false;
    let write: StorageWrite<T, D> | null = null;
    if (canWrite) write = this.takeWrite();
    const { maxApplyBytes, entrySize } = this.opts;
    const applyTo = Math.min(this.commit, this.stable);
    const apply =
      applyTo > this.applied ? this.log.slice(this.applied + 1, applyTo, Infinity, maxApplyBytes, entrySize) : [];
    this.applied = apply.at(-1)?.index ?? this.applied;
    const afterWrite = canWrite ? this.afterWrite : [];
    if (canWrite) this.afterWrite = [];
    const { messages, snapshotToLoad: snapshot, truncatedFrom, reads } = this;
    if (reads.length > 0) this.reads = [];
    this.messages = [];
    this.snapshotToLoad = null;
    this.truncatedFrom = 0;
    const empty = messages.length + afterWrite.length + apply.length + reads.length === 0 && !write && !snapshot;
    return empty && truncatedFrom === 0 ? null : { messages, write, afterWrite, snapshot, apply, truncatedFrom, reads };
  }

  private takeWrite(): StorageWrite<T, D> | null {
    const hasEntries = this.unstableFrom <= this.log.lastIndex;
    if (!hasEntries && !this.hardStateDirty && !this.snapshotToWrite && this.truncateToWrite === 0) return null;
    const write: StorageWrite<T, D> = {};
    if (this.snapshotToWrite) write.snapshot = this.snapshotToWrite;
    if (this.truncateToWrite) write.truncateFrom = this.truncateToWrite;
    if (hasEntries) write.entries = this.log.slice(this.unstableFrom, this.log.lastIndex);
    if (this.hardStateDirty) write.hardState = this.hardState();
    this.snapshotToWrite = null;
    this.truncateToWrite = 0;
    this.hardStateDirty = false;
    this.unstableFrom = this.log.lastIndex + 1;
    return write;
  }

  hardState(): HardState {
    return { term: this.term, vote: this.vote, commit: this.commit };
  }

  // ---- roles --------------------------------------------------------------------------

  private becomeFollower(term: number, leader: ReplicaId | null): void {
    if (term !== this.term) {
      this.term = term;
      this.vote = null;
      this.hardStateDirty = true;
    }
    this.role = 'follower';
    this.leaderId = leader;
    this.transferee = null;
    for (const r of this.readsWaiting) this.answerRead(r, 0);
    for (const round of this.readRounds) for (const r of round.requests) this.answerRead(r, 0);
    this.readsWaiting = [];
    this.readRounds = [];
    this.progress.clear();
    this.dirtyPeers.clear();
    this.votes.clear();
    this.resetElectionTimer();
  }

  private campaign(preVote: boolean, transfer = false): void {
    // Left out of an uncommitted configuration, a replica may still be needed to commit it (thesis
    // §4.2.2): it campaigns, its own vote not counting.
    if (!isVoter(this.config, this.id) && this.configIndex <= this.commit) {
      this.resetElectionTimer();
      return;
    }
    this.leaderId = null;
    this.progress.clear();
    this.votes = new Map([[this.id, true]]);
    this.resetElectionTimer();
    if (preVote) {
      this.role = 'pre-candidate';
    } else {
      this.role = 'candidate';
      this.term += 1;
      this.vote = this.id;
      this.hardStateDirty = true;
    }
    const term = preVote ? this.term + 1 : this.term;
    const [lastLogIndex, lastLogTerm] = [this.log.lastIndex, this.log.lastTerm];
    const { id: from } = this;
    const vote = { type: 'vote-request', from, term, lastLogIndex, lastLogTerm, preVote, transfer } as const;
    // A real candidate's own vote must be durable before anyone can count on it.
    const queue = preVote ? this.messages : this.afterWrite;
    for (const to of members(this.config)) if (to !== from && isVoter(this.config, to)) queue.push({ ...vote, to });
    this.tallyVotes();
  }

  private becomeLeader(): void {
    this.role = 'leader';
    this.leaderId = this.id;
    this.votes.clear();
    this.heartbeatElapsed = 0;
    this.electionElapsed = 0;
    this.progress.clear();
    this.syncProgress();
    this.log.push({ index: this.log.lastIndex + 1, term: this.term, transition: this.opts.noop });
    this.afterAppend();
  }

  private afterAppend(): void {
    for (const id of this.progress.keys()) this.dirtyPeers.add(id);
    this.commitDirty = true;
  }

  private resetElectionTimer(): void {
    this.electionElapsed = 0;
    const [min, max] = this.opts.electionTimeoutRange;
    this.randomizedTimeout = min + Math.floor(this.opts.random() * Math.max(1, max - min));
  }

  /** Followers that heard from a leader within the minimum election timeout ignore votes. */
  private inLease(): boolean {
    return (
      this.opts.checkQuorum &&
      this.leaderId !== null &&
      (this.role === 'leader' || this.electionElapsed < this.opts.electionTimeoutRange[0])
    );
  }

  // ---- elections ----------------------------------------------------------------------

  private onVoteRequest(m: VoteRequest): void {
    const canVote =
      this.vote === m.from || (this.vote === null && this.leaderId === null) || (m.preVote && m.term > this.term);
    const granted = canVote && this.log.isUpToDate(m.lastLogIndex, m.lastLogTerm);
    if (granted && !m.preVote) {
      this.vote = m.from;
      this.hardStateDirty = true;
      this.resetElectionTimer();
      this.afterWrite.push(this.voteResponse(m, true));
    } else {
      this.send(this.voteResponse(m, granted));
    }
  }

  private voteResponse(m: VoteRequest, granted: boolean): VoteResponse {
    // A granted pre-vote answers at the proposed term; a refusal tells our own term.
    const term = granted && m.preVote ? m.term : this.term;
    return { type: 'vote-response', from: this.id, to: m.from, term, granted, preVote: m.preVote };
  }

  private onVoteResponse(m: VoteResponse): void {
    const expectedTerm = this.role === 'pre-candidate' ? this.term + 1 : this.term;
    const waiting = m.preVote ? this.role === 'pre-candidate' : this.role === 'candidate';
    if (!waiting || m.term !== (m.granted ? expectedTerm : this.term)) return this.count('stale-vote');
    this.votes.set(m.from, m.granted);
    this.tallyVotes();
  }

  private tallyVotes(): void {
    const outcome = voteOutcome(this.config, this.votes);
    if (outcome === 'lost') this.becomeFollower(this.term, null);
    else if (outcome === 'won') {
      if (this.role === 'pre-candidate') this.campaign(false);
      else this.becomeLeader();
    }
  }

  // ---- replication: follower side -------------------------------------------------------

  private followLeader(leader: ReplicaId): void {
    if (this.role !== 'follower') this.becomeFollower(this.term, leader);
    this.leaderId = leader;
    this.electionElapsed = 0;
  }

  private onAppend(m: AppendRequest<T>): void {
    if (this.role === 'leader') return this.count('append-to-leader');
    this.followLeader(m.from);
    const prev = m.prevLogIndex;
    // Everything up to the snapshot is committed, so it matches any leader's log.
    if (prev >= this.log.snapshotIndex && this.log.term(prev) !== m.prevLogTerm) {
      const hintIndex = this.log.lastIndexWithTermAtMost(Math.min(prev, this.log.lastIndex), m.prevLogTerm);
      const hintTerm = this.log.term(hintIndex) ?? 0;
      return this.send(this.appendResponse(m.from, false, prev, hintIndex, hintTerm, m.seq));
    }
    const n = m.entries.length;
    if (n > 0 && (m.entries[0]!.index !== prev + 1 || m.entries[n - 1]!.index !== prev + n)) {
      return this.count('malformed-append');
    }
    const appended = this.log.appendFromLeader(m.entries, this.commit);
    if (!appended) return this.count('append-overwrites-committed');
    const { truncatedFrom, firstNew } = appended;
    if (truncatedFrom > 0) {
      this.stable = Math.min(this.stable, truncatedFrom - 1);
      this.truncatedFrom = this.truncatedFrom === 0 ? truncatedFrom : Math.min(this.truncatedFrom, truncatedFrom);
    }
    if (firstNew > 0) this.unstableFrom = Math.min(this.unstableFrom, firstNew);
    // A configuration takes effect when appended, and reverts when its entry is cut.
    if (truncatedFrom > 0 || (firstNew > 0 && m.entries.some((e) => e.config))) this.restoreConfig();
    const lastNew = Math.max(prev + m.entries.length, this.log.snapshotIndex);
    this.advanceCommit(Math.min(m.leaderCommit, lastNew));
    // A heartbeat's answer claims only durable entries: like etcd's, it need not wait for a write (reads wait on it).
    const response = this.appendResponse(m.from, true, lastNew, 0, 0, m.seq);
    (n === 0 && lastNew <= this.stable ? this.messages : this.afterWrite).push(response);
  }

  private advanceCommit(index: number): void {
    if (index > this.commit) {
      this.commit = index;
      this.hardStateDirty = true;
    }
  }

  private appendResponse(
    to: ReplicaId,
    success: boolean,
    index: number,
    hint = 0,
    hintTerm = 0,
    seq = 0,
  ): AppendResponse {
    return {
      type: 'append-response',
      from: this.id,
      to,
      term: this.term,
      success,
      index,
      hintIndex: hint,
      hintTerm,
      seq,
    };
  }

  private onSnapshotChunk(m: SnapshotChunk<D>): void {
    if (this.role === 'leader') return this.count('snapshot-to-leader');
    this.followLeader(m.from);
    if (m.lastIncludedIndex <= this.commit) {
      this.inbound = null;
      this.afterWrite.push(this.appendResponse(m.from, true, this.commit, 0, 0, m.seq));
      return;
    }
    if (m.offset === 0) this.inbound = { index: m.lastIncludedIndex, term: m.lastIncludedTerm, chunks: [], size: 0 };
    const inbound = this.inbound;
    const same = inbound?.index === m.lastIncludedIndex && inbound.term === m.lastIncludedTerm;
    if (!inbound || !same || m.offset !== inbound.size)
      return this.send(this.snapshotResponse(m, same ? inbound.size : 0));
    const isBytes = m.data instanceof Uint8Array;
    if (!m.done || inbound.chunks.length > 0) {
      if (!isBytes) return this.count('malformed-snapshot-chunk');
      inbound.chunks.push(m.data as Uint8Array);
      inbound.size += (m.data as Uint8Array).length;
    }
    if (!m.done) return this.send(this.snapshotResponse(m, inbound.size));
    this.inbound = null;
    const data = inbound.chunks.length > 0 ? this.opts.joinSnapshotChunks(inbound.chunks, inbound.size) : (m.data as D);
    const { lastIncludedIndex, lastIncludedTerm, config, termStarts } = m;
    this.installSnapshot({ lastIncludedIndex, lastIncludedTerm, config, termStarts, data });
    this.afterWrite.push(this.appendResponse(m.from, true, m.lastIncludedIndex, 0, 0, m.seq));
  }

  private snapshotResponse(m: SnapshotChunk<D>, nextOffset: number): SnapshotResponse {
    const { from: to, lastIncludedIndex, seq } = m;
    return { type: 'snapshot-response', from: this.id, to, term: this.term, lastIncludedIndex, nextOffset, seq };
  }

  private installSnapshot(s: StoredSnapshot<D>): void {
    const index = s.lastIncludedIndex;
    if (this.log.term(index) === s.lastIncludedTerm) {
      // Our log already holds the snapshot's prefix: just learn that it is committed.
      return this.advanceCommit(index);
    }
    this.truncatedFrom = this.truncatedFrom === 0 ? this.commit + 1 : Math.min(this.truncatedFrom, this.commit + 1);
    this.log.truncateFrom(this.log.snapshotIndex + 1);
    this.log.compact(index, s.lastIncludedTerm);
    this.snapshot = s;
    this.snapshotToWrite = s;
    this.snapshotToLoad = s;
    this.truncateToWrite = index + 1;
    this.setConfig(s.config, index);
    this.commit = index;
    this.applied = index;
    this.stable = 0;
    this.hardStateDirty = true;
    this.unstableFrom = index + 1;
  }

  // ---- replication: leader side ---------------------------------------------------------

  private heartbeat(): void {
    this.seq++;
    for (const [id, pr] of this.progress) {
      if (pr.state === 'replicate' && pr.match === pr.matchAtHeartbeat && pr.match < pr.next - 1) {
        pr.becomeProbe(); // nothing acknowledged for a whole interval: an append was lost
      }
      pr.matchAtHeartbeat = pr.match;
      pr.paused = false;
      if (pr.state === 'replicate') this.send(this.heartbeatTo(id, pr));
      this.sendAppends(id, true);
    }
  }

  /** An empty append at the follower's acknowledged position: it always matches. */
  private heartbeatTo(id: ReplicaId, pr: Progress): AppendRequest<T> {
    const prevTerm = this.log.term(pr.match);
    pr.sentCommit = Math.min(this.commit, pr.match);
    return this.append(id, prevTerm === undefined ? 0 : pr.match, prevTerm ?? 0, [], pr.sentCommit);
  }

  private append(
    to: ReplicaId,
    prevLogIndex: number,
    prevLogTerm: number,
    entries: LogEntry<T>[],
    leaderCommit: number,
  ): AppendRequest<T> {
    const { id: from, term, seq } = this;
    return { type: 'append', from, to, term, prevLogIndex, prevLogTerm, entries, leaderCommit, seq };
  }

  /** Sends what the follower's pipeline allows; with `probe`, an empty append if nothing else. */
  private sendAppends(id: ReplicaId, probe = false): void {
    const pr = this.progress.get(id);
    if (!pr) return;
    if (pr.state === 'snapshot') return this.sendSnapshotChunk(id, pr);
    const o = this.opts;
    while (pr.canSend(o.maxInflight)) {
      const prev = pr.next - 1;
      const prevTerm = this.log.term(prev);
      if (prevTerm === undefined) {
        if (!this.snapshot) return this.count('no-snapshot-for-lagging-peer');
        pr.becomeSnapshot(this.snapshot.lastIncludedIndex);
        return this.sendSnapshotChunk(id, pr);
      }
      const entries = this.log.slice(
        pr.next,
        this.log.lastIndex,
        o.maxEntriesPerMessage,
        o.maxBytesPerMessage,
        o.entrySize,
      );
      if (entries.length === 0 && !(probe && pr.state === 'probe')) return;
      this.send(this.append(id, prev, prevTerm, entries, this.commit));
      pr.sent(prev + entries.length);
      pr.sentCommit = this.commit;
      if (entries.length === 0) return;
    }
  }

  private sendSnapshotChunk(id: ReplicaId, pr: Progress): void {
    const s = this.snapshot!;
    if (pr.snapshotIndex !== s.lastIncludedIndex) pr.becomeSnapshot(s.lastIncludedIndex);
    if (pr.paused) return;
    let data: D | Uint8Array = s.data;
    let done = true;
    const bytes = data as { subarray?: (b: number, e: number) => Uint8Array; length?: number } | null; // SnapshotBytes
    if (typeof bytes?.subarray === 'function' && typeof bytes.length === 'number') {
      const end = Math.min(bytes.length, pr.snapshotOffset + this.opts.snapshotChunkBytes);
      done = end >= bytes.length;
      data = bytes.subarray(pr.snapshotOffset, end);
    }
    const { data: _, ...meta } = s;
    const { id: from, term, seq } = this;
    this.send({ type: 'snapshot', from, to: id, term, ...meta, offset: pr.snapshotOffset, data, done, seq });
    pr.paused = true;
  }

  private onAppendResponse(m: AppendResponse): void {
    const pr = this.progress.get(m.from);
    if (this.role !== 'leader' || !pr) return this.count('append-response-not-leader');
    pr.recentActive = true;
    if (m.seq > pr.ackedSeq) pr.ackedSeq = m.seq;
    if (!m.success) {
      const stale = pr.state === 'snapshot' || m.index <= pr.match || (pr.state === 'probe' && m.index !== pr.next - 1);
      if (stale) return this.count('stale-append-rejection');
      const probeAt = m.hintTerm > 0 ? this.log.lastIndexWithTermAtMost(m.hintIndex, m.hintTerm) : m.hintIndex;
      pr.becomeProbe();
      pr.next = Math.max(pr.match + 1, Math.min(probeAt + 1, this.log.lastIndex + 1));
      this.dirtyPeers.add(m.from);
      return;
    }
    if (pr.maybeUpdate(m.index)) {
      if (pr.state === 'probe' || (pr.state === 'snapshot' && pr.match >= pr.snapshotIndex)) pr.becomeReplicate();
      this.commitDirty = true;
      if (m.from === this.transferee) this.maybeTimeoutNow();
      if (!this.memberSet.has(m.from)) this.syncProgress();
    }
    this.dirtyPeers.add(m.from);
  }

  private onSnapshotResponse(m: SnapshotResponse): void {
    const pr = this.progress.get(m.from);
    if (this.role !== 'leader' || !pr) return this.count('snapshot-response-not-leader');
    pr.recentActive = true;
    if (pr.state !== 'snapshot' || m.lastIncludedIndex !== pr.snapshotIndex)
      return this.count('stale-snapshot-response');
    pr.snapshotOffset = m.nextOffset;
    pr.paused = false;
    this.dirtyPeers.add(m.from);
  }

  private maybeCommit(): void {
    const index = quorumIndex(this.config, (id) =>
      id === this.id ? this.stable : (this.progress.get(id)?.match ?? 0),
    );
    // Figure 8: only entries of the current term are committed by counting replicas.
    if (index > this.commit && this.log.term(index) === this.term) this.advanceCommit(index);
    if (this.configIndex > this.commit) return;
    // Joint consensus: once C(old,new) is committed the leader moves on to C(new) alone.
    const { voters, learners, outgoing } = this.config;
    if (outgoing.length > 0) this.appendConfig({ voters, learners, outgoing: [] });
    else if (!isVoter(this.config, this.id)) this.becomeFollower(this.term, null); // removed: step down
  }

  private appendConfig(config: Membership): number {
    const index = this.log.lastIndex + 1;
    this.log.push({ index, term: this.term, config });
    this.setConfig(config, index);
    this.afterAppend();
    return index;
  }

  private maybeTimeoutNow(): void {
    const to = this.transferee;
    if (to !== null && this.progress.get(to)?.match === this.log.lastIndex) {
      this.send({ type: 'timeout-now', from: this.id, to, term: this.term });
    }
  }

  // ---- linearizable reads (ReadIndex) ------------------------------------------------------

  private onReadIndex(m: ReadIndexRequest): void {
    if (this.role === 'leader') this.readsWaiting.push({ id: m.requestId, from: m.from });
    else this.answerRead({ id: m.requestId, from: m.from }, 0);
  }

  /** One heartbeat round confirms leadership for every read waiting (batched). */
  private startReadRound(): void {
    this.readRounds.push({ seq: ++this.seq, index: this.commit, requests: this.readsWaiting });
    this.readsWaiting = [];
    for (const [id, pr] of this.progress) this.send(this.heartbeatTo(id, pr));
  }

  private releaseReads(): void {
    for (let round = this.readRounds[0]; round; round = this.readRounds[0]) {
      const acked = (id: ReplicaId) => id === this.id || (this.progress.get(id)?.ackedSeq ?? 0) >= round.seq;
      if (!hasQuorum(this.config, acked)) return;
      this.readRounds.shift();
      for (const r of round.requests) this.answerRead(r, round.index);
    }
  }

  private answerRead(r: ReadRequest, index: number): void {
    if (r.from === this.id) this.reads.push({ id: r.id, index });
    else
      this.send({
        type: 'read-index-response',
        from: this.id,
        to: r.from,
        term: this.term,
        requestId: r.id,
        readIndex: index,
      });
  }

  // ---- helpers ------------------------------------------------------------------------

  private setConfig(config: Membership, index: number): void {
    this.config = config;
    this.configIndex = index;
    this.memberSet = new Set(members(config));
    if (this.role === 'leader') this.syncProgress();
  }

  /** The configuration of the last config entry in the log, else the snapshot's, else bootstrap. */
  private restoreConfig(): void {
    for (let i = this.log.lastIndex; i > this.log.snapshotIndex; i--) {
      const config = this.log.entry(i).config;
      if (config) return this.setConfig(config, i);
    }
    this.setConfig(this.snapshot?.config ?? this.opts.bootstrap, 0);
  }

  /**
   * The leader tracks every member but itself, and a removed one until it holds the entry that
   * removed it (so it learns it is out and stops campaigning).
   */
  private syncProgress(): void {
    for (const id of this.memberSet) {
      if (id !== this.id && !this.progress.has(id)) this.progress.set(id, new Progress(this.log.lastIndex + 1));
    }
    for (const [id, pr] of this.progress)
      if (!this.memberSet.has(id) && pr.match >= this.configIndex) this.progress.delete(id);
  }

  private send(m: Message<T, D>): void {
    this.messages.push(m);
  }

  private count(reason: string): void {
    this.dropped[reason] = (this.dropped[reason] ?? 0) + 1;
  }
}

function concat(chunks: Uint8Array[], size: number): Uint8Array {
  const out = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
