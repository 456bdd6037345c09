// The list commands that change a list inside: LSET, LINSERT, LREM, LTRIM.

import { isKeyword, latin1, parseInt64Arg } from '../../commands/args.js';
import { ERR_NOT_INTEGER, ERR_SYNTAX } from '../../resp/error-replies.js';
import { ErrorReply, OK } from '../../resp/reply.js';
import type { CommandHandler } from '../key-store.js';
import { indexArg, indexRange, listAt } from './list-access.js';

const ERR_NO_SUCH_KEY = new ErrorReply('ERR no such key');
const ERR_INDEX_OUT_OF_RANGE = new ErrorReply('ERR index out of range');

export const LIST_EDIT_WRITES: Record<string, CommandHandler> = {
  /** LSET key index element: the key is looked up before the index is read (as in Redis). */
  lset: (ks, argv, t) => {
    const key = latin1(argv[1]!);
    const list = listAt(ks, key, t, true);
    if (list === undefined) return ERR_NO_SUCH_KEY;
    if (list instanceof ErrorReply) return list;
    const n = parseInt64Arg(argv[2]!);
    if (n === null) return ERR_NOT_INTEGER;
    let i = indexArg(n);
    if (i < 0) i += list.length;
    if (i < 0 || i >= list.length) return ERR_INDEX_OUT_OF_RANGE;
    list.set(i, latin1(argv[3]!));
    ks.modified(key);
    return OK;
  },

  /** LINSERT key BEFORE|AFTER pivot element: the new length, -1 without the pivot, 0 without the key. */
  linsert: (ks, argv, t) => {
    const after = isKeyword(argv[2]!, 'after');
    if (!after && !isKeyword(argv[2]!, 'before')) return ERR_SYNTAX;
    const key = latin1(argv[1]!);
    const list = listAt(ks, key, t, true);
    if (list === undefined || list instanceof ErrorReply) return list ?? 0;
    const pivot = latin1(argv[3]!);
    for (let i = 0; i < list.length; i++) {
      if (list.at(i) !== pivot) continue;
      list.insert(after ? i + 1 : i, latin1(argv[4]!));
      ks.modified(key);
      return list.length;
    }
    return -1;
  },

  /** LREM key count element: removes the first `count` matches (from the tail if negative; all if 0). */
  lrem: (ks, argv, t) => {
    const n = parseInt64Arg(argv[2]!);
    if (n === null) return ERR_NOT_INTEGER;
    const key = latin1(argv[1]!);
    const list = listAt(ks, key, t, true);
    if (list === undefined || list instanceof ErrorReply) return list ?? 0;
    const count = indexArg(n);
    const limit = count === 0 ? Infinity : Math.abs(count);
    const element = latin1(argv[3]!);
    const length = list.length;
    const kept: string[] = [];
    let removed = 0;
    // From the tail, the survivors are gathered backwards and reversed once.
    for (let k = 0; k < length; k++) {
      const v = list.at(count < 0 ? length - 1 - k : k);
      if (v === element && removed < limit) removed++;
      else kept.push(v);
    }
    if (removed === 0) return 0;
    if (count < 0) kept.reverse();
    list.replace(kept);
    ks.modified(key);
    return removed;
  },

  /** LTRIM key start stop: keeps the range (Redis's index rules), deleting the key if none is left. */
  ltrim: (ks, argv, t) => {
    const a = parseInt64Arg(argv[2]!);
    const b = a === null ? null : parseInt64Arg(argv[3]!);
    if (a === null || b === null) return ERR_NOT_INTEGER;
    const key = latin1(argv[1]!);
    const list = listAt(ks, key, t, true);
    if (list === undefined || list instanceof ErrorReply) return list ?? OK;
    const length = list.length;
    const range = indexRange(a, b, length);
    if (range === null) {
      list.replace([]);
    } else {
      const [start, end] = range;
      if (2 * (end - start + 1) < length) {
        list.replace(list.slice(start, end));
      } else {
        // Most of it stays: drop the ends one by one instead of copying the rest.
        for (let i = 0; i < start; i++) list.popFront();
        for (let i = end + 1; i < length; i++) list.popBack();
      }
    }
    ks.modified(key);
    return OK;
  },
};
