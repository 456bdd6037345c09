// One node of the KV service: a Replica on DiskStorage and TcpCluster, the KV state machine, and
// the two paths clients take through it:
//   writes  -> batched per event-loop turn into one KvBatch; proposed here when this node leads,
//              otherwise forwarded to the leader; answered when this node applies the batch.
//   reads   -> a ReadIndex barrier (on the leader, or through it from a follower), then the local
//              key space, with expiry judged by the leader's time taken alongside (cluster-time.ts).
// Forwarding is made safe to repeat by the state machine's dedupe table, so a batch whose fate is
// unknown after a leader change is simply sent to the new leader.

import { createHmac } from 'node:crypto';
import { existsSync } from 'node:fs';

import type { Logger } from 'pino';

import {
  ChunkedBytes,
  NotLeaderError,
  Replica,
  ReplicaStoppedError,
  TimeoutError,
  type Cluster,
  type Message,
  type ReplicaId,
  type ReplicaStatus,
  type SnapshotBytes,
} from 'little-raft';
import { DiskStorage } from 'little-raft/disk';
import { TcpCluster, type TcpClusterStats, type TcpTlsOptions } from 'little-raft/tcp';
import { NOOP_BATCH, withTime, type KvBatch, type KvTransactionSpan, type KvWatch } from '../store/batch.js';
import {
  asEncoded,
  encodeBatch,
  encodeInSlices,
  hasBigArgument,
  kvCodecs,
  stampEncoding,
} from '../store/batch-codec.js';
import { BATCHES_PER_INCARNATION, incarnationOfSeq, seqOf } from '../store/dedupe.js';
import { snapshotLoading } from './heap-growth.js';
import {
  decodeNodeMessage,
  encodeAccept,
  encodeForward,
  encodeForwardInSlices,
  encodeReject,
  encodeRemoved,
} from './forwarding.js';
import { ClusterTime } from './cluster-time.js';
import { adoptClusterId, claimDataDir, raiseIncarnation, type NodeIdentity } from './data-dir.js';
import { DataDirError } from '../errors.js';
import { lockDataDir, type DataDirLock } from './data-dir-lock.js';
import { loadRestoredSnapshot, retireRestoreFiles } from './restore-dir.js';
import { BlockedClients, type Attempt } from './blocking.js';
import { ErrorReply, type Reply } from '../resp/reply.js';
import { KvStateMachine, type SnapshotEvent } from '../store/state-machine.js';
import { inMemoryInSlices } from '../store/slices.js';
import { PubSub } from './pubsub.js';
import { watchesHold, watchOf } from '../store/watch.js';
import { ListValue, ZSetValue } from '../store/values.js';
import { Membership } from './membership.js';
import { MemberFileWriter, readMemberFile } from './member-file.js';
import { SnapshotSendTimer } from './snapshot-send-timer.js';

export interface KvNodeOptions {
  id: ReplicaId;
  /**
   * Raft address ('host:port') of members to start with: every member of a brand-new cluster, this
   * node included (--peers), or those a joining node was told of. Later the replicated member table
   * says where members are.
   */
  peers: Record<ReplicaId, string>;
  /** This node's Raft address (default: peers[id]). */
  raft?: string;
  /** This node's Redis and HTTP addresses, recorded in the member table for the others. */
  redisAddress?: string;
  httpAddress?: string;
  /** Start as a node joining a running cluster: no campaigning before a configuration reaches it. */
  join?: boolean;
  /** As leader, promote caught-up learners to voters (default true). */
  autoPromote?: boolean;
  /** The joined cluster's id (ClusterInfo.clusterId: null for one started with --peers), recorded in a
   * new data directory; a directory of another cluster is refused. */
  clusterId?: string | null;
  /** The data directory's lock, when the caller took it first (else start() takes it). */
  lock?: DataDirLock;
  /** Called once when this node learns it was removed from the cluster. */
  onRemoved?: () => void;
  dataDir: string;
  /** Name of the cluster; a data directory of another cluster is refused. Default 'little-raft'. */
  cluster?: string;
  secret?: string | Uint8Array;
  tls?: TcpTlsOptions;
  insecure?: boolean;
  logger: Logger;
  /** How long a request may wait for a leader and its answer, in ms. Default 5,000. */
  requestTimeout?: number;
  heartbeatTimeout?: number;
  electionTimeoutRange?: [number, number];
  /** Log entries between snapshots. Default 10,000. */
  snapshotEntries?: number;
  /** Testing: snapshot loads wait while this file exists (--hold-load-while). */
  holdLoadWhile?: string;
  /** Also snapshot once the log since the last one holds this many bytes (default 64 MiB). */
  snapshotBytes?: number;
  /**
   * This node's wall clock (ms since the epoch) wherever time means data (batch stamps, expiry):
   * default Date.now. Tests skew it (serve's --clock-offset-ms). Timeouts use Date.now.
   */
  clock?: () => number;
}

/** Counters the metrics endpoint reads. */
export interface KvNodeCounters {
  batchesProposed: number;
  batchesForwarded: number;
  commandsApplied: number;
  leaderChanges: number;
  readBarriers: number;
  requestsTimedOut: number;
  /** Forwarded batches sent to the leader again after FORWARD_RESEND_MS without an answer. */
  forwardsResent: number;
}

/** Raised to clients: the command was not proposed (no leader in time); retrying is safe. */
const TRY_AGAIN = 'TRYAGAIN no leader is available; try again';
/** Raised to clients of a node the cluster no longer counts (see checkExcluded). */
function excludedReason(id: ReplicaId, by: ReplicaId): string {
  return `ERR node ${id} is excluded from the cluster: node ${by} knows node ${id} by another identity (this data directory was lost or replaced); remove node ${id} and add this server under a new id`;
}
/** Raised to clients of a node taken out of the cluster. */
const REMOVED = 'ERR this node was removed from the cluster';
/** Raised to clients: the node stopped after sending the write to a leader. */
const SHUTTING_DOWN = 'ERR the node is shutting down';
/** A write applied while this node was behind: it learned of it from a snapshot, without the reply. */
const APPLIED_IN_SNAPSHOT =
  'ERR the write was applied; this node caught up through a snapshot from the leader, which carries no reply for it';
/** Redis's answer while it loads its data set, ours while a snapshot loads. */
export const LOADING_REPLY = new ErrorReply('LOADING Redis is loading the dataset in memory');
const SHUTDOWN_OUTCOME_UNKNOWN = 'TIMEOUT the node is shutting down; the write may or may not have been applied';
/** Raised to clients: the write was sent to a leader but not seen applied in time. */
const OUTCOME_UNKNOWN = 'TIMEOUT the write was not confirmed in time; it may or may not have been applied';

