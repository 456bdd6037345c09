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
 * Where a walk over a lexicographic range starts (zzlFirstInLexRange / zzlLastInLexRange): the rank
 * of the first member, from the head (or, `reverse`, from the tail), that is inside the range's
 * near bound, if it is inside the far bound too; -1 if none. Redis assumes all scores are equal;
 * when they are not, this answers as Redis does for a small set (a listpack), by walking.
 */
function lexStart(z: ZSetValue, r: LexRange, reverse: boolean): number {
  const n = z.size;
  if (n === 0 || lexRangeEmpty(r)) return -1;
  const first = z.at(0);
  const last = z.at(n - 1);
  if (!lexAboveMin(last.member, r) || !lexBelowMax(first.member, r)) return -1;
  let s: number;
  if (first.score === last.score) {
    // Members in byte order: the walk is a binary search.
    s = reverse ? memberRank(z, r.max, true) - 1 : memberRank(z, r.min, false);
  } else if (!reverse) {
    for (s = 0; s < n && !lexAboveMin(z.at(s).member, r); s++);
  } else {
    for (s = n - 1; s >= 0 && !lexBelowMax(z.at(s).member, r); s--);
  }
  if (s < 0 || s >= n) return -1;
  const m = z.at(s).member;
  return lexAboveMin(m, r) && lexBelowMax(m, r) ? s : -1;
}

/**
 * From rank `start`, how far a walk goes while members stay inside the range's far bound (below
 * its max walking forwards, above its min walking back), taking at most `count` (negative: no
 * limit). Returns the ranks walked.
 */
function lexWalk(z: ZSetValue, r: LexRange, start: number, reverse: boolean, count: number): Interval {
  const n = z.size;
  const limit = count < 0 ? n : count;
  let from: number;
  let to: number;
  if (z.at(0).score === z.at(n - 1).score) {
    // Members in byte order: the walk ends at a binary search's answer.
    if (!reverse) [from, to] = [start, Math.min(memberRank(z, r.max, true), start + limit)];
    else [from, to] = [Math.max(memberRank(z, r.min, false), start + 1 - limit), start + 1];
  } else if (!reverse) {
    [from, to] = [start, start];
    while (to < n && to - start < limit && lexBelowMax(z.at(to).member, r)) to++;
  } else {
    [from, to] = [start + 1, start + 1];
    while (from > 0 && to - from < limit && lexAboveMin(z.at(from - 1).member, r)) from--;
  }
  return from < to ? [from, to] : EMPTY;
}

/** The entries a lexicographic range selects, walked forwards (ZLEXCOUNT, ZREMRANGEBYLEX). */
export function lexInterval(z: ZSetValue, r: LexRange): Interval {
  const s = lexStart(z, r, false);
  return s < 0 ? EMPTY : lexWalk(z, r, s, false, -1);
}

/**
 * ZRANGEBYLEX with LIMIT offset count, as Redis walks it: from the start, `offset` steps without
 * looking at the members (a negative offset walks off the end), then up to `count` members while
 * they stay inside the range.
 */
export function lexWindow(z: ZSetValue, r: LexRange, reverse: boolean, offset: number, count: number): Interval {
  const s = lexStart(z, r, reverse);
  if (s < 0 || offset < 0) return EMPTY;
  const from = reverse ? s - offset : s + offset;
  if (from < 0 || from >= z.size) return EMPTY;
  return lexWalk(z, r, from, reverse, count);
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
