// The range commands: ZRANGE (by rank, BYSCORE, BYLEX, REV, LIMIT, WITHSCORES) and its older forms
// (ZREVRANGE, Z[REV]RANGEBYSCORE, Z[REV]RANGEBYLEX), ZRANGESTORE, ZCOUNT, ZLEXCOUNT and
// ZREMRANGEBYRANK / BYSCORE / BYLEX. Arguments are checked in Redis's order (zrangeGenericCommand):
// options, their conflicts, the range, then the key.

import { isKeyword, latin1, parseInt64Arg } from '../../commands/args.js';
import { ERR_NOT_INTEGER, ERR_SYNTAX } from '../../resp/error-replies.js';
import { ErrorReply, type Reply } from '../../resp/reply.js';
import type { CommandHandler, KeyStore } from '../key-store.js';
import type { ZEntry, ZSetValue } from '../zset-value.js';
import { ERR_RANGE_NOT_FLOAT, ERR_RANGE_NOT_LEX, parseLexRange, parseScoreRange } from './zset-args.js';
import { entriesReply, storeEntries, zsetAt } from './zset-common.js';
import { lexInterval, limitInterval, rankInterval, scoreInterval, type Interval } from './zset-intervals.js';

const ERR_LIMIT_BY_RANK = new ErrorReply(
  'ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX',
);
const ERR_WITHSCORES_BYLEX = new ErrorReply('ERR syntax error, WITHSCORES not supported in combination with BYLEX');

type By = 'auto' | 'rank' | 'score' | 'lex';

/** A parsed range request: which entries of the key, in which order. */
interface RangeQuery {
  key: string;
  select: (z: ZSetValue) => Interval;
  reverse: boolean;
  withScores: boolean;
}

/** A C long from an argument (getLongFromObjectOrReply); a bigint is beyond any rank anyway. */
function longArg(arg: Uint8Array): number | null {
  const v = parseInt64Arg(arg);
  return v === null ? null : Number(v);
}

/**
 * Parses `<key> <min> <max> [BYSCORE|BYLEX] [REV] [WITHSCORES] [LIMIT offset count]` from
 * argv[keyAt]. `by` and `reverse` are fixed by the older command forms; `store` is ZRANGESTORE.
 */
function parseQuery(
  argv: readonly Uint8Array[],
  keyAt: number,
  store: boolean,
  by: By,
  reverse: boolean | null,
): RangeQuery | ErrorReply {
  let withScores = false;
  let offset = 0;
  let count = -1;
  for (let j = keyAt + 3; j < argv.length; j++) {
    const a = argv[j]!;
    if (!store && isKeyword(a, 'withscores')) withScores = true;
    else if (isKeyword(a, 'limit') && argv.length - j - 1 >= 2) {
      const o = longArg(argv[j + 1]!);
      const c = o === null ? null : longArg(argv[j + 2]!);
      if (o === null || c === null) return ERR_NOT_INTEGER;
      offset = o;
      count = c;
      j += 2;
    } else if (reverse === null && isKeyword(a, 'rev')) reverse = true;
    else if (by === 'auto' && isKeyword(a, 'bylex')) by = 'lex';
    else if (by === 'auto' && isKeyword(a, 'byscore')) by = 'score';
    else return ERR_SYNTAX;
  }
  const rev = reverse === true;
  if (by === 'auto') by = 'rank';
  // Redis checks the count, not whether LIMIT was given: LIMIT 0 -1 on a rank range passes.
  if (count !== -1 && by === 'rank') return ERR_LIMIT_BY_RANK;
  if (withScores && by === 'lex') return ERR_WITHSCORES_BYLEX;
  // Score and lex ranges are given max first when reversed.
  const minArg = argv[keyAt + (rev && by !== 'rank' ? 2 : 1)]!;
  const maxArg = argv[keyAt + (rev && by !== 'rank' ? 1 : 2)]!;
  let select: (z: ZSetValue) => Interval;
  if (by === 'rank') {
    const start = longArg(minArg);
    const stop = start === null ? null : longArg(maxArg);
    if (start === null || stop === null) return ERR_NOT_INTEGER;
    select = (z) => {
      const [from, to] = rankInterval(z.size, start, stop);
      // Reversed ranks count from the top.
      return rev ? [z.size - to, z.size - from] : [from, to];
    };
  } else if (by === 'score') {
    const range = parseScoreRange(minArg, maxArg);
    if (range === null) return ERR_RANGE_NOT_FLOAT;
    select = (z) => limitInterval(scoreInterval(z, range), offset, count, rev);
  } else {
    const range = parseLexRange(minArg, maxArg);
    if (range === null) return ERR_RANGE_NOT_LEX;
    select = (z) => limitInterval(lexInterval(z, range, rev), offset, count, rev);
  }
  return { key: latin1(argv[keyAt]!), select, reverse: rev, withScores };
}

