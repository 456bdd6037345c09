// A sorted set: members with scores, in Redis's order (by score, then by member bytes).
//
// The entries sit in a list of sorted chunks of at most MAX_CHUNK entries (a one-level B-tree): an
// insert or removal moves at most a chunk, so it costs O(log n + MAX_CHUNK) whatever the size, and
// a rank is a chunk's start plus a position in it (chunk starts are recomputed lazily, from the
// first chunk that changed). A Map gives a member's score in O(1).

import { ScanIndex } from './scan-index.js';

/** A member of a sorted set with its score. */
export interface ZEntry {
  readonly member: string;
  readonly score: number;
}

/** Redis's order of a sorted set: by score, then by member bytes. */
export function compareZ(a: ZEntry, b: ZEntry): number {
  if (a.score !== b.score) return a.score < b.score ? -1 : 1;
  return a.member < b.member ? -1 : a.member > b.member ? 1 : 0;
}

/** What a search looks for (one function with a switch: no closure per search). */
const ENTRY = 0; // the entry (score, member)
const SCORE_BELOW = 1; // the first score >= score
const SCORE_AT_MOST = 2; // the first score > score
const MEMBER_BELOW = 3; // the first member >= member
const MEMBER_AT_MOST = 4; // the first member > member
type Search = 0 | 1 | 2 | 3 | 4;

/** Whether `e` comes before what a search of `kind` looks for. */
function before(e: ZEntry, kind: Search, score: number, member: string): boolean {
  switch (kind) {
    case ENTRY:
      return e.score < score || (e.score === score && e.member < member);
    case SCORE_BELOW:
      return e.score < score;
    case SCORE_AT_MOST:
      return e.score <= score;
    case MEMBER_BELOW:
      return e.member < member;
    default:
      return e.member <= member;
  }
}

const MAX_CHUNK = 512;
/** A chunk this small after a removal is merged into a neighbour if they fit in one. */
const MIN_CHUNK = 64;

export class ZSetValue {
  readonly scores = new Map<string, number>();
  private chunks: ZEntry[][] = [];
  /** starts[i] is the rank of chunks[i][0], valid for i < validStarts. */
  private starts: number[] = [];
  private validStarts = 0;
  /** ZSCAN's positions, built on the first ZSCAN of a large set (not copied, not serialized). */
  private scanIndex: ScanIndex | null = null;

  get size(): number {
    return this.scores.size;
  }

  /** A sorted set of `entries`, which must be in Redis's order with distinct members. */
  static fromSorted(entries: readonly ZEntry[]): ZSetValue {
    const z = new ZSetValue();
    for (let i = 0; i < entries.length; i += MAX_CHUNK / 2) {
      const chunk = entries.slice(i, i + MAX_CHUNK / 2);
      for (let k = 0; k < chunk.length; k++) {
        const e = chunk[k]!;
        if (Object.is(e.score, -0)) chunk[k] = { member: e.member, score: 0 };
        z.scores.set(e.member, chunk[k]!.score);
      }
      z.chunks.push(chunk);
    }
    return z;
  }

  /**
   * Adds `member` or moves it to `score` (NaN is never stored). -0 is stored as 0, as Redis's
   * small sorted sets (listpacks) store it.
   */
  add(member: string, score: number): void {
    if (score === 0) score = 0;
    const old = this.scores.get(member);
    if (old !== undefined) {
      if (old === score) return;
      this.removeEntry(member, old);
    }
    this.scores.set(member, score);
    this.insertEntry({ member, score });
    if (old === undefined) this.scanIndex?.added(member);
  }

  /** Removes `member`; whether it was there. */
  delete(member: string): boolean {
    const score = this.scores.get(member);
    if (score === undefined) return false;
    this.scores.delete(member);
    this.removeEntry(member, score);
    this.scanIndex?.deleted();
    return true;
  }

  /** The entry at 0-based `rank` (0 <= rank < size). */
  at(rank: number): ZEntry {
    const c = this.chunkOfRank(rank);
    return this.chunks[c]![rank - this.starts[c]!]!;
  }

  /** The 0-based rank of `member`, or undefined if absent. */
  rank(member: string): number | undefined {
    const score = this.scores.get(member);
    if (score === undefined) return undefined;
    return this.firstRank(ENTRY, score, member);
  }

  /** The rank of the first entry whose score is > `score` (exclusive) or >= `score`; size if none. */
  firstByScore(score: number, exclusive: boolean): number {
    return this.firstRank(exclusive ? SCORE_AT_MOST : SCORE_BELOW, score, '');
  }

  /**
   * The rank of the first entry whose member is > `member` (exclusive) or >= `member`, for a set
   * whose members are in byte order (all scores equal); size if none.
   */
  firstByMember(member: string, exclusive: boolean): number {
    return this.firstRank(exclusive ? MEMBER_AT_MOST : MEMBER_BELOW, 0, member);
  }

  /** The entries of ranks [from, to), in order. */
  range(from: number, to: number): ZEntry[] {
    const out: ZEntry[] = [];
    if (from >= to) return out;
    let c = this.chunkOfRank(from);
    let i = from - this.starts[c]!;
    for (let n = to - from; n > 0;) {
      const chunk = this.chunks[c++]!;
      const take = Math.min(n, chunk.length - i);
      for (let k = 0; k < take; k++) out.push(chunk[i + k]!);
      n -= take;
      i = 0;
    }
    return out;
  }

