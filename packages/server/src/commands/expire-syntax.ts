// The arguments of the commands that give a key an expiry time: EXPIRE, PEXPIRE, EXPIREAT and
// PEXPIREAT (with NX, XX, GT, LT), SETEX, PSETEX and GETEX, read as Redis 7.0 reads them and with
// its error texts. Used by validateWrite before proposing and by the handlers when applying.

import { INT64_MAX, INT64_MIN, isKeyword, parseInt64Arg } from './args.js';
import { ERR_NOT_INTEGER, ERR_SYNTAX, invalidExpireTime } from '../resp/error-replies.js';
import { ErrorReply } from '../resp/reply.js';

/** EXPIRE's conditions. */
export interface ExpireFlags {
  nx: boolean;
  xx: boolean;
  gt: boolean;
  lt: boolean;
}

/** NX | XX | GT | LT after EXPIRE's time (argv[3..]), with Redis's errors for unknown or clashing ones. */
export function parseExpireFlags(argv: readonly Uint8Array[]): ExpireFlags | ErrorReply {
  const f: ExpireFlags = { nx: false, xx: false, gt: false, lt: false };
  for (let j = 3; j < argv.length; j++) {
    const opt = argv[j]!;
    if (isKeyword(opt, 'nx')) f.nx = true;
    else if (isKeyword(opt, 'xx')) f.xx = true;
    else if (isKeyword(opt, 'gt')) f.gt = true;
    else if (isKeyword(opt, 'lt')) f.lt = true;
    else return new ErrorReply(`ERR Unsupported option ${cString(opt)}`);
  }
  if (f.nx && (f.xx || f.gt || f.lt)) {
    return new ErrorReply('ERR NX and XX, GT or LT options at the same time are not compatible');
  }
  if (f.gt && f.lt) return new ErrorReply('ERR GT and LT options at the same time are not compatible');
  return f;
}

/** An argument as C prints it with %s: up to its first NUL byte (the writer keeps UTF-8 as is). */
function cString(arg: Uint8Array): string {
  const nul = arg.indexOf(0);
  return Buffer.from(arg.buffer, arg.byteOffset, nul < 0 ? arg.length : nul).toString('utf8');
}

/**
 * EXPIRE / PEXPIRE / EXPIREAT / PEXPIREAT's time (argv[2]) as an absolute time in ms: `seconds` for
 * EXPIRE and EXPIREAT, `base` the time a relative one counts from (0 for the absolute ones). Redis
 * refuses what overflows a signed 64-bit count of ms; negative and past times are allowed.
 */
export function expireTime(
  argv: readonly Uint8Array[],
  name: string,
  seconds: boolean,
  base: number,
): number | ErrorReply {
  const v = parseInt64Arg(argv[2]!);
  if (v === null) return ERR_NOT_INTEGER;
  let when = BigInt(v);
  if (seconds) {
    if (when > INT64_MAX / 1000n || when < INT64_MIN / 1000n) return invalidExpireTime(name);
    when *= 1000n;
  }
  if (when > INT64_MAX - BigInt(base)) return invalidExpireTime(name);
  return Number(when + BigInt(base));
}

/**
 * SETEX / PSETEX / GETEX's expire value `arg` as an absolute time in ms: `seconds` for EX and EXAT,
 * `relative` (EX, PX) counts from `now`. Redis's getExpireMillisecondsOrReply: it must be a positive
 * integer, and neither the unit nor `now` may make it overflow.
 */
export function expireMillis(
  arg: Uint8Array,
  name: string,
  seconds: boolean,
  relative: boolean,
  now: number,
): number | ErrorReply {
  const v = parseInt64Arg(arg);
  if (v === null) return ERR_NOT_INTEGER;
  let ms = BigInt(v);
  if (ms <= 0n || (seconds && ms > INT64_MAX / 1000n)) return invalidExpireTime(name);
  if (seconds) ms *= 1000n;
  if (relative) ms += BigInt(now);
  if (ms > INT64_MAX) return invalidExpireTime(name);
  return Number(ms);
}

/** GETEX's options: the expire argument and its unit, PERSIST, or nothing. */
export interface GetexOptions {
  expire: { arg: Uint8Array; seconds: boolean; relative: boolean } | null;
  persist: boolean;
}

/** GETEX key [EX s | PX ms | EXAT s | PXAT ms | PERSIST]: one kind of option (repeats allowed, the last wins). */
export function parseGetexOptions(argv: readonly Uint8Array[]): GetexOptions | ErrorReply {
  const o: GetexOptions = { expire: null, persist: false };
  let unit: string | null = null;
  for (let j = 2; j < argv.length; j++) {
    const opt = argv[j]!;
    const hasNext = j + 1 < argv.length;
    if (isKeyword(opt, 'persist') && unit === null) {
      o.persist = true;
      continue;
    }
    const kind = ['ex', 'px', 'exat', 'pxat'].find((k) => isKeyword(opt, k));
    if (kind === undefined || !hasNext || o.persist || (unit !== null && unit !== kind)) return ERR_SYNTAX;
    unit = kind;
    o.expire = { arg: argv[++j]!, seconds: kind === 'ex' || kind === 'exat', relative: kind === 'ex' || kind === 'px' };
  }
  return o;
}
