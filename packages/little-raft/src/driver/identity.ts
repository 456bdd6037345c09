// Member identities: how a replica tells a member that lost its storage from the one that voted
// and acknowledged entries before.
//
// Raft is safe only while a member never forgets what it persisted. A replica restarted on empty
// storage under a known id has forgotten its votes and its log; if its vote or acknowledgement
// counted again, a stale candidate could win and committed entries could be lost. So:
// - every replica's storage holds a random uid, made when the storage was new, and every message
//   carries the sender's uid and the uid the sender knows the recipient by;
// - a replica records a peer's uid (durably, before acting on the message) the first time it
//   hears from it, and refuses messages from that id with another uid: their votes and
//   acknowledgements never count;
// - a leader tells its followers every member uid it knows (with each append), so a member that
//   never heard from a peer itself still recognizes that peer's replacement;
// - a replica told that it is known under another uid is excluded: it takes no part any more
//   (no votes, no acknowledgements, no campaigns) and says so in its status.

import type { Message, ReplicaId, StoredIdentity, StoredState } from '../core/types.js';

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
  private excludedBy: StoredIdentity['excluded'];
  /** Changes not yet handed to storage. */
  private dirty: boolean;
  private uidWritten: boolean;
  /** A peer was recorded from its own message, which may be acted on only once that is durable. */
  private unsyncedPeers = false;
  /** What appends carry: [id, uid, ...] of this replica and every peer known; rebuilt on change. */
  private table: number[] | null = null;

  constructor(
    private readonly selfId: ReplicaId,
    stored: StoredState<unknown, unknown>,
  ) {
    const identity = stored.identity;
    this.enabled = identity !== undefined;
    if (identity) {
      this.uid = identity.uid;
      for (const [id, uid] of identity.peers) this.peers.set(id, uid);
      this.excludedBy = identity.excluded;
      this.dirty = false;
      this.uidWritten = true;
      return;
    }
    this.uid = this.enabled ? newUid() : 0;
    this.excludedBy = null;
    this.dirty = this.enabled;
    this.uidWritten = !this.enabled;
  }

  get excluded(): StoredIdentity['excluded'] {
    return this.excludedBy;
  }

  /** The peers' uids as known here, by id. */
  known(): ReadonlyMap<ReplicaId, number> {
    return this.peers;
  }

  /** The identity to persist now, or null when storage is up to date. */
  takeWrite(): StoredIdentity | null {
    if (!this.dirty) return null;
    this.dirty = false;
    return {
      uid: this.uid,
      peers: [...this.peers].sort((a, b) => a[0] - b[0]),
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

  /** Messages must wait: a peer's uid was recorded from its own message and is not durable yet. */
  get waitingForWrite(): boolean {
    return this.unsyncedPeers;
  }

  /** Stamps an outgoing message with this replica's uid, the recipient's, and (appends) the table. */
  stamp(m: Message<unknown, unknown>): void {
    if (!this.enabled) return;
    m.fromUid = this.uid;
    const known = this.peers.get(m.to);
    if (known !== undefined) m.toUid = known;
    if (m.type === 'append') m.memberUids = this.table ??= this.buildTable();
  }

  private buildTable(): number[] {
    const table = [this.selfId, this.uid];
    for (const [id, uid] of this.peers) table.push(id, uid);
    return table;
  }

  /** What to do with an inbound message: act on it, drop it, or refuse a member that forgot its state. */
  inbound(m: Message<unknown, unknown>): Inbound {
    if (!this.enabled) return 'step';
    if (this.excludedBy !== null) return 'drop';
    const toUid = m.toUid ?? 0;
    if (toUid !== 0 && toUid !== this.uid) {
      this.exclude(m.from, toUid);
      return 'drop';
    }
    const fromUid = m.fromUid ?? 0;
    if (fromUid === 0) return 'step';
    const known = this.peers.get(m.from);
    if (known !== undefined && known !== fromUid) return 'refuse';
    if (known === undefined) {
      this.record(m.from, fromUid);
      this.unsyncedPeers = true;
    }
    return 'step';
  }

  /**
   * An append from the current leader: learns the member uids it lists. A uid already known here
   * for an id is kept (the first one heard of is the member that may have voted): where the two
   * differ, this replica refuses the newer one, and tells it so if it ever leads.
   */
  learn(from: ReplicaId, memberUids: readonly number[] | undefined): void {
    if (!this.enabled || memberUids === undefined || this.excludedBy !== null) return;
    for (let i = 0; i + 1 < memberUids.length; i += 2) {
      const id = memberUids[i]!;
      const uid = memberUids[i + 1]!;
      if (id === this.selfId) {
        if (uid !== this.uid) return this.exclude(from, uid);
      } else if (id !== from && !this.peers.has(id)) {
        this.record(id, uid);
      }
    }
  }

  private record(id: ReplicaId, uid: number): void {
    this.peers.set(id, uid);
    this.table = null;
    this.dirty = true;
  }

  private exclude(by: ReplicaId, uid: number): void {
    this.excludedBy = { by, uid };
    this.dirty = true;
  }
}
