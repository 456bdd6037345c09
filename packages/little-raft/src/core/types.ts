// Public data types shared by the core, the driver and the batteries.
// Everything here is plain data: structured-clonable, no classes.

/** A replica's id: a non-negative integer, unique in its cluster. */
export type ReplicaId = number;

/** little_raft's StateMachineTransition: plain data with an id. */
export interface StateMachineTransition {
  readonly id: string | number;
}

/** What happened to a transition, as {@link StateMachine.registerTransitionState} reports it (little_raft's TransitionState). */
export type TransitionState = 'queued' | 'committed' | 'applied' | 'abandoned';
/** Why a transition was abandoned: handed to a replica that does not lead, or overwritten by a newer leader. */
export type AbandonedReason = 'not-leader' | 'conflict-with-leader';

/** A state machine's snapshot: its data as of `lastIncludedIndex`, the last entry it covers, of term `lastIncludedTerm`. */
export interface Snapshot<D> {
  lastIncludedIndex: number;
  lastIncludedTerm: number;
  data: D;
}

/** Cluster membership. `outgoing` is non-empty only during a joint configuration. */
export interface Membership {
  voters: ReplicaId[];
  learners: ReplicaId[];
  outgoing: ReplicaId[];
}

/** One log entry: a transition, or a configuration change (then `transition` is absent). */
export interface LogEntry<T> {
  index: number;
  term: number;
  transition?: T;
  config?: Membership;
}

/** A snapshot as storage and the wire keep it: the state machine's snapshot plus membership. */
export interface StoredSnapshot<D> extends Snapshot<D> {
  config: Membership;
  /**
   * Term history of the log the snapshot replaced: flattened pairs [firstIndex, term, ...], where
   * each run of equal terms begins, through lastIncludedIndex; indices and terms strictly increase.
   * At most the last 1,024 runs; the first pair may start after its run really did (the table
   * covers indices >= termStarts[0] only). Lets a replica tell whether its own proposals are in it.
   */
  termStarts: number[];
}

/** What must survive a crash besides the log. */
export interface HardState {
  term: number;
  vote: ReplicaId | null;
  commit: number;
}

interface Envelope {
  from: ReplicaId;
  to: ReplicaId;
  term: number;
  /**
   * Member identities (see StoredIdentity), stamped by the driver, never read by the core:
   * the sender's uid, and the uid the sender knows the recipient by (0 or absent: unknown).
   */
  fromUid?: number;
  toUid?: number;
}

// preVote: asks "would you vote for me at `term`?" without changing anyone's term.
// transfer: sent on a leadership transfer; voters answer even while they know a leader.
/** A candidate asks for a vote (or, with `preVote`, whether it would get one). */
export type VoteRequest = Envelope & {
  type: 'vote-request';
  lastLogIndex: number;
  lastLogTerm: number;
  preVote: boolean;
  transfer: boolean;
};
/** The answer to a {@link VoteRequest}. */
export type VoteResponse = Envelope & { type: 'vote-response'; granted: boolean; preVote: boolean };

// seq: the leader's heartbeat round, echoed back; confirms leadership for read barriers.
/** The leader's append (and heartbeat): entries after `prevLogIndex`, and its commit index. */
export type AppendRequest<T> = Envelope & {
  type: 'append';
  prevLogIndex: number;
  prevLogTerm: number;
  entries: LogEntry<T>[];
  leaderCommit: number;
  seq: number;
  /** Stamped by the driver, never read by the core: [id, uid, ...] of the members the leader knows. */
  memberUids?: number[];
};

// index: on success the last index known to match the leader; on rejection the rejected
// prevLogIndex. hintIndex/hintTerm (rejection): the follower's guess of the last index that
// may match, and its term (fast backtracking).
/** A follower's answer to an {@link AppendRequest}. */
export type AppendResponse = Envelope & {
  type: 'append-response';
  success: boolean;
  index: number;
  hintIndex: number;
  hintTerm: number;
  seq: number;
};

