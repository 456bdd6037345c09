// TcpCluster: a Cluster over TCP (or mutual TLS) between replicas on different hosts.
//
// - One connection per pair of replicas: the one with the lower id dials, the higher accepts.
//   A dialer that loses its connection redials with capped, jittered exponential backoff; an
//   acceptor keeps the newest authenticated connection from a peer (a restarted peer replaces
//   its stale one at once).
// - Every connection starts with a handshake (handshake.ts): both ends prove they hold the
//   cluster secret (HMAC-SHA256 challenge-response), or TLS has already checked both
//   certificates, and learn each other's id. Nothing else is read from an unauthenticated
//   connection, and its frames may not exceed the handshake's size.
// - Then each Raft message travels in a length-prefixed frame (frames.ts) holding the library's
//   codec bytes. Messages sent during one event-loop turn go out corked, in one write.
// - Each peer has a bounded send queue: when it is full (peer down or slow) the oldest message
//   is dropped (Raft retries). The inbox is bounded the same way.
// - A connection that fails the handshake, claims an id it should not, or sends an oversized or
//   undecodable frame is closed, logged and counted (stats().rejected); nothing else is affected.
// - Idle connections exchange pings; one silent for idleTimeout is closed (and redialed), which
//   finds a peer that vanished without closing its socket (power loss, partition).

import * as net from 'node:net';
import * as tls from 'node:tls';

import type { Message, ReplicaId, StateMachineTransition } from '../../core/types.js';
import type { Cluster } from '../../driver/replica.js';
import { encodeMessage, jsonCodec, type MessageCodecs } from '../../encoding/codec.js';
import { encodeFrame, encodeMessageFrame, FrameKind, FRAME_HEADER_BYTES } from './frames.js';
import { Handshake, PUBLIC_KEY } from './handshake.js';
import { Inbound, InboundError } from './inbound.js';

/** Where log lines go; `info` (connections coming and going) is optional. */
export interface TcpLogger {
  warn(message: string): void;
  info?(message: string): void;
}

/** Mutual TLS: both ends present a certificate signed by `ca`. */
export interface TcpTlsOptions {
  /** This replica's private key (PEM). */
  key: string | Buffer;
  /** This replica's certificate (PEM), signed by `ca`. */
  cert: string | Buffer;
  /** The cluster's CA certificate(s) (PEM): a peer's certificate must chain to one. */
  ca: string | Buffer | (string | Buffer)[];
  /**
   * Bind ids to certificates. `true`: a peer claiming id N must present a certificate whose
   * subject CN, or one of whose DNS subjectAltNames, is `replica-N`. A function decides itself.
   * Default false: any certificate the CA signed may claim any configured id (as any holder of
   * the shared secret may), so the CA should sign certificates for cluster members only.
   */
  checkPeerId?: boolean | ((id: ReplicaId, certificate: tls.PeerCertificate) => boolean);
}

/** Whatever gets told that messages arrived: normally the Replica. */
export interface MessageListener {
  notifyMessages(): void;
}

/** Options of {@link TcpCluster}: who this replica is, where it listens, its peers, and how peers authenticate. */
export interface TcpClusterOptions<T extends StateMachineTransition, D = Uint8Array> {
  id: ReplicaId;
  /** 'host:port' to accept peers on ('[::1]:7001' for IPv6). Port 0 picks a free port: see address(). */
  listen: string;
  /** 'host:port' of the other replicas by id (an entry for `id` itself is ignored). */
  peers: Record<ReplicaId, string>;
  /** The shared cluster secret (at least 16 bytes; 32 random bytes recommended). */
  secret?: string | Uint8Array;
  /** Mutual TLS. With `secret` too, the HMAC handshake runs inside TLS. */
  tls?: TcpTlsOptions;
  /** Required to run with neither `secret` nor `tls`: anyone who can reach the port is a peer. */
  insecure?: boolean;
  /** Codecs for transitions and non-byte snapshot data. Default: JSON for both. */
  codecs?: MessageCodecs<T, D>;
  /** Notified when messages arrive; or call attach() later. */
  replica?: MessageListener;
  /** Default: console.warn, prefixed with the replica id; `info` is not logged. */
  logger?: TcpLogger;
  /** Log nothing (stats() still counts). */
  quiet?: boolean;
  /** Largest frame body accepted or sent, in bytes. Default 16 MiB. */
  maxFrameBytes?: number;
  /** Per-peer send queue bound, in messages (oldest dropped beyond it). Default 4,096. */
  maxQueuedMessages?: number;
  /** Per-peer send queue bound, in bytes. Default 32 MiB. */
  maxQueuedBytes?: number;
  /** Received messages kept until receiveMessages() (oldest dropped beyond it). Default 16,384. */
  maxInboxMessages?: number;
  /** Connecting plus handshake (TLS included) must finish within this, in ms. Default 5,000. */
  handshakeTimeout?: number;
  /** Reconnect backoff: first delay and cap, in ms, each jittered down by up to half. Default 50 / 2,000. */
  reconnectDelay?: { min: number; max: number };
  /** An authenticated connection that has sent nothing for this long gets a ping, in ms. Default 1,000. */
  pingInterval?: number;
  /** An authenticated connection silent for this long is closed, in ms. Default 10,000. */
  idleTimeout?: number;
  /** Connections still in their handshake, at most. Default 64. */
  maxPendingConnections?: number;
  /** Receives application payloads sent by peers with sendApp() (authenticated, in order per connection). */
  onAppMessage?: (from: ReplicaId, payload: Uint8Array) => void;
  /** Uniform in [0, 1), for backoff jitter. Default Math.random. */
  random?: () => number;
}

