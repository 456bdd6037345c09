// Byte ranges of a string: GETRANGE (and its old name SUBSTR) and SETRANGE, with Redis 7.0's index
// rules and errors.

import { latin1, parseInt64Arg } from '../../commands/args.js';
import { ERR_OFFSET } from '../../commands/write-syntax.js';
import { ERR_NOT_INTEGER } from '../../resp/error-replies.js';
import { ErrorReply } from '../../resp/reply.js';
import type { CommandHandler } from '../key-store.js';
import { markString } from './object.js';
import { ERR_TOO_BIG, MAX_VALUE_LENGTH, stringAt } from './strings.js';

const EMPTY = Buffer.alloc(0);
/** Beyond any string's length: larger indexes (bigints too) behave alike. */
const FAR = 2 ** 53;

function clamp(v: number | bigint): number {
  return v > FAR ? FAR : v < -FAR ? -FAR : Number(v);
}

/** GETRANGE key start end: bytes start..end inclusive, negative counting from the end; "" if none. */
const getrange: CommandHandler = (ks, argv, t) => {
  const from = parseInt64Arg(argv[2]!);
  const to = parseInt64Arg(argv[3]!);
  if (from === null || to === null) return ERR_NOT_INTEGER;
  const v = stringAt(ks, latin1(argv[1]!), t, false);
  if (v === undefined) return EMPTY;
  if (v instanceof ErrorReply) return v;
  if (from < 0 && to < 0 && from > to) return EMPTY;
  const length = v.length;
  let start = clamp(from);
  let end = clamp(to);
  if (start < 0) start = Math.max(0, length + start);
  if (end < 0) end = Math.max(0, length + end);
  if (end >= length) end = length - 1;
  if (start > end || length === 0) return EMPTY;
  return Buffer.from(v.slice(start, end + 1), 'latin1');
};

/** SETRANGE key offset value: overwrites from offset, padding with zero bytes; the new length. */
const setrange: CommandHandler = (ks, argv, t) => {
  const offset = parseInt64Arg(argv[2]!);
  if (offset === null) return ERR_NOT_INTEGER;
  if (offset < 0) return ERR_OFFSET;
  const key = latin1(argv[1]!);
  const old = stringAt(ks, key, t, true);
  if (old instanceof ErrorReply) return old;
  const patch = argv[3]!;
  if (patch.length === 0) return old?.length ?? 0; // nothing to set: no key is made
  if (offset > MAX_VALUE_LENGTH - patch.length) return ERR_TOO_BIG;
  const at = Number(offset);
  const base = old ?? '';
  const head = base.length >= at ? base.slice(0, at) : base + '\0'.repeat(at - base.length);
  const value = head + latin1(patch) + base.slice(at + patch.length);
  ks.put(key, value);
  markString(ks, key, value, true); // Redis edits a raw copy in place
  return value.length;
};

export const STRING_RANGE_WRITES: Record<string, CommandHandler> = { setrange };

export const STRING_RANGE_READS: Record<string, CommandHandler> = { getrange, substr: getrange };
