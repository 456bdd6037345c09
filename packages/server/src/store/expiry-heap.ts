// A min-heap of (expireAt, key), ordered by time then key, so the order keys come out in is a function
// of the entries alone, never of the order they went in: replicas with the same keys purge the same ones.
//
// Entries are never updated in place. A key whose expiry changes gets a new entry and the old one goes
// stale; the owner skips stale entries when it pops them and calls `rebuild` when they pile up.

export class ExpiryHeap {
  private times: number[] = [];
  private keys: string[] = [];

  get size(): number {
    return this.times.length;
  }

  /** Earliest time in the heap, or Infinity if empty. */
  peekTime(): number {
    return this.times.length === 0 ? Infinity : this.times[0]!;
  }

  peekKey(): string | undefined {
    return this.keys[0];
  }

  push(time: number, key: string): void {
    this.times.push(time);
    this.keys.push(key);
    this.up(this.times.length - 1);
  }

  /** Removes the earliest entry. */
  pop(): void {
    const last = this.times.length - 1;
    if (last < 0) return;
    const t = this.times.pop()!;
    const k = this.keys.pop()!;
    if (last === 0) return;
    this.times[0] = t;
    this.keys[0] = k;
    this.down(0);
  }

  /** Replaces the contents with one entry per (time, key) of `entries`, in O(n). */
  rebuild(entries: Iterable<[string, number]>): void {
    const times: number[] = [];
    const keys: string[] = [];
    for (const [k, t] of entries) {
      keys.push(k);
      times.push(t);
    }
    this.times = times;
    this.keys = keys;
    for (let i = (times.length >> 1) - 1; i >= 0; i--) this.down(i);
  }

  /** Calls `visit` for every entry with time <= `limit` (in no particular order), pruning larger subtrees. */
  forEachUpTo(limit: number, visit: (time: number, key: string) => void): void {
    const stack = this.times.length > 0 ? [0] : [];
    while (stack.length > 0) {
      const i = stack.pop()!;
      if (this.times[i]! > limit) continue;
      visit(this.times[i]!, this.keys[i]!);
      const l = 2 * i + 1;
      if (l < this.times.length) stack.push(l);
      if (l + 1 < this.times.length) stack.push(l + 1);
    }
  }

  private less(i: number, j: number): boolean {
    const ti = this.times[i]!;
    const tj = this.times[j]!;
    return ti < tj || (ti === tj && this.keys[i]! < this.keys[j]!);
  }

  private swap(i: number, j: number): void {
    const t = this.times[i]!;
    this.times[i] = this.times[j]!;
    this.times[j] = t;
    const k = this.keys[i]!;
    this.keys[i] = this.keys[j]!;
    this.keys[j] = k;
  }

  private up(i: number): void {
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(i, parent)) return;
      this.swap(i, parent);
      i = parent;
    }
  }

  private down(i: number): void {
    const n = this.times.length;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) return;
      let m = l;
      if (l + 1 < n && this.less(l + 1, l)) m = l + 1;
      if (!this.less(m, i)) return;
      this.swap(i, m);
      i = m;
    }
  }
}