/** Why connections were closed by this end (stats().rejected). */
export type TcpRejectReason =
  | 'handshake-timeout'
  | 'bad-handshake'
  | 'version'
  | 'unknown-peer'
  | 'wrong-peer'
  | 'bad-proof'
  | 'certificate'
  | 'tls'
  | 'oversized-frame'
  | 'empty-frame'
  | 'bad-frame'
  | 'undecodable'
  | 'wrong-sender'
  | 'closed-during-handshake'
  | 'too-many-pending';

/** Why outgoing or incoming messages were dropped (stats().dropped). */
export type TcpDropReason = 'queue-full' | 'unknown-peer' | 'encode-error' | 'too-large' | 'inbox-full' | 'closed';

/** One peer as {@link TcpCluster.stats} sees it: its address, whether connected, and what waits to be sent. */
export interface TcpPeerStats {
  address: string;
  connected: boolean;
  queuedMessages: number;
  queuedBytes: number;
}

/** Counters of a {@link TcpCluster} since it started: connections, messages, bytes, and drops by reason. */
export interface TcpClusterStats {
  /** Connections accepted and dialed (attempts that reached TCP connect). */
  accepted: number;
  dialed: number;
  /** Dial attempts that failed before connecting (refused, unreachable, timed out). */
  connectFailures: number;
  /** Handshakes completed. */
  authenticated: number;
  /** Connections closed after silence of idleTimeout. */
  idleTimeouts: number;
  rejected: Partial<Record<TcpRejectReason, number>>;
  messagesSent: number;
  messagesReceived: number;
  bytesSent: number;
  bytesReceived: number;
  dropped: Partial<Record<TcpDropReason, number>>;
  peers: Record<ReplicaId, TcpPeerStats>;
}

/** A 'host:port' string, split. */
export interface HostPort {
  host: string;
  port: number;
}

const DEFAULTS = {
  maxFrameBytes: 16 << 20,
  maxQueuedMessages: 4096,
  maxQueuedBytes: 32 << 20,
  maxInboxMessages: 16384,
  handshakeTimeout: 5000,
  reconnectMin: 50,
  reconnectMax: 2000,
  pingInterval: 1000,
  idleTimeout: 10000,
  maxPendingConnections: 64,
};
const MIN_SECRET_BYTES = 16;
/** Repeats of one log line (same peer, same problem) within this many ms are summarized. */
const LOG_REPEAT_MS = 10000;
const PING_FRAME = encodeFrame(Uint8Array.of(FrameKind.ping));

/** Parses 'host:port' or '[v6]:port'. */
export function parseHostPort(address: string, allowPortZero = false): HostPort {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(address);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535 || (port === 0 && !allowPortZero)) {
    throw new TypeError(`'${address}' is not a 'host:port' address${allowPortZero ? '' : ' (port 1-65535)'}`);
  }
  return { host: (m[1] ?? m[2])!, port };
}

function positive(value: number | undefined, fallback: number, what: string): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value <= 0) throw new RangeError(`${what} must be a positive number`);
  return value;
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** A bounded FIFO of encoded frames. */
class SendQueue {
  private frames: Uint8Array[] = [];
  private head = 0;
  bytes = 0;

  get length(): number {
    return this.frames.length - this.head;
  }

  push(frame: Uint8Array): void {
    this.frames.push(frame);
    this.bytes += frame.length;
  }

  shift(): Uint8Array | undefined {
    if (this.head >= this.frames.length) return undefined;
    const frame = this.frames[this.head]!;
    this.frames[this.head++] = EMPTY_FRAME;
    this.bytes -= frame.length;
    if (this.head === this.frames.length) {
      this.frames = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.frames.length) {
      this.frames = this.frames.slice(this.head);
      this.head = 0;
    }
    return frame;
  }

