// What the list commands share: the list at a key (WRONGTYPE for another type), the LEFT | RIGHT
// argument, and index arithmetic.

import { isKeyword } from '../../commands/args.js';
import { WRONGTYPE } from '../../resp/error-replies.js';
import type { ErrorReply } from '../../resp/reply.js';
import type { KeyStore } from '../key-store.js';
import { ListValue } from '../values.js';

/** The list at `key`: undefined if absent, WRONGTYPE if another type. `write`: as getForWrite. */
export function listAt(ks: KeyStore, key: string, t: number, write: boolean): ListValue | undefined | ErrorReply {
  const v = write ? ks.getForWrite(key, t) : ks.get(key, t);
  if (v === undefined || v instanceof ListValue) return v;
  return WRONGTYPE;
}

/** LEFT (the head: true) or RIGHT (false); null for anything else. */
export function parseEnd(arg: Uint8Array): boolean | null {
  if (isKeyword(arg, 'left')) return true;
  if (isKeyword(arg, 'right')) return false;
  return null;
}

/** Pops from the head or the tail of a list with elements. */
export function popEnd(list: ListValue, head: boolean): string {
  return (head ? list.popFront() : list.popBack())!;
}

/** An integer argument as a number for index arithmetic: beyond 2^53 only its sign and size matter. */
export function indexArg(v: number | bigint): number {
  return typeof v === 'number' ? v : v < 0n ? -Number.MAX_SAFE_INTEGER : Number.MAX_SAFE_INTEGER;
}

/**
 * The elements [start, end] that LRANGE and LTRIM take of a list of `length` for their start and
 * stop (negative: from the tail), clamped to the list as Redis clamps them; null when none.
 */
export function indexRange(
  startArg: number | bigint,
  stopArg: number | bigint,
  length: number,
): [number, number] | null {
  let start = indexArg(startArg);
  let end = indexArg(stopArg);
  if (start < 0) start += length;
  if (end < 0) end += length;
  if (start < 0) start = 0;
  if (start > end || start >= length) return null;
  return [start, Math.min(end, length - 1)];
}
