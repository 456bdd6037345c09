// The hash commands, with Redis 7.0's replies and errors, checked in Redis's order.
//
// Order: a HashValue is a Map, so fields come in insertion order, a field set again keeping its
// place: Redis's order for a hash in its listpack encoding (up to 128 fields of up to 64 bytes). A
// larger Redis hash is a hash table whose order is arbitrary; here it stays insertion order (HSCAN
// walks it in hash order, collection-scan.ts).

import { INT64_MAX, INT64_MIN, intReply, latin1, parseInt64, parseInt64Arg } from '../../commands/args.js';
import { ERR_NOT_INTEGER, ERR_OVERFLOW, wrongArity } from '../../resp/error-replies.js';
import { ErrorReply, MapReply, OK, PairsReply, type Reply } from '../../resp/reply.js';
import type { CommandHandler, KeyStore } from '../key-store.js';
import { HashValue } from '../values.js';
import { emptyScan, scanCollection } from './collection-scan.js';
import { addLongDouble, formatLongDouble, LONG_DOUBLE_ZERO, parseLongDouble } from './long-double.js';
import { pickCount, pickOne, randomCountArgs } from './random-picks.js';
import { scanCursor } from './scan-args.js';

/** Redis's listpack limit: a hash up to this many fields is scanned whole (see collection-scan.ts). */
const LISTPACK_ENTRIES = 128;

const ERR_HASH_NOT_INTEGER = new ErrorReply('ERR hash value is not an integer');
const ERR_HASH_NOT_FLOAT = new ErrorReply('ERR hash value is not a float');
const ERR_NOT_FLOAT = new ErrorReply('ERR value is not a valid float');
const ERR_NAN_OR_INFINITY = new ErrorReply('ERR value is NaN or Infinity');
const ERR_WOULD_BE_NAN_OR_INFINITY = new ErrorReply('ERR increment would produce NaN or Infinity');

/** The hash at `key`: undefined if absent, WRONGTYPE if another type. */
function hashAt(ks: KeyStore, key: string, t: number, write: boolean): HashValue | undefined | ErrorReply {
  const v = ks.typed(key, t, 'hash', write);
  return v === undefined || v instanceof ErrorReply ? v : (v as HashValue);
}

function bulk(s: string): Buffer {
  return Buffer.from(s, 'latin1');
}

/** Sets `field` of the hash at `key` (created if absent) to `value`: one HSET of one field. */
function setField(ks: KeyStore, key: string, h: HashValue | undefined, field: string, value: string): void {
  if (h === undefined) {
    const created = new HashValue();
    created.set(field, value);
    ks.put(key, created);
  } else {
    h.set(field, value);
    ks.modified(key);
  }
}

/** HSET / HMSET key field value [field value ...]: how many fields are new. */
function hset(ks: KeyStore, argv: readonly Uint8Array[], t: number, name: string): number | ErrorReply {
  if (argv.length % 2 === 1) return wrongArity(name);
  const key = latin1(argv[1]!);
  const found = hashAt(ks, key, t, true);
  if (found instanceof ErrorReply) return found;
  const h = found ?? new HashValue();
  let created = 0;
  for (let i = 2; i < argv.length; i += 2) {
    const field = latin1(argv[i]!);
    if (!h.has(field)) created++;
    h.set(field, latin1(argv[i + 1]!));
  }
  if (found === undefined) ks.put(key, h);
  else ks.modified(key);
  return created;
}

function hincrby(ks: KeyStore, argv: readonly Uint8Array[], t: number): Reply {
  const incr = parseInt64Arg(argv[3]!);
  if (incr === null) return ERR_NOT_INTEGER;
  const key = latin1(argv[1]!);
  const h = hashAt(ks, key, t, true);
  if (h instanceof ErrorReply) return h;
  const field = latin1(argv[2]!);
  const old = h?.get(field);
  let current: number | bigint = 0;
  if (old !== undefined) {
    const parsed = parseInt64(old);
    if (parsed === null) return ERR_HASH_NOT_INTEGER;
    current = parsed;
  }
  let next: number | bigint =
    typeof current === 'number' && typeof incr === 'number' ? current + incr : BigInt(current) + BigInt(incr);
  if (typeof next === 'number' && !Number.isSafeInteger(next)) next = BigInt(current) + BigInt(incr);
  if (typeof next === 'bigint') {
    if (next < INT64_MIN || next > INT64_MAX) return ERR_OVERFLOW;
    next = intReply(next);
  }
  setField(ks, key, h, field, String(next));
  return next;
}

/** HINCRBYFLOAT key field increment: in C's long double, as Redis computes it (long-double.ts). */
function hincrbyfloat(ks: KeyStore, argv: readonly Uint8Array[], t: number): Reply {
  const incr = parseLongDouble(latin1(argv[3]!));
  if (incr === null) return ERR_NOT_FLOAT;
  if ('inf' in incr) return ERR_NAN_OR_INFINITY;
  const key = latin1(argv[1]!);
  const h = hashAt(ks, key, t, true);
  if (h instanceof ErrorReply) return h;
  const field = latin1(argv[2]!);
  const old = h?.get(field);
  const current = old === undefined ? LONG_DOUBLE_ZERO : parseLongDouble(old);
  if (current === null) return ERR_HASH_NOT_FLOAT;
  const sum = addLongDouble(current, incr);
  if (sum === null || 'inf' in sum) return ERR_WOULD_BE_NAN_OR_INFINITY;
  const text = formatLongDouble(sum);
  setField(ks, key, h, field, text);
  return bulk(text);
}