  clear(): void {
    this.frames = [];
    this.head = 0;
    this.bytes = 0;
  }
}
const EMPTY_FRAME = new Uint8Array(0);

/** One TCP (or TLS) connection, from connect through handshake to close. */
class Connection<T, D> {
  /** Set once TCP (and TLS) connect is done and the handshake starts. */
  inbound: Inbound<T, D> | null = null;
  /** The other end's id once authenticated. */
  peerId: ReplicaId | null = null;
  connected = false;
  closed = false;
  timer: ReturnType<typeof setTimeout> | null = null;
  lastReceived = 0;
  lastSent = 0;
  constructor(
    readonly socket: net.Socket,
    readonly role: 'dialer' | 'acceptor',
    /** The dialer: the peer it dials. */
    readonly target: ReplicaId | null,
    readonly remote: string,
    readonly remoteHost: string,
  ) {}

  get authenticated(): boolean {
    return this.peerId !== null;
  }
}

class Peer<T, D> {
  readonly queue = new SendQueue();
  conn: Connection<T, D> | null = null;
  dialing: Connection<T, D> | null = null;
  reconnectTimer: ReturnType<typeof setTimeout> | null = null;
  attempt = 0;
  /** For logs: whether the last dial failed, so a down peer is reported once. */
  unreachable = false;
  constructor(
    readonly id: ReplicaId,
    readonly address: string,
    readonly host: string,
    readonly port: number,
  ) {}
}

/** A Cluster over authenticated TCP connections; see the top of this file. */
export class TcpCluster<T extends StateMachineTransition, D = Uint8Array> implements Cluster<T, D> {
  readonly id: ReplicaId;
  private readonly listenAddress: HostPort;
  private readonly peers = new Map<ReplicaId, Peer<T, D>>();
  private readonly codecs: MessageCodecs<T, D>;
  private readonly key: Uint8Array;
  private readonly tlsOptions: TcpTlsOptions | null;
  private readonly logger: TcpLogger;
  private readonly maxFrameBytes: number;
  private readonly maxQueuedMessages: number;
  private readonly maxQueuedBytes: number;
  private readonly maxInboxMessages: number;
  private readonly handshakeTimeout: number;
  private readonly reconnectMin: number;
  private readonly reconnectMax: number;
  private readonly pingInterval: number;
  private readonly idleTimeout: number;
  private readonly maxPending: number;
  private readonly random: () => number;
  private readonly onAppMessage: ((from: ReplicaId, payload: Uint8Array) => void) | undefined;
  private listener: MessageListener | null;
  private readonly server: net.Server;
  private readonly connections = new Set<Connection<T, D>>();
  /** Every accepted socket, TLS handshakes in progress included, so close() can end them all. */
  private readonly sockets = new Set<net.Socket>();
  private pending = 0;
  private inbox: Message<T, D>[] = [];
  private closed = false;
  private closing: Promise<void> | null = null;
  private flushScheduled = false;
  private readonly pingTimer: ReturnType<typeof setInterval>;
  private bound: HostPort | null = null;
  private readonly listeningPromise: Promise<HostPort>;
  private leader: ReplicaId | null = null;
  private readonly counts = {
    accepted: 0,
    dialed: 0,
    connectFailures: 0,
    authenticated: 0,
    idleTimeouts: 0,
    messagesSent: 0,
    messagesReceived: 0,
    bytesSent: 0,
    bytesReceived: 0,
  };
  private readonly rejected: Partial<Record<TcpRejectReason, number>> = {};
  private readonly dropped: Partial<Record<TcpDropReason, number>> = {};
  private readonly logged = new Map<string, { at: number; suppressed: number }>();

