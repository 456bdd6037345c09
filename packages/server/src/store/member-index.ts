// The members of a large hash or set (its fields, its members) in a fixed order: by a stable 32-bit
// hash (keyHash, the order SCAN walks keys in), ties by the member's bytes. Two things need it:
//
//   HSCAN / SSCAN: a cursor is a hash position; a call returns the members whose hash lies in
//   [cursor, next). A member present for a whole iteration is returned at least once, whatever is
//   added or removed between calls and however the buckets are resized (positions do not move).
//
//   Random picks (SPOP, SRANDMEMBER, HRANDFIELD): the member of rank k in this order, found in
//   O(log n). The order depends only on which members are present, never on the history of adds
//   and removes, so SPOP picks the same member on every replica, one that restored a snapshot too.
//
// Members sit in 2^bits buckets by their hash's top bits, each bucket sorted; a Fenwick tree over
// the bucket sizes finds the bucket of rank k. A collection builds its index on first use and keeps
// it up to date from then on (store/values.ts): small collections never pay for one.

import { keyHash } from './key-hash.js';

const MIN_BITS = 4;
const MAX_BITS = 22;
/** Average bucket fill a rebuild aims at, and the bounds that trigger one. */
const TARGET_FILL = 4;
const MAX_FILL = 16;
const POSITIONS = 2 ** 32;

/** A collection that can hold an index of its members (HashValue, SetValue). */
export interface Indexable {
  readonly size: number;
  keys(): Iterable<string>;
  index: MemberIndex | undefined;
}

/** The collection's index, built now if it has none. */
export function indexOf(c: Indexable): MemberIndex {
  return (c.index ??= new MemberIndex(c.keys(), c.size));
}

/** Orders (hash, member) pairs. */
function before(h1: number, m1: string, h2: number, m2: string): boolean {
  return h1 < h2 || (h1 === h2 && m1 < m2);
}

export class MemberIndex {
  private bits = MIN_BITS;
  private members: string[][] = [];
  private hashes: number[][] = [];
  /** Fenwick tree of the bucket sizes (1-based). */
  private tree = new Int32Array(1);
  private count = 0;

  constructor(members: Iterable<string>, size: number) {
    this.rebuild(members, size);
  }

  get size(): number {
    return this.count;
  }

  /** Records a member that was absent. */
  add(member: string): void {
    const h = keyHash(member);
    const b = h >>> (32 - this.bits);
    const ms = this.members[b]!;
    const hs = this.hashes[b]!;
    const at = this.position(hs, ms, h, member);
    ms.splice(at, 0, member);
    hs.splice(at, 0, h);
    this.bump(b, 1);
    this.count++;
    if (this.bits < MAX_BITS && this.count > MAX_FILL << this.bits) this.rebuild(this.all(), this.count);
  }

  /** Records a member that was present. */
  delete(member: string): void {
    const h = keyHash(member);
    const b = h >>> (32 - this.bits);
    const ms = this.members[b]!;
    const hs = this.hashes[b]!;
    const at = this.position(hs, ms, h, member);
    if (ms[at] !== member) return;
    ms.splice(at, 1);
    hs.splice(at, 1);
    this.bump(b, -1);
    this.count--;
    if (this.bits > MIN_BITS && this.count < 1 << this.bits) this.rebuild(this.all(), this.count);
  }

  /** The member of rank k (0 <= k < size) in (hash, member) order. */
  nth(k: number): string {
    // Fenwick descent: the last bucket whose prefix count is <= k, then the offset in the next one.
    let b = 0;
    let rest = k;
    for (let step = 1 << this.bits; step > 0; step >>= 1) {
      const next = b + step;
      if (next < this.tree.length && this.tree[next]! <= rest) {
        b = next;
        rest -= this.tree[next]!;
      }
    }
    return this.members[b]![rest]!;
  }

  /**
   * One scan step from hash position `cursor` (0 <= cursor < 2^32): passes the members with hash >=
   * cursor to `visit` in order, at least `count` of them (more when several share the last hash), or
   * stops after `maxBuckets` empty buckets. Returns the next cursor, 0 when the walk is complete.
   */
  scan(cursor: number, count: number, maxBuckets: number, visit: (member: string) => void): number {
    if (!(cursor >= 0 && cursor < POSITIONS)) return 0;
    const width = 2 ** (32 - this.bits);
    let b = Math.floor(cursor / width);
    let i = this.firstAtOrAfter(b, cursor);
    let visited = 0;
    let lastHash = -1;
    let empty = 0;
    for (; b < this.members.length; b++, i = 0) {
      const ms = this.members[b]!;
      const hs = this.hashes[b]!;
      if (i >= ms.length && ++empty > maxBuckets) return b * width;
      for (; i < ms.length; i++) {
        // Stop only between two hashes: the next call starts at this one and returns all its members.
        if (visited >= count && hs[i] !== lastHash) return hs[i]!;
        visit(ms[i]!);
        visited++;
        lastHash = hs[i]!;
      }
    }
    return 0;
  }

  /** Index of the first member of bucket b with hash >= h. */
  private firstAtOrAfter(b: number, h: number): number {
    const hs = this.hashes[b]!;
    let lo = 0;
    let hi = hs.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (hs[mid]! < h) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Index in a bucket of the first entry not ordered before (h, member). */
  private position(hs: number[], ms: string[], h: number, member: string): number {
    let lo = 0;
    let hi = hs.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (before(hs[mid]!, ms[mid]!, h, member)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private bump(b: number, delta: number): void {
    for (let i = b + 1; i < this.tree.length; i += i & -i) this.tree[i]! += delta;
  }

  private *all(): Generator<string> {
    for (const ms of this.members) yield* ms;
  }

  private rebuild(source: Iterable<string>, size: number): void {
    const want = Math.ceil(Math.log2(Math.max(1, size / TARGET_FILL)));
    const bits = Math.min(MAX_BITS, Math.max(MIN_BITS, want));
    const n = 1 << bits;
    const pairs: [number, string][] = [];
    for (const m of source) pairs.push([keyHash(m), m]);
    pairs.sort((a, b) => (before(a[0], a[1], b[0], b[1]) ? -1 : 1));
    this.bits = bits;
    this.members = Array.from({ length: n }, () => []);
    this.hashes = Array.from({ length: n }, () => []);
    this.tree = new Int32Array(n + 1);
    for (const [h, m] of pairs) {
      const b = h >>> (32 - bits);
      this.members[b]!.push(m);
      this.hashes[b]!.push(h);
      this.tree[b + 1]!++;
    }
    // Fenwick tree from the counts in O(n).
    for (let i = 1; i <= n; i++) {
      const parent = i + (i & -i);
      if (parent <= n) this.tree[parent]! += this.tree[i]!;
    }
    this.count = pairs.length;
  }
}