/**
 * One submitWrites call: its commands' place in a batch, and when it came (Date.now()); `tx`: they
 * are a MULTI/EXEC transaction (a span of the batch), with its client's WATCH records.
 */
type Part = {
  count: number;
  since: number;
  tx: boolean;
  watches: readonly KvWatch[] | undefined;
  resolve: (replies: Reply[]) => void;
  reject: (e: Error) => void;
};
interface OwnBatch {
  batch: KvBatch;
  parts: Part[];
  deadline: number;
  /** Where the batch was last proposed (this node) or forwarded; null while it waits for a leader. */
  sentTo: ReplicaId | null;
  /** Proposed or forwarded at least once: a leader may have logged it, so its fate is unknown. */
  sent: boolean;
  /** When it was last forwarded (Date.now()); 0 if never. */
  forwardedAt: number;
  /**
   * The term this node was in when the leader it last forwarded the batch to said it proposed it
   * (-1: not accepted). No resend while that term lasts; after an election the proposal may be lost.
   */
  acceptedTerm: number;
}

/**
 * A batch is applied in one piece on every node: 2,048 SETs take 10-20 ms there (more while a
 * snapshot is taken), 8,192 held a loaded node's event loop past 300 ms.
 */
const MAX_BATCH_COMMANDS = 2048;
/**
 * A node has at most this many of its own batches unanswered; writes that arrive meanwhile wait
 * and go together in the next, bigger batch (unless it fills up first). Fewer, larger entries
 * cost less per command on every replica: ~5-10% more SET/s at 64 and 256 clients in A/B runs,
 * and one client is not slowed (with nothing in flight its batch goes at once).
 */
const MAX_OWN_BATCHES = 1;
/**
 * A forwarded batch that the leader neither accepted (proposed) nor rejected this long after it
 * was sent goes to the leader again: the forward or the answer may have been lost (a dropped
 * connection, a full send queue). The dedupe table makes a second copy harmless.
 */
const FORWARD_RESEND_MS = 1000;
/** Pauses before a rejected batch is sent again: from the first, doubling up to the last. */
const MIN_RETRY_MS = 10;
const MAX_RETRY_MS = 320;
/** A batch is sent off once it holds this much; with one command of at most 8 MiB on top it stays
 * well inside a peer frame (16 MiB), so every batch can be replicated. Also what a node applies
 * per turn of its event loop (the replica's maxApplyBytes). */
const MAX_BATCH_BYTES = 256 * 1024;

export class KvNode {
  readonly id: ReplicaId;
  readonly counters: KvNodeCounters = {
    batchesProposed: 0,
    batchesForwarded: 0,
    commandsApplied: 0,
    leaderChanges: 0,
    readBarriers: 0,
    requestsTimedOut: 0,
    forwardsResent: 0,
  };
  identity: NodeIdentity | null = null;
  leaderId: ReplicaId | null = null;
  readonly machine: KvStateMachine;
  /** This node's clients blocked in BLPOP and the like. */
  readonly blocked: BlockedClients;
  /** This node's subscribers, and the delivery of what PUBLISH publishes. */
  readonly pubsub: PubSub;
  private readonly options: KvNodeOptions;
  private readonly log: Logger;
  private readonly requestTimeout: number;
  /** The time reads judge expiry by, and the leader's stamps: the cluster's, not this node's. */
  private readonly time: ClusterTime;
  private storage: DiskStorage<KvBatch, SnapshotBytes> | null = null;
  private cluster: TcpCluster<KvBatch, Uint8Array> | null = null;
  private replica: Replica<KvBatch, SnapshotBytes> | null = null;
  private running: Promise<void> | null = null;
  /** A snapshot of the key space is being taken (INFO rdb_bgsave_in_progress). */
  snapshotting = false;
  /** How far the last snapshot load got, 0 to 1 (INFO loading_loaded_perc). */
  loadProgress = 1;
  /** A snapshot is being loaded (or what came meanwhile caught up on): clients get -LOADING. */
  get loading(): boolean {
    return this.machine.loading;
  }

  /** Reports how long a snapshot phase took (metrics), when set. */
  snapshotTimings: ((phase: 'take' | 'write' | 'send' | 'install' | 'load', seconds: number) => void) | null = null;
  /** The snapshot being loaded came from the leader ('install') or from this node's disk ('load'). */
  private loadKind: 'install' | 'load' = 'load';
  /** Times each snapshot this leader sends, first chunk to the follower's acknowledgement. */
  private readonly snapshotSends = new SnapshotSendTimer(
    (to, index) => this.log.info({ to, index }, `sending the snapshot at index ${index} to node ${to}`),
    ({ to, index, bytes, seconds }) => {
      const ms = Math.round(seconds * 1000);
      this.log.info(
        { to, index, bytes, ms },
        `snapshot at index ${index} sent to node ${to}: ${bytes} bytes in ${ms} ms`,
      );
      this.snapshotTimings?.('send', seconds);
    },
  );
  private stopped = false;
  /** Set once start() is done; requests that arrive earlier (the ports open first) wait for it. */
  private started = false;
  private counter = 0;
  private readonly own = new Map<number, OwnBatch>();
  /** Batches to hand the replica at its next getPendingTransitions (leader only). */
  private proposals: KvBatch[] = [];
  private pendingCommands: Uint8Array[][] = [];
  private pendingParts: Part[] = [];
  private pendingBytes = 0;
  /** How many of pendingParts are transactions: none, and a batch needs no spans. */
  private pendingTxs = 0;
  private flushScheduled = false;
  private retryScheduled = false;
  /** The pause before sending rejected batches again: doubles while they keep being rejected. */
  private retryDelay = MIN_RETRY_MS;
  private sweepTimer: ReturnType<typeof setInterval> | null = null;
  private leaderWaiters = new Set<() => void>();
  /** Set once the cluster refuses this node (its data directory is not the one it knew): why. */
  private excludedBecause: string | null = null;
  /** Adding, removing and promoting members; where they are. Set by start(). */
  membership: Membership | null = null;
  private memberFile: MemberFileWriter | null = null;
  /** This process's hold on the data directory (one process per directory). */
  private lock: DataDirLock | null = null;
  /** The other members' ids (the pub/sub gossip's peers): kept in step by `membership`. */
  private readonly peerIds: ReplicaId[];
  /** This node has been in a configuration it applied (so leaving one means it was removed). */
  private wasMember = false;
  /** Removing the files of a restore this node no longer needs (see retireRestoreOnceSuperseded). */
  private retiringRestore: Promise<void> | null = null;
  /** When this node last led or had a peer connected (Date.now()). */
  private lastContact = Date.now();
  /** Why no member answers this node, once that has lasted (see checkContact); else null. */
  problem: string | null = null;