  constructor(options: TcpClusterOptions<T, D>) {
    const o = options;
    if (!Number.isSafeInteger(o.id) || o.id < 0) throw new RangeError('TcpCluster: id must be a non-negative integer');
    this.id = o.id;
    this.listenAddress = parseHostPort(o.listen, true);
    if (typeof o.peers !== 'object' || o.peers === null) throw new TypeError('TcpCluster: peers must be an object');
    for (const [key, address] of Object.entries(o.peers)) {
      const id = Number(key);
      if (!Number.isSafeInteger(id) || id < 0 || String(id) !== key) {
        throw new RangeError(`TcpCluster: peer id '${key}' is not a non-negative integer`);
      }
      if (id === o.id) continue;
      const { host, port } = parseHostPort(address);
      this.peers.set(id, new Peer<T, D>(id, address, host, port));
    }
    if (o.secret !== undefined) {
      const key = typeof o.secret === 'string' ? new TextEncoder().encode(o.secret) : o.secret;
      if (!(key instanceof Uint8Array) || key.length < MIN_SECRET_BYTES) {
        throw new RangeError(`TcpCluster: secret must be at least ${MIN_SECRET_BYTES} bytes`);
      }
      this.key = new Uint8Array(key);
    } else {
      this.key = PUBLIC_KEY;
    }
    if (o.secret === undefined && o.tls === undefined && o.insecure !== true) {
      throw new TypeError(
        'TcpCluster: no authentication configured: pass `secret` (shared cluster secret) or `tls` (mutual TLS); ' +
          'to let anyone who can reach the port join the cluster, pass `insecure: true` explicitly',
      );
    }
    if (o.tls !== undefined && (!o.tls.key || !o.tls.cert || !o.tls.ca)) {
      throw new TypeError('TcpCluster: tls needs key, cert and ca');
    }
    this.tlsOptions = o.tls ?? null;
    this.codecs = o.codecs ?? { transition: jsonCodec<T>(), snapshot: jsonCodec<D>() };
    this.listener = o.replica ?? null;
    const prefix = `little-raft/tcp [${o.id}]: `;
    this.logger = o.quiet
      ? { warn: () => {} }
      : (o.logger ?? { warn: (message: string) => console.warn(prefix + message) });
    this.maxFrameBytes = positive(o.maxFrameBytes, DEFAULTS.maxFrameBytes, 'maxFrameBytes');
    if (!Number.isInteger(this.maxFrameBytes) || this.maxFrameBytes > 0xffffffff || this.maxFrameBytes < 64) {
      throw new RangeError('TcpCluster: maxFrameBytes must be an integer in 64..2^32-1');
    }
    this.maxQueuedMessages = positive(o.maxQueuedMessages, DEFAULTS.maxQueuedMessages, 'maxQueuedMessages');
    this.maxQueuedBytes = positive(o.maxQueuedBytes, DEFAULTS.maxQueuedBytes, 'maxQueuedBytes');
    this.maxInboxMessages = positive(o.maxInboxMessages, DEFAULTS.maxInboxMessages, 'maxInboxMessages');
    this.handshakeTimeout = positive(o.handshakeTimeout, DEFAULTS.handshakeTimeout, 'handshakeTimeout');
    this.reconnectMin = positive(o.reconnectDelay?.min, DEFAULTS.reconnectMin, 'reconnectDelay.min');
    this.reconnectMax = Math.max(
      this.reconnectMin,
      positive(o.reconnectDelay?.max, DEFAULTS.reconnectMax, 'reconnectDelay.max'),
    );
    this.pingInterval = positive(o.pingInterval, DEFAULTS.pingInterval, 'pingInterval');
    this.idleTimeout = Math.max(this.pingInterval * 2, positive(o.idleTimeout, DEFAULTS.idleTimeout, 'idleTimeout'));
    this.maxPending = positive(o.maxPendingConnections, DEFAULTS.maxPendingConnections, 'maxPendingConnections');
    this.random = o.random ?? Math.random;
    this.onAppMessage = o.onAppMessage;

    this.server = this.tlsOptions ? this.createTlsServer(this.tlsOptions) : net.createServer();
    this.server.on(this.tlsOptions ? 'secureConnection' : 'connection', (socket: net.Socket) => this.accept(socket));
    this.server.maxConnections = this.peers.size * 2 + this.maxPending;
    this.server.on('connection', (socket: net.Socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
      // A TLS server's raw socket: errors surface as tlsClientError; this keeps them from throwing.
      if (this.tlsOptions) socket.on('error', () => {});
    });
    this.listeningPromise = new Promise<HostPort>((resolve, reject) => {
      this.server.once('listening', () => {
        const a = this.server.address() as net.AddressInfo;
        this.bound = { host: a.address, port: a.port };
        resolve(this.bound);
      });
      this.server.on('error', (error: Error) => {
        this.warn('listen', `cannot listen on ${o.listen}: ${error.message}`);
        reject(error);
      });
    });
    this.listeningPromise.catch(() => {}); // reported through the logger; awaiting listening() rethrows
    this.server.listen({ host: this.listenAddress.host, port: this.listenAddress.port });
    this.pingTimer = setInterval(() => this.checkConnections(), Math.max(10, Math.floor(this.pingInterval / 2)));
    for (const peer of this.peers.values()) if (this.dials(peer.id)) this.dial(peer);
  }

  // ---- Cluster ----------------------------------------------------------------------------

