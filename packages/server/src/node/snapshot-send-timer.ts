// Times a snapshot's trip to each follower, from its first chunk until the follower has
// acknowledged the last one (the chunks go out as the follower asks for them, so the trip spans
// many messages). Seen from the messages the replica sends and receives; nothing in the library
// knows when a send begins or ends.

import type { Message, ReplicaId } from 'little-raft';

/** A finished send: to whom, the snapshot's index and size, and how long the whole trip took. */
export interface SnapshotSent {
  to: ReplicaId;
  index: number;
  bytes: number;
  seconds: number;
}

interface Trip {
  index: number;
  started: number;
  /** Offset just past the last chunk, once the chunk marked done has gone out. */
  end: number | null;
}

export class SnapshotSendTimer {
  private readonly trips = new Map<ReplicaId, Trip>();

  constructor(
    private readonly onStarted: (to: ReplicaId, index: number) => void,
    private readonly onSent: (sent: SnapshotSent) => void,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** True while a snapshot is on its way to someone: only then are received messages looked at. */
  get active(): boolean {
    return this.trips.size > 0;
  }

  sent(to: ReplicaId, m: Message<unknown, Uint8Array>): void {
    if (m.type !== 'snapshot') return;
    let trip = this.trips.get(to);
    // Chunks sent again (a lost one, or a restart from the beginning) belong to the same trip.
    if (trip === undefined || trip.index !== m.lastIncludedIndex) {
      this.onStarted(to, m.lastIncludedIndex);
      trip = { index: m.lastIncludedIndex, started: this.now(), end: null };
      this.trips.set(to, trip);
    }
    if (m.done) trip.end = m.offset + m.data.length;
  }

  received(messages: readonly Message<unknown, Uint8Array>[]): void {
    for (const m of messages) {
      // A follower answers the last chunk, once it has installed the snapshot, as an append: a
      // success at (or past) the snapshot's index.
      if (m.type !== 'append-response' || !m.success) continue;
      const trip = this.trips.get(m.from);
      if (trip === undefined || trip.end === null || m.index < trip.index) continue;
      this.trips.delete(m.from);
      this.onSent({ to: m.from, index: trip.index, bytes: trip.end, seconds: (this.now() - trip.started) / 1000 });
    }
  }

  /** Leadership lost: the trips under way end untimed. */
  forget(): void {
    this.trips.clear();
  }
}
