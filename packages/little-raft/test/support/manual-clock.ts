// A Clock whose time moves only when a test says so. advance(ms) fires every interval
// callback that falls due, in due-time order (ties: the older timer first), with now()
// reading the callback's due time while it runs.
import type { Clock } from '../../src/driver/replica.js';

interface Interval {
  id: number;
  callback: () => void;
  every: number;
  due: number;
}

export class ManualClock implements Clock {
  private time = 0;
  private nextId = 1;
  private readonly intervals = new Map<number, Interval>();

  now(): number {
    return this.time;
  }

  setInterval(callback: () => void, ms: number): unknown {
    const every = Math.max(1, ms);
    const id = this.nextId++;
    this.intervals.set(id, { id, callback, every, due: this.time + every });
    return id;
  }

  clearInterval(handle: unknown): void {
    this.intervals.delete(handle as number);
  }

  /** Intervals currently set (a stopped replica must have cleared its own). */
  get activeIntervals(): number {
    return this.intervals.size;
  }

  /** Moves time forward by `ms`, firing due callbacks in order. */
  advance(ms: number): void {
    const end = this.time + ms;
    for (;;) {
      let next: Interval | undefined;
      for (const t of this.intervals.values()) {
        if (t.due <= end && (next === undefined || t.due < next.due || (t.due === next.due && t.id < next.id))) {
          next = t;
        }
      }
      if (next === undefined) break;
      this.time = next.due;
      next.due += next.every;
      next.callback();
    }
    this.time = end;
  }
}