  constructor(options: KvNodeOptions) {
    if ((options.raft ?? options.peers[options.id]) === undefined) {
      throw new RangeError(`node ${options.id} is not among the peers (${Object.keys(options.peers).join(', ')})`);
    }
    this.options = options;
    this.id = options.id;
    this.log = options.logger;
    this.requestTimeout = options.requestTimeout ?? 5000;
    this.time = new ClusterTime({
      id: options.id,
      clock: options.clock ?? Date.now,
      leaderId: () => this.leaderId,
      term: () => this.term(),
      send: (to, payload) => this.cluster?.sendApp(to, payload) ?? false,
    });
    this.machine = new KvStateMachine({
      applied: (batch, replies) => this.onApplied(batch, replies),
      abandoned: (id) => this.onAbandoned(id),
      pending: () => this.takeProposals(),
      membersChanged: () => this.memberFile?.changed(),
      snapshotEvent: (event) => this.onSnapshotEvent(event),
      // A snapshot's bytes go to its file as they are made (never all in memory).
      snapshotWriter: () => this.storage?.snapshotWriter() ?? null,
      ...(options.holdLoadWhile !== undefined && { holdLoading: () => existsSync(options.holdLoadWhile!) }),
      loadFailed: (error) => {
        this.log.fatal({ err: error }, 'the snapshot could not be loaded: this node stops taking part');
        void this.replica?.stop();
      },
      restored: (index) => {
        this.log.info({ index }, 'state restored from a snapshot');
        this.answerCovered();
        this.blocked.recheckAll();
        const subscribers = this.pubsub.disconnectAll();
        if (subscribers > 0) {
          this.log.warn(
            { index, subscribers },
            `caught up from a snapshot: disconnected ${subscribers} pub/sub clients, which would miss the messages it covers`,
          );
        }
      },
    });
    this.blocked = new BlockedClients({
      submit: (argv) => this.submitAttempt(argv),
      elements: (key, type) => {
        const ks = this.machine.keyspace;
        const v = ks.get(key, ks.now);
        if (type === 'list') return v instanceof ListValue ? v.length : 0;
        return v instanceof ZSetValue ? v.size : 0;
      },
    });
    this.peerIds = Object.keys(options.peers)
      .map(Number)
      .filter((id) => id !== options.id);
    this.pubsub = new PubSub({
      peers: this.peerIds,
      send: (to, bytes) => this.cluster?.sendApp(to, bytes),
      warn: (message) => this.log.warn(message),
    });
    this.machine.keyspace.events = this.pubsub;
  }

  /** Opens the data directory and storage, starts the transport and the replica. */
  async start(): Promise<void> {
    const o = this.options;
    this.lock = o.lock ?? (await lockDataDir(o.dataDir));
    if (this.lock.takenOver !== null) this.log.warn(this.lock.takenOver);
    this.identity = await claimDataDir(o.dataDir, o.cluster ?? 'little-raft', o.id);
    const mine = this.identity.clusterId ?? null;
    if (o.clusterId !== undefined && mine !== o.clusterId) {
      if (mine !== null || o.clusterId === null) {
        throw new DataDirError(
          `data directory ${o.dataDir} belongs to cluster id ${mine ?? '(none: started with --peers)'}, not ${o.clusterId ?? '(none)'}, the one --join names`,
        );
      }
      await adoptClusterId(o.dataDir, this.identity, o.clusterId);
    }
    // A restored cluster's peers share a key of their own: they never talk to the original's.
    const clusterId = this.identity.clusterId;
    const secret =
      o.secret === undefined || clusterId === undefined
        ? o.secret
        : createHmac('sha256', o.secret).update(`little-raft cluster ${clusterId}`).digest();
    const restored = await loadRestoredSnapshot(o.dataDir);
    if (restored !== null) {
      const expected = Object.entries(restored.peers)
        .map(([id, a]) => `${id}=${a}`)
        .join(',');
      const given = Object.entries(o.peers)
        .map(([id, a]) => `${id}=${a}`)
        .join(',');
      if (o.join || given !== expected) {
        throw new DataDirError(`data directory ${o.dataDir} was restored for --peers ${expected}: start it with those`);
      }
      // A new cluster's log starts in term 0, so the snapshot it starts from is of term 1 (whatever
      // the old cluster's term): a log's terms must never go down, or a node holding only the
      // snapshot would look more up to date than one holding entries committed after it.
      this.machine.initialSnapshot = {
        lastIncludedIndex: restored.index,
        lastIncludedTerm: 1,
        data: KvStateMachine.forNewCluster(restored.data),
      };
    }
    this.storage = new DiskStorage<KvBatch, SnapshotBytes>({
      dir: o.dataDir + '/raft',
      codec: kvCodecs.transition,
      // The core keeps the latest snapshot to send to followers: read from its file when sent.
      snapshotsOnDisk: true,
      onSnapshotWritten: ({ index, bytes, seconds }) => {
        const ms = Math.round(seconds * 1000);
        this.log.info({ index, bytes, ms }, `snapshot at index ${index} written to disk: ${bytes} bytes in ${ms} ms`);
        this.snapshotTimings?.('write', seconds);
      },
    });
    const peers: Record<ReplicaId, string> = {};
    for (const [id, address] of Object.entries(o.peers)) if (Number(id) !== o.id) peers[Number(id)] = address;
    const tcpLog = this.log.child({ component: 'tcp' });
    const raft = o.raft ?? o.peers[o.id]!;
    this.cluster = new TcpCluster<KvBatch, Uint8Array>({
      id: o.id,
      listen: raft,
      peers,
      ...(secret !== undefined && { secret }),
      ...(o.tls !== undefined && { tls: o.tls }),
      ...(o.insecure !== undefined && { insecure: o.insecure }),
      codecs: kvCodecs,
      logger: { warn: (m) => tcpLog.warn(m), info: (m) => tcpLog.debug(m) },
      onAppMessage: (from, payload) => this.onNodeMessage(from, payload),
    });
    await this.cluster.listening();
    const cluster = this.cluster;
    const sends = this.snapshotSends;
    const wrapped: Cluster<KvBatch, SnapshotBytes> = {
      sendMessage: (to: ReplicaId, message: Message<KvBatch, SnapshotBytes>) => {
        // Snapshot data (SnapshotBytes) is always sent in chunks, each a Uint8Array.
        const m = message as Message<KvBatch, Uint8Array>;
        sends.sent(to, m);
        cluster.sendMessage(to, m);
      },
      receiveMessages: () => {
        const messages = cluster.receiveMessages();
        if (sends.active) sends.received(messages);
        return messages;
      },
      halt: () => cluster.halt(),
      registerLeader: (leaderId: ReplicaId | null) => {
        cluster.registerLeader(leaderId);
        if (leaderId !== o.id) sends.forget();
        this.onLeaderChange(leaderId);
      },
    };
    this.replica = new Replica<KvBatch, SnapshotBytes>({
      id: o.id,
      peerIds: Object.keys(o.peers)
        .map(Number)
        .filter((id) => id !== o.id),
      cluster: wrapped,
      stateMachine: this.machine,
      noopTransition: NOOP_BATCH,
      heartbeatTimeout: o.heartbeatTimeout ?? 100,
      electionTimeoutRange: o.electionTimeoutRange ?? [1000, 2000],
      // After a restart of the whole cluster, a leader is there by the time the key space is loaded.
      fastFirstElection: true,
      snapshotDelta: o.snapshotEntries ?? 10000,
      snapshotLogBytes: o.snapshotBytes ?? 64 * 1024 * 1024,
      // A snapshot from the leader stays in the chunks it came in: never copied into one buffer.
      joinSnapshotChunks: (chunks, size) => new ChunkedBytes(chunks, size),
      storage: this.storage,
      transitionSize: (b) => encodeBatch(b).length, // the exact size, encoded once and kept
      maxApplyBytes: MAX_BATCH_BYTES,
      ...(o.join && { join: true }),
    });
    const seeds = new Map<ReplicaId, string>();
    for (const [id, address] of Object.entries(o.peers)) if (Number(id) !== o.id) seeds.set(Number(id), address);
    const lastKnown = await readMemberFile(o.dataDir);
    this.memberFile = new MemberFileWriter(
      o.dataDir,
      () => this.machine.members,
      () => this.machine.lastApplied,
      lastKnown.index,
      (m) => this.log.warn(m),
    );
    this.membership = new Membership({
      id: o.id,
      self: { raft, redis: o.redisAddress ?? null, http: o.httpAddress ?? null },
      seeds,
      lastKnown: lastKnown.addresses,
      machine: this.machine,
      replica: () => this.replica,
      cluster: () => this.cluster,
      peerIds: this.peerIds,
      submit: (commands) => this.submitWrites(commands),
      notifyRemoved: (id) => this.cluster?.sendApp(id, encodeRemoved()),
      log: this.log,
      ...(o.autoPromote === false && { autoPromote: false }),
    });
    cluster.attach(this.replica);
    this.running = this.replica.start();
    this.running.catch((e: unknown) => this.log.fatal({ err: e }, 'the replica failed'));
    if (restored !== null) this.retiringRestore = this.retireRestoreOnceSuperseded(o.dataDir);
    this.sweepTimer = setInterval(() => this.sweep(), 100);
    this.pubsub.start();
    this.started = true;
    this.flush(); // writes that came in while the node was starting
    this.log.info(
      { incarnation: this.identity.incarnation, recovery: this.storage.recovery },
      `node ${o.id} started (raft ${raft})`,
    );
  }

