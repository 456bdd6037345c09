// The connections of a TcpCluster, dialed and accepted alike, from connect to close: the
// handshake (and with mutual TLS the certificate check), what they read, timeouts, failures,
// the pings that keep idle ones alive, and closing them (which sets a dialer's peer redialing).

import * as net from 'node:net';
import type * as tls from 'node:tls';

import type { ReplicaId } from '../../core/types.js';
import { remoteOf } from './address.js';
import { Connection } from './connection.js';
import { encodeFrame, FrameKind } from './frames.js';
import { Handshake } from './handshake.js';
import type { Inbox } from './inbox.js';
import { Inbound, InboundError } from './inbound.js';
import { errorText, type TcpLog } from './log.js';
import { certificateIsPeers, connectTls } from './mutual-tls.js';
import type { TcpSettings } from './options.js';
import type { Peer } from './peer.js';
import type { TcpCounters, TcpRejectReason } from './stats.js';

const PING_FRAME = encodeFrame(Uint8Array.of(FrameKind.ping));

export class Connections<T, D> {
  private readonly live = new Set<Connection<T, D>>();
  /** Connections still in their handshake. */
  private pending = 0;
  private closed = false;

  constructor(
    private readonly settings: TcpSettings<T, D>,
    private readonly peers: ReadonlyMap<ReplicaId, Peer<T, D>>,
    private readonly inbox: Inbox<T, D>,
    private readonly counters: TcpCounters,
    private readonly log: TcpLog,
  ) {}

  /** The lower id dials. */
  dials(peerId: ReplicaId): boolean {
    return this.settings.id < peerId;
  }

  /** Dials `peer` unless a connection to it exists or is being made. */
  dial(peer: Peer<T, D>): void {
    if (this.closed || peer.dialing !== null || peer.conn !== null) return;
    peer.dialStarts();
    const t = this.settings.tls;
    const socket = t ? connectTls(t, peer.host, peer.port) : net.connect({ host: peer.host, port: peer.port });
    const conn = new Connection<T, D>(socket, 'dialer', peer.id, peer.address, peer.host, this.counters);
    peer.dialing = conn;
    this.track(conn);
    socket.once(t ? 'secureConnect' : 'connect', () => {
      if (conn.closed) return;
      conn.connected = true;
      this.counters.counts.dialed++;
      const handshake = new Handshake({
        role: 'dialer',
        id: this.settings.id,
        peerId: peer.id,
        key: this.settings.key,
      });
      this.startHandshake(conn, handshake);
    });
  }

  /** Takes a connection the listener accepted through its handshake. */
  accept(socket: net.Socket): void {
    this.counters.counts.accepted++;
    const remote = remoteOf(socket);
    if (this.closed) {
      socket.destroy();
      return;
    }
    if (this.pending >= this.settings.maxPending) {
      this.reject(null, 'too-many-pending', `connection from ${remote} refused: ${this.pending} handshakes pending`);
      socket.destroy();
      return;
    }
    const conn = new Connection<T, D>(socket, 'acceptor', null, remote, socket.remoteAddress ?? '?', this.counters);
    this.track(conn);
    conn.connected = true;
    const id = this.settings.id;
    const handshake = new Handshake({
      role: 'acceptor',
      id,
      key: this.settings.key,
      checkPeer: (peerId) => {
        if (!this.peers.has(peerId)) return 'not a configured peer';
        if (this.dials(peerId)) return `not one that dials ${id} (the lower id dials)`;
        return null;
      },
    });
    this.startHandshake(conn, handshake);
  }

  /** A TLS client failed its handshake with the listener. */
  tlsError(error: Error, socket: tls.TLSSocket): void {
    this.reject(null, 'tls', `TLS handshake with ${remoteOf(socket)} failed: ${error.message}`);
  }

