import { TimeoutError } from '../encoding/errors.js';

/** A condition re-checked after every step of the replica: true settles it, an Error rejects it. */
export type Condition = () => boolean | Error;

interface Waiter {
  check: Condition;
  deadline: number;
  timeoutMessage: string;
  resolve: () => void;
  reject: (error: Error) => void;
}

/** Promises that settle once a condition on the replica's state holds, or a deadline passes. */
export class Waiters {
  private list: Waiter[] = [];

  get size(): number {
    return this.list.length;
  }

  wait(check: Condition, deadline: number, timeoutMessage: string): Promise<void> {
    return new Promise((resolve, reject) => this.list.push({ check, deadline, timeoutMessage, resolve, reject }));
  }

  /** Settles every waiter whose condition holds, fails or whose deadline has passed. */
  poll(now: number): void {
    if (this.list.length === 0) return;
    const keep: Waiter[] = [];
    for (const w of this.list) {
      const outcome = w.check();
      if (outcome === true) w.resolve();
      else if (outcome instanceof Error) w.reject(outcome);
      else if (now >= w.deadline) w.reject(new TimeoutError(w.timeoutMessage));
      else keep.push(w);
    }
    this.list = keep;
  }

  rejectAll(error: Error): void {
    const list = this.list;
    this.list = [];
    for (const w of list) w.reject(error);
  }
}