  /** Removes the entries of ranks [from, to) and returns them, in order. */
  removeRange(from: number, to: number): ZEntry[] {
    if (from >= to) return [];
    const c1 = this.chunkOfRank(from);
    const c2 = this.chunkOfRank(to - 1);
    const p1 = from - this.starts[c1]!;
    const p2 = to - this.starts[c2]!;
    let removed: ZEntry[];
    if (c1 === c2) {
      removed = this.chunks[c1]!.splice(p1, p2 - p1);
    } else {
      removed = this.chunks[c1]!.splice(p1);
      for (let c = c1 + 1; c < c2; c++) for (const e of this.chunks[c]!) removed.push(e);
      for (const e of this.chunks[c2]!.splice(0, p2)) removed.push(e);
      this.chunks.splice(c1 + 1, c2 - c1 - 1);
    }
    for (const e of removed) this.scores.delete(e.member);
    this.invalidate(c1);
    // Drop emptied chunks and merge small ones around the cut.
    this.settle(c1 + 1);
    this.settle(c1);
    if (this.scanIndex !== null) for (let n = removed.length; n > 0; n--) this.scanIndex.deleted();
    return removed;
  }

  /** The entries in order. */
  *[Symbol.iterator](): IterableIterator<ZEntry> {
    for (const chunk of this.chunks) yield* chunk;
  }

  /** ZSCAN's index of the members by hash position (built now if it was not). */
  scanPositions(): ScanIndex {
    if (this.scanIndex === null) {
      this.scanIndex = new ScanIndex(this.scores);
      this.scanIndex.rebuild();
    }
    return this.scanIndex;
  }

  // ---------------------------------------------------------------------------------------------

  /** Rank of the first entry not `before` the target (`before` holds for a prefix of the order). */
  private firstRank(kind: Search, score: number, member: string): number {
    const chunks = this.chunks;
    let lo = 0;
    let hi = chunks.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const chunk = chunks[mid]!;
      if (before(chunk[chunk.length - 1]!, kind, score, member)) lo = mid + 1;
      else hi = mid;
    }
    if (lo === chunks.length) return this.size;
    const chunk = chunks[lo]!;
    let a = 0;
    let b = chunk.length;
    while (a < b) {
      const mid = (a + b) >>> 1;
      if (before(chunk[mid]!, kind, score, member)) a = mid + 1;
      else b = mid;
    }
    this.computeStarts(lo);
    return this.starts[lo]! + a;
  }

  /** The chunk holding `rank` (0 <= rank < size). */
  private chunkOfRank(rank: number): number {
    this.computeStarts(this.chunks.length - 1);
    let lo = 0;
    let hi = this.chunks.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (this.starts[mid]! <= rank) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  private computeStarts(upTo: number): void {
    for (let i = this.validStarts; i <= upTo; i++) {
      this.starts[i] = i === 0 ? 0 : this.starts[i - 1]! + this.chunks[i - 1]!.length;
    }
    if (upTo + 1 > this.validStarts) this.validStarts = upTo + 1;
  }

  private invalidate(chunk: number): void {
    if (chunk < this.validStarts) this.validStarts = chunk;
  }

  /** The chunk where `entry` is or would go (the last chunk if it is after all), and the position. */
  private locate(entry: ZEntry): [chunk: number, at: number] {
    const chunks = this.chunks;
    let lo = 0;
    let hi = chunks.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const chunk = chunks[mid]!;
      if (before(chunk[chunk.length - 1]!, ENTRY, entry.score, entry.member)) lo = mid + 1;
      else hi = mid;
    }
    const chunk = chunks[lo]!;
    let a = 0;
    let b = chunk.length;
    while (a < b) {
      const mid = (a + b) >>> 1;
      if (before(chunk[mid]!, ENTRY, entry.score, entry.member)) a = mid + 1;
      else b = mid;
    }
    return [lo, a];
  }

  private insertEntry(entry: ZEntry): void {
    const chunks = this.chunks;
    if (chunks.length === 0) {
      chunks.push([entry]);
      this.invalidate(0);
      return;
    }
    const [lo, a] = this.locate(entry);
    const chunk = chunks[lo]!;
    chunk.splice(a, 0, entry);
    if (chunk.length > MAX_CHUNK) chunks.splice(lo + 1, 0, chunk.splice(MAX_CHUNK / 2));
    this.invalidate(lo + 1);
  }

  private removeEntry(member: string, score: number): void {
    const [lo, a] = this.locate({ member, score });
    this.chunks[lo]!.splice(a, 1);
    this.invalidate(lo + 1);
    this.settle(lo);
  }

  /** Deletes chunk `c` if empty, or merges it with a neighbour when it is small and they fit. */
  private settle(c: number): void {
    const chunks = this.chunks;
    const chunk = chunks[c];
    if (chunk === undefined) return;
    if (chunk.length === 0) {
      chunks.splice(c, 1);
      this.invalidate(c);
      return;
    }
    if (chunk.length >= MIN_CHUNK) return;
    const next = chunks[c + 1];
    if (next !== undefined && chunk.length + next.length <= MAX_CHUNK) {
      for (const e of next) chunk.push(e);
      chunks.splice(c + 1, 1);
      this.invalidate(c + 1);
      return;
    }
    const prev = chunks[c - 1];
    if (prev !== undefined && chunk.length + prev.length <= MAX_CHUNK) {
      for (const e of chunk) prev.push(e);
      chunks.splice(c, 1);
      this.invalidate(c);
    }
  }
}
