// Read barriers asked for in one event-loop turn, run as one. Every GET group of every client
// needs a barrier; on a follower each is a read-index request to the leader and an answer back, so
// 64 clients reading meant 64 messages each way per turn. Joined here, they are one.
//
// Safe because no caller joins a barrier that has begun: the callers of a turn wait together,
// and their barrier starts afterwards (setImmediate), so it is asked for after each of them came,
// which is all a linearizable read needs (the read index is taken after the read arrived). A
// caller that comes once it has begun waits for the next one.

export class SharedBarrier<T> {
  /** The barrier the callers of this turn wait for, not begun yet; null: none asked for. */
  private next: Promise<T> | null = null;

  /** `begin` runs one barrier (for every caller of a turn). */
  constructor(private readonly begin: () => Promise<T>) {}

  /** A barrier that begins after this call, shared with the other callers of this turn. */
  wait(): Promise<T> {
    if (this.next !== null) return this.next;
    const next = new Promise<T>((resolve, reject) => {
      setImmediate(() => {
        this.next = null;
        // A throw of begin() rejects like its promise would.
        new Promise<T>((begun) => begun(this.begin())).then(resolve, reject);
      });
    });
    this.next = next;
    return next;
  }
}
