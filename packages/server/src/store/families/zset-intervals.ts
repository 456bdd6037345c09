// Which ranks of a sorted set a rank, score or lexicographic range selects, as Redis 7.0 selects
// them. Each answer is a rank interval [from, to).

import type { ZSetValue } from '../values.js';
import { lexAboveMin, lexBelowMax, lexRangeEmpty, type LexBound, type LexRange, type ScoreRange } from './zset-args.js';

export type Interval = readonly [from: number, to: number];

const EMPTY: Interval = [0, 0];

/** ZRANGE start stop: negative indexes count from the end; clamped; empty when start > stop. */
export function rankInterval(size: number, start: number, stop: number): Interval {
  if (start < 0) start += size;
  if (stop < 0) stop += size;
  if (start < 0) start = 0;
  if (start > stop || start >= size) return EMPTY;
  if (stop >= size) stop = size - 1;
  return [start, stop + 1];
}

/** The entries whose score lies in the range. */
export function scoreInterval(z: ZSetValue, r: ScoreRange): Interval {
  const from = z.firstByScore(r.min, r.minExclusive);
  const to = z.firstByScore(r.max, !r.maxExclusive);
  return from < to ? [from, to] : EMPTY;
}

/**
 * The entries a lexicographic range selects. Redis assumes all scores are equal; when they are not,
 * this answers as Redis does for a small set (a listpack): walking from the head (or, `reverse`,
 * from the tail) to the first member inside the bound, then on while members stay inside the other.
 */
export function lexInterval(z: ZSetValue, r: LexRange, reverse: boolean): Interval {
  const n = z.size;
  if (n === 0 || lexRangeEmpty(r)) return EMPTY;
  const first = z.at(0);
  const last = z.at(n - 1);
  if (!lexAboveMin(last.member, r) || !lexBelowMax(first.member, r)) return EMPTY;
  if (first.score === last.score) {
    // Members in byte order: the walks are binary searches.
    const from = memberRank(z, r.min, false);
    const to = memberRank(z, r.max, true);
    return from < to ? [from, to] : EMPTY;
  }
  if (!reverse) {
    let s = 0;
    while (s < n && !lexAboveMin(z.at(s).member, r)) s++;
    if (s === n || !lexBelowMax(z.at(s).member, r)) return EMPTY;
    let e = s + 1;
    while (e < n && lexBelowMax(z.at(e).member, r)) e++;
    return [s, e];
  }
  let s = n - 1;
  while (s >= 0 && !lexBelowMax(z.at(s).member, r)) s--;
  if (s < 0 || !lexAboveMin(z.at(s).member, r)) return EMPTY;
  let e = s - 1;
  while (e >= 0 && lexAboveMin(z.at(e).member, r)) e--;
  return [e + 1, s + 1];
}

/**
 * In a set in byte order: the rank of the first member inside a min bound (`isMax` false), or the
 * first member past a max bound (`isMax` true).
 */
function memberRank(z: ZSetValue, b: LexBound, isMax: boolean): number {
  if (b.infinite === -1) return 0;
  if (b.infinite === 1) return z.size;
  return z.firstByMember(b.member, isMax ? !b.exclusive : b.exclusive);
}

/**
 * LIMIT offset count over an interval walked forwards or (`reverse`) backwards, as Redis walks it:
 * a negative offset skips everything, a negative count takes everything. Returns the ranks taken.
 */
export function limitInterval(i: Interval, offset: number, count: number, reverse: boolean): Interval {
  const [from, to] = i;
  if (offset < 0) return EMPTY;
  let n = to - from - offset;
  if (n <= 0) return EMPTY;
  if (count >= 0 && count < n) n = count;
  return reverse ? [to - offset - n, to - offset] : [from + offset, from + offset + n];
}
