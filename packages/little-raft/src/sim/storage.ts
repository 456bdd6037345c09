import type { Storage, StorageWrite, StoredState } from '../core/types.js';
import { MemoryStorage } from '../storage/memory.js';
import type { Random } from './random.js';

/** Schedules a callback at a virtual delay from now; returns nothing (events are the sim's). */
export type Scheduler = (delay: number, run: () => void) => void;

interface PendingWrite<T, D> {
  batch: StorageWrite<T, D>;
  done: Array<() => void>;
}

/**
 * A simulated disk: writes become durable after a (sometimes long) virtual delay, in order.
 * A crash keeps a random prefix of the writes not yet acknowledged and loses the rest.
 */
export class SimStorage<T, D> implements Storage<T, D> {
  readonly durable = new MemoryStorage<T, D>();
  private pending: PendingWrite<T, D>[] = [];
  private epoch = 0;
  private busyUntil = 0;

  constructor(
    private readonly schedule: Scheduler,
    private readonly now: () => number,
    private readonly random: Random,
    private readonly slowDisk: boolean,
  ) {}

  load(): StoredState<T, D> {
    return this.durable.load();
  }

  write(batch: StorageWrite<T, D>): PromiseLike<void> {
    const write: PendingWrite<T, D> = { batch, done: [] };
    this.pending.push(write);
    const latency = this.slowDisk && this.random.chance(0.05) ? this.random.int(50, 400) : this.random.int(0, 3);
    const at = Math.max(this.busyUntil, this.now() + latency);
    this.busyUntil = at;
    const epoch = this.epoch;
    this.schedule(at - this.now(), () => {
      if (epoch !== this.epoch) return; // the process crashed meanwhile
      this.pending.shift();
      this.durable.write(batch);
      for (const callback of write.done) callback();
    });
    const thenable: PromiseLike<void> = {
      then: (onDone?: ((value: void) => unknown) | null) => {
        if (onDone) write.done.push(() => onDone());
        return thenable as PromiseLike<never>;
      },
    };
    return thenable;
  }

  /** The process died: a random prefix of the unacknowledged writes reached the disk. */
  crash(): number {
    const kept = this.random.int(0, this.pending.length);
    for (let i = 0; i < kept; i++) this.durable.write(this.pending[i]!.batch);
    const lost = this.pending.length - kept;
    this.pending = [];
    this.epoch++;
    this.busyUntil = 0;
    return lost;
  }
}