  /**
   * Once the node's storage holds a snapshot of its own (the state machine was not asked for the
   * restored one), the backup a restore left behind is not needed again: retired, so that later
   * starts do not read and verify it again.
   */
  private async retireRestoreOnceSuperseded(dataDir: string): Promise<void> {
    await this.loaded();
    if (this.stopped || this.machine.initialSnapshotUsed) return;
    try {
      await retireRestoreFiles(dataDir);
      this.log.info('the restored backup is superseded by a snapshot of this node: removed');
    } catch (e) {
      this.log.warn({ err: e }, 'removing the restored backup failed; it is read again at the next start');
    }
  }

  /** Stops the replica, the transport and the storage; pending requests fail. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    this.time.stop();
    this.pubsub.stop();
    await this.replica?.stop();
    await this.running?.catch(() => undefined);
    await this.cluster?.close();
    await this.storage?.close();
    await this.memberFile?.close(); // nothing writes to the data directory once it is released
    await this.retiringRestore;
    await this.lock?.release();
    const error = new Error(SHUTTING_DOWN);
    this.blocked.close(error);
    // A batch some leader may have logged can still commit after this node is gone.
    const unknown = new Error(SHUTDOWN_OUTCOME_UNKNOWN);
    for (const entry of this.own.values()) for (const p of entry.parts) p.reject(entry.sent ? unknown : error);
    this.own.clear();
    for (const p of this.pendingParts) p.reject(error);
    this.pendingParts = [];
    this.pendingCommands = [];
    this.pendingTxs = 0;
  }

  // ---- writes ---------------------------------------------------------------------------

  /**
   * Queues write commands (already validated); resolves with one reply per command, in order. With
   * `transaction`, the commands (reads among them) are one MULTI/EXEC transaction: they go into one
   * batch together, and are applied with nothing in between, each read seeing the writes before it;
   * with `watches`, not at all if a watched key changed (every reply is then WATCH_ABORTED).
   */
  submitWrites(commands: Uint8Array[][], transaction = false, watches?: readonly KvWatch[]): Promise<Reply[]> {
    return new Promise((resolve, reject) => this.enqueue(commands, transaction, watches, resolve, reject));
  }

  /**
   * One write, as submitWrites sends it, that can be taken back while it still waits to go into a
   * batch: a blocked client's attempt (node/blocking.ts), dropped if the client leaves meanwhile.
   */
  private submitAttempt(command: Uint8Array[]): Attempt {
    let part: Part | null = null;
    const replies = new Promise<Reply[]>(
      (resolve, reject) => (part = this.enqueue([command], false, undefined, resolve, reject)),
    );
    return { reply: replies.then((r) => r[0] ?? null), cancel: () => part !== null && this.withdraw(part) };
  }

  private enqueue(
    commands: Uint8Array[][],
    transaction: boolean,
    watches: readonly KvWatch[] | undefined,
    resolve: (replies: Reply[]) => void,
    reject: (e: Error) => void,
  ): Part | null {
    if (this.stopped) {
      reject(new Error(SHUTTING_DOWN));
      return null;
    }
    if (this.excludedBecause !== null) {
      reject(new Error(this.excludedBecause));
      return null;
    }
    for (const c of commands) {
      this.pendingCommands.push(c);
      this.pendingBytes += bytesOf(c);
    }
    const part: Part = { count: commands.length, since: Date.now(), tx: transaction, watches, resolve, reject };
    this.pendingParts.push(part);
    if (transaction) this.pendingTxs++;
    if (this.pendingCommands.length >= MAX_BATCH_COMMANDS || this.pendingBytes >= MAX_BATCH_BYTES) this.flush();
    else this.scheduleFlush();
    return part;
  }