  sendMessage(toId: ReplicaId, message: Message<T, D>): void {
    if (this.closed) return this.drop('closed');
    const peer = this.peers.get(toId);
    if (peer === undefined) {
      this.drop('unknown-peer');
      this.warn(`send-unknown-${toId}`, `message for ${toId} dropped: not a configured peer`);
      return;
    }
    let frame: Uint8Array;
    try {
      frame = encodeMessageFrame(encodeMessage(message, this.codecs));
    } catch (e) {
      this.drop('encode-error');
      this.warn(`encode-${toId}`, `cannot encode a ${String(message?.type)} message for ${toId}: ${errorText(e)}`);
      return;
    }
    if (frame.length - FRAME_HEADER_BYTES > this.maxFrameBytes) {
      this.drop('too-large');
      this.warn(
        `too-large-${toId}`,
        `a ${message.type} message for ${toId} of ${frame.length} bytes exceeds maxFrameBytes (${this.maxFrameBytes}); dropped`,
      );
      return;
    }
    this.enqueue(peer.queue, frame);
  }

  /**
   * Sends opaque bytes to a peer over the authenticated connection, for the application built on
   * the replica (e.g. forwarding client requests to the leader). Same queue and bounds as Raft
   * messages: may be dropped. Returns false when dropped at once.
   */
  sendApp(toId: ReplicaId, payload: Uint8Array): boolean {
    if (this.closed) {
      this.drop('closed');
      return false;
    }
    const peer = this.peers.get(toId);
    if (peer === undefined) {
      this.drop('unknown-peer');
      return false;
    }
    if (payload.length + 1 > this.maxFrameBytes) {
      this.drop('too-large');
      return false;
    }
    const frame = new Uint8Array(FRAME_HEADER_BYTES + 1 + payload.length);
    new DataView(frame.buffer).setUint32(0, payload.length + 1);
    frame[FRAME_HEADER_BYTES] = FrameKind.app;
    frame.set(payload, FRAME_HEADER_BYTES + 1);
    this.enqueue(peer.queue, frame);
    return true;
  }

  /** Queues a frame for a peer, dropping the oldest beyond the bounds (Raft retries). */
  private enqueue(queue: SendQueue, frame: Uint8Array): void {
    queue.push(frame);
    while (queue.length > this.maxQueuedMessages || queue.bytes > this.maxQueuedBytes) {
      queue.shift();
      this.drop('queue-full');
    }
    this.scheduleFlush();
  }

  receiveMessages(): Message<T, D>[] {
    if (this.inbox.length === 0) return [];
    const messages = this.inbox;
    this.inbox = [];
    return messages;
  }

  /** True once close() was called: the replica stops. */
  halt(): boolean {
    return this.closed;
  }

  registerLeader(leaderId: ReplicaId | null): void {
    this.leader = leaderId;
  }

  // ---- the rest of the API ----------------------------------------------------------------

  /** Notifies `listener` (the Replica) whenever messages arrive. */
  attach(listener: MessageListener): void {
    this.listener = listener;
    if (this.inbox.length > 0) listener.notifyMessages();
  }

  /** The leader the replica last registered, or null. */
  get leaderId(): ReplicaId | null {
    return this.leader;
  }

  /** The bound listen address, once listening (port 0 resolved); else null. */
  address(): HostPort | null {
    return this.bound;
  }

  /** Resolves with the bound address once listening; rejects if listening failed. */
  listening(): Promise<HostPort> {
    return this.listeningPromise;
  }

  /** Ids of the peers with an authenticated connection now. */
  connectedPeers(): ReplicaId[] {
    return [...this.peers.values()].filter((p) => p.conn !== null).map((p) => p.id);
  }

  stats(): TcpClusterStats {
    const peers: Record<ReplicaId, TcpPeerStats> = {};
    for (const p of this.peers.values()) {
      peers[p.id] = {
        address: p.address,
        connected: p.conn !== null,
        queuedMessages: p.queue.length,
        queuedBytes: p.queue.bytes,
      };
    }
    return { ...this.counts, rejected: { ...this.rejected }, dropped: { ...this.dropped }, peers };
  }

  /** Stops listening, closes every connection and timer; halt() is true from now on. */
  close(): Promise<void> {
    if (this.closing) return this.closing;
    this.closed = true;
    clearInterval(this.pingTimer);
    for (const peer of this.peers.values()) {
      if (peer.reconnectTimer) clearTimeout(peer.reconnectTimer);
      peer.reconnectTimer = null;
      peer.queue.clear();
    }
    for (const conn of [...this.connections]) this.closeConnection(conn);
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    this.inbox = [];
    this.closing = new Promise<void>((resolve) => {
      if (!this.server.listening) return resolve();
      this.server.close(() => resolve());
    });
    return this.closing;
  }

  // ---- connections ------------------------------------------------------------------------

