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

export type RaftRole = 'follower' | 'pre-candidate' | 'candidate' | 'leader';

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
  snapshotChunkBytes?: number;
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
}

interface InboundSnapshot {
  index: number;
  term: number;
  config: Membership;
  chunks: Uint8Array[];
  size: number;
}

export class Raft<T, D> {
  readonly id: ReplicaId;
  role: RaftRole = 'follower';
  term: number;
  vote: ReplicaId | null;
  leaderId: ReplicaId | null = null;
  config: Membership;
  readonly log: RaftLog<T>;
  commit: number;
  applied: number;
  /** Highest index known durable in local storage. */
  stable: number;
  /** Count of messages dropped, by reason. */
  readonly dropped: Record<string, number> = {};
  /** Latest snapshot, sent to followers behind the log start. */
  snapshot: StoredSnapshot<D> | null;

  private readonly opts: Required<Omit<RaftOptions<T, D>, 'stored' | 'bootstrap'>>;
  private progress = new Map<ReplicaId, Progress>();
  private memberSet = new Set<ReplicaId>();
  private votes = new Map<ReplicaId, boolean>();
  private electionElapsed = 0;
  private heartbeatElapsed = 0;
  private randomizedTimeout = 0;
  private seq = 0;
  private inbound: InboundSnapshot | null = null;

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

  constructor(options: RaftOptions<T, D>) {
    this.opts = {
      preVote: true,
      checkQuorum: true,
      maxEntriesPerMessage: 4096,
      maxBytesPerMessage: 1 << 20,
      entrySize: () => 64,
      maxInflight: 256,
      snapshotChunkBytes: 1 << 20,
      ...options,
    };
    const { stored } = options;
    this.id = options.id;
    this.term = stored.hardState.term;
    this.vote = stored.hardState.vote;
    const snap = stored.snapshot;
    this.snapshot = snap;
    this.log = new RaftLog(snap?.lastIncludedIndex ?? 0, snap?.lastIncludedTerm ?? 0, stored.entries);
    let config = snap?.config ?? options.bootstrap;
    for (const e of stored.entries) if (e.config) config = e.config;
    this.config = config;
    this.setConfig(config);
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
    if (this.role !== 'leader' || transitions.length === 0) return 0;
    const first = this.log.lastIndex + 1;
    for (let i = 0; i < transitions.length; i++) {
      this.log.push({ index: first + i, term: this.term, transition: transitions[i]! });
    }
    this.afterAppend();
    return first;
  }

