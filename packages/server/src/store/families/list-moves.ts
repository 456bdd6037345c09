// LMOVE and RPOPLPUSH, and the blocking BLMOVE and BRPOPLPUSH as applied (their non-blocking form:
// nil when the source is empty; the node blocks the client on nil).

import { latin1, latin1Bytes } from '../../commands/args.js';
import { parseTimeout } from '../../commands/timeout.js';
import { ERR_SYNTAX } from '../../resp/error-replies.js';
import { ErrorReply, type Reply } from '../../resp/reply.js';
import type { CommandHandler, KeyStore } from '../key-store.js';
import { ListValue } from '../values.js';
import { listAt, parseEnd, popEnd } from './list-access.js';

/**
 * Pops an element from one end of `source` and pushes it at one end of `destination` (the same
 * list may be both), atomically: the element, or nil if the source is empty. A destination of
 * another type is refused before anything moves.
 */
function move(ks: KeyStore, argv: readonly Uint8Array[], t: number, fromHead: boolean, toHead: boolean): Reply {
  const sourceKey = latin1(argv[1]!);
  const source = listAt(ks, sourceKey, t, true);
  if (source === undefined || source instanceof ErrorReply) return source ?? null;
  const destinationKey = latin1(argv[2]!);
  const existing = destinationKey === sourceKey ? source : listAt(ks, destinationKey, t, true);
  if (existing instanceof ErrorReply) return existing;
  const v = popEnd(source, fromHead);
  const destination = existing ?? new ListValue();
  if (toHead) destination.pushFront(v);
  else destination.pushBack(v);
  if (existing === undefined) ks.put(destinationKey, destination);
  else ks.modified(destinationKey);
  if (destinationKey !== sourceKey) ks.modified(sourceKey);
  return latin1Bytes(v);
}

/** LMOVE / BLMOVE source destination LEFT|RIGHT LEFT|RIGHT (BLMOVE: then its timeout). */
function lmove(blocking: boolean): CommandHandler {
  return (ks, argv, t) => {
    const from = parseEnd(argv[3]!);
    const to = from === null ? null : parseEnd(argv[4]!);
    if (from === null || to === null) return ERR_SYNTAX;
    if (blocking) {
      const timeout = parseTimeout(argv[5]!);
      if (timeout instanceof ErrorReply) return timeout;
    }
    return move(ks, argv, t, from, to);
  };
}

export const LIST_MOVE_WRITES: Record<string, CommandHandler> = {
  lmove: lmove(false),
  blmove: lmove(true),
  rpoplpush: (ks, argv, t) => move(ks, argv, t, false, true),
  brpoplpush: (ks, argv, t) => {
    const timeout = parseTimeout(argv[3]!);
    return timeout instanceof ErrorReply ? timeout : move(ks, argv, t, false, true);
  },
};