// offset: byte offset of this chunk when the snapshot data has a subarray method (SnapshotBytes), else 0;
// data: a slice of the bytes or, for non-byte snapshot data, the whole data.
/** One chunk of a snapshot the leader sends to a follower behind the start of its log. */
export type SnapshotChunk<D> = Envelope & {
  type: 'snapshot';
  lastIncludedIndex: number;
  lastIncludedTerm: number;
  config: Membership;
  termStarts: number[]; // as in StoredSnapshot; every chunk carries it, like config
  offset: number;
  data: D | Uint8Array;
  done: boolean;
  seq: number;
};

// nextOffset: the next byte offset the follower expects.
/** A follower's answer to a {@link SnapshotChunk}. */
export type SnapshotResponse = Envelope & {
  type: 'snapshot-response';
  lastIncludedIndex: number;
  nextOffset: number;
  seq: number;
};

/** Leadership transfer: start an election now. */
export type TimeoutNow = Envelope & { type: 'timeout-now' };
/** A follower or learner asks the leader for a read index (linearizable reads). */
export type ReadIndexRequest = Envelope & { type: 'read-index'; requestId: number };
/** readIndex is 0 when the leader could not serve the request. */
export type ReadIndexResponse = Envelope & { type: 'read-index-response'; requestId: number; readIndex: number };

/** Everything replicas send each other: plain objects discriminated by `type`. A {@link Cluster} may drop, duplicate, delay and reorder them. */
export type Message<T, D = Uint8Array> =
  | VoteRequest
  | VoteResponse
  | AppendRequest<T>
  | AppendResponse
  | SnapshotChunk<D>
  | SnapshotResponse
  | TimeoutNow
  | ReadIndexRequest
  | ReadIndexResponse;

/** The `type` of a {@link Message}. */
export type MessageType = Message<unknown, unknown>['type'];

/**
 * Who this replica is, beyond its id: kept in its storage, so that a replica whose storage was
 * lost can be told from the one that voted and acknowledged entries before (see docs on member
 * identity in the README).
 */
export interface StoredIdentity {
  /** Random, made when the storage was new; never 0. */
  uid: number;
  /** The other members' uids, as first heard of (from them or from a leader): [id, uid] pairs. */
  peers: [ReplicaId, number][];
  /** Set once member `by` knew this id under another uid: the replica takes no part any more. */
  excluded: { by: ReplicaId; uid: number } | null;
}

/**
 * One batch for Storage.write, applied in this order:
 * 1. `snapshot`: keep it as the latest; drop entries with index <= its lastIncludedIndex.
 * 2. `truncateFrom`: drop entries with index >= truncateFrom.
 * 3. `entries`: store them at their indices (they are consecutive), first dropping any
 *    stored entry with index >= entries[0].index.
 * 4. `hardState`: replace it.
 * The promise resolves (or the call returns) only once all of it is durable.
 */
export interface StorageWrite<T, D> {
  snapshot?: StoredSnapshot<D>;
  truncateFrom?: number;
  entries?: LogEntry<T>[];
  hardState?: HardState;
  /** Replace the stored identity (written on its own, never with other fields). */
  identity?: StoredIdentity;
}

/** What {@link Storage.load} returns: everything a restarted replica recovers. */
export interface StoredState<T, D> {
  hardState: HardState;
  /**
   * The stored identity; null when the storage keeps identities but holds none yet; absent
   * when the storage does not keep them (then the replica runs without member identities).
   */
  identity?: StoredIdentity | null;
  snapshot: StoredSnapshot<D> | null;
  /** Consecutive entries following the snapshot (or index 1). */
  entries: LogEntry<T>[];
}

/** Persists what Raft needs to survive a crash. */
export interface Storage<T, D> {
  load(): StoredState<T, D> | Promise<StoredState<T, D>>;
  write(batch: StorageWrite<T, D>): void | PromiseLike<void>;
}