export const HASH_WRITES: Record<string, CommandHandler> = {
  hset: (ks, argv, t) => hset(ks, argv, t, 'hset'),
  hmset: (ks, argv, t) => {
    const r = hset(ks, argv, t, 'hmset');
    return r instanceof ErrorReply ? r : OK;
  },
  hsetnx: (ks, argv, t) => {
    const key = latin1(argv[1]!);
    const h = hashAt(ks, key, t, true);
    if (h instanceof ErrorReply) return h;
    const field = latin1(argv[2]!);
    if (h?.has(field) === true) return 0;
    setField(ks, key, h, field, latin1(argv[3]!));
    return 1;
  },
  hdel: (ks, argv, t) => {
    const key = latin1(argv[1]!);
    const h = hashAt(ks, key, t, true);
    if (h === undefined || h instanceof ErrorReply) return h ?? 0;
    let deleted = 0;
    for (let i = 2; i < argv.length; i++) if (h.delete(latin1(argv[i]!))) deleted++;
    if (deleted > 0) ks.modified(key);
    return deleted;
  },
  hincrby,
  hincrbyfloat,
};

/** A read of one hash: `absent` when the key is missing, else `body` of the hash. */
function readHash(absent: Reply, body: (h: HashValue, argv: readonly Uint8Array[]) => Reply): CommandHandler {
  return (ks, argv, t) => {
    const h = hashAt(ks, latin1(argv[1]!), t, false);
    if (h === undefined || h instanceof ErrorReply) return h ?? absent;
    return body(h, argv);
  };
}

function fieldsAndValues(h: HashValue, keys: boolean, values: boolean): Reply[] {
  const out: Reply[] = [];
  for (const [f, v] of h) {
    if (keys) out.push(bulk(f));
    if (values) out.push(bulk(v));
  }
  return out;
}

/** HRANDFIELD key count [WITHVALUES], after the count's checks. */
function hrandfieldCount(h: HashValue, count: bigint, withValues: boolean): Reply {
  const fields = pickCount(h, count, () => h.keys(), Math.random);
  if (fields instanceof ErrorReply) return fields;
  const out: Reply[] = [];
  for (const f of fields) {
    out.push(bulk(f));
    if (withValues) out.push(bulk(h.get(f)!));
  }
  return withValues ? new PairsReply(out) : out;
}

export const HASH_READS: Record<string, CommandHandler> = {
  hget: readHash(null, (h, argv) => {
    const v = h.get(latin1(argv[2]!));
    return v === undefined ? null : bulk(v);
  }),
  hmget: (ks, argv, t) => {
    const h = hashAt(ks, latin1(argv[1]!), t, false);
    if (h instanceof ErrorReply) return h;
    const out = new Array<Reply>(argv.length - 2);
    for (let i = 2; i < argv.length; i++) {
      const v = h?.get(latin1(argv[i]!));
      out[i - 2] = v === undefined ? null : bulk(v);
    }
    return out;
  },
  hlen: readHash(0, (h) => h.size),
  hstrlen: readHash(0, (h, argv) => h.get(latin1(argv[2]!))?.length ?? 0),
  hexists: readHash(0, (h, argv) => (h.has(latin1(argv[2]!)) ? 1 : 0)),
  hkeys: readHash([], (h) => fieldsAndValues(h, true, false)),
  hvals: readHash([], (h) => fieldsAndValues(h, false, true)),
  hgetall: (ks, argv, t) => {
    const h = hashAt(ks, latin1(argv[1]!), t, false);
    if (h instanceof ErrorReply) return h;
    return new MapReply(h === undefined ? [] : fieldsAndValues(h, true, true));
  },
  hrandfield: (ks, argv, t) => {
    if (argv.length === 2) {
      return readHash(null, (h) => bulk(pickOne(h, Math.random)))(ks, argv, t);
    }
    const args = randomCountArgs(argv, 'withvalues');
    if (args instanceof ErrorReply) return args;
    return readHash([], (h) => hrandfieldCount(h, args.count, args.withValues))(ks, argv, t);
  },
  hscan: (ks, argv, t) => {
    const cursor = scanCursor(argv[2]!);
    if (cursor instanceof ErrorReply) return cursor;
    const h = hashAt(ks, latin1(argv[1]!), t, false);
    if (h === undefined || h instanceof ErrorReply) return h ?? emptyScan();
    const emit = (f: string, out: Reply[]): void => {
      out.push(bulk(f), bulk(h.get(f)!));
    };
    return scanCollection(argv, h, cursor, h.size <= LISTPACK_ENTRIES, () => h.keys(), emit);
  },
};
