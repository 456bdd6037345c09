// One TCP (or TLS) connection's state, from connect through handshake to close. What happens to
// it is Connections' business (connections.ts).

import type * as net from 'node:net';

import type { ReplicaId } from '../../core/types.js';
import { frameLength, type FramePieces } from './frames.js';
import type { Inbound } from './inbound.js';
import type { TcpCounters } from './stats.js';

/**
 * A frame bigger than this goes to the socket this much at a time, the next part once the socket
 * has taken the last ('drain'): the kernel copies what one write hands it in that call, and 8 MiB
 * to a loopback peer took 20-50 ms of one task here.
 */
const WRITE_SLICE_BYTES = 512 * 1024;

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
  /** What is left to write of a big frame (see WRITE_SLICE_BYTES); empty between frames. */
  private rest: Uint8Array[] = [];
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
    if (this.rest.length > 0) throw new Error('Connection.write: the last frame is not written yet (writeRest)');
    this.lastSent = Date.now();
    const length = frameLength(frame);
    this.counters.counts.bytesSent += length;
    if (frame instanceof Uint8Array && length <= WRITE_SLICE_BYTES) return this.socket.write(frame);
    this.rest = frame instanceof Uint8Array ? [frame] : [...frame];
    return this.writeRest();
  }

  /** True while a big frame is partly written: nothing else may be written before writeRest() ends it. */
  get midFrame(): boolean {
    return this.rest.length > 0;
  }

  /**
   * Writes the next part of the frame in progress (WRITE_SLICE_BYTES); true once it is all
   * written and the socket takes more.
   */
  writeRest(): boolean {
    if (this.closed) return false;
    this.lastSent = Date.now();
    let budget = WRITE_SLICE_BYTES;
    let ok = true;
    while (this.rest.length > 0 && budget > 0) {
      const piece = this.rest[0]!;
      if (piece.length <= budget) {
        ok = this.socket.write(piece);
        budget -= piece.length;
        this.rest.shift();
      } else {
        ok = this.socket.write(piece.subarray(0, budget));
        this.rest[0] = piece.subarray(budget);
        budget = 0;
      }
    }
    return ok && this.rest.length === 0;
  }

  /** For logs: 'connection with peer 2 (10.0.0.2:7002)', or 'connection from ...' before the handshake names it. */
  describe(): string {
    const who = this.peerId ?? this.target;
    return who === null ? `connection from ${this.remote}` : `connection with peer ${who} (${this.remote})`;
  }
}
