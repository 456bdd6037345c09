// The string commands: values are latin1 strings; a key holding another type answers WRONGTYPE.

import { INT64_MAX, INT64_MIN, intReply, latin1, parseInt64 } from '../../commands/args.js';
import { expireMillis, parseGetexOptions } from '../../commands/expire-syntax.js';
import { expireAtFor, parseDelta, parseSetOptions } from '../../commands/write-syntax.js';
import { ERR_NOT_INTEGER, ERR_OVERFLOW, WRONGTYPE, wrongArity } from '../../resp/error-replies.js';
import { ErrorReply, OK, type Reply } from '../../resp/reply.js';
import type { CommandHandler, KeyStore } from '../key-store.js';
import { addLongDouble, formatLongDouble, LONG_DOUBLE_ZERO, parseLongDouble } from './long-double.js';
import { markString } from './object.js';

/** V8's longest string (2^29 - 24 chars), just under Redis's 512 MB value limit. */
export const MAX_VALUE_LENGTH = 2 ** 29 - 24;
export const ERR_TOO_BIG = new ErrorReply('ERR string exceeds maximum allowed size (proto-max-bulk-len)');

/** The string at `key`: undefined if absent, WRONGTYPE if another type. */
export function stringAt(ks: KeyStore, key: string, t: number, write: boolean): string | undefined | ErrorReply {
  const v = write ? ks.getForWrite(key, t) : ks.get(key, t);
  if (v === undefined || typeof v === 'string') return v;
  return WRONGTYPE;
}

/** A bulk reply of a latin1 string, or nil. */
function bulk(v: string | undefined): Reply {
  return v === undefined ? null : Buffer.from(v, 'latin1');
}

function set(ks: KeyStore, argv: readonly Uint8Array[], t: number): Reply {
  const o = parseSetOptions(argv);
  if (o instanceof ErrorReply) return o;
  let expireAt: number | undefined;
  if (o.expire !== null) {
    const e = expireAtFor(o.expire, t);
    if (e instanceof ErrorReply) return e;
    expireAt = e;
  }
  const key = latin1(argv[1]!);
  const current = ks.getForWrite(key, t);
  let old: string | undefined;
  if (current !== undefined) {
    if (typeof current !== 'string') {
      if (o.get) return WRONGTYPE;
    } else old = current;
  }
  const oldReply = o.get ? bulk(old) : OK;
  if ((o.nx && current !== undefined) || (o.xx && current === undefined)) return o.get ? oldReply : null;
  if (expireAt !== undefined && expireAt <= t) {
    // Already in the past: the key ends up deleted, as in Redis, where SET still stores it first
    // (so a client WATCHing the key sees it changed, even one that did not exist).
    ks.remove(key);
    ks.modified(key);
    return oldReply;
  }
  ks.put(key, latin1(argv[2]!));
  if (expireAt !== undefined) ks.setExpire(key, expireAt);
  else if (!o.keepTtl) ks.persist(key);
  return oldReply;
}

/** INCR/DECR/INCRBY/DECRBY: adds `delta` to the integer at argv[1], keeping its expiry. */
function incrBy(ks: KeyStore, key: string, delta: bigint, t: number): Reply {
  const old = stringAt(ks, key, t, true);
  if (old instanceof ErrorReply) return old;
  let current: number | bigint = 0;
  if (old !== undefined) {
    const parsed = parseInt64(old);
    if (parsed === null) return ERR_NOT_INTEGER;
    current = parsed;
  }
  let next: number | bigint;
  if (typeof current === 'number' && delta >= -1000000000n && delta <= 1000000000n) {
    next = current + Number(delta);
    if (!Number.isSafeInteger(next)) next = BigInt(current) + delta;
  } else {
    next = BigInt(current) + delta;
  }
  if (typeof next === 'bigint') {
    if (next < INT64_MIN || next > INT64_MAX) return ERR_OVERFLOW;
    next = intReply(next);
  }
  ks.put(key, String(next));
  return next;
}

/** SETEX / PSETEX key time value: SET with an expiry that must be positive. */
function setex(seconds: boolean): CommandHandler {
  return (ks, argv, t) => {
    const name = seconds ? 'setex' : 'psetex';
    const expireAt = expireMillis(argv[2]!, name, seconds, true, t);
    if (expireAt instanceof ErrorReply) return expireAt;
    const key = latin1(argv[1]!);
    ks.put(key, latin1(argv[3]!));
    ks.setExpire(key, expireAt);
    return OK;
  };
}

/** GETEX key [EX | PX | EXAT | PXAT time | PERSIST]: the value, and its expiry changed. */
const getex: CommandHandler = (ks, argv, t) => {
  const o = parseGetexOptions(argv);
  if (o instanceof ErrorReply) return o;
  const key = latin1(argv[1]!);
  const v = stringAt(ks, key, t, true);
  if (v === undefined || v instanceof ErrorReply) return v ?? null;
  if (o.expire !== null) {
    const { arg, seconds, relative } = o.expire;
    const expireAt = expireMillis(arg, 'getex', seconds, relative, t);
    if (expireAt instanceof ErrorReply) return expireAt;
    if (expireAt <= t)
      ks.remove(key); // only an EXAT / PXAT time can be past
    else ks.setExpire(key, expireAt);
  } else if (o.persist) {
    ks.persist(key);
  }
  return bulk(v);
};

