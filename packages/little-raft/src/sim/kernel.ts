import { EventQueue, type SimEvent } from './event-queue.js';
import type { Random } from './random.js';
import type { TimelineEvent } from './timeline.js';

/** A timeline event before the kernel stamps it with the time. */
type Untimed<E> = E extends unknown ? Omit<E, 't'> : never;

/** A broken invariant: ends the run with its message. */
export class Violation extends Error {}

/**
 * What every part of a simulation shares: virtual time and its event queue, the one random source,
 * the trace, and the count of replica promises still settling.
 */
export class SimKernel {
  time = 0;
  events = 0;
  readonly trace: string[] = [];
  /** The same run as structured events (with messages and role changes), when tracing. */
  readonly timeline: TimelineEvent[] = [];
  readonly queue = new EventQueue();
  /** Promises of the replicas' async operations still running: the loop lets them settle. */
  asyncOps = 0;
  /**
   * The first violation found. A checker called back from inside a replica (as it applies an
   * entry or takes a snapshot) throws into the replica, which catches it: the loop ends on it.
   */
  violation: Violation | null = null;

  constructor(
    readonly rng: Random,
    readonly tracing: boolean,
  ) {}

  /** Schedules `run` at `delay` virtual milliseconds from now. */
  at(delay: number, run: () => void): SimEvent {
    return this.queue.push(this.time + Math.max(0, delay), run);
  }

  log(line: string): void {
    this.record({ kind: 'note', text: line });
  }

  /** Records an event of the timeline, and its line of the trace if it has one; nothing unless tracing. */
  record(event: Untimed<TimelineEvent>): TimelineEvent | null {
    if (!this.tracing) return null;
    const stamped = { t: this.time, ...event };
    this.timeline.push(stamped);
    if ('text' in stamped && stamped.text !== undefined)
      this.trace.push(`${this.time.toFixed(1).padStart(8)}ms  ${stamped.text}`);
    return stamped;
  }

  fail(message: string): never {
    const violation = new Violation(`t=${this.time.toFixed(1)}ms: ${message}`);
    this.violation ??= violation;
    throw violation;
  }

  /**
   * Runs the events due up to `deadline` (virtual ms) in order, `afterEvent` after each; time then
   * stands at the deadline.
   */
  async runUntil(deadline: number, afterEvent: () => void): Promise<void> {
    for (let event = this.queue.peek(); event && event.time <= deadline; event = this.queue.peek()) {
      this.queue.pop();
      if (event.cancelled) continue;
      this.time = event.time;
      this.events++;
      event.run();
      // Let promise callbacks (reads, membership changes) run before virtual time moves on:
      // a few microtask turns settle their chains; no macrotask, so nothing else interleaves.
      if (this.asyncOps > 0) for (let turn = 0; turn < 8; turn++) await Promise.resolve();
      if (this.violation) throw this.violation;
      afterEvent();
    }
    this.time = deadline;
  }

  /** Runs a replica's async operation; the loop yields to promise callbacks while any runs. */
  track(promise: Promise<void>, what: string): void {
    this.asyncOps++;
    promise
      .then(
        () => this.log(`${what}: done`),
        (error: unknown) => this.log(`${what}: ${error instanceof Error ? error.message : String(error)}`),
      )
      .finally(() => this.asyncOps--);
  }
}
