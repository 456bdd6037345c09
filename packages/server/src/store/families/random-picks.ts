// Random members of a hash or set (SPOP, SRANDMEMBER, HRANDFIELD), drawn with a given source of
// numbers in [0, 1): Math.random for the reads, the key space's replica-deterministic random() for
// SPOP, a write; and the count arguments HRANDFIELD and ZRANDMEMBER share. A pick is "the member of rank k", k drawn uniformly, in an order that depends only
// on the collection's content, so the same draws pick the same members on every replica:
// insertion order for a small collection (walked), the member index's hash order for a large one
// (store/member-index.ts, O(log n) a pick).

import { INT64_MAX, INT64_MIN, isKeyword, parseInt64Arg } from '../../commands/args.js';
import { ERR_NOT_INTEGER, ERR_SYNTAX } from '../../resp/error-replies.js';
import { ErrorReply } from '../../resp/reply.js';
import { indexOf, type Indexable } from '../member-index.js';

export type Draw = () => number;

/** Up to this size a collection is picked from in insertion order. */
const SMALL = 128;
/**
 * Most picks with repetition (a negative count) one reply may hold. Redis has no limit and builds
 * the reply until the client's output buffer limit (none for normal clients) or its memory gives
 * out; here the whole reply is built before it is sent, so a larger count is refused.
 */
export const MAX_REPEATED_PICKS = 1 << 22;

/** A count of -2^63: the range of SRANDMEMBER's, HRANDFIELD's and ZRANDMEMBER's is [-LONG_MAX, LONG_MAX]. */
export const ERR_COUNT_RANGE = new ErrorReply(
  'ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807',
);
/** A count WITHVALUES / WITHSCORES beyond LONG_MAX / 2, and any count beyond MAX_REPEATED_PICKS. */
export const ERR_OUT_OF_RANGE = new ErrorReply('ERR value is out of range');
/** LONG_MAX / 2: the bound on a count with values or scores (the reply has twice as many entries). */
const HALF_LONG_MAX = INT64_MAX / 2n;

/**
 * HRANDFIELD key count [WITHVALUES] and ZRANDMEMBER key count [WITHSCORES] (`withWord`): the count
 * and whether the word is there, checked in Redis's order, before the key is looked up.
 */
export function randomCountArgs(
  argv: readonly Uint8Array[],
  withWord: string,
): { count: bigint; withValues: boolean } | ErrorReply {
  const n = parseInt64Arg(argv[2]!);
  if (n === null) return ERR_NOT_INTEGER;
  const count = BigInt(n);
  if (count === INT64_MIN) return ERR_COUNT_RANGE;
  if (argv.length > 4 || (argv.length === 4 && !isKeyword(argv[3]!, withWord))) return ERR_SYNTAX;
  const withValues = argv.length === 4;
  if (withValues && (count < -HALF_LONG_MAX || count > HALF_LONG_MAX)) return ERR_OUT_OF_RANGE;
  return { count, withValues };
}

function rank(draw: Draw, n: number): number {
  return Math.min(n - 1, Math.floor(draw() * n));
}

/** One random member of a nonempty collection. */
export function pickOne(c: Indexable, draw: Draw): string {
  const k = rank(draw, c.size);
  if (c.size > SMALL) return indexOf(c).nth(k);
  let i = 0;
  for (const m of c.keys()) if (i++ === k) return m;
  throw new Error('pickOne: rank beyond the collection');
}

/** `n` random members of a nonempty collection, repetitions allowed (n <= MAX_REPEATED_PICKS). */
function pickWithRepetition(c: Indexable, n: number, draw: Draw): string[] {
  const out = new Array<string>(n);
  if (c.size > SMALL) {
    const index = indexOf(c);
    for (let i = 0; i < n; i++) out[i] = index.nth(rank(draw, c.size));
  } else {
    const all = Array.from(c.keys());
    for (let i = 0; i < n; i++) out[i] = all[rank(draw, all.length)]!;
  }
  return out;
}

/** `n` distinct random members (0 < n < size), without changing the collection. */
export function pickDistinct(c: Indexable, n: number, draw: Draw): string[] {
  if (c.size > SMALL && n * 3 <= c.size) {
    // Few of many: draw ranks until n distinct ones (at most 1.5 draws per member on average).
    const index = indexOf(c);
    const ranks = new Set<number>();
    const out: string[] = [];
    while (out.length < n) {
      const k = rank(draw, c.size);
      if (ranks.has(k)) continue;
      ranks.add(k);
      out.push(index.nth(k));
    }
    return out;
  }
  // Partial Fisher-Yates over the members in insertion order (the same on every replica too).
  const all = Array.from(c.keys());
  for (let i = 0; i < n; i++) {
    const j = i + rank(draw, all.length - i);
    const t = all[i]!;
    all[i] = all[j]!;
    all[j] = t;
  }
  all.length = n;
  return all;
}

/**
 * SRANDMEMBER's and HRANDFIELD's members for `count` (checked): none for 0; |count| draws with
 * repetition for a negative count or 1; the whole collection, in the order `all` gives, for a count
 * at least its size; else `count` distinct members.
 */
export function pickCount(c: Indexable, count: bigint, all: () => Iterable<string>, draw: Draw): string[] | ErrorReply {
  if (count === 0n) return [];
  if (count < 0n || count === 1n) {
    const n = count < 0n ? -count : count;
    if (n > BigInt(MAX_REPEATED_PICKS)) return ERR_OUT_OF_RANGE;
    return pickWithRepetition(c, Number(n), draw);
  }
  if (count >= BigInt(c.size)) return Array.from(all());
  return pickDistinct(c, Number(count), draw);
}
