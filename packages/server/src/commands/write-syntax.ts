// Syntax of the write commands, checked twice: by the server before it proposes a command (so a bad
// write never reaches the log) and by the state machine when it applies one (so the log is never
// trusted blindly). Both use these same functions, so they agree.

import { INT64_MAX, isKeyword, parseInt64Arg } from './args.js';
import { lookupCommand, checkArity } from './command-table.js';
import { expireMillis, expireTime, parseExpireFlags, parseGetexOptions } from './expire-syntax.js';
import {
  ERR_DB_INDEX,
  ERR_DECR_OVERFLOW,
  ERR_NOT_INTEGER,
  ERR_SYNTAX,
  invalidExpireTime,
  unknownCommand,
  wrongArity,
} from '../resp/error-replies.js';
import { ErrorReply } from '../resp/reply.js';

type ExpireUnit = 'ex' | 'px' | 'exat' | 'pxat';

export interface SetOptions {
  nx: boolean;
  xx: boolean;
  get: boolean;
  keepTtl: boolean;
  /** The EX/PX/EXAT/PXAT option as given, or null. */
  expire: { unit: ExpireUnit; value: bigint } | null;
}

const MAX_SECONDS = INT64_MAX / 1000n;
export const ERR_OFFSET = new ErrorReply('ERR offset is out of range');

/** Parses SET's options (argv[3..]) as Redis does: first the keywords, then the expire value. */
export function parseSetOptions(argv: readonly Uint8Array[]): SetOptions | ErrorReply {
  const o: SetOptions = { nx: false, xx: false, get: false, keepTtl: false, expire: null };
  let expireArg: Uint8Array | null = null;
  let unit: ExpireUnit = 'ex';
  for (let j = 3; j < argv.length; j++) {
    const opt = argv[j]!;
    const hasNext = j + 1 < argv.length;
    if (isKeyword(opt, 'nx') && !o.xx) o.nx = true;
    else if (isKeyword(opt, 'xx') && !o.nx) o.xx = true;
    else if (isKeyword(opt, 'get')) o.get = true;
    else if (isKeyword(opt, 'keepttl') && expireArg === null) o.keepTtl = true;
    else if (hasNext && !o.keepTtl && (expireArg === null || isKeyword(opt, unit))) {
      // One expire option, possibly repeated (the last value wins, as in Redis).
      if (isKeyword(opt, 'ex')) unit = 'ex';
      else if (isKeyword(opt, 'px')) unit = 'px';
      else if (isKeyword(opt, 'exat')) unit = 'exat';
      else if (isKeyword(opt, 'pxat')) unit = 'pxat';
      else return ERR_SYNTAX;
      expireArg = argv[++j]!;
    } else return ERR_SYNTAX;
  }
  if (expireArg !== null) {
    const v = parseInt64Arg(expireArg);
    if (v === null) return ERR_NOT_INTEGER;
    const value = BigInt(v);
    if (value <= 0n || ((unit === 'ex' || unit === 'exat') && value > MAX_SECONDS)) return invalidExpireTime('set');
    o.expire = { unit, value };
  }
  return o;
}

/**
 * The absolute expiry (ms since the epoch) for SET's expire option applied at time `at`, or an error
 * if it overflows a signed 64-bit millisecond count as in Redis. Past times are allowed (the key is
 * then deleted at once). Values beyond 2^53 are rounded to the nearest double: deterministic.
 */
export function expireAtFor(expire: NonNullable<SetOptions['expire']>, at: number): number | ErrorReply {
  let ms = expire.unit === 'ex' || expire.unit === 'exat' ? expire.value * 1000n : expire.value;
  if (expire.unit === 'ex' || expire.unit === 'px') {
    ms += BigInt(at);
    if (ms > INT64_MAX) return invalidExpireTime('set');
  }
  return Number(ms);
}

/** Parses INCRBY's / DECRBY's amount, as the signed delta to add. */
export function parseDelta(argv: readonly Uint8Array[], negate: boolean): bigint | ErrorReply {
  const v = parseInt64Arg(argv[2]!);
  if (v === null) return ERR_NOT_INTEGER;
  const d = BigInt(v);
  if (!negate) return d;
  if (d === -(2n ** 63n)) return ERR_DECR_OVERFLOW;
  return -d;
}