/** MSETNX key value [key value ...]: all of them, only if none of the keys exists; 1 if set. */
const msetnx: CommandHandler = (ks, argv, t) => {
  if (argv.length % 2 === 0) return wrongArity('msetnx');
  for (let i = 1; i < argv.length; i += 2) if (ks.getForWrite(latin1(argv[i]!), t) !== undefined) return 0;
  for (let i = 1; i < argv.length; i += 2) ks.put(latin1(argv[i]!), latin1(argv[i + 1]!));
  return 1;
};

const ERR_NOT_FLOAT = new ErrorReply('ERR value is not a valid float');
const ERR_NAN_OR_INFINITY = new ErrorReply('ERR increment would produce NaN or Infinity');

/** INCRBYFLOAT key increment: in C's long double, as Redis computes it (long-double.ts); keeps the expiry. */
const incrbyfloat: CommandHandler = (ks, argv, t) => {
  const key = latin1(argv[1]!);
  const old = stringAt(ks, key, t, true);
  if (old instanceof ErrorReply) return old;
  const value = old === undefined ? LONG_DOUBLE_ZERO : parseLongDouble(old);
  const increment = parseLongDouble(latin1(argv[2]!));
  if (value === null || increment === null) return ERR_NOT_FLOAT;
  const sum = addLongDouble(value, increment);
  if (sum === null || 'inf' in sum) return ERR_NAN_OR_INFINITY;
  const text = formatLongDouble(sum);
  ks.put(key, text);
  markString(ks, key, text, false);
  return Buffer.from(text, 'latin1');
};

export const STRING_WRITES: Record<string, CommandHandler> = {
  set,
  setex: setex(true),
  psetex: setex(false),
  setnx: (ks, argv, t) => {
    const key = latin1(argv[1]!);
    if (ks.getForWrite(key, t) !== undefined) return 0;
    ks.put(key, latin1(argv[2]!));
    return 1;
  },
  getset: (ks, argv, t) => {
    const key = latin1(argv[1]!);
    const old = stringAt(ks, key, t, true);
    if (old instanceof ErrorReply) return old;
    ks.put(key, latin1(argv[2]!));
    ks.persist(key);
    return bulk(old);
  },
  getex,
  msetnx,
  incrbyfloat,
  incr: (ks, argv, t) => incrBy(ks, latin1(argv[1]!), 1n, t),
  decr: (ks, argv, t) => incrBy(ks, latin1(argv[1]!), -1n, t),
  incrby: (ks, argv, t) => {
    const delta = parseDelta(argv, false);
    return delta instanceof ErrorReply ? delta : incrBy(ks, latin1(argv[1]!), delta, t);
  },
  decrby: (ks, argv, t) => {
    const delta = parseDelta(argv, true);
    return delta instanceof ErrorReply ? delta : incrBy(ks, latin1(argv[1]!), delta, t);
  },
  append: (ks, argv, t) => {
    const key = latin1(argv[1]!);
    const old = stringAt(ks, key, t, true);
    if (old instanceof ErrorReply) return old;
    if ((old?.length ?? 0) + argv[2]!.length > MAX_VALUE_LENGTH) return ERR_TOO_BIG;
    const value = (old ?? '') + latin1(argv[2]!);
    ks.put(key, value);
    if (old !== undefined) markString(ks, key, value, true); // Redis appends to a raw copy in place
    return value.length;
  },
  mset: (ks, argv) => {
    if (argv.length % 2 === 0) return wrongArity('mset');
    for (let i = 1; i < argv.length; i += 2) {
      const key = latin1(argv[i]!);
      ks.put(key, latin1(argv[i + 1]!));
      ks.persist(key);
    }
    return OK;
  },
  getdel: (ks, argv, t) => {
    const key = latin1(argv[1]!);
    const old = stringAt(ks, key, t, true);
    if (old === undefined || old instanceof ErrorReply) return old ?? null;
    ks.remove(key);
    return bulk(old);
  },
};

export const STRING_READS: Record<string, CommandHandler> = {
  get: (ks, argv, t) => {
    const v = stringAt(ks, latin1(argv[1]!), t, false);
    return v instanceof ErrorReply ? v : bulk(v);
  },
  strlen: (ks, argv, t) => {
    const v = stringAt(ks, latin1(argv[1]!), t, false);
    return v instanceof ErrorReply ? v : (v?.length ?? 0);
  },
  mget: (ks, argv, t) => {
    const out = new Array<Reply>(argv.length - 1);
    for (let i = 1; i < argv.length; i++) {
      const v = ks.get(latin1(argv[i]!), t);
      out[i - 1] = typeof v === 'string' ? Buffer.from(v, 'latin1') : null;
    }
    return out;
  },
};
