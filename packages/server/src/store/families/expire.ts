// The expiry commands: EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT (NX, XX, GT, LT) and PERSIST, and the
// reads TTL, PTTL, EXPIRETIME, PEXPIRETIME. Times are absolute ms from the leader's apply time `t`,
// so every replica stores the same expiry; a time not after `t` deletes the key (and answers 1).

import { INT64_MAX, latin1 } from '../../commands/args.js';
import { expireTime, parseExpireFlags } from '../../commands/expire-syntax.js';
import { ErrorReply, type Reply } from '../../resp/reply.js';
import type { CommandHandler, KeyStore } from '../key-store.js';

function expire(name: string, seconds: boolean, relative: boolean): CommandHandler {
  return (ks, argv, t) => {
    const flags = parseExpireFlags(argv);
    if (flags instanceof ErrorReply) return flags;
    const when = expireTime(argv, name, seconds, relative ? t : 0);
    if (when instanceof ErrorReply) return when;
    const key = latin1(argv[1]!);
    if (ks.getForWrite(key, t) === undefined) return 0;
    const current = ks.expireOf(key);
    if (flags.nx && current !== undefined) return 0;
    if (flags.xx && current === undefined) return 0;
    // No expiry counts as an infinite one: never less than a new time, always greater.
    if (flags.gt && (current === undefined || when <= current)) return 0;
    if (flags.lt && current !== undefined && when >= current) return 0;
    if (when <= t) ks.remove(key);
    else ks.setExpire(key, when);
    return 1;
  };
}

/** TTL / PTTL (`absolute` false) and EXPIRETIME / PEXPIRETIME (true): -2 without the key, -1 without an expiry. */
function ttl(ms: boolean, absolute: boolean): CommandHandler {
  return (ks, argv, t) => ttlOf(ks, latin1(argv[1]!), t, ms, absolute);
}

function ttlOf(ks: KeyStore, key: string, t: number, ms: boolean, absolute: boolean): Reply {
  if (ks.get(key, t) === undefined) return -2;
  const e = ks.expireOf(key);
  if (e === undefined) return -1;
  // Times past 2^53 ms are stored rounded to a double: the largest one Redis takes reads back as itself.
  if (absolute && ms && e >= 2 ** 63) return INT64_MAX;
  const left = absolute ? e : e - t;
  return ms ? left : Math.floor((left + 500) / 1000);
}

export const EXPIRE_WRITES: Record<string, CommandHandler> = {
  expire: expire('expire', true, true),
  pexpire: expire('pexpire', false, true),
  expireat: expire('expireat', true, false),
  pexpireat: expire('pexpireat', false, false),
  persist: (ks, argv, t) => {
    const key = latin1(argv[1]!);
    if (ks.getForWrite(key, t) === undefined) return 0;
    return ks.persist(key) ? 1 : 0;
  },
};

export const EXPIRE_READS: Record<string, CommandHandler> = {
  ttl: ttl(false, false),
  pttl: ttl(true, false),
  expiretime: ttl(false, true),
  pexpiretime: ttl(true, true),
};
