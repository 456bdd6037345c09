import type { Raft } from '../core/raft.js';
import type { StateMachineTransition } from '../core/types.js';
import { NotLeaderError, TimeoutError } from '../encoding/errors.js';
import type { Clock } from './options.js';
import type { Waiters } from './waiters.js';

interface Read {
  resolve: () => void;
  reject: (error: Error) => void;
  /** Asked for on the leader without allowFollower: refused if it no longer leads when asked. */
  leaderOnly: boolean;
}

/** Reads asked for together: one read index serves them all. */
interface Group {
  reads: Read[];
  deadline: number;
}

/**
 * Linearizable reads (ReadIndex) in flight: each asks for a read index, then waits until this
 * replica has applied through it, within two election timeouts. The reads requested between two
 * runs of the replica's loop share one read index: on a follower that is one request to the
 * leader and one answer for all of them, not one each. Sharing is safe because the read index is
 * asked for after every read of the group was requested.
 */
export class Reads<T extends StateMachineTransition, D> {
  /** Requested, not asked for yet (see flush). */
  private pending: Read[] = [];
  /** Asked for, by id; ids and deadlines grow together. */
  private readonly groups = new Map<number, Group>();
  private seq = 0;

  constructor(
    private readonly clock: Clock,
    private readonly electionTimeoutRange: readonly [number, number],
    private readonly waiters: Waiters,
  ) {}

  /** A read: resolves once this replica has applied the read index flush() asks for. */
  request(leaderOnly: boolean): Promise<void> {
    return new Promise((resolve, reject) => this.pending.push({ resolve, reject, leaderOnly }));
  }

  /** Asks `core` for one read index for the reads requested since the last flush. */
  flush(core: Raft<T, D>): void {
    if (this.pending.length === 0) return;
    let reads = this.pending;
    this.pending = [];
    if (core.role !== 'leader' && reads.some((r) => r.leaderOnly)) {
      // It stepped down since they were requested: as if they had been requested now.
      settle(
        reads.filter((r) => r.leaderOnly),
        new NotLeaderError(core.leaderId),
      );
      reads = reads.filter((r) => !r.leaderOnly);
      if (reads.length === 0) return;
    }
    const id = ++this.seq;
    this.groups.set(id, { reads, deadline: this.clock.now() + 2 * this.electionTimeoutRange[1] });
    core.readIndex(id);
  }

  /** Rejects the reads that got no read index before their deadline. */
  expire(now: number): void {
    for (const [id, group] of this.groups) {
      if (group.deadline > now) break; // deadlines grow with ids
      this.groups.delete(id);
      settle(group.reads, new TimeoutError('read: no read index from the leader in time'));
    }
  }

  /** The core answered read index `id`: serve its reads once `index` is applied here. */
  indexed(core: Raft<T, D>, id: number, index: number): void {
    const group = this.groups.get(id);
    if (!group) return;
    this.groups.delete(id);
    if (index === 0) return settle(group.reads, new NotLeaderError(core.leaderId, 'read refused: not the leader'));
    if (core.applied >= index) return settle(group.reads);
    const applied = this.waiters.wait(
      () => core.applied >= index,
      group.deadline,
      'read: apply did not catch up in time',
    );
    applied.then(
      () => settle(group.reads),
      (error: Error) => settle(group.reads, error),
    );
  }

  /** The replica stopped. */
  rejectAll(error: Error): void {
    settle(this.pending, error);
    for (const group of this.groups.values()) settle(group.reads, error);
    this.pending = [];
    this.groups.clear();
  }
}

/** Resolves `reads`, or rejects them with `error`. */
function settle(reads: Read[], error?: Error): void {
  for (const read of reads) {
    if (error === undefined) read.resolve();
    else read.reject(error);
  }
}