  /** Pings idle connections, closes silent ones. */
  checkIdle(): void {
    const now = Date.now();
    for (const conn of this.live) {
      if (conn.peerId === null) continue;
      if (now - conn.lastReceived > this.settings.idleTimeout) {
        this.counters.counts.idleTimeouts++;
        this.log.warn(
          `idle-${conn.peerId}`,
          `peer ${conn.peerId} silent for ${now - conn.lastReceived} ms; reconnecting`,
        );
        this.closeConnection(conn);
      } else if (
        now - conn.lastSent >= this.settings.pingInterval &&
        !conn.socket.writableNeedDrain &&
        !conn.midFrame
      ) {
        conn.write(PING_FRAME);
      }
    }
  }

  /** Closes every connection; dials and accepts nothing from now on. */
  close(): void {
    this.closed = true;
    for (const conn of [...this.live]) this.closeConnection(conn);
  }

  private track(conn: Connection<T, D>): void {
    this.live.add(conn);
    this.pending++;
    const socket = conn.socket;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(conn, chunk));
    socket.on('error', (error: Error) => this.onSocketError(conn, error));
    socket.on('close', () => this.onClosed(conn));
    socket.on('drain', () => {
      if (conn.peerId !== null) this.peers.get(conn.peerId)?.flush();
    });
    conn.timer = setTimeout(() => this.onHandshakeTimeout(conn), this.settings.handshakeTimeout);
  }

  private startHandshake(conn: Connection<T, D>, handshake: Handshake): void {
    if (this.settings.tls?.checkPeerId && conn.role === 'dialer') {
      // The acceptor's certificate is known now; its id is the one we dialed.
      if (!this.certificateMatches(conn, conn.target!)) return;
    }
    conn.inbound = new Inbound<T, D>({
      id: this.settings.id,
      handshake,
      maxFrameBytes: this.settings.maxFrameBytes,
      codecs: this.settings.codecs,
    });
    this.writeBodies(conn, handshake.start());
  }

  private writeBodies(conn: Connection<T, D>, bodies: Uint8Array[]): void {
    for (const body of bodies) conn.write(encodeFrame(body));
  }

  private onData(conn: Connection<T, D>, chunk: Buffer): void {
    const inbound = conn.inbound;
    if (conn.closed || inbound === null) return;
    this.counters.counts.bytesReceived += chunk.length;
    conn.lastReceived = Date.now();
    const inbox = this.inbox;
    const before = inbox.length;
    try {
      inbound.feed(chunk);
      for (let event = inbound.next(); event !== null && !conn.closed; event = inbound.next()) {
        if (event.type === 'message') {
          const m = event.message;
          if (m.type === 'append-response' && !m.success) this.peers.get(m.from)?.forgetSentEntries();
          inbox.push(m);
        } else if (event.type === 'handshake') this.onHandshakeStep(conn, event.send, event.peerId);
        else if (event.type === 'app') this.deliverApp(event.from, event.payload);
      }
    } catch (e) {
      if (e instanceof InboundError) this.reject(conn, e.reason, e.message);
      else this.reject(conn, 'bad-frame', `unexpected failure reading from ${conn.describe()}: ${errorText(e)}`);
    }
    if (inbox.length > before) inbox.notify();
  }

  private onHandshakeStep(conn: Connection<T, D>, send: Uint8Array[], peerId: ReplicaId | null): void {
    if (peerId !== null && conn.role === 'acceptor' && this.settings.tls?.checkPeerId) {
      if (!this.certificateMatches(conn, peerId)) return;
    }
    if (peerId !== null && !this.peers.has(peerId)) {
      // checkPeer let it in, then removePeer took it out before the handshake finished.
      this.reject(conn, 'unknown-peer', `peer ${peerId} was removed during the handshake`);
      return;
    }
    this.writeBodies(conn, send);
    if (peerId !== null) this.onAuthenticated(conn, peerId);
  }

  private certificateMatches(conn: Connection<T, D>, id: ReplicaId): boolean {
    const ok = certificateIsPeers(this.settings.tls!.checkPeerId!, conn.socket as tls.TLSSocket, id);
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
    this.counters.counts.authenticated++;
    conn.lastReceived = Date.now();
    const old = peer.connected(conn);
    if (old !== null) {
      this.log.info(`peer ${peerId}: a new connection replaces the old one`);
      this.closeConnection(old);
    }
    peer.resetBackoff();
    this.log.info(`peer ${peerId} (${conn.remote}) connected`);
    peer.flush();
  }

  private deliverApp(from: ReplicaId, payload: Uint8Array): void {
    const onAppMessage = this.settings.onAppMessage;
    if (onAppMessage === undefined) return;
    try {
      onAppMessage(from, payload);
    } catch (e) {
      // The application's failure is not the peer's fault: keep the connection.
      this.log.warn(`app-${from}`, `onAppMessage failed for a payload from ${from}: ${errorText(e)}`);
    }
  }

  private onHandshakeTimeout(conn: Connection<T, D>): void {
    conn.timer = null;
    if (conn.closed || conn.peerId !== null) return;
    if (!conn.connected) {
      // Never got through TCP/TLS connect: a dial that timed out, not a rejection.
      this.counters.counts.connectFailures++;
      this.closeConnection(conn);
      return;
    }
    this.reject(
      conn,
      'handshake-timeout',
      `no handshake from ${conn.remote} within ${this.settings.handshakeTimeout} ms`,
    );
  }

  private onSocketError(conn: Connection<T, D>, error: Error): void {
    if (conn.closed) return;
    if (!conn.connected && conn.role === 'dialer') {
      // A dial of a peer since removed or re-addressed was closed with it (conn.closed above).
      const peer = this.peers.get(conn.target!)!;
      if ((error as NodeJS.ErrnoException).syscall !== 'connect' && this.settings.tls !== null) {
        this.reject(conn, 'tls', `TLS handshake with peer ${peer.id} (${conn.remote}) failed: ${error.message}`);
        return;
      }
      this.counters.counts.connectFailures++;
      if (!peer.unreachable) this.log.info(`peer ${peer.id} (${conn.remote}) unreachable: ${error.message}`);
      peer.unreachable = true;
      this.closeConnection(conn);
      return;
    }
    // 'close' follows and tells a connection lost during its handshake from one lost later.
    this.log.info(`${conn.describe()} failed: ${error.message}`);
  }

  private onClosed(conn: Connection<T, D>): void {
    if (!conn.closed && conn.connected && conn.peerId === null) {
      this.counters.reject('closed-during-handshake');
      this.log.warn(
        `aborted-${conn.remoteHost}`,
        `${conn.describe()} closed by the other end during the handshake (wrong secret or certificate there?)`,
      );
    }
    this.closeConnection(conn);
  }

  /** Closes `conn` for a reason worth a warning and a count. */
  private reject(conn: Connection<T, D> | null, reason: TcpRejectReason, detail: string): void {
    this.counters.reject(reason);
    this.log.warn(
      `${reason}-${conn ? conn.remoteHost : ''}`,
      `rejected ${conn ? conn.describe() : 'connection'}: ${detail}`,
    );
    if (conn) this.closeConnection(conn);
  }

  private closeConnection(conn: Connection<T, D>): void {
    if (conn.closed) return;
    conn.closed = true;
    if (conn.timer) clearTimeout(conn.timer);
    conn.timer = null;
    if (conn.peerId === null) this.pending--;
    this.live.delete(conn);
    conn.socket.destroy();
    const peerId = conn.peerId ?? conn.target;
    const peer = peerId === null ? undefined : this.peers.get(peerId);
    // Not its peer's (any more): replaced by a newer one, or of a peer since removed or re-addressed.
    if (peer === undefined) return;
    const wasConnected = peer.conn === conn;
    if (!peer.disconnected(conn)) return;
    if (wasConnected) this.log.info(`peer ${peer.id} disconnected`);
    if (!this.closed && this.dials(peer.id) && peer.conn === null) peer.scheduleReconnect(() => this.dial(peer));
  }

  /** Closes the connections of a peer being removed or re-addressed (taken out of `peers` first). */
  closePeer(id: ReplicaId): void {
    for (const conn of [...this.live]) if ((conn.peerId ?? conn.target) === id) this.closeConnection(conn);
  }
}
