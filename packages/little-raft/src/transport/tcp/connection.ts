// One TCP (or TLS) connection's state, from connect through handshake to close. What happens to
// it is Connections' business (connections.ts).

import type * as net from 'node:net';

import type { ReplicaId } from '../../core/types.js';
import { frameLength, type FramePieces } from './frames.js';
import type { Inbound } from './inbound.js';
import type { TcpCounters } from './stats.js';

export class Connection<T, D> {
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
    private readonly counters: TcpCounters,
  ) {}

  /**
   * Writes a frame (whole, or its pieces one after the other) unless closed; false when the
   * socket wants a 'drain' first (or is closed).
   */
  write(frame: FramePieces): boolean {
    if (this.closed) return false;
    this.lastSent = Date.now();
    this.counters.counts.bytesSent += frameLength(frame);
    if (frame instanceof Uint8Array) return this.socket.write(frame);
    let ok = true;
    for (const piece of frame) ok = this.socket.write(piece);
    return ok;
  }

  /** For logs: 'connection with peer 2 (10.0.0.2:7002)', or 'connection from ...' before the handshake names it. */
  describe(): string {
    const who = this.peerId ?? this.target;
    return who === null ? `connection from ${this.remote}` : `connection with peer ${who} (${this.remote})`;
  }
}
