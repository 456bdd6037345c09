// The order SCAN walks the key space in: by a stable 32-bit key hash, and a cursor is a hash position.
// A call returns every live key whose hash lies in [cursor, next), so a key that exists for the whole
// iteration is returned at least once, whatever is added or deleted between calls, and whatever the
// bucket count is when each call runs (the cursor is a position, not a bucket number).
//
// Keys sit in 2^bits buckets by their hash's top bits. Deletion is lazy: a deleted key stays in its
// bucket until the next rebuild (a re-added key may then be listed twice; the scan skips duplicates).
// Rebuilds happen when buckets get crowded or dead entries outnumber live keys, so they are amortized.
// The index is built on the first SCAN only: a key space that is never scanned pays nothing for it.

import { keyHash } from './key-hash.js';

const MIN_BITS = 4;
const MAX_BITS = 20;
/** Average bucket fill that triggers growth, and the fill a rebuild aims at. */
const MAX_FILL = 16;
const TARGET_FILL = 4;
const SLACK = 1024;
const POSITIONS = 2 ** 32;

/** The live key set the index mirrors. */
export interface KeySource {
  readonly size: number;
  keys(): IterableIterator<string>;
}

export class ScanIndex {
  private bits = MIN_BITS;
  private buckets: (string[] | undefined)[] = [];
  private entries = 0;
  private built = false;

  constructor(private readonly source: KeySource) {}

  /** Records a key that just became present (it was absent before). */
  added(key: string): void {
    if (!this.built) return;
    this.put(key);
    this.entries++;
    if (this.bits < MAX_BITS && this.entries > MAX_FILL << this.bits) this.rebuild();
    else if (this.entries > 2 * this.source.size + SLACK) this.rebuild();
  }

  /** Notes that a key was deleted: the index shrinks once dead entries dominate. */
  deleted(): void {
    if (this.built && this.entries > 2 * this.source.size + SLACK) this.rebuild();
  }

  /** Drops the index; the next scan builds it from the source. */
  reset(): void {
    this.built = false;
    this.buckets = [];
    this.entries = 0;
  }

  /** Rebuilds from the source's keys, sized for them. */
  rebuild(): void {
    this.built = true;
    const want = Math.ceil(Math.log2(Math.max(1, this.source.size / TARGET_FILL)));
    this.bits = Math.min(MAX_BITS, Math.max(MIN_BITS, want));
    this.buckets = new Array<string[] | undefined>(1 << this.bits);
    this.entries = 0;
    for (const key of this.source.keys()) {
      this.put(key);
      this.entries++;
    }
  }

  /**
   * One SCAN step from `cursor` (0 <= cursor < 2^32): passes each key with hash >= cursor in the
   * buckets it visits to `visit` (once per call), stopping after the bucket in which `enough()` turns
   * true or after `maxBuckets` buckets. Returns the next cursor, 0 when the walk is complete.
   */
  scan(cursor: number, maxBuckets: number, enough: () => boolean, visit: (key: string) => void): number {
    if (!(cursor >= 0 && cursor < POSITIONS)) return 0;
    if (!this.built) this.rebuild();
    const width = 2 ** (32 - this.bits);
    let b = Math.floor(cursor / width);
    const seen = new Set<string>();
    for (let visited = 1; ; visited++) {
      const bucket = this.buckets[b];
      if (bucket !== undefined) {
        for (const key of bucket) {
          if (seen.has(key) || (cursor > b * width && keyHash(key) < cursor)) continue;
          seen.add(key);
          visit(key);
        }
      }
      b++;
      if (b >= this.buckets.length) return 0;
      if (enough() || visited >= maxBuckets) return b * width;
    }
  }

  private put(key: string): void {
    const b = keyHash(key) >>> (32 - this.bits);
    const bucket = this.buckets[b];
    if (bucket === undefined) this.buckets[b] = [key];
    else bucket.push(key);
  }
}
