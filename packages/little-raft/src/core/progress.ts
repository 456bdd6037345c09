/**
 * The leader's view of one follower's replication (etcd's Progress):
 * - probe: one append in flight at a time, until the follower's log position is found;
 * - replicate: appends pipelined optimistically, up to `maxInflight` unacknowledged;
 * - snapshot: the follower is behind the log start; snapshot chunks are being sent.
 */
export type ProgressState = 'probe' | 'replicate' | 'snapshot';

export class Progress {
  match = 0;
  next: number;
  state: ProgressState = 'probe';
  /** Probe: an append is in flight; wait for its answer or the next heartbeat. */
  paused = false;
  /** Last indices of the unacknowledged appends sent in replicate state, oldest first. */
  inflight: number[] = [];
  /** Heard from in the current check-quorum window. */
  recentActive = false;
  /** `match` at the previous heartbeat: no progress across a heartbeat means a lost append. */
  matchAtHeartbeat = 0;
  /** Highest commit index sent to the follower: it learns a newer one at once, not at a heartbeat. */
  sentCommit = 0;
  /** Highest heartbeat round the follower has answered (read barriers). */
  ackedSeq = 0;
  /** Snapshot state: which snapshot and the next byte offset to send. */
  snapshotIndex = 0;
  snapshotOffset = 0;

  constructor(next: number) {
    this.next = next;
  }

  becomeProbe(): void {
    this.state = 'probe';
    this.paused = false;
    this.inflight.length = 0;
    this.next = this.match + 1;
  }

  becomeReplicate(): void {
    this.state = 'replicate';
    this.paused = false;
    this.inflight.length = 0;
    this.next = this.match + 1;
  }

  becomeSnapshot(index: number): void {
    this.state = 'snapshot';
    this.paused = false;
    this.inflight.length = 0;
    this.snapshotIndex = index;
    this.snapshotOffset = 0;
  }

  /** Records an acknowledged match; false when the ack is stale. */
  maybeUpdate(index: number): boolean {
    if (index <= this.match) return false;
    this.match = index;
    if (this.next <= index) this.next = index + 1;
    this.paused = false;
    let acked = 0;
    while (acked < this.inflight.length && this.inflight[acked]! <= index) acked++;
    if (acked > 0) this.inflight.splice(0, acked);
    return true;
  }

  /** Can another append go out now? */
  canSend(maxInflight: number): boolean {
    if (this.state === 'probe') return !this.paused;
    if (this.state === 'replicate') return this.inflight.length < maxInflight;
    return false;
  }

  /** Notes an append carrying entries up to `last` was sent. */
  sent(last: number): void {
    if (this.state === 'replicate') {
      this.next = last + 1;
      this.inflight.push(last);
    } else if (this.state === 'probe') {
      this.paused = true;
    }
  }
}