  /** Handles one message from a peer. Never throws on bad input: it is dropped and counted. */
  step(m: Message<T, D>): void {
    if (m.to !== this.id || m.from === this.id) return this.count('misaddressed');
    const known = this.memberSet.has(m.from);
    // A replica that has no configuration yet (joining) accepts the leader reaching it.
    if (!known && !(this.config.voters.length === 0 && (m.type === 'append' || m.type === 'snapshot'))) {
      return this.count('unknown-peer');
    }
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
      if (m.type === 'append' || m.type === 'snapshot') {
        this.send(this.appendResponse(m.from, false, 0, 0, 0, 0));
      } else if (m.type === 'vote-request' && m.preVote) {
        this.send(this.voteResponse(m, false));
      }
      return this.count('stale-term');
    }
    switch (m.type) {
      case 'vote-request':
        return this.onVoteRequest(m);
      case 'vote-response':
        return this.onVoteResponse(m);
      case 'append':
        return this.onAppend(m);
      case 'append-response':
        return this.onAppendResponse(m);
      case 'snapshot':
        return this.onSnapshotChunk(m);
      case 'snapshot-response':
        return this.onSnapshotResponse(m);
      default:
        return this.count('unhandled-' + m.type);
    }
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
    const starts = this.snapshot?.termStarts.slice() ?? [];
    for (const e of this.log.slice(this.log.snapshotIndex + 1, index))
      if (e.term !== starts.at(-1)) starts.push(e.index, e.term);
    this.snapshot = { ...snapshot, config: this.config, termStarts: starts.slice(-2048) };
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
      for (const id of this.dirtyPeers) this.sendAppends(id);
      this.dirtyPeers.clear();
    }
    this.commitDirty = false;
    let write: StorageWrite<T, D> | null = null;
    if (canWrite) write = this.takeWrite();
    const applyTo = Math.min(this.commit, this.stable);
    const apply = applyTo > this.applied ? this.log.slice(this.applied + 1, applyTo) : [];
    this.applied = Math.max(this.applied, applyTo);
    const afterWrite = canWrite ? this.afterWrite : [];
    if (canWrite) this.afterWrite = [];
    const ready: Ready<T, D> = {
      messages: this.messages,
      write,
      afterWrite,
      snapshot: this.snapshotToLoad,
      apply,
      truncatedFrom: this.truncatedFrom,
    };
    this.messages = [];
    this.snapshotToLoad = null;
    this.truncatedFrom = 0;
    const empty =
      ready.messages.length === 0 && !write && afterWrite.length === 0 && !ready.snapshot && apply.length === 0;
    return empty && ready.truncatedFrom === 0 ? null : ready;
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
    this.progress.clear();
    this.dirtyPeers.clear();
    this.votes.clear();
    this.resetElectionTimer();
  }

  private campaign(preVote: boolean, transfer = false): void {
    if (!isVoter(this.config, this.id)) {
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
    for (const to of members(this.config)) {
      if (to === this.id || !isVoter(this.config, to)) continue;
      const request: VoteRequest = {
        type: 'vote-request',
        from: this.id,
        to,
        term,
        lastLogIndex: this.log.lastIndex,
        lastLogTerm: this.log.lastTerm,
        preVote,
        transfer,
      };
      // A real candidate's own vote must be durable before anyone can count on it.
      if (preVote) this.send(request);
      else this.afterWrite.push(request);
    }
    this.tallyVotes();
  }

  private becomeLeader(): void {
    this.role = 'leader';
    this.leaderId = this.id;
    this.votes.clear();
    this.heartbeatElapsed = 0;
    this.electionElapsed = 0;
    this.progress.clear();
    for (const id of members(this.config)) {
      if (id !== this.id) this.progress.set(id, new Progress(this.log.lastIndex + 1));
    }
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
    const lastNew = Math.max(prev + m.entries.length, this.log.snapshotIndex);
    this.advanceCommit(Math.min(m.leaderCommit, lastNew));
    this.afterWrite.push(this.appendResponse(m.from, true, lastNew, 0, 0, m.seq));
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
    hintIndex: number,
    hintTerm: number,
    seq: number,
  ): AppendResponse {
    return {
      type: 'append-response',
      from: this.id,
      to,
      term: this.term,
      success,
      index,
      hintIndex,
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
    let inbound = this.inbound;
    if (m.offset === 0) {
      inbound = {
        index: m.lastIncludedIndex,
        term: m.lastIncludedTerm,
        config: m.config,
        chunks: [],
        size: 0,
      };
      this.inbound = inbound;
    }
    if (
      !inbound ||
      inbound.index !== m.lastIncludedIndex ||
      inbound.term !== m.lastIncludedTerm ||
      m.offset !== inbound.size
    ) {
      return this.send(this.snapshotResponse(m, inbound && inbound.index === m.lastIncludedIndex ? inbound.size : 0));
    }
    const isBytes = m.data instanceof Uint8Array;
    if (!m.done || inbound.chunks.length > 0) {
      if (!isBytes) return this.count('malformed-snapshot-chunk');
      inbound.chunks.push(m.data as Uint8Array);
      inbound.size += (m.data as Uint8Array).length;
    }
    if (!m.done) return this.send(this.snapshotResponse(m, inbound.size));
    this.inbound = null;
    const data = inbound.chunks.length > 0 ? (concat(inbound.chunks, inbound.size) as D) : (m.data as D);
    this.installSnapshot({
      lastIncludedIndex: m.lastIncludedIndex,
      lastIncludedTerm: m.lastIncludedTerm,
      config: m.config,
      termStarts: m.termStarts,
      data,
    });
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
    this.setConfig(s.config);
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
      if (pr.state === 'replicate') {
        const prevTerm = this.log.term(pr.match);
        const prev = prevTerm === undefined ? 0 : pr.match;
        this.send(this.append(id, prev, prevTerm ?? 0, [], Math.min(this.commit, pr.match)));
      }
      this.sendAppends(id, true);
    }
  }

  private append(
    to: ReplicaId,
    prev: number,
    prevTerm: number,
    entries: LogEntry<T>[],
    commit: number,
  ): AppendRequest<T> {
    return {
      type: 'append',
      from: this.id,
      to,
      term: this.term,
      prevLogIndex: prev,
      prevLogTerm: prevTerm,
      entries,
      leaderCommit: commit,
      seq: this.seq,
    };
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
      if (entries.length === 0) return;
    }
  }

  private sendSnapshotChunk(id: ReplicaId, pr: Progress): void {
    const s = this.snapshot!;
    if (pr.snapshotIndex !== s.lastIncludedIndex) pr.becomeSnapshot(s.lastIncludedIndex);
    if (pr.paused) return;
    let data: D | Uint8Array = s.data;
    let done = true;
    if (data instanceof Uint8Array) {
      const end = Math.min(data.length, pr.snapshotOffset + this.opts.snapshotChunkBytes);
      done = end >= data.length;
      data = data.subarray(pr.snapshotOffset, end);
    }
    const { lastIncludedIndex, lastIncludedTerm, config, termStarts } = s;
    this.send({
      type: 'snapshot',
      from: this.id,
      to: id,
      term: this.term,
      lastIncludedIndex,
      lastIncludedTerm,
      config,
      termStarts,
      offset: pr.snapshotOffset,
      data,
      done,
      seq: this.seq,
    });
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
    if (index > this.commit && this.log.term(index) === this.term) {
      this.advanceCommit(index);
    }
  }

  // ---- helpers ------------------------------------------------------------------------

  private setConfig(config: Membership): void {
    this.config = config;
    this.memberSet = new Set(members(config));
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