/** The entries a query selects, in reply order; undefined if the key is absent. */
function runQuery(ks: KeyStore, q: RangeQuery, t: number, write: boolean): ZEntry[] | undefined | ErrorReply {
  const z = zsetAt(ks, q.key, t, write);
  if (z === undefined || z instanceof ErrorReply) return z;
  const [from, to] = q.select(z);
  const entries = z.range(from, to);
  return q.reverse ? entries.reverse() : entries;
}

function rangeCommand(by: By, reverse: boolean | null): CommandHandler {
  return (ks, argv, t) => {
    const q = parseQuery(argv, 1, false, by, reverse);
    if (q instanceof ErrorReply) return q;
    const entries = runQuery(ks, q, t, false);
    if (entries instanceof ErrorReply) return entries;
    return entries === undefined ? [] : entriesReply(entries, q.withScores);
  };
}

/** ZRANGESTORE dst src min max [BYSCORE|BYLEX] [REV] [LIMIT offset count]. */
function zrangestore(ks: KeyStore, argv: readonly Uint8Array[], t: number): Reply {
  const q = parseQuery(argv, 2, true, 'auto', null);
  if (q instanceof ErrorReply) return q;
  const entries = runQuery(ks, q, t, true);
  if (entries instanceof ErrorReply) return entries;
  if (q.reverse && entries !== undefined) entries.reverse();
  return storeEntries(ks, latin1(argv[1]!), entries ?? [], t);
}

/** ZCOUNT key min max. */
function zcount(ks: KeyStore, argv: readonly Uint8Array[], t: number): Reply {
  const range = parseScoreRange(argv[2]!, argv[3]!);
  if (range === null) return ERR_RANGE_NOT_FLOAT;
  const z = zsetAt(ks, latin1(argv[1]!), t, false);
  if (z === undefined || z instanceof ErrorReply) return z ?? 0;
  const [from, to] = scoreInterval(z, range);
  return to - from;
}

/** ZLEXCOUNT key min max. */
function zlexcount(ks: KeyStore, argv: readonly Uint8Array[], t: number): Reply {
  const range = parseLexRange(argv[2]!, argv[3]!);
  if (range === null) return ERR_RANGE_NOT_LEX;
  const z = zsetAt(ks, latin1(argv[1]!), t, false);
  if (z === undefined || z instanceof ErrorReply) return z ?? 0;
  const [from, to] = lexInterval(z, range, false);
  return to - from;
}

/** ZREMRANGEBYRANK / BYSCORE / BYLEX key min max: the range is checked before the key. */
function zremrange(by: 'rank' | 'score' | 'lex'): CommandHandler {
  return (ks, argv, t) => {
    let select: (z: ZSetValue) => Interval;
    if (by === 'rank') {
      const start = longArg(argv[2]!);
      const stop = start === null ? null : longArg(argv[3]!);
      if (start === null || stop === null) return ERR_NOT_INTEGER;
      select = (z) => rankInterval(z.size, start, stop);
    } else if (by === 'score') {
      const range = parseScoreRange(argv[2]!, argv[3]!);
      if (range === null) return ERR_RANGE_NOT_FLOAT;
      select = (z) => scoreInterval(z, range);
    } else {
      const range = parseLexRange(argv[2]!, argv[3]!);
      if (range === null) return ERR_RANGE_NOT_LEX;
      select = (z) => lexInterval(z, range, false);
    }
    const key = latin1(argv[1]!);
    const z = zsetAt(ks, key, t, true);
    if (z === undefined || z instanceof ErrorReply) return z ?? 0;
    const [from, to] = select(z);
    if (from >= to) return 0;
    z.removeRange(from, to);
    ks.modified(key);
    return to - from;
  };
}

export const ZSET_RANGE_WRITES: Record<string, CommandHandler> = {
  zrangestore,
  zremrangebyrank: zremrange('rank'),
  zremrangebyscore: zremrange('score'),
  zremrangebylex: zremrange('lex'),
};

export const ZSET_RANGE_READS: Record<string, CommandHandler> = {
  zrange: rangeCommand('auto', null),
  zrevrange: rangeCommand('rank', true),
  zrangebyscore: rangeCommand('score', false),
  zrevrangebyscore: rangeCommand('score', true),
  zrangebylex: rangeCommand('lex', false),
  zrevrangebylex: rangeCommand('lex', true),
  zcount,
  zlexcount,
};
