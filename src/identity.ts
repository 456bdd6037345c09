// Member identities: how a replica tells a member that lost its storage from the one that voted
// and acknowledged entries before.
//
// Raft is safe only while a member never forgets what it persisted. A replica restarted on empty
// storage under a known id has forgotten its votes and its log; if its vote or acknowledgement
// counted again, a stale candidate could win and committed entries could be lost. So:
// - every replica's storage holds a random uid, made when the storage was new, and every message
//   carries the sender's uid and the uid the sender knows the recipient by;
// - a replica records each peer's uid (durably, before acting on the message) the first time it
//   hears from it, and refuses messages from that id with another uid: their votes and
//   acknowledgements never count;
// - a replica told that it is known under another uid is excluded: it takes no part any more
//   (no votes, no acknowledgements, no campaigns) and says so in its status;
// - a replica that started on empty storage is unadopted until a leader has brought it up to a
//   commit index of that leader's own term (or it led and committed in its own term); until then
//   it grants votes only to candidates with an empty log or unadopted themselves (a new cluster's
//   members, whose first leader may fail before committing anything): a candidate that lacks
//   committed entries cannot win with the vote of a member that forgot them, even where no member
//   remembers the forgetful one's old uid.

import type { Message, ReplicaId, StoredIdentity, StoredState } from './core/types.js';

export type Inbound = 'step' | 'drop' | 'refuse';

/**
 * A random uid in [1, 2^53). From the system's random source, not the replica's injected one:
 * uids are only ever compared, so a simulated run stays the same run whatever they are, and
 * drawing them from the injected source would shift every later election timeout.
 */
function newUid(): number {
  const [high, low] = crypto.getRandomValues(new Uint32Array(2));
  return (high! & 0x1fffff) * 2 ** 32 + low! || 1;
}

export class MemberIdentities {
  /** False when the storage keeps no identities: then messages carry none and none are checked. */
  readonly enabled: boolean;
  readonly uid: number;
  private readonly peers = new Map<ReplicaId, number>();
  private adoptedHere: boolean;
  private excludedBy: StoredIdentity['excluded'];
  /** Changes not yet handed to storage. */
  private dirty: boolean;
  private uidWritten: boolean;
  /** A peer was recorded and its message may be acted on only once that is durable. */
  private unsyncedPeers = false;
  /** The last append from the current leader: its commit index and term (adoption target). */
  private target: { index: number; term: number } | null = null;

  constructor(stored: StoredState<unknown, unknown>) {
    const identity = stored.identity;
    this.enabled = identity !== undefined;
    if (identity) {
      this.uid = identity.uid;
      for (const [id, uid] of identity.peers) this.peers.set(id, uid);
      this.adoptedHere = identity.adopted;
      this.excludedBy = identity.excluded;
      this.dirty = false;
      this.uidWritten = true;
      return;
    }
    this.uid = this.enabled ? newUid() : 0;
    // Storage that holds state but no identity predates identities: it forgot nothing.
    const empty =
      stored.hardState.term === 0 && stored.hardState.vote === null && !stored.snapshot && stored.entries.length === 0;
    this.adoptedHere = !empty;
    this.excludedBy = null;
    this.dirty = this.enabled;
    this.uidWritten = !this.enabled;
  }

  get adopted(): boolean {
    return this.adoptedHere;
  }

  get excluded(): StoredIdentity['excluded'] {
    return this.excludedBy;
  }

  /** The identity to persist now, or null when storage is up to date. */
  takeWrite(): StoredIdentity | null {
    if (!this.dirty) return null;
    this.dirty = false;
    return {
      uid: this.uid,
      peers: [...this.peers].sort((a, b) => a[0] - b[0]),
      adopted: this.adoptedHere,
      excluded: this.excludedBy === null ? null : { ...this.excludedBy },
    };
  }

  /** A write from takeWrite() is durable. */
  written(): void {
    this.uidWritten = true;
    if (!this.dirty) this.unsyncedPeers = false;
  }

  /** Messages may carry the uid: it is in storage (or identities are off). */
  get uidDurable(): boolean {
    return this.uidWritten;
  }

  /** Messages must wait: a peer's uid was recorded and is not durable yet. */
  get waitingForWrite(): boolean {
    return this.unsyncedPeers;
  }

  /** Stamps an outgoing message with this replica's uid and the one it knows the recipient by. */
  stamp(m: Message<unknown, unknown>): void {
    if (!this.enabled) return;
    m.fromUid = this.uid;
    const known = this.peers.get(m.to);
    if (known !== undefined) m.toUid = known;
    if (!this.adoptedHere && m.type === 'vote-request') m.unadopted = true;
  }

  /** What to do with an inbound message: act on it, drop it, or refuse a member that forgot its state. */
  inbound(m: Message<unknown, unknown>): Inbound {
    if (!this.enabled) return 'step';
    if (this.excludedBy !== null) return 'drop';
    const toUid = m.toUid ?? 0;
    if (toUid !== 0 && toUid !== this.uid) {
      this.excludedBy = { by: m.from, uid: toUid };
      this.dirty = true;
      return 'drop';
    }
    const fromUid = m.fromUid ?? 0;
    if (fromUid !== 0) {
      const known = this.peers.get(m.from);
      if (known !== undefined && known !== fromUid) return 'refuse';
      if (known === undefined) {
        this.peers.set(m.from, fromUid);
        this.dirty = true;
        this.unsyncedPeers = true;
      }
    }
    // An unadopted candidate is one of a new cluster's first members too (its first leader may
    // have failed before committing anything): it owes nothing to a forgotten past either.
    if (!this.adoptedHere && m.type === 'vote-request' && m.lastLogIndex > 0 && m.unadopted !== true) return 'drop';
    return 'step';
  }

  /** The uid this replica knows `id` by, or undefined. */
  peerUid(id: ReplicaId): number | undefined {
    return this.peers.get(id);
  }

  /** After stepping an append that the core took from its current leader. */
  leaderAppend(leaderCommit: number, term: number): void {
    if (!this.adoptedHere && leaderCommit > 0) this.target = { index: leaderCommit, term };
  }

  /**
   * A leader that has committed an entry of its own term holds every committed entry (it was
   * elected by voters that did not forget theirs, or by empty ones when the cluster was new).
   */
  leaderCommitted(): void {
    if (this.adoptedHere) return;
    this.adoptedHere = true;
    this.target = null;
    this.dirty = true;
  }

  /**
   * The log is durable through `durableIndex`, and `termAt` gives a log term: once it holds the
   * target, which is the leader's commit index and an entry of the leader's own term (so every
   * entry committed before is below it), this replica has everything a former self could have
   * acknowledged that counted.
   */
  checkAdopted(durableIndex: number, termAt: (index: number) => number | undefined): void {
    const t = this.target;
    if (this.adoptedHere || t === null || durableIndex < t.index || termAt(t.index) !== t.term) return;
    this.adoptedHere = true;
    this.target = null;
    this.dirty = true;
  }
}
