// What TcpCluster counts (stats()): connections, messages, bytes, and why connections were
// rejected or messages dropped.

import type { ReplicaId } from '../../core/types.js';

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

/**
 * Why outgoing or incoming messages were dropped (stats().dropped). 'unreachable': queued for or
 * sent to a peer with no connection (lost, a dial failed, or none made soon after it was added).
 */
export type TcpDropReason =
  'queue-full' | 'unreachable' | 'unknown-peer' | 'encode-error' | 'too-large' | 'inbox-full' | 'closed';

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
  /** Entries left out of appends because they went on the same connection less than a second before. */
  entriesNotResent: number;
  dropped: Partial<Record<TcpDropReason, number>>;
  peers: Record<ReplicaId, TcpPeerStats>;
}

/** The counters behind stats(), shared by the parts of a TcpCluster. */
export class TcpCounters {
  readonly counts = {
    accepted: 0,
    dialed: 0,
    connectFailures: 0,
    authenticated: 0,
    idleTimeouts: 0,
    messagesSent: 0,
    messagesReceived: 0,
    bytesSent: 0,
    bytesReceived: 0,
    entriesNotResent: 0,
  };
  private readonly rejected: Partial<Record<TcpRejectReason, number>> = {};
  private readonly dropped: Partial<Record<TcpDropReason, number>> = {};

  reject(reason: TcpRejectReason): void {
    this.rejected[reason] = (this.rejected[reason] ?? 0) + 1;
  }

  drop(reason: TcpDropReason, count = 1): void {
    this.dropped[reason] = (this.dropped[reason] ?? 0) + count;
  }

  /** A copy of the counters, with `peers` as given. */
  snapshot(peers: Record<ReplicaId, TcpPeerStats>): TcpClusterStats {
    return { ...this.counts, rejected: { ...this.rejected }, dropped: { ...this.dropped }, peers };
  }
}
