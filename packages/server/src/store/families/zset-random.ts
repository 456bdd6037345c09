// ZRANDMEMBER key [count [WITHSCORES]]. A read, so it may draw with Math.random (a read runs on one
// node; reads inside a transaction are answered by each replica for its own client only).
//
// As in Redis: a negative count draws that many members with repeats; a count at least the size
// answers the whole set (from the highest entry down, as Redis walks it); a smaller positive count
// answers distinct members, here in the set's order (as Redis does for a small set).

import { latin1, latin1Bytes } from '../../commands/args.js';
import { DoubleReply, ErrorReply, PairsReply, type Reply } from '../../resp/reply.js';
import type { KeyStore } from '../key-store.js';
import type { ZEntry, ZSetValue } from '../zset-value.js';
import { ERR_OUT_OF_RANGE, MAX_REPEATED_PICKS, randomCountArgs } from './random-picks.js';
import { entriesReply, zsetAt } from './zset-common.js';

export function zrandmember(ks: KeyStore, argv: readonly Uint8Array[], t: number): Reply {
  if (argv.length < 3) {
    const z = zsetAt(ks, latin1(argv[1]!), t, false);
    if (z === undefined || z instanceof ErrorReply) return z ?? null;
    return latin1Bytes(z.at(Math.floor(Math.random() * z.size)).member);
  }
  const args = randomCountArgs(argv, 'withscores');
  if (args instanceof ErrorReply) return args;
  const withScores = args.withValues;
  const z = zsetAt(ks, latin1(argv[1]!), t, false);
  if (z === undefined || z instanceof ErrorReply) return z ?? [];
  if (args.count === 0n) return [];
  if (args.count < 0n || args.count === 1n) {
    const draws = args.count === 1n ? 1 : -Number(args.count);
    if (draws > MAX_REPEATED_PICKS) return ERR_OUT_OF_RANGE;
    return withRepeats(z, draws, withScores);
  }
  const count = Number(args.count);
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
