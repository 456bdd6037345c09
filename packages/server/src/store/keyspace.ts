// The KV service's state: string keys with string values and optional expiry times, and the Redis
// commands over them.
//
// Writes (`applyWrite`) run on every replica in log order with the leader's clock `at` from the batch,
// and use nothing else: no Date.now, no randomness, so all replicas reach the same state and replies.
// Reads (`read`) run on one node with its local clock, after the server's read barrier.
//
// Keys and values are latin1 strings (one char per byte, so any bytes round-trip): far leaner than a
// Buffer per value, and they never keep a decoded log entry's buffer alive.
// A key whose expiry is <= the time is absent. The state machine's clock never goes backwards (a new
// leader's clock may be behind the old one's), so a key that expired stays expired.

import { INT64_MAX, INT64_MIN, intReply, isKeyword, latin1, parseInt64, parseInt64Arg } from '../commands/args.js';
import { checkArity, lookupCommand } from '../commands/command-table.js';
import {
  ERR_INVALID_CURSOR,
  ERR_NOT_INTEGER,
  ERR_OVERFLOW,
  ERR_SYNTAX,
  unknownCommand,
  wrongArity,
} from '../resp/error-replies.js';
import { ExpiryHeap } from './expiry-heap.js';
import { globMatch } from '../commands/glob.js';
import { decodeKeyspace, encodeKeyspace } from './keyspace-snapshot.js';
import { ErrorReply, OK, SimpleString, type Reply } from '../resp/reply.js';
import { ScanIndex } from './scan-index.js';
import { expireAtFor, flushdbSyntax, parseDelta, parseSetOptions } from '../commands/write-syntax.js';

/** Expired keys deleted per write at most; the rest wait for the next writes (they read as absent). */
const PURGE_PER_WRITE = 256;
/** Stale heap entries tolerated beyond the live expiries before the heap is rebuilt. */
const HEAP_SLACK = 1024;
/** V8's longest string (2^29 - 24 chars), just under Redis's 512 MB value limit. */
const MAX_VALUE_LENGTH = 2 ** 29 - 24;
const ERR_TOO_BIG = new ErrorReply('ERR string exceeds maximum allowed size (proto-max-bulk-len)');
const STRING = new SimpleString('string');
const NONE = new SimpleString('none');
const SCAN_DEFAULT_COUNT = 10;
const MAX_CURSOR = 2n ** 64n - 1n;

export class Keyspace {
  private readonly values = new Map<string, string>();
  /** expireAt (ms since the epoch) of the keys that have one. */
  private readonly expires = new Map<string, number>();
  private readonly heap = new ExpiryHeap();
  private readonly index = new ScanIndex(this.values);
  /** The latest `at` applied: the state machine's clock. */
  private clock = 0;

  /** Keys held, including expired ones not yet purged (for INFO). */
  get size(): number {
    return this.values.size;
  }

  /** Keys held with an expiry, including expired ones not yet purged (for INFO). */
  get expiringSize(): number {
    return this.expires.size;
  }

  /**
   * Applies one write command at the leader's time `at` and returns its reply. Deterministic: the
   * same commands with the same `at` values give the same state and replies on every replica.
   */
  applyWrite(argv: readonly Uint8Array[], at: number): Reply {
    if (at > this.clock) this.clock = at;
    const t = this.clock;
    this.purge(t);
    const spec = argv.length > 0 ? lookupCommand(argv[0]!) : undefined;
    if (spec === undefined) return unknownCommand(argv);
    const arityError = checkArity(spec, argv.length);
    if (arityError !== null) return arityError;
    switch (spec.name) {
      case 'set':
        return this.set(argv, t);
      case 'del': {
        let n = 0;
        for (let i = 1; i < argv.length; i++) {
          const key = latin1(argv[i]!);
          if (this.get(key, t) !== undefined) {
            this.remove(key);
            n++;
          }
        }
        return n;
      }
      case 'incr':
        return this.incrBy(argv, 1n, t);
      case 'decr':
        return this.incrBy(argv, -1n, t);
      case 'incrby':
      case 'decrby': {
        const delta = parseDelta(argv, spec.name === 'decrby');
        return delta instanceof ErrorReply ? delta : this.incrBy(argv, delta, t);
      }
      case 'append': {
        const key = latin1(argv[1]!);
        const old = this.getForWrite(key, t) ?? '';
        if (old.length + argv[2]!.length > MAX_VALUE_LENGTH) return ERR_TOO_BIG;
        const value = old + latin1(argv[2]!);
        this.put(key, value);
        return value.length;
      }
      case 'mset': {
        if (argv.length % 2 === 0) return wrongArity('mset');
        for (let i = 1; i < argv.length; i += 2) {
          const key = latin1(argv[i]!);
          this.put(key, latin1(argv[i + 1]!));
          this.expires.delete(key);
        }
        return OK;
      }
      case 'getdel': {
        const key = latin1(argv[1]!);
        const old = this.get(key, t);
        if (old === undefined) return null;
        this.remove(key);
        return Buffer.from(old, 'latin1');
      }
      case 'flushdb':
        return flushdbSyntax(argv) ?? this.flush();
      default:
        return new ErrorReply(`ERR '${spec.name}' is not a write command`);
    }
  }

