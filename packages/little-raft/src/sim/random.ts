/** A seeded pseudo-random generator (mulberry32): the same seed gives the same stream. */
export class Random {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Uniform integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<V>(values: readonly V[]): V {
    return values[Math.floor(this.next() * values.length)]!;
  }

  /** An independent stream derived from this one. */
  fork(): Random {
    return new Random(Math.floor(this.next() * 4294967296));
  }
}
