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
// - Each peer has a bounded send queue: when it is full (peer slow) the oldest message is
//   dropped (Raft retries). It is emptied when the connection is lost or a dial fails, and
//   holds nothing while there is none, except a small one before the first (peer.ts): a peer
//   back from a partition gets no stale backlog. The inbox is bounded like the queue.
// - Peers can be added, re-addressed and removed at run time (membership changes).
// - A connection that fails the handshake, claims an id it should not, or sends an oversized or
//   undecodable frame is closed, logged and counted (stats().rejected); nothing else is affected.
// - Idle connections exchange pings; one silent for idleTimeout is closed (and redialed), which
//   finds a peer that vanished without closing its socket (power loss, partition).
//
// The parts (one file each): options.ts (options, defaults, validation), address.ts, listener.ts
// (the listening socket), connections.ts (every connection's life, dialed or accepted, on
// connection.ts's state), peer.ts (a peer's send queue, its connection, redial backoff; the
// queue in send-queue.ts), inbox.ts (messages received), mutual-tls.ts, stats.ts (counters),
// log.ts (warnings, repeats summarized). TcpCluster below wires them and is the Cluster.

import type { Message, ReplicaId, StateMachineTransition } from '../../core/types.js';
import type { Cluster } from '../../driver/replica.js';
import { encodeMessageParts } from '../../encoding/codec.js';
import type { HostPort } from './address.js';
import { Connections } from './connections.js';
import { FrameKind, FRAME_HEAD_BYTES, writeFrameHead, type FramePieces } from './frames.js';
import { Inbox } from './inbox.js';
import { Listener } from './listener.js';
import { errorText, TcpLog } from './log.js';
import {
  type MessageListener,
  peerAddress,
  type PeerAddress,
  resolveOptions,
  type TcpClusterOptions,
  type TcpSettings,
} from './options.js';
import { Peer } from './peer.js';
import { TcpCounters, type TcpClusterStats, type TcpPeerStats } from './stats.js';

export { type HostPort, parseHostPort } from './address.js';
export type { MessageListener, TcpClusterOptions, TcpLogger, TcpTlsOptions } from './options.js';
export type { TcpClusterStats, TcpDropReason, TcpPeerStats, TcpRejectReason } from './stats.js';

/** App payloads of at least this many bytes are written as they are, not copied into their frame. */
const SHARED_APP_BYTES = 64 * 1024;

/** A Cluster over authenticated TCP connections; see the top of this file. */
export class TcpCluster<T extends StateMachineTransition, D = Uint8Array> implements Cluster<T, D> {
  readonly id: ReplicaId;
  private readonly settings: TcpSettings<T, D>;
  private readonly peers = new Map<ReplicaId, Peer<T, D>>();
  private readonly counters = new TcpCounters();
  private readonly log: TcpLog;
  private readonly inbox: Inbox<T, D>;
  private readonly connections: Connections<T, D>;
  private readonly server: Listener;
  private readonly pingTimer: ReturnType<typeof setInterval>;
  private closed = false;
  private closing: Promise<void> | null = null;
  private flushScheduled = false;
  private leader: ReplicaId | null = null;

  constructor(options: TcpClusterOptions<T, D>) {
    const s = resolveOptions(options);
    this.settings = s;
    this.id = s.id;
    this.log = new TcpLog(s.logger);
    for (const address of s.peers) this.peers.set(address.id, new Peer<T, D>(address, s, this.counters));
    this.inbox = new Inbox<T, D>(s.maxInboxMessages, this.counters, s.replica);
    this.connections = new Connections<T, D>(s, this.peers, this.inbox, this.counters, this.log);
    this.server = new Listener(s, this.maxConnections(), this.log, this.connections);
    this.pingTimer = setInterval(() => this.connections.checkIdle(), Math.max(10, Math.floor(s.pingInterval / 2)));
    for (const peer of this.peers.values()) if (this.connections.dials(peer.id)) this.connections.dial(peer);
  }

  // ---- Cluster ----------------------------------------------------------------------------

  sendMessage(toId: ReplicaId, message: Message<T, D>): void {
    if (this.closed) return this.counters.drop('closed');
    const peer = this.peers.get(toId);
    if (peer === undefined) {
      this.counters.drop('unknown-peer');
      this.log.warn(`send-unknown-${toId}`, `message for ${toId} dropped: not a configured peer`);
      return;
    }
    // In pieces: the big payloads (transitions, snapshot data) are written as they are, not
    // copied into each follower's frame (which for megabytes held the event loop for tens of ms).
    if (message.type === 'append') message = peer.trimResent(message);
    let frame: Uint8Array[];
    let length: number;
    try {
      ({ parts: frame, length } = encodeMessageParts(message, this.settings.codecs, FRAME_HEAD_BYTES));
      writeFrameHead(frame[0]!, FrameKind.message, length);
    } catch (e) {
      this.counters.drop('encode-error');
      this.log.warn(`encode-${toId}`, `cannot encode a ${String(message?.type)} message for ${toId}: ${errorText(e)}`);
      return;
    }
    const maxFrameBytes = this.settings.maxFrameBytes;
    if (length + 1 > maxFrameBytes) {
      this.counters.drop('too-large');
      this.log.warn(
        `too-large-${toId}`,
        `a ${message.type} message for ${toId} of ${FRAME_HEAD_BYTES + length} bytes exceeds maxFrameBytes (${maxFrameBytes}); dropped`,
      );
      return;
    }
    this.enqueue(peer, frame);
  }