  /**
   * Applies one command of a MULTI/EXEC transaction at the leader's time `at`: a write as applyWrite
   * does, a read at the state machine's clock, so it sees the writes before it (the transaction's
   * own) and answers the same on every replica.
   */
  applyInTransaction(argv: readonly Uint8Array[], at: number): Reply {
    const spec = argv.length > 0 ? lookupCommand(argv[0]!) : undefined;
    if (spec === undefined || spec.kind !== 'read') return this.applyWrite(argv, at);
    if (at > this.clock) this.clock = at;
    return this.read(argv, this.clock);
  }

  /**
   * Answers a read command at local time `now` (treated as the state machine's clock if that is
   * later, so a key the log already expired never reappears). Changes nothing.
   */
  read(argv: readonly Uint8Array[], now: number): Reply {
    const t = now > this.clock ? now : this.clock;
    const spec = argv.length > 0 ? lookupCommand(argv[0]!) : undefined;
    if (spec === undefined) return unknownCommand(argv);
    const arityError = checkArity(spec, argv.length);
    if (arityError !== null) return arityError;
    switch (spec.name) {
      case 'get': {
        const v = this.get(latin1(argv[1]!), t);
        return v === undefined ? null : Buffer.from(v, 'latin1');
      }
      case 'exists': {
        let n = 0;
        for (let i = 1; i < argv.length; i++) if (this.get(latin1(argv[i]!), t) !== undefined) n++;
        return n;
      }
      case 'strlen':
        return this.get(latin1(argv[1]!), t)?.length ?? 0;
      case 'mget': {
        const out: Reply[] = new Array<Reply>(argv.length - 1);
        for (let i = 1; i < argv.length; i++) {
          const v = this.get(latin1(argv[i]!), t);
          out[i - 1] = v === undefined ? null : Buffer.from(v, 'latin1');
        }
        return out;
      }
      case 'dbsize':
        return this.values.size - this.expiredCount(t);
      case 'keys': {
        const pattern = latin1(argv[1]!);
        const all = pattern === '*';
        const out: Reply[] = [];
        for (const key of this.values.keys()) {
          if ((all || globMatch(pattern, key)) && this.get(key, t) !== undefined) out.push(Buffer.from(key, 'latin1'));
        }
        return out;
      }
      case 'scan':
        return this.scan(argv, t);
      case 'type':
        return this.get(latin1(argv[1]!), t) === undefined ? NONE : STRING;
      case 'ttl':
      case 'pttl': {
        const key = latin1(argv[1]!);
        if (this.get(key, t) === undefined) return -2;
        const e = this.expires.get(key);
        if (e === undefined) return -1;
        const ms = e - t;
        return spec.name === 'pttl' ? ms : Math.floor((ms + 500) / 1000);
      }
      default:
        return new ErrorReply(`ERR '${spec.name}' is not a read command`);
    }
  }

  /**
   * The key space as snapshot bytes; keys expired at the state machine's clock are left out. With
   * `reserve`, that many bytes come first, left for the caller to fill.
   */
  serialize(reserve = 0): Uint8Array {
    return encodeKeyspace(this.clock, this.values, this.expires, reserve);
  }

  /** A key space from `serialize()` bytes. Throws SnapshotError on malformed bytes. */
  static restore(bytes: Uint8Array): Keyspace {
    const ks = new Keyspace();
    const expiring: [string, number][] = [];
    ks.clock = decodeKeyspace(bytes, (key, value, expireAt) => {
      const before = ks.values.size;
      ks.values.set(key, value);
      if (ks.values.size === before) return false;
      if (expireAt !== undefined) {
        ks.expires.set(key, expireAt);
        expiring.push([key, expireAt]);
      }
      return true;
    });
    ks.heap.rebuild(expiring);
    return ks;
  }

  // ---------------------------------------------------------------------------------------------

  /** The value of `key` if it is present and unexpired at `t`. */
  private get(key: string, t: number): string | undefined {
    const v = this.values.get(key);
    if (v === undefined || this.expires.size === 0) return v;
    const e = this.expires.get(key);
    return e !== undefined && e <= t ? undefined : v;
  }

  /** For writes: like get, but an expired leftover is deleted, so its expiry cannot carry over. */
  private getForWrite(key: string, t: number): string | undefined {
    const v = this.values.get(key);
    if (v === undefined || this.expires.size === 0) return v;
    const e = this.expires.get(key);
    if (e === undefined || e > t) return v;
    this.remove(key);
    return undefined;
  }

  /** Sets a value, leaving its expiry as it is. */
  private put(key: string, value: string): void {
    const before = this.values.size;
    this.values.set(key, value);
    if (this.values.size !== before) this.index.added(key);
  }

  private expireAt(key: string, expireAt: number): void {
    this.expires.set(key, expireAt);
    this.heap.push(expireAt, key);
    if (this.heap.size > 2 * this.expires.size + HEAP_SLACK) this.heap.rebuild(this.expires);
  }

