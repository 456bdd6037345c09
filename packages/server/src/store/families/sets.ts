// The set commands, with Redis 7.0's replies and errors, checked in Redis's order. The
// intersections, unions and differences are in set-algebra.ts; the order members are answered in
// (ascending for a Redis intset) in set-order.ts; random picks in random-picks.ts.

import { INT64_MIN, latin1, parseInt64Arg } from '../../commands/args.js';
import { ERR_NOT_INTEGER, ERR_NOT_POSITIVE, ERR_SYNTAX } from '../../resp/error-replies.js';
import { ErrorReply, SetReply, type Reply } from '../../resp/reply.js';
import type { CommandHandler, KeyStore } from '../key-store.js';
import { SetValue } from '../values.js';
import { emptyScan, scanCollection } from './collection-scan.js';
import { ERR_COUNT_RANGE, pickCount, pickDistinct, pickOne } from './random-picks.js';
import { scanCursor } from './scan-args.js';
import { SET_ALGEBRA_READS, SET_ALGEBRA_WRITES, setAt } from './set-algebra.js';
import { inRedisOrder, isIntsetLike } from './set-order.js';

/** Up to this size a set that is no intset is still scanned whole (Redis 7.2's listpack limit). */
const SMALL_SCAN = 128;

function bulks(members: readonly string[]): Reply[] {
  return members.map((m) => Buffer.from(m, 'latin1'));
}

function ordered(s: SetValue): string[] {
  return inRedisOrder(s, s.size);
}

/** SPOP key count. */
function spopCount(ks: KeyStore, argv: readonly Uint8Array[], t: number): Reply {
  const n = parseInt64Arg(argv[2]!);
  if (n === null || n < 0) return ERR_NOT_POSITIVE;
  const key = latin1(argv[1]!);
  const s = setAt(ks, key, t, true);
  if (s === undefined || s instanceof ErrorReply) return s ?? new SetReply([]);
  if (n === 0) return new SetReply([]);
  if (n >= s.size) {
    const all = ordered(s);
    ks.remove(key);
    return new SetReply(bulks(all));
  }
  const picked = pickDistinct(s, Number(n), () => ks.random());
  for (const m of picked) s.delete(m);
  ks.modified(key);
  return new SetReply(bulks(picked));
}

export const SET_WRITES: Record<string, CommandHandler> = {
  sadd: (ks, argv, t) => {
    const key = latin1(argv[1]!);
    const found = setAt(ks, key, t, true);
    if (found instanceof ErrorReply) return found;
    const s = found ?? new SetValue();
    const before = s.size;
    for (let i = 2; i < argv.length; i++) s.add(latin1(argv[i]!));
    const added = s.size - before;
    if (found === undefined) ks.put(key, s);
    else if (added > 0) ks.modified(key);
    return added;
  },
  srem: (ks, argv, t) => {
    const key = latin1(argv[1]!);
    const s = setAt(ks, key, t, true);
    if (s === undefined || s instanceof ErrorReply) return s ?? 0;
    let removed = 0;
    for (let i = 2; i < argv.length; i++) if (s.delete(latin1(argv[i]!))) removed++;
    if (removed > 0) ks.modified(key);
    return removed;
  },
  spop: (ks, argv, t) => {
    if (argv.length > 3) return ERR_SYNTAX;
    if (argv.length === 3) return spopCount(ks, argv, t);
    const key = latin1(argv[1]!);
    const s = setAt(ks, key, t, true);
    if (s === undefined || s instanceof ErrorReply) return s ?? null;
    const m = pickOne(s, () => ks.random());
    s.delete(m);
    ks.modified(key);
    return Buffer.from(m, 'latin1');
  },
  smove: (ks, argv, t) => {
    const src = latin1(argv[1]!);
    const dst = latin1(argv[2]!);
    const from = setAt(ks, src, t, true);
    if (from === undefined) return 0;
    if (from instanceof ErrorReply) return from;
    const to = setAt(ks, dst, t, true);
    if (to instanceof ErrorReply) return to;
    const member = latin1(argv[3]!);
    if (from === to) return from.has(member) ? 1 : 0;
    if (!from.delete(member)) return 0;
    ks.modified(src);
    if (to === undefined) {
      ks.put(dst, new SetValue([member]));
    } else if (!to.has(member)) {
      to.add(member);
      ks.modified(dst);
    }
    return 1;
  },
  ...SET_ALGEBRA_WRITES,
};

export const SET_READS: Record<string, CommandHandler> = {
  sismember: (ks, argv, t) => {
    const s = setAt(ks, latin1(argv[1]!), t, false);
    if (s === undefined || s instanceof ErrorReply) return s ?? 0;
    return s.has(latin1(argv[2]!)) ? 1 : 0;
  },
  smismember: (ks, argv, t) => {
    const s = setAt(ks, latin1(argv[1]!), t, false);
    if (s instanceof ErrorReply) return s;
    const out = new Array<Reply>(argv.length - 2);
    for (let i = 2; i < argv.length; i++) out[i - 2] = s?.has(latin1(argv[i]!)) === true ? 1 : 0;
    return out;
  },
  scard: (ks, argv, t) => {
    const s = setAt(ks, latin1(argv[1]!), t, false);
    if (s === undefined || s instanceof ErrorReply) return s ?? 0;
    return s.size;
  },
  srandmember: (ks, argv, t) => {
    if (argv.length > 3) return ERR_SYNTAX;
    const key = latin1(argv[1]!);
    if (argv.length === 2) {
      const s = setAt(ks, key, t, false);
      if (s === undefined || s instanceof ErrorReply) return s ?? null;
      return Buffer.from(pickOne(s, Math.random), 'latin1');
    }
    const n = parseInt64Arg(argv[2]!);
    if (n === null) return ERR_NOT_INTEGER;
    const count = BigInt(n);
    if (count === INT64_MIN) return ERR_COUNT_RANGE;
    const s = setAt(ks, key, t, false);
    if (s === undefined || s instanceof ErrorReply) return s ?? [];
    const picked = pickCount(s, count, () => ordered(s), Math.random);
    return picked instanceof ErrorReply ? picked : bulks(picked);
  },
  sscan: (ks, argv, t) => {
    const cursor = scanCursor(argv[2]!);
    if (cursor instanceof ErrorReply) return cursor;
    const s = setAt(ks, latin1(argv[1]!), t, false);
    if (s === undefined || s instanceof ErrorReply) return s ?? emptyScan();
    const small = s.size <= SMALL_SCAN || isIntsetLike(s, s.size);
    const emit = (m: string, out: Reply[]): void => {
      out.push(Buffer.from(m, 'latin1'));
    };
    return scanCollection(argv, s, cursor, small, () => ordered(s), emit);
  },
  ...SET_ALGEBRA_READS,
};