  /** The lower id dials. */
  private dials(peerId: ReplicaId): boolean {
    return this.id < peerId;
  }

  private createTlsServer(t: TcpTlsOptions): net.Server {
    const server = tls.createServer({
      key: t.key,
      cert: t.cert,
      ca: t.ca,
      requestCert: true,
      rejectUnauthorized: true,
      handshakeTimeout: this.handshakeTimeout,
      minVersion: 'TLSv1.2',
    });
    server.on('tlsClientError', (error: Error, socket: tls.TLSSocket) => {
      this.reject(null, 'tls', `TLS handshake with ${remoteOf(socket)} failed: ${error.message}`);
    });
    return server;
  }

  private accept(socket: net.Socket): void {
    this.counts.accepted++;
    const remote = remoteOf(socket);
    if (this.closed) {
      socket.destroy();
      return;
    }
    if (this.pending >= this.maxPending) {
      this.reject(null, 'too-many-pending', `connection from ${remote} refused: ${this.pending} handshakes pending`);
      socket.destroy();
      return;
    }
    const conn = new Connection<T, D>(socket, 'acceptor', null, remote, socket.remoteAddress ?? '?');
    this.track(conn);
    conn.connected = true;
    const handshake = new Handshake({
      role: 'acceptor',
      id: this.id,
      key: this.key,
      checkPeer: (id) => {
        if (!this.peers.has(id)) return 'not a configured peer';
        if (this.dials(id)) return `not one that dials ${this.id} (the lower id dials)`;
        return null;
      },
    });
    this.startHandshake(conn, handshake);
  }

  private dial(peer: Peer<T, D>): void {
    if (this.closed || peer.dialing !== null || peer.conn !== null) return;
    peer.reconnectTimer = null;
    const t = this.tlsOptions;
    const socket = t
      ? tls.connect({
          host: peer.host,
          port: peer.port,
          key: t.key,
          cert: t.cert,
          ca: t.ca,
          rejectUnauthorized: true,
          minVersion: 'TLSv1.2',
          // Peers are addressed by id, not host name: the CA and the handshake identify them.
          checkServerIdentity: () => undefined,
        })
      : net.connect({ host: peer.host, port: peer.port });
    const conn = new Connection<T, D>(socket, 'dialer', peer.id, peer.address, peer.host);
    peer.dialing = conn;
    this.track(conn);
    socket.once(t ? 'secureConnect' : 'connect', () => {
      if (conn.closed) return;
      conn.connected = true;
      this.counts.dialed++;
      const handshake = new Handshake({ role: 'dialer', id: this.id, peerId: peer.id, key: this.key });
      this.startHandshake(conn, handshake);
    });
  }