  /** Takes a part back out of the pending writes if it is still there (not yet in a batch). */
  private withdraw(part: Part): boolean {
    const i = this.pendingParts.indexOf(part);
    if (i === -1) return false;
    let offset = 0;
    for (let j = 0; j < i; j++) offset += this.pendingParts[j]!.count;
    this.pendingParts.splice(i, 1);
    for (const c of this.pendingCommands.splice(offset, part.count)) this.pendingBytes -= bytesOf(c);
    if (part.tx) this.pendingTxs--;
    return true;
  }

  private flush(): void {
    this.flushScheduled = false;
    if (this.pendingCommands.length === 0 || !this.started || this.stopped) return;
    this.expireHeld(Date.now());
    if (this.pendingCommands.length === 0) return;
    if (
      this.own.size >= MAX_OWN_BATCHES &&
      this.pendingCommands.length < MAX_BATCH_COMMANDS &&
      this.pendingBytes < MAX_BATCH_BYTES
    ) {
      return; // sent when one of those is answered (batchAnswered), bigger
    }
    if (this.counter >= BATCHES_PER_INCARNATION) {
      // ~50 days of full load: a further seq would fall into the next incarnation's range.
      const error = new Error('ERR this node has numbered all the batches it can; restart it to continue');
      this.log.error('batch counter exhausted: restart this node');
      for (const part of this.pendingParts) part.reject(error);
      this.pendingParts = [];
      this.pendingCommands = [];
      this.pendingBytes = 0;
      this.pendingTxs = 0;
      return;
    }
    const seq = seqOf(this.identity!.incarnation, ++this.counter);
    const id = `${this.id}:${seq}`;
    const commands = this.pendingCommands;
    const batch: KvBatch =
      this.pendingTxs === 0
        ? { id, origin: this.id, seq, at: 0, commands }
        : { id, origin: this.id, seq, at: 0, commands, transactions: spansOf(this.pendingParts) };
    const entry: OwnBatch = {
      batch,
      parts: this.pendingParts,
      // From the oldest write in it: held back behind an earlier batch, it has waited already.
      deadline: this.pendingParts[0]!.since + this.requestTimeout,
      sentTo: null,
      sent: false,
      forwardedAt: 0,
      acceptedTerm: -1,
    };
    this.pendingCommands = [];
    this.pendingParts = [];
    this.pendingBytes = 0;
    this.pendingTxs = 0;
    this.own.set(seq, entry);
    this.route(entry);
  }

