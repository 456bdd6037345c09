// SINTER, SINTERCARD, SUNION, SDIFF and their STORE forms (SMEMBERS is SINTER of one key, as in
// Redis 7.0). Every key is type-checked before anything is computed; a missing key is an empty
// set. The STORE forms replace the destination whatever it held (its TTL goes too) or delete it
// when the result is empty, as Redis's setKey / dbDelete do.

import { isKeyword, latin1, parseInt64Arg } from '../../commands/args.js';
import { ERR_NUMKEYS, ERR_SYNTAX } from '../../resp/error-replies.js';
import { ErrorReply, SetReply, type Reply } from '../../resp/reply.js';
import type { CommandHandler, KeyStore } from '../key-store.js';
import { SetValue } from '../values.js';
import { inRedisOrder } from './set-order.js';

const ERR_TOO_MANY_KEYS = new ErrorReply("ERR Number of keys can't be greater than number of args");
const ERR_LIMIT = new ErrorReply("ERR LIMIT can't be negative");

/** The set at `key`: undefined if absent, WRONGTYPE if another type. */
export function setAt(ks: KeyStore, key: string, t: number, write: boolean): SetValue | undefined | ErrorReply {
  const v = ks.typed(key, t, 'set', write);
  return v === undefined || v instanceof ErrorReply ? v : (v as SetValue);
}

/** The sets at keys argv[from..to), type-checked; missing keys are undefined. */
function setsAt(
  ks: KeyStore,
  argv: readonly Uint8Array[],
  from: number,
  to: number,
  t: number,
  write: boolean,
): (SetValue | undefined)[] | ErrorReply {
  const sets: (SetValue | undefined)[] = [];
  for (let i = from; i < to; i++) {
    const s = setAt(ks, latin1(argv[i]!), t, write);
    if (s instanceof ErrorReply) return s;
    sets.push(s);
  }
  return sets;
}

/** Members in all the sets, walking the smallest; at most `limit` of them (0: no limit). */
function intersection(sets: readonly (SetValue | undefined)[], limit: number): string[] {
  if (sets.some((s) => s === undefined)) return [];
  const bySize = (sets as SetValue[]).slice().sort((a, b) => a.size - b.size);
  const [smallest, ...others] = bySize as [SetValue, ...SetValue[]];
  const out: string[] = [];
  for (const m of smallest) {
    if (others.every((s) => s === smallest || s.has(m))) {
      out.push(m);
      if (out.length === limit) break;
    }
  }
  return out;
}

function union(sets: readonly (SetValue | undefined)[]): string[] {
  const out = new Set<string>();
  for (const s of sets) if (s !== undefined) for (const m of s) out.add(m);
  return Array.from(out);
}

/** The first set's members in none of the others (none at all if the first key comes again). */
function difference(sets: readonly (SetValue | undefined)[]): string[] {
  const [first, ...others] = sets;
  if (first === undefined || others.includes(first)) return [];
  const out: string[] = [];
  for (const m of first) if (!others.some((s) => s?.has(m) === true)) out.push(m);
  return out;
}

function setReply(members: readonly string[]): Reply {
  return new SetReply(inRedisOrder(members, members.length).map((m) => Buffer.from(m, 'latin1')));
}

/** Stores `members` at argv[1] (replacing it, TTL included), or deletes it if there are none. */
function store(ks: KeyStore, argv: readonly Uint8Array[], t: number, members: readonly string[]): number {
  const dst = latin1(argv[1]!);
  const result = new SetValue(members);
  if (result.size === 0) {
    if (ks.getForWrite(dst, t) !== undefined) ks.remove(dst);
    return 0;
  }
  ks.put(dst, result);
  ks.persist(dst);
  return result.size;
}

type Algebra = (sets: readonly (SetValue | undefined)[]) => string[];

/** SINTER / SUNION / SDIFF key [key ...]. */
function readOp(op: Algebra): CommandHandler {
  return (ks, argv, t) => {
    const sets = setsAt(ks, argv, 1, argv.length, t, false);
    if (sets instanceof ErrorReply) return sets;
    return setReply(op(sets));
  };
}

/** SINTERSTORE / SUNIONSTORE / SDIFFSTORE destination key [key ...]. */
function storeOp(op: Algebra): CommandHandler {
  return (ks, argv, t) => {
    const sets = setsAt(ks, argv, 2, argv.length, t, true);
    if (sets instanceof ErrorReply) return sets;
    return store(ks, argv, t, op(sets));
  };
}

const inter: Algebra = (sets) => intersection(sets, 0);

/** SINTERCARD numkeys key [key ...] [LIMIT limit]. */
function sintercard(ks: KeyStore, argv: readonly Uint8Array[], t: number): Reply {
  const numkeys = parseInt64Arg(argv[1]!);
  if (numkeys === null || numkeys < 1) return ERR_NUMKEYS;
  if (numkeys > argv.length - 2) return ERR_TOO_MANY_KEYS;
  const keysEnd = 2 + Number(numkeys);
  let limit = 0;
  for (let i = keysEnd; i < argv.length; i++) {
    if (i + 1 < argv.length && isKeyword(argv[i]!, 'limit')) {
      const l = parseInt64Arg(argv[++i]!);
      if (l === null || l < 0) return ERR_LIMIT;
      limit = typeof l === 'bigint' ? Number.MAX_SAFE_INTEGER : l;
    } else {
      return ERR_SYNTAX;
    }
  }
  const sets = setsAt(ks, argv, 2, keysEnd, t, false);
  if (sets instanceof ErrorReply) return sets;
  return intersection(sets, limit).length;
}

export const SET_ALGEBRA_WRITES: Record<string, CommandHandler> = {
  sinterstore: storeOp(inter),
  sunionstore: storeOp(union),
  sdiffstore: storeOp(difference),
};

export const SET_ALGEBRA_READS: Record<string, CommandHandler> = {
  smembers: readOp(inter),
  sinter: readOp(inter),
  sintercard,
  sunion: readOp(union),
  sdiff: readOp(difference),
};
