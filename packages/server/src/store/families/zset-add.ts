// ZADD and ZINCRBY (zaddGenericCommand): options, then score/member pairs, all or nothing.

import { isKeyword, latin1 } from '../../commands/args.js';
import { ERR_SYNTAX } from '../../resp/error-replies.js';
import { DoubleReply, ErrorReply, type Reply } from '../../resp/reply.js';
import type { KeyStore } from '../key-store.js';
import { ZSetValue } from '../values.js';
import { ERR_NOT_FLOAT, parseScore } from './zset-args.js';
import { zsetAt } from './zset-common.js';

const ERR_XX_NX = new ErrorReply('ERR XX and NX options at the same time are not compatible');
const ERR_GT_LT_NX = new ErrorReply('ERR GT, LT, and/or NX options at the same time are not compatible');
const ERR_INCR_PAIRS = new ErrorReply('ERR INCR option supports a single increment-element pair');
const ERR_NAN = new ErrorReply('ERR resulting score is not a number (NaN)');

interface AddOptions {
  nx: boolean;
  xx: boolean;
  gt: boolean;
  lt: boolean;
  ch: boolean;
  incr: boolean;
}

/** ZADD key [NX|XX] [GT|LT] [CH] [INCR] score member [score member ...]; ZINCRBY is ZADD INCR. */
export function zadd(ks: KeyStore, argv: readonly Uint8Array[], t: number, incr: boolean): Reply {
  const o: AddOptions = { nx: false, xx: false, gt: false, lt: false, ch: false, incr };
  // Options come first, in any order, until the first argument that is not one (even in ZINCRBY).
  let i = 2;
  for (; i < argv.length; i++) {
    const a = argv[i]!;
    if (isKeyword(a, 'nx')) o.nx = true;
    else if (isKeyword(a, 'xx')) o.xx = true;
    else if (isKeyword(a, 'ch')) o.ch = true;
    else if (isKeyword(a, 'incr')) o.incr = true;
    else if (isKeyword(a, 'gt')) o.gt = true;
    else if (isKeyword(a, 'lt')) o.lt = true;
    else break;
  }
  const args = argv.length - i;
  if (args === 0 || args % 2 !== 0) return ERR_SYNTAX;
  if (o.nx && o.xx) return ERR_XX_NX;
  if ((o.gt && o.nx) || (o.lt && o.nx) || (o.gt && o.lt)) return ERR_GT_LT_NX;
  if (o.incr && args > 2) return ERR_INCR_PAIRS;
  // Every score is checked before anything changes.
  const scores = new Array<number>(args / 2);
  for (let j = 0; j < scores.length; j++) {
    const s = parseScore(argv[i + 2 * j]!);
    if (s === null) return ERR_NOT_FLOAT;
    scores[j] = s;
  }
  const key = latin1(argv[1]!);
  const found = zsetAt(ks, key, t, true);
  if (found instanceof ErrorReply) return found;
  if (found === undefined && o.xx) return o.incr ? null : 0;
  const z = found ?? new ZSetValue();
  let added = 0;
  let updated = 0;
  const out = { score: 0 };
  let result: number | null = null;
  for (let j = 0; j < scores.length; j++) {
    const r = addOne(z, latin1(argv[i + 2 * j + 1]!), scores[j]!, o, out);
    if (r === 'nan') return ERR_NAN; // INCR only: a single pair, so nothing has changed
    if (r === 'added') added++;
    else if (r === 'updated') updated++;
    if (r !== 'nop') result = out.score;
  }
  if (added + updated > 0) {
    if (found === undefined) ks.put(key, z);
    else ks.modified(key);
  }
  if (o.incr) return result === null ? null : new DoubleReply(result);
  return o.ch ? added + updated : added;
}

type AddResult = 'added' | 'updated' | 'same' | 'nop' | 'nan';

/**
 * zsetAdd: one member, with the options' conditions. Unless it answers 'nop', `out.score` is the
 * member's new score as computed (INCR replies it: -0 for a new member added with -0).
 */
function addOne(z: ZSetValue, member: string, score: number, o: AddOptions, out: { score: number }): AddResult {
  const current = z.scores.get(member);
  if (current === undefined) {
    if (o.xx) return 'nop';
    z.add(member, score);
    out.score = score;
    return 'added';
  }
  if (o.nx) return 'nop';
  if (o.incr) {
    score += current;
    if (Number.isNaN(score)) return 'nan';
  }
  if ((o.lt && score >= current) || (o.gt && score <= current)) return 'nop';
  out.score = score;
  if (score === current) return 'same';
  z.add(member, score);
  return 'updated';
}
