// The shape of a log without its entries: where it starts and ends, the term of every
// index (as runs of equal terms) and which segment file holds each entry (as runs of equal
// segments). DiskStorage keeps this instead of the entries, which live in the core.

/** Flattened [firstIndex, value] runs: appended in increasing index order. */
class Runs {
  /** [firstIndex, value, firstIndex, value, ...], firstIndex strictly increasing. */
  private pairs: number[] = [];

  get length(): number {
    return this.pairs.length / 2;
  }

  firstValue(): number | undefined {
    return this.pairs[1];
  }

  /** Records that `index` (past every run's start) holds `value`. */
  push(index: number, value: number): void {
    const n = this.pairs.length;
    if (n > 0 && this.pairs[n - 1] === value) return;
    this.pairs.push(index, value);
  }

  /** Forgets indices >= from. */
  cutFrom(from: number): void {
    while (this.pairs.length > 0 && this.pairs[this.pairs.length - 2]! >= from) this.pairs.length -= 2;
  }

  /** Forgets indices < from: the run covering `from` then starts there. */
  dropBefore(from: number): void {
    let k = 0;
    while (k + 2 < this.pairs.length && this.pairs[k + 2]! <= from) k += 2;
    if (k > 0) this.pairs.splice(0, k);
    if (this.pairs.length > 0 && this.pairs[0]! < from) this.pairs[0] = from;
  }

  clear(): void {
    this.pairs = [];
  }

  copyFrom(other: Runs): void {
    this.pairs = other.pairs.slice();
  }

  /** The value at `index`, which must be covered. */
  at(index: number): number {
    const p = this.pairs;
    let lo = 0;
    let hi = p.length / 2 - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (p[2 * mid]! <= index) lo = mid;
      else hi = mid - 1;
    }
    return p[2 * lo + 1]!;
  }
}

/** A log's extent, terms and segments; every index in (snapIndex, last] is covered. */
export class LogShape {
  snapIndex = 0;
  snapTerm = 0;
  /** Index of the last entry, or snapIndex when there is none. */
  last = 0;
  private readonly terms = new Runs();
  private readonly segments = new Runs();

  /** Makes this shape equal to `other`. */
  copyFrom(other: LogShape): void {
    this.snapIndex = other.snapIndex;
    this.snapTerm = other.snapTerm;
    this.last = other.last;
    this.terms.copyFrom(other.terms);
    this.segments.copyFrom(other.segments);
  }

  /** Term at `index` in [snapIndex, last]. */
  termAt(index: number): number {
    return index === this.snapIndex ? this.snapTerm : this.terms.at(index);
  }

  /** Segment of the oldest entry after the snapshot, or undefined when there is none. */
  firstSegment(): number | undefined {
    return this.segments.firstValue();
  }

  snapshot(index: number, term: number): void {
    if (index >= this.last) {
      this.last = index;
      this.terms.clear();
      this.segments.clear();
    } else {
      this.terms.dropBefore(index + 1);
      this.segments.dropBefore(index + 1);
    }
    this.snapIndex = index;
    this.snapTerm = term;
  }

  truncate(from: number): void {
    if (from > this.last) return;
    this.last = Math.max(from - 1, this.snapIndex);
    this.terms.cutFrom(from);
    this.segments.cutFrom(from);
  }

  /** Forgets every entry: the log continues after `base` (replaying a log whose start was deleted). */
  reset(base: number): void {
    this.last = base;
    this.terms.clear();
    this.segments.clear();
  }

  /**
   * Stores entries first.. with the first `count` of `terms` (all of them by default), in segment
   * `segment`, dropping entries >= first.
   */
  append(first: number, terms: ArrayLike<number>, segment: number, count = terms.length): void {
    this.truncate(first);
    if (count === 0) return;
    this.segments.push(first, segment);
    for (let i = 0; i < count; i++) this.terms.push(first + i, terms[i]!);
    this.last = first + count - 1;
  }
}
