// One other replica as this one sends to it: its bounded send queue, the connection that drains
// it, the dial in progress, and the backoff between dials.

import type { ReplicaId } from '../../core/types.js';
import type { Connection } from './connection.js';
import type { PeerAddress, TcpSettings } from './options.js';
import { SendQueue } from './send-queue.js';
import type { TcpCounters, TcpPeerStats } from './stats.js';

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

  /** Whether frames wait to be sent. */
  get hasQueued(): boolean {
    return this.queue.length > 0;
  }

  /** Queues a frame, dropping the oldest beyond the bounds (Raft retries). */
  enqueue(frame: Uint8Array): void {
    const queue = this.queue;
    queue.push(frame);
    while (queue.length > this.settings.maxQueuedMessages || queue.bytes > this.settings.maxQueuedBytes) {
      queue.shift();
      this.counters.drop('queue-full');
    }
  }

  /** Writes what the queue holds, corked into one write, while the socket takes it. */
  flush(): void {
    const conn = this.conn;
    if (conn === null || conn.closed || this.queue.length === 0) return;
    const socket = conn.socket;
    if (socket.writableNeedDrain) return; // 'drain' calls back
    socket.cork();
    let frame: Uint8Array | undefined;
    while ((frame = this.queue.shift()) !== undefined) {
      this.counters.counts.messagesSent++;
      if (!conn.write(frame)) break;
    }
    socket.uncork();
  }

  /** `conn` is authenticated as this peer; returns the connection it replaces, if any. */
  connected(conn: Connection<T, D>): Connection<T, D> | null {
    if (this.dialing === conn) this.dialing = null;
    const old = this.conn;
    this.conn = conn;
    return old;
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

  /** Cancels a pending redial and forgets what waits to be sent (the cluster is closing). */
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