  private remove(key: string): void {
    this.values.delete(key);
    this.expires.delete(key);
    this.index.deleted();
  }

  private flush(): Reply {
    this.values.clear();
    this.expires.clear();
    this.heap.rebuild([]);
    this.index.reset();
    return OK;
  }

  /** Deletes up to PURGE_PER_WRITE keys expired at `t`, earliest (then smallest key) first. */
  private purge(t: number): void {
    let deleted = 0;
    while (this.heap.peekTime() <= t && deleted < PURGE_PER_WRITE) {
      const time = this.heap.peekTime();
      const key = this.heap.peekKey()!;
      this.heap.pop();
      if (this.expires.get(key) === time) {
        this.remove(key);
        deleted++;
      }
    }
  }

  /** How many held keys are expired at `t` (not yet purged). */
  private expiredCount(t: number): number {
    if (this.heap.peekTime() > t) return 0;
    const expired = new Set<string>();
    this.heap.forEachUpTo(t, (time, key) => {
      if (this.expires.get(key) === time) expired.add(key);
    });
    return expired.size;
  }

  private set(argv: readonly Uint8Array[], t: number): Reply {
    const o = parseSetOptions(argv);
    if (o instanceof ErrorReply) return o;
    let expireAt: number | undefined;
    if (o.expire !== null) {
      const e = expireAtFor(o.expire, t);
      if (e instanceof ErrorReply) return e;
      expireAt = e;
    }
    const key = latin1(argv[1]!);
    const old = this.getForWrite(key, t);
    const oldReply = o.get ? (old === undefined ? null : Buffer.from(old, 'latin1')) : OK;
    if ((o.nx && old !== undefined) || (o.xx && old === undefined)) return o.get ? oldReply : null;
    if (expireAt !== undefined && expireAt <= t) {
      // Already in the past: the key ends up deleted, as in Redis.
      this.remove(key);
      return oldReply;
    }
    this.put(key, latin1(argv[2]!));
    if (expireAt !== undefined) this.expireAt(key, expireAt);
    else if (!o.keepTtl) this.expires.delete(key);
    return oldReply;
  }

  /** INCR/DECR/INCRBY/DECRBY: adds `delta` to the integer at argv[1], keeping its expiry. */
  private incrBy(argv: readonly Uint8Array[], delta: bigint, t: number): Reply {
    const key = latin1(argv[1]!);
    const old = this.getForWrite(key, t);
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
    this.put(key, String(next));
    return next;
  }

  /** SCAN cursor [MATCH pattern] [COUNT count] [TYPE type]. */
  private scan(argv: readonly Uint8Array[], t: number): Reply {
    const cursor = parseCursor(argv[1]!);
    if (cursor === null) return ERR_INVALID_CURSOR;
    let count = SCAN_DEFAULT_COUNT;
    let pattern: string | null = null;
    let typeOk = true;
    for (let i = 2; i < argv.length; i += 2) {
      const opt = argv[i]!;
      if (i + 1 >= argv.length) return ERR_SYNTAX;
      if (isKeyword(opt, 'count')) {
        const n = parseInt64Arg(argv[i + 1]!);
        if (n === null) return ERR_NOT_INTEGER;
        if (n < 1) return ERR_SYNTAX;
        count = typeof n === 'bigint' ? Number.MAX_SAFE_INTEGER : n;
      } else if (isKeyword(opt, 'match')) {
        pattern = latin1(argv[i + 1]!);
        if (pattern === '*') pattern = null;
      } else if (isKeyword(opt, 'type')) {
        typeOk = isKeyword(argv[i + 1]!, 'string');
      } else {
        return ERR_SYNTAX;
      }
    }
    const keys: Reply[] = [];
    let found = 0;
    const next =
      cursor >= 2 ** 32
        ? 0
        : this.index.scan(
            cursor,
            Math.min(count * 10, 2 ** 31),
            () => found >= count,
            (key) => {
              if (this.get(key, t) === undefined) return;
              found++;
              if (typeOk && (pattern === null || globMatch(pattern, key))) keys.push(Buffer.from(key, 'latin1'));
            },
          );
    return [Buffer.from(String(next), 'latin1'), keys];
  }
}

/**
 * A SCAN cursor: what C's strtoul accepts, as Redis does: an optional sign, then 1 to 20 decimal
 * digits, at most 2^64-1; a negative cursor wraps around (so it lies past every key). Null if invalid.
 */
function parseCursor(arg: Uint8Array): number | null {
  const sign = arg.length > 0 && (arg[0] === 43 /* + */ || arg[0] === 45) /* - */ ? arg[0] : 0;
  const digits = sign === 0 ? arg : arg.subarray(1);
  if (digits.length === 0 || digits.length > 20) return null;
  for (const b of digits) if (b < 48 || b > 57) return null;
  const v = BigInt(latin1(digits));
  if (v > MAX_CURSOR) return null;
  return Number(sign === 45 && v !== 0n ? MAX_CURSOR + 1n - v : v);
}
