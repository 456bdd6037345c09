// ZRANDMEMBER key [count [WITHSCORES]]. A read, so it may draw with Math.random (a read runs on one
// node; reads inside a transaction are answered by each replica for its own client only).
//
// As in Redis: a negative count draws that many members with repeats; a count at least the size
// answers the whole set (from the highest entry down, as Redis walks it); a smaller positive count
// answers distinct members, here in the set's order (as Redis does for a small set).

import { INT64_MIN, isKeyword, latin1, latin1Bytes, parseInt64Arg } from '../../commands/args.js';
import { ERR_NOT_INTEGER, ERR_SYNTAX } from '../../resp/error-replies.js';
import { DoubleReply, ErrorReply, PairsReply, type Reply } from '../../resp/reply.js';
import type { KeyStore } from '../key-store.js';
import type { ZEntry, ZSetValue } from '../zset-value.js';
import { entriesReply, zsetAt } from './zset-common.js';

const LONG_MAX_HALF = 2n ** 62n - 1n;
const ERR_COUNT_RANGE = new ErrorReply(
  'ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807',
);
const ERR_OUT_OF_RANGE = new ErrorReply('ERR value is out of range');
/**
 * Draws with repeats answered at most: Redis streams any number (until the client's output limit
 * closes it); a node builds its answer in memory first, so it refuses more than this.
 */
const MAX_DRAWS = 1 << 22;

export function zrandmember(ks: KeyStore, argv: readonly Uint8Array[], t: number): Reply {
  if (argv.length < 3) {
    const z = zsetAt(ks, latin1(argv[1]!), t, false);
    if (z === undefined || z instanceof ErrorReply) return z ?? null;
    return latin1Bytes(z.at(Math.floor(Math.random() * z.size)).member);
  }
  const l = parseInt64Arg(argv[2]!);
  if (l === null) return ERR_NOT_INTEGER;
  if (BigInt(l) === INT64_MIN) return ERR_COUNT_RANGE;
  if (argv.length > 4 || (argv.length === 4 && !isKeyword(argv[3]!, 'withscores'))) return ERR_SYNTAX;
  const withScores = argv.length === 4;
  if (withScores && (BigInt(l) < -LONG_MAX_HALF || BigInt(l) > LONG_MAX_HALF)) return ERR_OUT_OF_RANGE;
  const z = zsetAt(ks, latin1(argv[1]!), t, false);
  if (z === undefined || z instanceof ErrorReply) return z ?? [];
  if (l === 0) return [];
  if (l < 0 || l === 1) {
    const draws = l === 1 ? 1 : -Number(l);
    if (draws > MAX_DRAWS) return ERR_OUT_OF_RANGE;
    return withRepeats(z, draws, withScores);
  }
  const count = Number(l);
  if (count >= z.size) {
    const all = z.range(0, z.size);
    return entriesReply(all.reverse(), withScores);
  }
  return entriesReply(distinct(z, count), withScores);
}

/** `n` members drawn independently; the reply objects of a member drawn twice are shared. */
function withRepeats(z: ZSetValue, n: number, withScores: boolean): Reply {
  const replies = new Map<number, [Uint8Array, DoubleReply]>();
  const out = new Array<Reply>(withScores ? 2 * n : n);
  for (let i = 0; i < n; i++) {
    const rank = Math.floor(Math.random() * z.size);
    let r = replies.get(rank);
    if (r === undefined) {
      const e = z.at(rank);
      r = [latin1Bytes(e.member), new DoubleReply(e.score)];
      replies.set(rank, r);
    }
    if (withScores) {
      out[2 * i] = r[0];
      out[2 * i + 1] = r[1];
    } else {
      out[i] = r[0];
    }
  }
  return withScores ? new PairsReply(out) : out;
}

/** `n` distinct entries (n < size), in the set's order. */
function distinct(z: ZSetValue, n: number): ZEntry[] {
  const size = z.size;
  if (n * 3 > size) {
    // Selection sampling over the whole set: each entry kept with probability needed / left.
    const out: ZEntry[] = [];
    let i = 0;
    for (const e of z) {
      if (Math.random() * (size - i) < n - out.length) out.push(e);
      i++;
      if (out.length === n) break;
    }
    return out;
  }
  // Floyd's algorithm: n distinct ranks in O(n), then in order.
  const ranks = new Set<number>();
  for (let j = size - n; j < size; j++) {
    const r = Math.floor(Math.random() * (j + 1));
    ranks.add(ranks.has(r) ? j : r);
  }
  return [...ranks].sort((a, b) => a - b).map((r) => z.at(r));
}
