// The list commands that work at a list's ends: LPUSH, RPUSH, LPUSHX, RPUSHX, LPOP, RPOP, LMPOP,
// and the blocking BLPOP, BRPOP and BLMPOP as applied (their non-blocking form: pop from the
// first of the keys that has elements, or nil; the node blocks the client on nil).

import { latin1, latin1Bytes, parseInt64Arg } from '../../commands/args.js';
import { parseTimeout } from '../../commands/timeout.js';
import { ERR_NOT_POSITIVE, wrongArity } from '../../resp/error-replies.js';
import { ErrorReply, NULL_ARRAY, type Reply } from '../../resp/reply.js';
import type { CommandHandler, KeyStore } from '../key-store.js';
import { ListValue } from '../values.js';
import { indexArg, listAt, parseEnd, popEnd } from './list-access.js';
import { mpopArgs } from './mpop-args.js';

/** LPUSH / RPUSH (`onlyIfExists`: LPUSHX / RPUSHX) key element [element ...]: the new length. */
function push(head: boolean, onlyIfExists: boolean): CommandHandler {
  return (ks, argv, t) => {
    const key = latin1(argv[1]!);
    const current = listAt(ks, key, t, true);
    if (current instanceof ErrorReply) return current;
    if (current === undefined && onlyIfExists) return 0;
    const list = current ?? new ListValue();
    for (let i = 2; i < argv.length; i++) {
      if (head) list.pushFront(latin1(argv[i]!));
      else list.pushBack(latin1(argv[i]!));
    }
    if (current === undefined) ks.put(key, list);
    else ks.modified(key);
    return list.length;
  };
}

/** Pops up to `count` elements of a list with elements (deleting it once empty). */
function popMany(ks: KeyStore, key: string, list: ListValue, head: boolean, count: number): Reply[] {
  const out = new Array<Reply>(Math.min(count, list.length));
  for (let i = 0; i < out.length; i++) out[i] = latin1Bytes(popEnd(list, head));
  ks.modified(key);
  return out;
}

/** LPOP / RPOP key [count]. */
function pop(head: boolean): CommandHandler {
  return (ks, argv, t) => {
    if (argv.length > 3) return wrongArity(head ? 'lpop' : 'rpop');
    let count = -1;
    if (argv.length === 3) {
      const n = parseInt64Arg(argv[2]!);
      if (n === null || n < 0) return ERR_NOT_POSITIVE;
      count = indexArg(n);
    }
    const key = latin1(argv[1]!);
    const list = listAt(ks, key, t, true);
    if (list === undefined) return count < 0 ? null : NULL_ARRAY;
    if (list instanceof ErrorReply) return list;
    if (count === 0) return [];
    if (count > 0) return popMany(ks, key, list, head, count);
    const v = popEnd(list, head);
    ks.modified(key);
    return latin1Bytes(v);
  };
}

/** BLPOP / BRPOP key [key ...] timeout: [key, element] from the first key with elements. */
function blockingPop(head: boolean): CommandHandler {
  return (ks, argv, t) => {
    const timeout = parseTimeout(argv[argv.length - 1]!);
    if (timeout instanceof ErrorReply) return timeout;
    for (let i = 1; i < argv.length - 1; i++) {
      const key = latin1(argv[i]!);
      const list = listAt(ks, key, t, true);
      if (list === undefined) continue;
      if (list instanceof ErrorReply) return list;
      const v = popEnd(list, head);
      ks.modified(key);
      return [argv[i]!, latin1Bytes(v)];
    }
    return NULL_ARRAY;
  };
}

/**
 * LMPOP numkeys key [key ...] LEFT|RIGHT [COUNT count] (BLMPOP: after its timeout), checked in
 * Redis's order (numkeys, the end, COUNT, then BLMPOP's timeout): [key, [elements]] from the first
 * key with elements, or NULL_ARRAY.
 */
function mpop(blocking: boolean): CommandHandler {
  return (ks, argv, t) => {
    const a = mpopArgs(argv, blocking ? 2 : 1, parseEnd);
    if (a instanceof ErrorReply) return a;
    if (blocking) {
      const timeout = parseTimeout(argv[1]!);
      if (timeout instanceof ErrorReply) return timeout;
    }
    for (const k of a.keys) {
      const key = latin1(k);
      const list = listAt(ks, key, t, true);
      if (list === undefined) continue;
      if (list instanceof ErrorReply) return list;
      return [k, popMany(ks, key, list, a.end, a.count)];
    }
    return NULL_ARRAY;
  };
}

export const LIST_END_WRITES: Record<string, CommandHandler> = {
  lpush: push(true, false),
  rpush: push(false, false),
  lpushx: push(true, true),
  rpushx: push(false, true),
  lpop: pop(true),
  rpop: pop(false),
  lmpop: mpop(false),
  blpop: blockingPop(true),
  brpop: blockingPop(false),
  blmpop: mpop(true),
};