  /** Flushes at the end of this event-loop turn, once. */
  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => this.flush());
  }

  /** An own batch left `own`: writes held back for it can go. */
  private batchAnswered(): void {
    if (this.pendingCommands.length > 0) this.scheduleFlush();
  }

  /** Sends a batch where it can be proposed now: here, the leader, or nowhere yet (waits). */
  private route(entry: OwnBatch): void {
    const leader = this.leaderId;
    if (leader === this.id) {
      entry.sentTo = this.id;
      entry.sent = true;
      this.propose(entry.batch);
    } else if (leader !== null) {
      entry.sentTo = leader;
      entry.sent = true;
      entry.forwardedAt = Date.now();
      entry.acceptedTerm = -1;
      this.counters.batchesForwarded++;
      this.forward(leader, entry.batch);
    } else {
      entry.sentTo = null;
    }
  }

  /**
   * Sends an own batch to the leader. One with an argument of megabytes is encoded a slice at a
   * time first (batch-codec.ts: one copy of it in one go held the event loop for tens of ms).
   */
  private forward(leader: ReplicaId, batch: KvBatch): void {
    if (!hasBigArgument(batch)) {
      this.cluster!.sendApp(leader, encodeForward(batch));
      return;
    }
    // Sent late or lost (the leader changed meanwhile, the node stopped): the resend timer and
    // rejections take care of it, as for a forward lost on the way.
    encodeForwardInSlices(batch).then(
      (bytes) => {
        if (!this.stopped) this.cluster?.sendApp(leader, bytes);
      },
      (e: unknown) => this.log.error(`cannot encode batch ${batch.id}: ${(e as Error).message}`),
    );
  }

  private propose(batch: KvBatch): void {
    this.counters.batchesProposed++;
    // The leader's clock decides expiry, once, for every replica (never below a time it gave a
    // read). A copy: an own batch proposed again (its fate unknown) may still be in the log, here
    // and as sent to followers.
    // Its fields read once (a forwarded batch is an EncodedBatch: its commands are handed out once).
    const plain = withTime(batch, this.time.leaderNow());
    if (!hasBigArgument(plain)) {
      // The log keeps the bytes, which it needs anyway, rather than the decoded commands.
      this.proposals.push(asEncoded(plain));
      this.replica!.notifyTransitions();
      return;
    }
    // An argument of megabytes: encoded a slice at a time first (batch-codec.ts), with a time of
    // now's length that the time taken at the end replaces. Proposed late, it is like a batch
    // proposed just before this node stopped leading, if it did meanwhile: the replica abandons it.
    encodeInSlices(plain, 0).then(
      (encoding) => {
        if (this.stopped) return;
        const stamped = withTime(plain, this.time.leaderNow());
        // False only when the time grew a byte meanwhile: then encodeBatch makes the bytes anew.
        stampEncoding(encoding, stamped);
        this.proposals.push(asEncoded(stamped));
        this.replica?.notifyTransitions();
      },
      (e: unknown) => this.log.error(`cannot encode batch ${batch.id}: ${(e as Error).message}`),
    );
  }

  private takeProposals(): KvBatch[] {
    if (this.proposals.length === 0) return [];
    const out = this.proposals;
    this.proposals = [];
    return out;
  }

  private onApplied(batch: KvBatch, replies: Reply[] | null): void {
    if (replies !== null) this.counters.commandsApplied += replies.length;
    const ready = this.machine.keyspace.ready;
    if (ready.size > 0) {
      this.blocked.ready(ready); // lists and sorted sets that gained elements, from any node's writes
      ready.clear();
    }
    if (batch.origin !== this.id) return;
    const entry = this.own.get(batch.seq);
    if (entry === undefined) return;
    if (replies === null) {
      // Skipped as a duplicate although never seen applied: the cluster knows a newer incarnation
      // of this node than its data directory does (node.json was lost). Nothing of it was applied.
      const known = this.machine.incarnationOf(this.id);
      if (known > this.identity!.incarnation) this.outnumbered(known);
      return;
    }
    this.own.delete(batch.seq);
    this.batchAnswered();
    let offset = 0;
    for (const part of entry.parts) {
      part.resolve(replies.slice(offset, offset + part.count));
      offset += part.count;
    }
  }

  /**
   * Every own batch numbered in a forgotten incarnation is skipped by the dedupe table: fails them
   * as not applied (TRYAGAIN, safe to retry) and numbers new batches above the incarnation the
   * cluster knows.
   */
  private outnumbered(known: number): void {
    const identity = this.identity!;
    if (identity.incarnation > known) return;
    this.log.warn(
      { incarnation: identity.incarnation, known },
      `the cluster knows incarnation ${known} of node ${this.id}, newer than this data directory's ${identity.incarnation}: numbering batches from ${known + 1}`,
    );
    this.counter = 0;
    raiseIncarnation(this.options.dataDir, identity, known + 1).catch((e: unknown) =>
      this.log.error({ err: e }, 'could not record the new incarnation in node.json'),
    );
    const error = new Error(TRY_AGAIN);
    for (const [seq, entry] of this.own) {
      if (incarnationOfSeq(seq) > known) continue;
      this.own.delete(seq);
      this.batchAnswered();
      for (const part of entry.parts) part.reject(error);
    }
  }

  /**
   * A snapshot replaced the state: own batches it covers were applied (by the leader's log), but
   * their replies never reach this node. Their clients hear that the write took effect.
   */
  private answerCovered(): void {
    const machine = this.machine;
    for (const [seq, entry] of this.own) {
      if (!machine.covers(this.id, seq)) continue;
      this.own.delete(seq);
      this.batchAnswered();
      for (const part of entry.parts) part.reject(new Error(APPLIED_IN_SNAPSHOT));
    }
  }

  private onSnapshotEvent(event: SnapshotEvent): void {
    const log = this.log;
    switch (event.kind) {
      case 'take-started':
        this.snapshotting = true;
        log.info({ index: event.index }, `taking a snapshot at index ${event.index}`);
        return;
      case 'taken': {
        this.snapshotting = false;
        const { index, keys, bytes, ms, copied } = event;
        log.info(
          { index, keys, bytes, ms: Math.round(ms), copied },
          `snapshot at index ${index} taken: ${keys} keys, ${bytes} bytes in ${Math.round(ms)} ms`,
        );
        this.snapshotTimings?.('take', ms / 1000);
        return;
      }
      case 'load-started': {
        this.loadProgress = 0;
        snapshotLoading(true);
        // The one on disk is loaded at a start; one from the leader is handed over before it is
        // written, so the storage's snapshot is still an older one. (Whether a leader is known
        // says nothing: a follower cut off from its leader forgets it before the install.)
        this.loadKind = event.index === this.storage?.snapshotIndex ? 'load' : 'install';
        const from = this.loadKind === 'load' ? 'disk' : 'leader';
        log.info(
          { index: event.index, bytes: event.bytes, from },
          `loading the snapshot at index ${event.index} (${event.bytes} bytes, from the ${from})`,
        );
        return;
      }
      case 'loading':
        this.loadProgress = event.progress;
        log.info(
          { index: event.index, keys: event.keys },
          `loading the snapshot at index ${event.index}: ${Math.floor(event.progress * 100)}%, ${event.keys} keys`,
        );
        return;
      case 'loaded': {
        this.loadProgress = 1;
        snapshotLoading(false);
        const { index, keys, ms, queued } = event;
        log.info(
          { index, keys, ms: Math.round(ms), queued },
          `snapshot at index ${index} loaded: ${keys} keys in ${Math.round(ms)} ms`,
        );
        this.snapshotTimings?.(this.loadKind, ms / 1000);
      }
    }
  }

  /** The replica will not apply a batch it took in: ours goes elsewhere, another's goes home. */
  private onAbandoned(id: string): void {
    const colon = id.indexOf(':');
    const origin = Number(id.slice(0, colon));
    const seq = Number(id.slice(colon + 1));
    if (origin === this.id) {
      const entry = this.own.get(seq);
      if (entry !== undefined) {
        entry.sentTo = null;
        this.scheduleRetry();
      }
    } else if (Number.isSafeInteger(origin)) {
      this.cluster?.sendApp(origin, encodeReject(seq, this.leaderId));
    }
  }

  private onNodeMessage(from: ReplicaId, payload: Uint8Array): void {
    if (this.pubsub.onNodeMessage(from, payload)) return;
    let message;
    try {
      message = decodeNodeMessage(payload);
    } catch (e) {
      this.log.warn({ from }, `undecodable node message from ${from}: ${(e as Error).message}`);
      return;
    }
    if (message.type === 'forward') {
      if (message.batch.origin !== from) {
        this.log.warn({ from }, `node ${from} forwarded a batch of node ${message.batch.origin}; dropped`);
        return;
      }
      if (this.leaderId === this.id && !this.stopped) {
        this.propose(message.batch);
        this.cluster?.sendApp(from, encodeAccept(message.batch.seq));
      } else {
        this.cluster?.sendApp(from, encodeReject(message.batch.seq, this.leaderId));
      }
      return;
    }
    if (message.type === 'time-request') {
      this.cluster?.sendApp(from, this.time.answer(message.id));
      return;
    }
    if (message.type === 'time-reply') {
      this.time.onReply(from, message.id, message.term, message.time);
      return;
    }
    if (message.type === 'removed') {
      // Only the leader, which has taken this node out of its configuration, says so.
      const status = this.replica?.status();
      if (status !== undefined && from === status.leaderId) this.checkRemoved(true);
      else this.log.warn({ from }, `node ${from}, not the leader, said this node was removed; ignored`);
      return;
    }
    const entry = this.own.get(message.seq);
    if (message.type === 'accept') {
      if (entry !== undefined && entry.sentTo === from) entry.acceptedTerm = this.term();
      this.retryDelay = MIN_RETRY_MS;
      return;
    }
    if (entry !== undefined && entry.sentTo === from) {
      entry.sentTo = null;
      this.scheduleRetry();
    }
  }

  private onLeaderChange(leaderId: ReplicaId | null): void {
    if (leaderId === this.leaderId) return;
    this.retryDelay = MIN_RETRY_MS;
    const previous = this.leaderId;
    this.leaderId = leaderId;
    this.counters.leaderChanges++;
    this.time.leaderChanged();
    if (leaderId === null) this.log.info({ previous }, 'no leader');
    else this.log.info({ leader: leaderId, previous, term: this.replica?.status().term }, `leader is node ${leaderId}`);
    if (leaderId === null) return;
    // Batches whose leader is gone go to the new one; dedupe makes a second copy harmless.
    for (const entry of this.own.values()) {
      if (entry.sentTo !== leaderId) this.route(entry);
    }
    const waiters = this.leaderWaiters;
    this.leaderWaiters = new Set();
    for (const wake of waiters) wake();
  }

  private scheduleRetry(): void {
    if (this.retryScheduled) return;
    this.retryScheduled = true;
    // A short pause: a rejection usually means leadership is moving right now. While this node
    // still takes the rejecting one for the leader, each retry is rejected too: back off.
    const delay = this.retryDelay;
    this.retryDelay = Math.min(2 * delay, MAX_RETRY_MS);
    setTimeout(() => {
      this.retryScheduled = false;
      if (this.stopped) return;
      for (const entry of this.own.values()) if (entry.sentTo === null) this.route(entry);
    }, delay);
  }

  /** Fails writes held back (never sent) for their whole timeout with TRYAGAIN. */
  private expireHeld(now: number): void {
    const held = this.pendingParts;
    let parts = 0;
    let commands = 0;
    while (parts < held.length && held[parts]!.since + this.requestTimeout <= now) commands += held[parts++]!.count;
    if (parts === 0) return;
    const expired = held.splice(0, parts);
    for (const c of this.pendingCommands.splice(0, commands)) this.pendingBytes -= bytesOf(c);
    for (const part of expired) if (part.tx) this.pendingTxs--;
    const error = new Error(TRY_AGAIN);
    for (const part of expired) part.reject(error);
    this.counters.requestsTimedOut++; // they would have been one batch
  }

  private term(): number {
    return this.replica?.status().term ?? 0;
  }

  /** Fails requests past their deadline; sends forwards that got no answer again. */
  private sweep(): void {
    const now = Date.now();
    this.checkExcluded();
    this.checkRemoved();
    this.checkContact(now);
    if (this.started && !this.stopped && this.excludedBecause === null) this.membership?.tick();
    const term = this.term();
    if (this.started && !this.stopped) this.expireHeld(now);
    for (const [seq, entry] of this.own) {
      if (entry.deadline > now) {
        const forwarded = entry.sentTo !== null && entry.sentTo !== this.id;
        // An acceptance holds for the term it came in: after an election the proposal may be lost.
        const accepted = entry.acceptedTerm === term;
        if (forwarded && !accepted && now - entry.forwardedAt >= FORWARD_RESEND_MS) {
          this.route(entry);
          if (entry.sentTo !== null && entry.sentTo !== this.id) this.counters.forwardsResent++;
        }
        continue;
      }
      this.own.delete(seq);
      this.batchAnswered();
      this.counters.requestsTimedOut++;
      // TRYAGAIN promises the write was not applied: only for a batch no leader ever saw. One that
      // waits again after a rejection may still be in the log of the leader it was sent to first.
      const error = new Error(entry.sent ? OUTCOME_UNKNOWN : TRY_AGAIN);
      for (const part of entry.parts) part.reject(error);
    }
  }

  /**
   * The replica was told that another member knows this node's id under another identity: this
   * data directory is not the one the cluster knew (it was lost, wiped or replaced). The node takes
   * no part any more; clients are told at once, and so is the operator, once.
   */
  private checkExcluded(): void {
    if (this.excludedBecause !== null || !this.started) return;
    const excluded = this.replica?.status().identity?.excluded;
    if (!excluded) return;
    this.log.error(
      { excludedBy: excluded.by },
      `node ${excluded.by} knows node ${this.id} by another identity: this data directory (${this.options.dataDir}) is not the one the cluster knew, so this node takes no part in elections or commits. Its data was lost or replaced: remove node ${this.id} from the cluster and add this server under a new id.`,
    );
    this.refuseClients(excludedReason(this.id, excluded.by));
  }

  /**
   * Whether this node was removed: the leader said so, or a committed configuration leaves it out
   * after one that had it. It stops taking part: clients get REMOVED, and onRemoved is called.
   */
  private checkRemoved(told = false): void {
    if (this.excludedBecause !== null || !this.started || this.stopped) return;
    const status = this.replica?.status();
    if (status === undefined) return;
    const inConfig = status.voters.includes(this.id) || status.learners.includes(this.id);
    if (inConfig) this.wasMember = true;
    // A configuration not yet committed may still be replaced by a new leader's log (and this
    // node kept): only a committed one that leaves it out means it was removed.
    const final = status.configIndex <= status.commitIndex;
    if (!told && (inConfig || !this.wasMember || status.voters.length === 0 || !final)) return;
    this.log.error(`node ${this.id} was removed from the cluster; it takes no further part`);
    this.refuseClients(REMOVED);
    this.options.onRemoved?.();
  }

  /**
   * A node that hears from no member (it is in none of their configurations, has another cluster's
   * identity or secret, or cannot reach them) says so in its log and /health, instead of sitting
   * silently as a candidate, once that has lasted a few election timeouts.
   */
  private checkContact(now: number): void {
    if (!this.started || this.stopped) return;
    // Knowing a leader is not contact: a learner never campaigns, so it keeps the id of one long gone.
    if (this.leaderId === this.id || this.connectedPeers().length > 0) {
      this.lastContact = now;
      if (this.problem !== null) this.log.info('members answer again');
      this.problem = null;
      return;
    }
    const [, maxElection] = this.options.electionTimeoutRange ?? [1000, 2000];
    if (this.problem !== null || now - this.lastContact < 3 * maxElection) return;
    const peers = this.peerIds.map((id) => `${id} (${this.peerAddress(id) ?? '?'})`);
    this.problem =
      peers.length === 0
        ? 'no member answers: this node knows no other member (start it with --peers or --join)'
        : `no member answers: none of ${peers.join(', ')} accepts a connection from this node since ${new Date(this.lastContact).toISOString()} (unreachable, another cluster or secret, or this node is not in their configuration)`;
    this.log.warn(this.problem);
  }

  /** From now on every request fails with `reason`; those waiting fail now. */
  private refuseClients(reason: string): void {
    this.excludedBecause = reason;
    const error = new Error(this.excludedBecause);
    const unknown = new Error(OUTCOME_UNKNOWN);
    for (const entry of this.own.values()) for (const p of entry.parts) p.reject(entry.sent ? unknown : error);
    this.own.clear();
    for (const p of this.pendingParts) p.reject(error);
    this.pendingParts = [];
    this.pendingCommands = [];
    this.pendingBytes = 0;
    this.pendingTxs = 0;
  }

  /** Why this node refuses every request, or null while it is a member in good standing. */
  get exclusion(): string | null {
    this.checkExcluded();
    return this.excludedBecause;
  }

  // ---- reads ----------------------------------------------------------------------------

  /**
   * Resolves once this node has applied every write acknowledged before the call (ReadIndex), and
   * holds a leader time read after the call (reads judge expiry by it).
   */
  async readBarrier(): Promise<void> {
    const deadline = Date.now() + this.requestTimeout;
    this.counters.readBarriers++;
    for (;;) {
      if (this.stopped) throw new Error(SHUTTING_DOWN);
      if (this.excludedBecause !== null) throw new Error(this.excludedBecause);
      if (!this.started) {
        // Still opening its storage: wait for it like for a leader.
        if (Date.now() >= deadline) throw new Error(TRY_AGAIN);
        await this.leaderOrPause(deadline);
        continue;
      }
      try {
        // Asked for together with the barrier, which takes longer: no round trip is added.
        const time = this.time.fetch();
        await Promise.all([this.replica!.ensureLinearizable({ allowFollower: true }), time]);
        this.time.confirm(await time);
        return;
      } catch (e) {
        if (this.stopped) throw new Error(SHUTTING_DOWN);
        if (Date.now() >= deadline) throw new Error(TRY_AGAIN);
        // Not stopped, the replica that says so is still loading its storage: wait for it too.
        if (!(e instanceof NotLeaderError) && !(e instanceof TimeoutError) && !(e instanceof ReplicaStoppedError)) {
          throw e;
        }
        await this.leaderOrPause(deadline);
      }
    }
  }

  private leaderOrPause(deadline: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        resolve();
      };
      // Paused out, the waker leaves the list: with no leader for long, retries would pile up.
      const timer = setTimeout(
        () => {
          this.leaderWaiters.delete(wake);
          resolve();
        },
        Math.max(0, Math.min(50, deadline - Date.now())),
      );
      this.leaderWaiters.add(wake);
    });
  }

  /**
   * Runs a read command against the local key space (call after readBarrier), at the cluster's
   * time: the later of the last write's stamp and the leader time read barriers brought.
   */
  read(argv: Uint8Array[]): Reply {
    // The barrier counted entries the machine holds queued behind a snapshot it is still loading.
    if (this.machine.loading) return LOADING_REPLY;
    return this.machine.keyspace.read(argv, Math.max(this.time.now, this.machine.lastAt));
  }

  /**
   * Runs read commands against the local key space in one step, at one time (a read-only
   * MULTI/EXEC); null, reading nothing, if one of `watches` changed (call after readBarrier).
   */
  readAll(commands: Uint8Array[][], watches: readonly KvWatch[] = []): Reply[] | null {
    if (this.machine.loading) return commands.map(() => LOADING_REPLY);
    const now = Math.max(this.time.now, this.machine.lastAt);
    const keyspace = this.machine.keyspace;
    if (!watchesHold(keyspace, watches, now)) return null;
    return commands.map((argv) => keyspace.read(argv, now));
  }

  /** WATCH's record of `key` in the local key space now (call after readBarrier). */
  watchOf(key: Uint8Array): KvWatch {
    const machine = this.machine;
    return watchOf(machine.keyspace, key, Math.max(this.time.now, machine.lastAt), machine.lastApplied);
  }

  // ---- status -----------------------------------------------------------------------------

  /**
   * Resolves once the replica has loaded its storage: DiskStorage keeps a member identity, which
   * the status shows from then on (before, it shows the options' bootstrap view).
   */
  async loaded(): Promise<void> {
    while (!this.stopped && (this.replica?.status().identity ?? null) === null) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  /** Whether this node's configuration has it as a voter or learner. */
  isMember(): boolean {
    const s = this.replica?.status();
    return s !== undefined && (s.voters.includes(this.id) || s.learners.includes(this.id));
  }

  status(): ReplicaStatus | null {
    return this.replica?.status() ?? null;
  }

  /**
   * A consistent copy of the state machine (key space, dedupe table, members) at one applied index,
   * for a backup: taken after a read barrier, so it holds every write acknowledged before the call.
   */
  async backupSnapshot(): Promise<{ cluster: string; index: number; term: number; data: Uint8Array }> {
    await this.readBarrier();
    const index = this.machine.lastApplied;
    const term = this.term();
    const { data } = await this.machine.createSnapshot(index, term, true); // in memory: not a file of the log
    return { cluster: this.identity!.cluster, index, term, data: await inMemoryInSlices(data) };
  }

  /** Leader only: how far each follower's log is behind the leader's, in entries. */
  replicationLag(): Record<ReplicaId, number> {
    const status = this.replica?.status();
    if (status?.role !== 'leader') return {};
    const lag: Record<ReplicaId, number> = {};
    for (const [id, match] of Object.entries(status.matchIndex))
      lag[Number(id)] = Math.max(0, status.lastLogIndex - match);
    return lag;
  }

  /** The Raft address ('host:port') of member `id`, if known (the member table, else --peers). */
  peerAddress(id: ReplicaId): string | undefined {
    if (id === this.id) return this.options.raft ?? this.options.peers[id];
    return this.machine.members.get(id)?.raft ?? this.options.peers[id];
  }

  transportStats(): TcpClusterStats | null {
    return this.cluster?.stats() ?? null;
  }

  connectedPeers(): ReplicaId[] {
    return this.cluster?.connectedPeers() ?? [];
  }
}

/** The transaction spans of a batch made of `parts`. */
function spansOf(parts: readonly Part[]): KvTransactionSpan[] {
  const spans: KvTransactionSpan[] = [];
  let start = 0;
  for (const part of parts) {
    if (part.tx && part.count > 0) {
      const watches = part.watches;
      spans.push(watches && watches.length > 0 ? { start, count: part.count, watches } : { start, count: part.count });
    }
    start += part.count;
  }
  return spans;
}

/** What a command adds to a batch's size estimate: its arguments and their length prefixes. */
function bytesOf(command: Uint8Array[]): number {
  let n = 0;
  for (const arg of command) n += arg.length + 4;
  return n;
}

/** An ErrorReply for a failed request (its message is already a Redis error line). */
export function errorReplyOf(e: unknown): ErrorReply {
  const text = e instanceof Error ? e.message : String(e);
  return new ErrorReply(/^[A-Z]+ /.test(text) ? text : `ERR ${text}`);
}
