// One other replica as this one sends to it: its bounded send queue, the connection that drains
// it, the dial in progress, and the backoff between dials.
//
// The queue belongs to a connection (as in etcd's rafthttp): it holds what the socket has not
// taken yet. When the connection ends (lost, closed, replaced by a newer one) or a dial fails,
// what is queued is dropped, and while there is no connection messages are dropped at once
// (both counted as 'unreachable'): a peer back from a long partition gets current messages,
// not a backlog of stale heartbeats and appends; Raft retransmits what still matters. The one
// exception is the start: until the first connection, the first failed dial or handshakeTimeout
// after the peer was added, whichever comes first, a small queue keeps the messages sent
// meanwhile, so those of the first moments are not all lost.

import type { AppendRequest, ReplicaId } from '../../core/types.js';
import type { Connection } from './connection.js';
import type { FramePieces } from './frames.js';
import type { PeerAddress, TcpSettings } from './options.js';
import { SendQueue } from './send-queue.js';
import type { TcpCounters, TcpPeerStats } from './stats.js';

/** Bounds of the queue before the first connection (lower configured bounds win). */
const FIRST_QUEUE_MESSAGES = 256;
const FIRST_QUEUE_BYTES = 4 << 20;
/** How long entries sent on a connection are not sent again on it (see {@link Peer.trimResent}). */
const RESEND_AFTER_MS = 1000;

/** Entries (prevLogIndex, lastIndex] of `term`'s leader queued on the current connection at `at`. */
interface SentEntries {
  term: number;
  from: number;
  to: number;
  at: number;
}

export class Peer<T, D> {
  readonly id: ReplicaId;
  readonly address: string;
  readonly host: string;
  readonly port: number;
  private readonly queue = new SendQueue();
  /** The authenticated connection, if any. */
  conn: Connection<T, D> | null = null;
  /** The connection this end is dialing, until authenticated. */
  dialing: Connection<T, D> | null = null;
  private reconnectTimer: ReturnType<typeof setTimeout> | null = null;
  private attempt = 0;
  /** For logs: whether the last dial failed, so a down peer is reported once. */
  unreachable = false;
  /** True until the first connection or failed dial: messages may wait for it (see the top). */
  private beforeFirstConnection = true;
  private readonly addedAt = Date.now();
  private sentEntries: SentEntries | null = null;

  constructor(
    { id, address, host, port }: PeerAddress,
    private readonly settings: TcpSettings<T, D>,
    private readonly counters: TcpCounters,
  ) {
    this.id = id;
    this.address = address;
    this.host = host;
    this.port = port;
  }

  /**
   * `m` without its entries (and with a commit index they do not raise) if every one of them was
   * queued on this connection less than a second ago, by the same leader; else `m`, noted.
   *
   * A leader sends entries again when a follower has not acknowledged them for a heartbeat
   * interval (an append may have been lost). A big entry takes longer than that to arrive and be
   * made durable, and then went out again at every heartbeat: 5 SETs of 8 MiB made the leader
   * send 432 MiB. On one TCP connection nothing is lost on the way: what was queued arrives,
   * unless the queue dropped it (which forgets the note), so the copy is waste; the rest of the
   * message (its seq, which reads wait for, and the commit index) still goes. Once a second the
   * entries go again, in case the follower dropped them itself; a rejection from it forgets the
   * note at once.
   */
  trimResent<T>(m: AppendRequest<T>): AppendRequest<T> {
    const n = m.entries.length;
    if (n === 0) return m;
    const now = Date.now();
    const last = m.prevLogIndex + n;
    const sent = this.sentEntries;
    if (sent !== null && sent.term === m.term && now - sent.at < RESEND_AFTER_MS) {
      if (m.prevLogIndex >= sent.from && last <= sent.to) {
        this.counters.counts.entriesNotResent += n;
        return { ...m, entries: [], leaderCommit: Math.min(m.leaderCommit, m.prevLogIndex) };
      }
      // The entries right after (or overlapping) the noted ones: the note grows, its time stays.
      if (m.prevLogIndex >= sent.from && m.prevLogIndex <= sent.to) {
        sent.to = Math.max(sent.to, last);
        return m;
      }
    }
    this.sentEntries = { term: m.term, from: m.prevLogIndex, to: last, at: now };
    return m;
  }

  /** The peer rejected an append: what it holds is not what was sent, send everything again. */
  forgetSentEntries(): void {
    this.sentEntries = null;
  }

  /** Whether frames wait to be sent (or the rest of one). */
  get hasQueued(): boolean {
    return this.queue.length > 0 || this.conn?.midFrame === true;
  }

