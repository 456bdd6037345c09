import type { Raft } from '../core/raft.js';
import type { StateMachineTransition } from '../core/types.js';
import { NotLeaderError, TimeoutError } from '../encoding/errors.js';
import type { Clock } from './options.js';
import type { Waiters } from './waiters.js';

interface Read {
  resolve: () => void;
  reject: (error: Error) => void;
  deadline: number;
}

/**
 * Linearizable reads (ReadIndex) in flight: each asks the core for a read index, then waits until
 * this replica has applied through it, within two election timeouts.
 */
export class Reads<T extends StateMachineTransition, D> {
  /** By id; ids and deadlines grow together. */
  private readonly reads = new Map<number, Read>();
  private seq = 0;

  constructor(
    private readonly clock: Clock,
    private readonly electionTimeoutRange: readonly [number, number],
    private readonly waiters: Waiters,
  ) {}

  /** Asks `core` for a read index; resolves once it is applied here. */
  request(core: Raft<T, D>): Promise<void> {
    return new Promise((resolve, reject) => {
      const id = ++this.seq;
      this.reads.set(id, { resolve, reject, deadline: this.clock.now() + 2 * this.electionTimeoutRange[1] });
      core.readIndex(id);
    });
  }

  /** Rejects the reads that got no read index before their deadline. */
  expire(now: number): void {
    for (const [id, read] of this.reads) {
      if (read.deadline > now) break; // deadlines grow with ids
      this.reads.delete(id);
      read.reject(new TimeoutError('read: no read index from the leader in time'));
    }
  }

  /** The core answered read `id`: serve it once `index` is applied here. */
  indexed(core: Raft<T, D>, id: number, index: number): void {
    const read = this.reads.get(id);
    if (!read) return;
    this.reads.delete(id);
    if (index === 0) return read.reject(new NotLeaderError(core.leaderId, 'read refused: not the leader'));
    if (core.applied >= index) return read.resolve();
    const applied = this.waiters.wait(
      () => core.applied >= index,
      read.deadline,
      'read: apply did not catch up in time',
    );
    applied.then(read.resolve, read.reject);
  }

  /** The replica stopped. */
  rejectAll(error: Error): void {
    for (const read of this.reads.values()) read.reject(error);
    this.reads.clear();
  }
}
