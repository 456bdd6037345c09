import type {
  AbandonedReason,
  Message,
  ReplicaId,
  Snapshot,
  StateMachineTransition,
  Storage,
  TransitionState,
} from '../core/types.js';

// What a Replica is built from: the state machine it replicates, the cluster it talks to, the
// clock it keeps time with, and its options (docs/api.md).

/** The state machine you replicate (little_raft's StateMachine trait): applies committed transitions in log order, hands over pending ones, and optionally takes and restores snapshots. */
export interface StateMachine<T extends StateMachineTransition, D = Uint8Array> {
  registerTransitionState(id: T['id'], state: TransitionState, reason?: AbandonedReason): void;
  /** `index` (an addition to little_raft) is the transition's log index. */
  applyTransition(transition: T, index?: number): void;
  getPendingTransitions(): T[];
  getSnapshot?(): Snapshot<D> | null;
  /**
   * May return a promise (an addition to little_raft): the snapshot is then taken while the replica
   * goes on applying entries, and must hold the state as of `lastIncludedIndex`.
   */
  createSnapshot?(lastIncludedIndex: number, lastIncludedTerm: number): Snapshot<D> | Promise<Snapshot<D>>;
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
  /**
   * Start with the election timer advanced to a heartbeat before its minimum (etcd's initial
   * election tick advance): a cluster restarted whole elects a leader within a heartbeat to an
   * election timeout of starting, not after a full timeout. Needs preVote (ignored without it).
   */
  fastFirstElection?: boolean;
  checkQuorum?: boolean;
  maxEntriesPerMessage?: number;
  maxBytesPerMessage?: number;
  /** Unacknowledged appends in flight per follower. */
  maxInflight?: number;
  /**
   * Bytes of entries (by transitionSize) applied per turn of the event loop, past the first entry;
   * a longer backlog is applied over several turns. Default: no bound (the whole backlog at once;
   * sizing every entry applied costs a little throughput).
   */
  maxApplyBytes?: number;
  snapshotChunkBytes?: number;
  /**
   * A snapshot received from the leader in chunks, as its data; default: one Uint8Array they are
   * copied into (on the event loop: about 0.1 s for 100 MB). With SnapshotBytes data, a
   * `ChunkedBytes` over them copies nothing.
   */
  joinSnapshotChunks?: (chunks: Uint8Array[], size: number) => D;
  /** Also take a snapshot once the entries applied since the last one add up to this many bytes (by transitionSize). */
  snapshotLogBytes?: number;
  /** Encoded size of a transition, for the per-message byte bound; default: a shallow estimate. */
  transitionSize?: (transition: T) => number;
}
