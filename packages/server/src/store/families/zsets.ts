// The sorted-set commands: the small ones here, the rest by theme (zset-add, zset-ranges,
// zset-algebra, zset-pop, zset-random, zset-scan). Scores are doubles, replied as Redis 7.0 does
// (DoubleReply: %.17g in RESP2, a RESP3 double); an emptied sorted set is deleted.

import { latin1 } from '../../commands/args.js';
import { DoubleReply, ErrorReply, type Reply } from '../../resp/reply.js';
import type { CommandHandler } from '../key-store.js';
import { zadd } from './zset-add.js';
import { ZSET_ALGEBRA_READS, ZSET_ALGEBRA_WRITES } from './zset-algebra.js';
import { zsetAt } from './zset-common.js';
import { ZSET_POP_WRITES } from './zset-pop.js';
import { zrandmember } from './zset-random.js';
import { ZSET_RANGE_READS, ZSET_RANGE_WRITES } from './zset-ranges.js';
import { zscan } from './zset-scan.js';

/** ZRANK / ZREVRANK key member: nil if the key or member is absent. */
function zrank(reverse: boolean): CommandHandler {
  return (ks, argv, t) => {
    const z = zsetAt(ks, latin1(argv[1]!), t, false);
    if (z === undefined || z instanceof ErrorReply) return z ?? null;
    const rank = z.rank(latin1(argv[2]!));
    if (rank === undefined) return null;
    return reverse ? z.size - 1 - rank : rank;
  };
}

export const ZSET_WRITES: Record<string, CommandHandler> = {
  zadd: (ks, argv, t) => zadd(ks, argv, t, false),
  zincrby: (ks, argv, t) => zadd(ks, argv, t, true),
  zrem: (ks, argv, t) => {
    const key = latin1(argv[1]!);
    const z = zsetAt(ks, key, t, true);
    if (z === undefined || z instanceof ErrorReply) return z ?? 0;
    let deleted = 0;
    for (let i = 2; i < argv.length && z.size > 0; i++) if (z.delete(latin1(argv[i]!))) deleted++;
    if (deleted > 0) ks.modified(key);
    return deleted;
  },
  ...ZSET_RANGE_WRITES,
  ...ZSET_ALGEBRA_WRITES,
  ...ZSET_POP_WRITES,
};

export const ZSET_READS: Record<string, CommandHandler> = {
  zcard: (ks, argv, t) => {
    const z = zsetAt(ks, latin1(argv[1]!), t, false);
    return z === undefined || z instanceof ErrorReply ? (z ?? 0) : z.size;
  },
  zscore: (ks, argv, t) => {
    const z = zsetAt(ks, latin1(argv[1]!), t, false);
    if (z === undefined || z instanceof ErrorReply) return z ?? null;
    const score = z.scores.get(latin1(argv[2]!));
    return score === undefined ? null : new DoubleReply(score);
  },
  zmscore: (ks, argv, t) => {
    const z = zsetAt(ks, latin1(argv[1]!), t, false);
    if (z instanceof ErrorReply) return z;
    const out: Reply[] = [];
    for (let i = 2; i < argv.length; i++) {
      const score = z?.scores.get(latin1(argv[i]!));
      out.push(score === undefined ? null : new DoubleReply(score));
    }
    return out;
  },
  zrank: zrank(false),
  zrevrank: zrank(true),
  zrandmember,
  zscan,
  ...ZSET_RANGE_READS,
  ...ZSET_ALGEBRA_READS,
};