  /**
   * Queues a frame, dropping the oldest beyond the bounds (Raft retries); with no connection to
   * wait for (see the top), drops it instead and returns false.
   */
  enqueue(frame: FramePieces): boolean {
    let maxMessages = this.settings.maxQueuedMessages;
    let maxBytes = this.settings.maxQueuedBytes;
    if (this.conn === null) {
      if (!this.mayWait()) {
        this.dropQueued();
        this.counters.drop('unreachable');
        return false;
      }
      maxMessages = Math.min(maxMessages, FIRST_QUEUE_MESSAGES);
      maxBytes = Math.min(maxBytes, FIRST_QUEUE_BYTES);
    }
    const queue = this.queue;
    queue.push(frame);
    while (queue.length > maxMessages || queue.bytes > maxBytes) {
      queue.shift();
      this.counters.drop('queue-full');
      this.sentEntries = null; // what was noted as sent may have been dropped
    }
    return true;
  }

  /** Whether messages may wait for a connection not made yet: only for the first, and not for long. */
  private mayWait(): boolean {
    if (this.beforeFirstConnection && Date.now() - this.addedAt > this.settings.handshakeTimeout) {
      this.beforeFirstConnection = false;
    }
    return this.beforeFirstConnection;
  }

  /** Drops what is queued, counted as 'unreachable'. */
  private dropQueued(): void {
    this.sentEntries = null;
    if (this.queue.length === 0) return;
    this.counters.drop('unreachable', this.queue.length);
    this.queue.clear();
  }

  /**
   * Writes what the queue holds, corked into one write, while the socket takes it; a big frame a
   * part at a time (Connection.writeRest), the next part at the next 'drain'.
   */
  flush(): void {
    const conn = this.conn;
    if (conn === null || conn.closed || (this.queue.length === 0 && !conn.midFrame)) return;
    const socket = conn.socket;
    if (socket.writableNeedDrain) return; // 'drain' calls back
    socket.cork();
    let more = !conn.midFrame || conn.writeRest();
    let frame: FramePieces | undefined;
    while (more && (frame = this.queue.shift()) !== undefined) {
      this.counters.counts.messagesSent++;
      more = conn.write(frame);
    }
    socket.uncork();
  }

  /**
   * `conn` is authenticated as this peer; returns the connection it replaces, if any. Only the
   * first connection, made in time, takes what is queued: else it was queued for the one `conn`
   * replaces, or waited too long.
   */
  connected(conn: Connection<T, D>): Connection<T, D> | null {
    if (this.dialing === conn) this.dialing = null;
    const old = this.conn;
    this.sentEntries = null; // a new connection: nothing was sent on it yet
    if (!this.mayWait()) this.dropQueued();
    this.beforeFirstConnection = false;
    this.conn = conn;
    return old;
  }

  /**
   * `conn`, this peer's connection or dial, ended (closed, failed, timed out, refused): what is
   * queued is dropped, and messages are not queued again until a connection is made. Returns
   * false (and does nothing) for a connection that is not this peer's, or no longer.
   */
  disconnected(conn: Connection<T, D>): boolean {
    if (this.conn !== conn && this.dialing !== conn) return false;
    if (this.conn === conn) this.conn = null;
    if (this.dialing === conn) this.dialing = null;
    this.beforeFirstConnection = false;
    this.dropQueued();
    return true;
  }

  /** The connection came through: the next failure starts the backoff afresh. */
  resetBackoff(): void {
    this.attempt = 0;
    this.unreachable = false;
  }

  /** A dial starts now: the redial timer, if one was set, has fired. */
  dialStarts(): void {
    this.reconnectTimer = null;
  }

  /** Calls `dial` after the next backoff delay: capped, exponential, jittered down by up to half. */
  scheduleReconnect(dial: () => void): void {
    if (this.reconnectTimer !== null || this.dialing !== null) return;
    const { reconnectMin, reconnectMax } = this.settings;
    const ceiling = Math.min(reconnectMax, reconnectMin * 2 ** Math.min(this.attempt, 30));
    this.attempt++;
    const delay = ceiling * (0.5 + 0.5 * this.settings.random());
    this.reconnectTimer = setTimeout(dial, delay);
  }

  /** Cancels a pending redial and forgets what waits to be sent (the cluster is closing, or the peer removed). */
  stop(): void {
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    this.queue.clear();
  }

  stats(): TcpPeerStats {
    return {
      address: this.address,
      connected: this.conn !== null,
      queuedMessages: this.queue.length,
      queuedBytes: this.queue.bytes,
    };
  }
}
