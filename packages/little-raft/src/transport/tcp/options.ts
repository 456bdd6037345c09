// What a TcpCluster is configured with: the options it takes, their defaults, and their
// validation into TcpSettings, which the parts of the cluster read.

import type * as tls from 'node:tls';

import type { ReplicaId, StateMachineTransition } from '../../core/types.js';
import { jsonCodec, type MessageCodecs } from '../../encoding/codec.js';
import { type HostPort, parseHostPort } from './address.js';
import { PUBLIC_KEY } from './handshake.js';

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

/** A configured peer: its id and where to dial it. */
export interface PeerAddress extends HostPort {
  id: ReplicaId;
  /** As configured, for logs and stats. */
  address: string;
}

/** TcpClusterOptions checked, with defaults filled in. */
export interface TcpSettings<T, D> {
  readonly id: ReplicaId;
  /** As configured, for logs. */
  readonly listen: string;
  readonly listenAddress: HostPort;
  /** The other replicas, in the order configured. */
  readonly peers: readonly PeerAddress[];
  /** The HMAC key: the secret, or PUBLIC_KEY without one. */
  readonly key: Uint8Array;
  readonly tls: TcpTlsOptions | null;
  readonly codecs: MessageCodecs<T, D>;
  readonly replica: MessageListener | null;
  readonly logger: TcpLogger;
  readonly maxFrameBytes: number;
  readonly maxQueuedMessages: number;
  readonly maxQueuedBytes: number;
  readonly maxInboxMessages: number;
  readonly handshakeTimeout: number;
  readonly reconnectMin: number;
  readonly reconnectMax: number;
  readonly pingInterval: number;
  readonly idleTimeout: number;
  readonly maxPending: number;
  readonly random: () => number;
  readonly onAppMessage: ((from: ReplicaId, payload: Uint8Array) => void) | undefined;
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

/** Checks `o` and fills in the defaults; throws a TypeError or RangeError naming what is wrong. */
export function resolveOptions<T extends StateMachineTransition, D>(o: TcpClusterOptions<T, D>): TcpSettings<T, D> {
  if (!Number.isSafeInteger(o.id) || o.id < 0) throw new RangeError('TcpCluster: id must be a non-negative integer');
  const listenAddress = parseHostPort(o.listen, true);
  const peers = peerAddresses(o.id, o.peers);
  const key = secretKey(o.secret);
  if (o.secret === undefined && o.tls === undefined && o.insecure !== true) {
    throw new TypeError(
      'TcpCluster: no authentication configured: pass `secret` (shared cluster secret) or `tls` (mutual TLS); ' +
        'to let anyone who can reach the port join the cluster, pass `insecure: true` explicitly',
    );
  }
  if (o.tls !== undefined && (!o.tls.key || !o.tls.cert || !o.tls.ca)) {
    throw new TypeError('TcpCluster: tls needs key, cert and ca');
  }
  const prefix = `little-raft/tcp [${o.id}]: `;
  const logger = o.quiet
    ? { warn: () => {} }
    : (o.logger ?? { warn: (message: string) => console.warn(prefix + message) });
  const maxFrameBytes = positive(o.maxFrameBytes, DEFAULTS.maxFrameBytes, 'maxFrameBytes');
  if (!Number.isInteger(maxFrameBytes) || maxFrameBytes > 0xffffffff || maxFrameBytes < 64) {
    throw new RangeError('TcpCluster: maxFrameBytes must be an integer in 64..2^32-1');
  }
  const maxQueuedMessages = positive(o.maxQueuedMessages, DEFAULTS.maxQueuedMessages, 'maxQueuedMessages');
  const maxQueuedBytes = positive(o.maxQueuedBytes, DEFAULTS.maxQueuedBytes, 'maxQueuedBytes');
  const maxInboxMessages = positive(o.maxInboxMessages, DEFAULTS.maxInboxMessages, 'maxInboxMessages');
  const handshakeTimeout = positive(o.handshakeTimeout, DEFAULTS.handshakeTimeout, 'handshakeTimeout');
  const reconnectMin = positive(o.reconnectDelay?.min, DEFAULTS.reconnectMin, 'reconnectDelay.min');
  const reconnectMax = Math.max(
    reconnectMin,
    positive(o.reconnectDelay?.max, DEFAULTS.reconnectMax, 'reconnectDelay.max'),
  );
  const pingInterval = positive(o.pingInterval, DEFAULTS.pingInterval, 'pingInterval');
  const idleTimeout = Math.max(pingInterval * 2, positive(o.idleTimeout, DEFAULTS.idleTimeout, 'idleTimeout'));
  const maxPending = positive(o.maxPendingConnections, DEFAULTS.maxPendingConnections, 'maxPendingConnections');
  return {
    id: o.id,
    listen: o.listen,
    listenAddress,
    peers,
    key,
    tls: o.tls ?? null,
    codecs: o.codecs ?? { transition: jsonCodec<T>(), snapshot: jsonCodec<D>() },
    replica: o.replica ?? null,
    logger,
    maxFrameBytes,
    maxQueuedMessages,
    maxQueuedBytes,
    maxInboxMessages,
    handshakeTimeout,
    reconnectMin,
    reconnectMax,
    pingInterval,
    idleTimeout,
    maxPending,
    random: o.random ?? Math.random,
    onAppMessage: o.onAppMessage,
  };
}

function peerAddresses(self: ReplicaId, peers: Record<ReplicaId, string>): PeerAddress[] {
  if (typeof peers !== 'object' || peers === null) throw new TypeError('TcpCluster: peers must be an object');
  const result: PeerAddress[] = [];
  for (const [key, address] of Object.entries(peers)) {
    const id = Number(key);
    if (!Number.isSafeInteger(id) || id < 0 || String(id) !== key) {
      throw new RangeError(`TcpCluster: peer id '${key}' is not a non-negative integer`);
    }
    if (id === self) continue;
    result.push(peerAddress(id, address));
  }
  return result;
}

/** `address` of peer `id` checked and split; throws parseHostPort's error on a bad one. */
export function peerAddress(id: ReplicaId, address: string): PeerAddress {
  const { host, port } = parseHostPort(address);
  return { id, address, host, port };
}

function secretKey(secret: string | Uint8Array | undefined): Uint8Array {
  if (secret === undefined) return PUBLIC_KEY;
  const key = typeof secret === 'string' ? new TextEncoder().encode(secret) : secret;
  if (!(key instanceof Uint8Array) || key.length < MIN_SECRET_BYTES) {
    throw new RangeError(`TcpCluster: secret must be at least ${MIN_SECRET_BYTES} bytes`);
  }
  return new Uint8Array(key);
}

function positive(value: number | undefined, fallback: number, what: string): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value <= 0) throw new RangeError(`${what} must be a positive number`);
  return value;
}
