// The string commands: values are latin1 strings; a key holding another type answers WRONGTYPE.

import { INT64_MAX, INT64_MIN, intReply, latin1, parseInt64 } from '../../commands/args.js';
import { expireAtFor, parseDelta, parseSetOptions } from '../../commands/write-syntax.js';
import { ERR_NOT_INTEGER, ERR_OVERFLOW, WRONGTYPE, wrongArity } from '../../resp/error-replies.js';
import { ErrorReply, OK, type Reply } from '../../resp/reply.js';
import type { CommandHandler, KeyStore } from '../key-store.js';

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
export function bulk(v: string | undefined): Reply {
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
    // Already in the past: the key ends up deleted, as in Redis.
    ks.remove(key);
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

export const STRING_WRITES: Record<string, CommandHandler> = {
  set,
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