/**
 * Checks a write command's syntax without applying it: the unknown-command and arity errors, SET's
 * options, INCRBY/DECRBY amounts, MSET/MSETNX pairs, FLUSHDB/FLUSHALL's mode, the EXPIRE family's
 * options and times, SETEX/PSETEX times, GETEX's options, SETRANGE's offset, COPY's options: the
 * errors Redis finds before it looks at the key. Returns the error Redis would reply, or null if the
 * command may be proposed. With `now` (ms since the epoch), relative times that overflow when added
 * to it are refused too; without it, applying the command reports them.
 */
export function validateWrite(argv: readonly Uint8Array[], now?: number): ErrorReply | null {
  const spec = argv.length > 0 ? lookupCommand(argv[0]!) : undefined;
  if (spec === undefined) return unknownCommand(argv);
  const arity = checkArity(spec, argv.length);
  if (arity !== null) return arity;
  switch (spec.name) {
    case 'set': {
      const o = parseSetOptions(argv);
      if (o instanceof ErrorReply) return o;
      if (o.expire === null || now === undefined) return null;
      const e = expireAtFor(o.expire, now);
      return e instanceof ErrorReply ? e : null;
    }
    case 'incrby':
    case 'decrby': {
      const d = parseDelta(argv, spec.name === 'decrby');
      return d instanceof ErrorReply ? d : null;
    }
    case 'mset':
    case 'msetnx':
      return argv.length % 2 === 0 ? wrongArity(spec.name) : null;
    case 'flushdb':
    case 'flushall':
      return flushdbSyntax(argv);
    case 'expire':
    case 'pexpire':
    case 'expireat':
    case 'pexpireat': {
      const flags = parseExpireFlags(argv);
      if (flags instanceof ErrorReply) return flags;
      // Without `now` a relative time counts from 0: an overflow past now is found when applied.
      const base = spec.name.endsWith('at') ? 0 : (now ?? 0);
      const when = expireTime(argv, spec.name, !spec.name.startsWith('p'), base);
      return when instanceof ErrorReply ? when : null;
    }
    case 'setex':
    case 'psetex': {
      const when = expireMillis(argv[2]!, spec.name, spec.name === 'setex', true, now ?? 0);
      return when instanceof ErrorReply ? when : null;
    }
    case 'getex': {
      const o = parseGetexOptions(argv);
      return o instanceof ErrorReply ? o : null;
    }
    case 'setrange': {
      const offset = parseInt64Arg(argv[2]!);
      if (offset === null) return ERR_NOT_INTEGER;
      return offset < 0 ? ERR_OFFSET : null;
    }
    case 'copy': {
      const o = copySyntax(argv);
      return o instanceof ErrorReply ? o : null;
    }
    default:
      return spec.kind === 'write' ? null : new ErrorReply(`ERR '${spec.name}' is not a write command`);
  }
}

/** COPY's options: REPLACE, and DB with the one database there is (an integer in C int's range). */
export function copySyntax(argv: readonly Uint8Array[]): { replace: boolean } | ErrorReply {
  let replace = false;
  for (let j = 3; j < argv.length; j++) {
    if (isKeyword(argv[j]!, 'replace')) {
      replace = true;
    } else if (isKeyword(argv[j]!, 'db') && j + 1 < argv.length) {
      const db = parseInt64Arg(argv[++j]!);
      if (db === null) return ERR_NOT_INTEGER;
      if (db < -2147483648 || db > 2147483647) return ERR_NOT_C_INT;
      if (db !== 0) return ERR_DB_INDEX;
    } else {
      return ERR_SYNTAX;
    }
  }
  if (Buffer.compare(argv[1]!, argv[2]!) === 0) return ERR_SAME_OBJECT;
  return { replace };
}

const ERR_SAME_OBJECT = new ErrorReply('ERR source and destination objects are the same');
const ERR_NOT_C_INT = new ErrorReply('ERR value is out of range, value must between -2147483648 and 2147483647');

/** FLUSHDB / FLUSHALL [ASYNC | SYNC]. */
export function flushdbSyntax(argv: readonly Uint8Array[]): ErrorReply | null {
  if (argv.length > 2) return ERR_SYNTAX;
  if (argv.length === 2 && !isKeyword(argv[1]!, 'async') && !isKeyword(argv[1]!, 'sync')) return ERR_SYNTAX;
  return null;
}