  private track(conn: Connection<T, D>): void {
    this.connections.add(conn);
    this.pending++;
    const socket = conn.socket;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(conn, chunk));
    socket.on('error', (error: Error) => this.onSocketError(conn, error));
    socket.on('close', () => this.onClosed(conn));
    socket.on('drain', () => {
      if (conn.peerId !== null) this.flushPeer(this.peers.get(conn.peerId)!);
    });
    conn.timer = setTimeout(() => this.onHandshakeTimeout(conn), this.handshakeTimeout);
  }

  private startHandshake(conn: Connection<T, D>, handshake: Handshake): void {
    const t = this.tlsOptions;
    if (t?.checkPeerId && conn.role === 'dialer') {
      // The acceptor's certificate is known now; its id is the one we dialed.
      if (!this.certificateMatches(conn, conn.target!)) return;
    }
    conn.inbound = new Inbound<T, D>({
      id: this.id,
      handshake,
      maxFrameBytes: this.maxFrameBytes,
      codecs: this.codecs,
    });
    this.writeBodies(conn, handshake.start());
  }

  private writeBodies(conn: Connection<T, D>, bodies: Uint8Array[]): void {
    for (const body of bodies) this.write(conn, encodeFrame(body));
  }

  private write(conn: Connection<T, D>, frame: Uint8Array): boolean {
    if (conn.closed) return false;
    conn.lastSent = Date.now();
    this.counts.bytesSent += frame.length;
    return conn.socket.write(frame);
  }

  private onData(conn: Connection<T, D>, chunk: Buffer): void {
    const inbound = conn.inbound;
    if (conn.closed || inbound === null) return;
    this.counts.bytesReceived += chunk.length;
    conn.lastReceived = Date.now();
    const before = this.inbox.length;
    try {
      inbound.feed(chunk);
      for (let event = inbound.next(); event !== null && !conn.closed; event = inbound.next()) {
        if (event.type === 'message') this.deliver(event.message);
        else if (event.type === 'handshake') this.onHandshakeStep(conn, event.send, event.peerId);
        else if (event.type === 'app') this.deliverApp(event.from, event.payload);
      }
    } catch (e) {
      if (e instanceof InboundError) this.reject(conn, e.reason, e.message);
      else this.reject(conn, 'bad-frame', `unexpected failure reading from ${describe(conn)}: ${errorText(e)}`);
    }
    if (this.inbox.length > before) this.listener?.notifyMessages();
  }

  private onHandshakeStep(conn: Connection<T, D>, send: Uint8Array[], peerId: ReplicaId | null): void {
    if (peerId !== null && conn.role === 'acceptor' && this.tlsOptions?.checkPeerId) {
      if (!this.certificateMatches(conn, peerId)) return;
    }
    this.writeBodies(conn, send);
    if (peerId !== null) this.onAuthenticated(conn, peerId);
  }

  private certificateMatches(conn: Connection<T, D>, id: ReplicaId): boolean {
    const check = this.tlsOptions!.checkPeerId!;
    const certificate = (conn.socket as tls.TLSSocket).getPeerCertificate();
    const ok = typeof check === 'function' ? check(id, certificate) : conventionMatches(id, certificate);
    if (!ok) {
      this.reject(conn, 'certificate', `peer claims id ${id} but its certificate is not replica-${id}'s`);
    }
    return ok;
  }

  private onAuthenticated(conn: Connection<T, D>, peerId: ReplicaId): void {
    const peer = this.peers.get(peerId)!;
    conn.peerId = peerId;
    if (conn.timer) clearTimeout(conn.timer);
    conn.timer = null;
    this.pending--;
    this.counts.authenticated++;
    conn.lastReceived = Date.now();
    if (peer.dialing === conn) peer.dialing = null;
    const old = peer.conn;
    peer.conn = conn;
    if (old !== null) {
      this.info(`peer ${peerId}: a new connection replaces the old one`);
      this.closeConnection(old);
    }
    peer.attempt = 0;
    peer.unreachable = false;
    this.info(`peer ${peerId} (${conn.remote}) connected`);
    this.flushPeer(peer);
  }

  private deliverApp(from: ReplicaId, payload: Uint8Array): void {
    if (this.onAppMessage === undefined) return;
    try {
      this.onAppMessage(from, payload);
    } catch (e) {
      // The application's failure is not the peer's fault: keep the connection.
      this.warn(`app-${from}`, `onAppMessage failed for a payload from ${from}: ${errorText(e)}`);
    }
  }

  private deliver(message: Message<T, D>): void {
    this.counts.messagesReceived++;
    this.inbox.push(message);
    if (this.inbox.length > this.maxInboxMessages) {
      this.inbox.shift();
      this.drop('inbox-full');
    }
  }

  private onHandshakeTimeout(conn: Connection<T, D>): void {
    conn.timer = null;
    if (conn.closed || conn.peerId !== null) return;
    if (!conn.connected) {
      // Never got through TCP/TLS connect: a dial that timed out, not a rejection.
      this.counts.connectFailures++;
      this.closeConnection(conn);
      return;
    }
    this.reject(conn, 'handshake-timeout', `no handshake from ${conn.remote} within ${this.handshakeTimeout} ms`);
  }

  private onSocketError(conn: Connection<T, D>, error: Error): void {
    if (conn.closed) return;
    if (!conn.connected && conn.role === 'dialer') {
      const peer = this.peers.get(conn.target!)!;
      if ((error as NodeJS.ErrnoException).syscall !== 'connect' && this.tlsOptions !== null) {
        this.reject(conn, 'tls', `TLS handshake with peer ${peer.id} (${conn.remote}) failed: ${error.message}`);
        return;
      }
      this.counts.connectFailures++;
      if (!peer.unreachable) this.info(`peer ${peer.id} (${conn.remote}) unreachable: ${error.message}`);
      peer.unreachable = true;
      this.closeConnection(conn);
      return;
    }
    // 'close' follows and tells a connection lost during its handshake from one lost later.
    this.info(`${describe(conn)} failed: ${error.message}`);
  }

  private onClosed(conn: Connection<T, D>): void {
    if (!conn.closed && conn.connected && conn.peerId === null) {
      this.count('closed-during-handshake');
      this.warn(
        `aborted-${conn.remoteHost}`,
        `${describe(conn)} closed by the other end during the handshake (wrong secret or certificate there?)`,
      );
    }
    this.closeConnection(conn);
  }

  /** Closes `conn` for a reason worth a warning and a count. */
  private reject(conn: Connection<T, D> | null, reason: TcpRejectReason, detail: string): void {
    this.count(reason);
    this.warn(
      `${reason}-${conn ? conn.remoteHost : ''}`,
      `rejected ${conn ? describe(conn) : 'connection'}: ${detail}`,
    );
    if (conn) this.closeConnection(conn);
  }

  private count(reason: TcpRejectReason): void {
    this.rejected[reason] = (this.rejected[reason] ?? 0) + 1;
  }

  private closeConnection(conn: Connection<T, D>): void {
    if (conn.closed) return;
    conn.closed = true;
    if (conn.timer) clearTimeout(conn.timer);
    conn.timer = null;
    if (conn.peerId === null) this.pending--;
    this.connections.delete(conn);
    conn.socket.destroy();
    const peerId = conn.peerId ?? conn.target;
    const peer = peerId === null ? undefined : this.peers.get(peerId);
    if (peer === undefined) return;
    if (peer.conn === conn) {
      peer.conn = null;
      this.info(`peer ${peer.id} disconnected`);
    }
    if (peer.dialing === conn) peer.dialing = null;
    if (this.dials(peer.id) && peer.conn === null) this.scheduleReconnect(peer);
  }

  private scheduleReconnect(peer: Peer<T, D>): void {
    if (this.closed || peer.reconnectTimer !== null || peer.dialing !== null) return;
    const ceiling = Math.min(this.reconnectMax, this.reconnectMin * 2 ** Math.min(peer.attempt, 30));
    peer.attempt++;
    const delay = ceiling * (0.5 + 0.5 * this.random());
    peer.reconnectTimer = setTimeout(() => this.dial(peer), delay);
  }

  /** Pings idle connections, closes silent ones. */
  private checkConnections(): void {
    const now = Date.now();
    for (const conn of this.connections) {
      if (conn.peerId === null) continue;
      if (now - conn.lastReceived > this.idleTimeout) {
        this.counts.idleTimeouts++;
        this.warn(`idle-${conn.peerId}`, `peer ${conn.peerId} silent for ${now - conn.lastReceived} ms; reconnecting`);
        this.closeConnection(conn);
      } else if (now - conn.lastSent >= this.pingInterval && !conn.socket.writableNeedDrain) {
        this.write(conn, PING_FRAME);
      }
    }
  }

  // ---- sending ----------------------------------------------------------------------------

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      for (const peer of this.peers.values()) if (peer.queue.length > 0) this.flushPeer(peer);
    });
  }

  /** Writes what the peer's queue holds, corked into one write, while the socket takes it. */
  private flushPeer(peer: Peer<T, D>): void {
    const conn = peer.conn;
    if (conn === null || conn.closed || peer.queue.length === 0) return;
    const socket = conn.socket;
    if (socket.writableNeedDrain) return; // 'drain' calls back
    socket.cork();
    let frame: Uint8Array | undefined;
    while ((frame = peer.queue.shift()) !== undefined) {
      this.counts.messagesSent++;
      if (!this.write(conn, frame)) break;
    }
    socket.uncork();
  }

  // ---- bookkeeping ------------------------------------------------------------------------

  private drop(reason: TcpDropReason): void {
    this.dropped[reason] = (this.dropped[reason] ?? 0) + 1;
  }

  private info(message: string): void {
    this.logger.info?.(message);
  }

  /** Logs a warning; repeats of one `key` within LOG_REPEAT_MS are counted and summarized. */
  private warn(key: string, message: string): void {
    const now = Date.now();
    const last = this.logged.get(key);
    if (last !== undefined && now - last.at < LOG_REPEAT_MS) {
      last.suppressed++;
      return;
    }
    const suppressed = last?.suppressed ?? 0;
    if (this.logged.size > 1000) this.logged.clear();
    this.logged.set(key, { at: now, suppressed: 0 });
    this.logger.warn(suppressed > 0 ? `${message} (and ${suppressed} similar in the last period)` : message);
  }
}

function remoteOf(socket: net.Socket): string {
  const host = socket.remoteAddress ?? '?';
  return `${host.includes(':') ? `[${host}]` : host}:${socket.remotePort ?? '?'}`;
}

function describe(conn: Connection<unknown, unknown>): string {
  const who = conn.peerId ?? conn.target;
  return who === null ? `connection from ${conn.remote}` : `connection with peer ${who} (${conn.remote})`;
}

/** The checkPeerId convention: CN or a DNS subjectAltName is `replica-<id>`. */
function conventionMatches(id: ReplicaId, certificate: tls.PeerCertificate): boolean {
  const name = `replica-${id}`;
  if (certificate.subject?.CN === name) return true;
  const sans = (certificate.subjectaltname ?? '').split(',').map((s) => s.trim());
  return sans.includes(`DNS:${name}`);
}