  /**
   * Sends opaque bytes to a peer over the authenticated connection, for the application built on
   * the replica (e.g. forwarding client requests to the leader). Same queue and bounds as Raft
   * messages: may be dropped. Returns false when dropped at once (unknown or unreachable peer,
   * too large, closed). A payload of 64 KiB or more is written as it is, not copied: it must not
   * change after the call.
   */
  sendApp(toId: ReplicaId, payload: Uint8Array): boolean {
    if (this.closed) {
      this.counters.drop('closed');
      return false;
    }
    const peer = this.peers.get(toId);
    if (peer === undefined) {
      this.counters.drop('unknown-peer');
      return false;
    }
    if (payload.length + 1 > this.settings.maxFrameBytes) {
      this.counters.drop('too-large');
      return false;
    }
    let frame: FramePieces;
    if (payload.length >= SHARED_APP_BYTES) {
      const head = new Uint8Array(FRAME_HEAD_BYTES);
      writeFrameHead(head, FrameKind.app, payload.length);
      frame = [head, payload];
    } else {
      frame = new Uint8Array(FRAME_HEAD_BYTES + payload.length);
      writeFrameHead(frame, FrameKind.app, payload.length);
      frame.set(payload, FRAME_HEAD_BYTES);
    }
    return this.enqueue(peer, frame);
  }

  /**
   * Queues a frame for a peer (dropping the oldest beyond the bounds) and a flush at the end of
   * this turn; false if dropped at once (no connection to wait for).
   */
  private enqueue(peer: Peer<T, D>, frame: FramePieces): boolean {
    if (!peer.enqueue(frame)) return false;
    this.scheduleFlush();
    return true;
  }

  /** Messages sent during one event-loop turn go out together, corked into one write per peer. */
  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      for (const peer of this.peers.values()) if (peer.hasQueued) peer.flush();
    });
  }

  receiveMessages(): Message<T, D>[] {
    return this.inbox.take();
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
    this.inbox.attach(listener);
  }

  /** The leader the replica last registered, or null. */
  get leaderId(): ReplicaId | null {
    return this.leader;
  }

  /** The bound listen address, once listening (port 0 resolved); else null. */
  address(): HostPort | null {
    return this.server.address();
  }

  /** Resolves with the bound address once listening; rejects if listening failed. */
  listening(): Promise<HostPort> {
    return this.server.listening;
  }

  /**
   * Adds peer `id` at `address` ('host:port'), for a membership change: messages to it are sent
   * from now on, and its connection made (the lower id dials). If `id` is a peer at another
   * address, it moves there: its connection is closed and the next made to the new address (at
   * the same address: nothing changes). Throws a RangeError for this replica's own id or a bad
   * address, changing nothing. Does nothing once closed.
   */
  addPeer(id: ReplicaId, address: string): void {
    const added = this.checkedPeer(id, address);
    const old = this.peers.get(id);
    if (this.closed || old?.address === address) return;
    if (old !== undefined) {
      this.dropPeer(old);
      this.log.info(`peer ${id} moves from ${old.address} to ${address}`);
    } else {
      this.log.info(`peer ${id} (${address}) added`);
    }
    const peer = new Peer<T, D>(added, this.settings, this.counters);
    this.peers.set(id, peer);
    this.server.setMaxConnections(this.maxConnections());
    if (this.connections.dials(id)) this.connections.dial(peer);
  }

  /**
   * Removes peer `id`, for a membership change: its connection is closed, what is queued for it
   * dropped, and it is not dialed again; messages to it are dropped as 'unknown-peer' and its
   * connections refused. Nothing happens for an id that is not a peer.
   */
  removePeer(id: ReplicaId): void {
    const peer = this.peers.get(id);
    if (peer === undefined) return;
    this.dropPeer(peer);
    this.server.setMaxConnections(this.maxConnections());
    this.log.info(`peer ${id} (${peer.address}) removed`);
  }

  /** The peers now, by id: their addresses as given. */
  peerAddresses(): Record<ReplicaId, string> {
    const addresses: Record<ReplicaId, string> = {};
    for (const peer of this.peers.values()) addresses[peer.id] = peer.address;
    return addresses;
  }

  private checkedPeer(id: ReplicaId, address: string): PeerAddress {
    if (!Number.isSafeInteger(id) || id < 0) {
      throw new RangeError(`TcpCluster.addPeer: peer id ${String(id)} is not a non-negative integer`);
    }
    if (id === this.id) throw new RangeError(`TcpCluster.addPeer: ${id} is this replica's own id, not a peer`);
    try {
      return peerAddress(id, address);
    } catch (e) {
      throw new RangeError(`TcpCluster.addPeer: peer ${id}: ${errorText(e)}`);
    }
  }

  /** Takes `peer` out of the peers (first, so its closing connections do not redial), then closes it. */
  private dropPeer(peer: Peer<T, D>): void {
    this.peers.delete(peer.id);
    peer.stop();
    this.connections.closePeer(peer.id);
  }

  /** The listener's socket limit: each peer's connection and the one replacing it, and handshakes. */
  private maxConnections(): number {
    return this.peers.size * 2 + this.settings.maxPending;
  }

  /** Ids of the peers with an authenticated connection now. */
  connectedPeers(): ReplicaId[] {
    return [...this.peers.values()].filter((p) => p.conn !== null).map((p) => p.id);
  }

  stats(): TcpClusterStats {
    const peers: Record<ReplicaId, TcpPeerStats> = {};
    for (const p of this.peers.values()) peers[p.id] = p.stats();
    return this.counters.snapshot(peers);
  }

  /** Stops listening, closes every connection and timer; halt() is true from now on. */
  close(): Promise<void> {
    if (this.closing) return this.closing;
    this.closed = true;
    clearInterval(this.pingTimer);
    for (const peer of this.peers.values()) peer.stop();
    this.connections.close();
    this.inbox.clear();
    this.closing = this.server.close();
    return this.closing;
  }
}
