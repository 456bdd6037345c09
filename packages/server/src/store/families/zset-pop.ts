// ZPOPMIN, ZPOPMAX, ZMPOP and the apply-time handlers of BZPOPMIN, BZPOPMAX and BZMPOP
// (genericZpopCommand). A blocking form applied to the log pops like its non-blocking form from the
// first of its keys that holds a sorted set, and answers nil when none does: the node that took the
// command then waits for one of its keys to become ready and proposes it again (or answers Redis's
// timeout reply). Its timeout is checked here as Redis checks it, and otherwise not used.

import { isKeyword, latin1, latin1Bytes, parseInt64Arg } from '../../commands/args.js';
import { ERR_NOT_POSITIVE, ERR_SYNTAX } from '../../resp/error-replies.js';
import { DoubleReply, ErrorReply, NULL_ARRAY, PairsReply, type Reply } from '../../resp/reply.js';
import type { CommandHandler, KeyStore } from '../key-store.js';
import type { ZEntry, ZSetValue } from '../zset-value.js';
import { parseTimeout } from '../../commands/timeout.js';
import { mpopArgs } from './mpop-args.js';
import { zsetAt } from './zset-common.js';

type End = 'min' | 'max';

/** A key and the sorted set it holds. */
interface Found {
  key: string;
  z: ZSetValue;
}

/** Pops up to `count` entries from the `end` of a sorted set. */
function popFrom(ks: KeyStore, { key, z }: Found, end: End, count: number): ZEntry[] {
  const n = Math.min(count, z.size);
  const popped = end === 'min' ? z.removeRange(0, n) : z.removeRange(z.size - n, z.size).reverse();
  ks.modified(key);
  return popped;
}

/** member, score, member, score ... */
function flat(entries: readonly ZEntry[]): Reply[] {
  const out = new Array<Reply>(entries.length * 2);
  for (let i = 0; i < entries.length; i++) {
    out[2 * i] = latin1Bytes(entries[i]!.member);
    out[2 * i + 1] = new DoubleReply(entries[i]!.score);
  }
  return out;
}

/** [key, [[member, score], ...]]: ZMPOP's and BZMPOP's reply in both protocols. */
function keyAndPairs(key: string, entries: readonly ZEntry[]): Reply {
  return [latin1Bytes(key), entries.map((e) => [latin1Bytes(e.member), new DoubleReply(e.score)])];
}

/**
 * The first of `keys` holding a sorted set (a key of another type before it is WRONGTYPE), or
 * undefined when none does.
 */
function firstZset(ks: KeyStore, keys: readonly Uint8Array[], t: number): Found | undefined | ErrorReply {
  for (const k of keys) {
    const key = latin1(k);
    const z = zsetAt(ks, key, t, true);
    if (z instanceof ErrorReply) return z;
    if (z !== undefined) return { key, z };
  }
  return undefined;
}

/** ZPOPMIN / ZPOPMAX key [count]. */
function zpop(end: End): CommandHandler {
  return (ks, argv, t) => {
    if (argv.length > 3) return ERR_SYNTAX;
    let count = -1;
    if (argv.length === 3) {
      // getPositiveLongFromObjectOrReply: one message for "not an integer" and "negative".
      const c = parseInt64Arg(argv[2]!);
      if (c === null || c < 0) return ERR_NOT_POSITIVE;
      count = Number(c);
    }
    const found = firstZset(ks, [argv[1]!], t);
    if (found === undefined || found instanceof ErrorReply) return found ?? [];
    if (count === 0) return [];
    const popped = popFrom(ks, found, end, count === -1 ? 1 : count);
    // With a count, RESP3 nests the pairs; without, one flat pair in both protocols.
    return count === -1 ? flat(popped) : new PairsReply(flat(popped));
  };
}

/** BZPOPMIN / BZPOPMAX key [key ...] timeout: [key, member, score], or nil when all are empty. */
function bzpop(end: End): CommandHandler {
  return (ks, argv, t) => {
    const timeout = parseTimeout(argv[argv.length - 1]!);
    if (timeout instanceof ErrorReply) return timeout;
    const found = firstZset(ks, argv.slice(1, -1), t);
    if (found === undefined || found instanceof ErrorReply) return found ?? null;
    return [latin1Bytes(found.key), ...flat(popFrom(ks, found, end, 1))];
  };
}

/** MIN or MAX; null for anything else. */
function parseEnd(arg: Uint8Array): End | null {
  if (isKeyword(arg, 'min')) return 'min';
  if (isKeyword(arg, 'max')) return 'max';
  return null;
}

/** ZMPOP numkeys key [key ...] MIN|MAX [COUNT count]. */
function zmpop(ks: KeyStore, argv: readonly Uint8Array[], t: number): Reply {
  const a = mpopArgs(argv, 1, parseEnd);
  if (a instanceof ErrorReply) return a;
  const found = firstZset(ks, a.keys, t);
  if (found === undefined || found instanceof ErrorReply) return found ?? NULL_ARRAY;
  return keyAndPairs(found.key, popFrom(ks, found, a.end, a.count));
}

/** BZMPOP timeout numkeys key [key ...] MIN|MAX [COUNT count]: the timeout is checked last. */
function bzmpop(ks: KeyStore, argv: readonly Uint8Array[], t: number): Reply {
  const a = mpopArgs(argv, 2, parseEnd);
  if (a instanceof ErrorReply) return a;
  const timeout = parseTimeout(argv[1]!);
  if (timeout instanceof ErrorReply) return timeout;
  const found = firstZset(ks, a.keys, t);
  if (found === undefined || found instanceof ErrorReply) return found ?? null;
  return keyAndPairs(found.key, popFrom(ks, found, a.end, a.count));
}

export const ZSET_POP_WRITES: Record<string, CommandHandler> = {
  zpopmin: zpop('min'),
  zpopmax: zpop('max'),
  zmpop,
  bzpopmin: bzpop('min'),
  bzpopmax: bzpop('max'),
  bzmpop,
};
