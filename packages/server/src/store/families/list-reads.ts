// The list commands that only read: LLEN, LINDEX, LRANGE, LPOS.

import { isKeyword, latin1, latin1Bytes, parseInt64Arg } from '../../commands/args.js';
import { ERR_NOT_INTEGER, ERR_SYNTAX } from '../../resp/error-replies.js';
import { ErrorReply, type Reply } from '../../resp/reply.js';
import type { CommandHandler, KeyStore } from '../key-store.js';
import { indexArg, indexRange, listAt } from './list-access.js';

const ERR_RANK_ZERO = new ErrorReply(
  "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list",
);
const ERR_COUNT_NEGATIVE = new ErrorReply("ERR COUNT can't be negative");
const ERR_MAXLEN_NEGATIVE = new ErrorReply("ERR MAXLEN can't be negative");
const INT64_MIN = -(2n ** 63n);

export const LIST_READS: Record<string, CommandHandler> = {
  llen: (ks, argv, t) => {
    const list = listAt(ks, latin1(argv[1]!), t, false);
    return list instanceof ErrorReply ? list : (list?.length ?? 0);
  },

  /** LINDEX key index: the key is looked up before the index is read (as in Redis). */
  lindex: (ks, argv, t) => {
    const list = listAt(ks, latin1(argv[1]!), t, false);
    if (list === undefined || list instanceof ErrorReply) return list ?? null;
    const n = parseInt64Arg(argv[2]!);
    if (n === null) return ERR_NOT_INTEGER;
    let i = indexArg(n);
    if (i < 0) i += list.length;
    return i < 0 || i >= list.length ? null : latin1Bytes(list.at(i));
  },

  /** LRANGE key start stop: the indexes are read before the key is looked up (as in Redis). */
  lrange: (ks, argv, t) => {
    const a = parseInt64Arg(argv[2]!);
    const b = a === null ? null : parseInt64Arg(argv[3]!);
    if (a === null || b === null) return ERR_NOT_INTEGER;
    const list = listAt(ks, latin1(argv[1]!), t, false);
    if (list === undefined || list instanceof ErrorReply) return list ?? [];
    const range = indexRange(a, b, list.length);
    if (range === null) return [];
    const [start, end] = range;
    const out = new Array<Reply>(end - start + 1);
    for (let i = start; i <= end; i++) out[i - start] = latin1Bytes(list.at(i));
    return out;
  },

  lpos,
};

/**
 * LPOS key element [RANK rank] [COUNT num-matches] [MAXLEN len]: the index of the rank-th match
 * (negative: counting from the tail), or with COUNT an array of up to that many (0: all).
 */
function lpos(ks: KeyStore, argv: readonly Uint8Array[], t: number): Reply {
  let rank = 1;
  let count = -1; // no COUNT: one index (or nil), not an array
  let maxlen = 0;
  // Redis negates a RANK of -2^63 into itself: every match qualifies and COUNT never stops it.
  let rankMin = false;
  for (let j = 3; j < argv.length; j++) {
    const more = j + 1 < argv.length;
    if (isKeyword(argv[j]!, 'rank') && more) {
      const n = parseInt64Arg(argv[++j]!);
      if (n === null) return ERR_NOT_INTEGER;
      if (n === 0) return ERR_RANK_ZERO;
      rankMin = n === INT64_MIN;
      rank = indexArg(n);
    } else if (isKeyword(argv[j]!, 'count') && more) {
      const n = parseInt64Arg(argv[++j]!);
      if (n === null || n < 0) return ERR_COUNT_NEGATIVE;
      count = indexArg(n);
    } else if (isKeyword(argv[j]!, 'maxlen') && more) {
      const n = parseInt64Arg(argv[++j]!);
      if (n === null || n < 0) return ERR_MAXLEN_NEGATIVE;
      maxlen = indexArg(n);
    } else {
      return ERR_SYNTAX;
    }
  }
  const list = listAt(ks, latin1(argv[1]!), t, false);
  if (list === undefined) return count === -1 ? null : [];
  if (list instanceof ErrorReply) return list;
  const fromTail = rank < 0;
  if (fromTail) rank = -rank;
  const element = latin1(argv[2]!);
  const length = list.length;
  const scan = maxlen === 0 ? length : Math.min(maxlen, length);
  const found: number[] = [];
  let matches = 0;
  for (let k = 0; k < scan; k++) {
    const i = fromTail ? length - 1 - k : k;
    if (list.at(i) !== element) continue;
    matches++;
    if (!rankMin && matches < rank) continue;
    if (count === -1) return i;
    found.push(i);
    if (!rankMin && count > 0 && matches - rank + 1 >= count) break;
  }
  return count === -1 ? null : found;
}
