// The generic key-space commands: they work on a key whatever type it holds.

import { latin1 } from '../../commands/args.js';
import { globMatch } from '../../commands/glob.js';
import { copySyntax, flushdbSyntax } from '../../commands/write-syntax.js';
import { ErrorReply, OK, SimpleString, type Reply } from '../../resp/reply.js';
import type { CommandHandler, KeyStore } from '../key-store.js';
import { copyValue, typeOf } from '../values.js';
import { markCopy } from './object.js';
import { scanCursor, scanMatches, scanOptions } from './scan-args.js';

const TYPE_NAMES = new Map(['string', 'hash', 'list', 'set', 'zset', 'none'].map((n) => [n, new SimpleString(n)]));
const ERR_NO_SUCH_KEY = new ErrorReply('ERR no such key');

/** DEL / UNLINK key [key ...]: how many were there. */
const del: CommandHandler = (ks, argv, t) => {
  let n = 0;
  for (let i = 1; i < argv.length; i++) {
    const key = latin1(argv[i]!);
    if (ks.getForWrite(key, t) !== undefined) {
      ks.remove(key);
      n++;
    }
  }
  return n;
};

/** FLUSHDB / FLUSHALL [ASYNC | SYNC] (one database: the same). */
const flush: CommandHandler = (ks, argv) => {
  const error = flushdbSyntax(argv);
  if (error !== null) return error;
  ks.flush();
  return OK;
};

/** RENAME / RENAMENX: the value moves with its expiry; an existing destination is replaced (RENAME) or kept (NX). */
function rename(nx: boolean): CommandHandler {
  return (ks, argv, t) => {
    const from = latin1(argv[1]!);
    const to = latin1(argv[2]!);
    const value = ks.getForWrite(from, t);
    if (value === undefined) return ERR_NO_SUCH_KEY;
    if (from === to) return nx ? 0 : OK;
    if (ks.getForWrite(to, t) !== undefined) {
      if (nx) return 0;
      ks.remove(to);
    }
    const expireAt = ks.expireOf(from);
    const encoding = ks.encodings.get(from);
    ks.remove(from);
    ks.put(to, value);
    if (expireAt !== undefined) ks.setExpire(to, expireAt);
    if (encoding !== undefined) ks.encodings.set(to, encoding);
    return nx ? 1 : OK;
  };
}

/** COPY source destination [DB 0] [REPLACE]: a deep copy, with the source's expiry. */
const copy: CommandHandler = (ks, argv, t) => {
  const options = copySyntax(argv);
  if (options instanceof ErrorReply) return options;
  const from = latin1(argv[1]!);
  const to = latin1(argv[2]!);
  const value = ks.getForWrite(from, t);
  if (value === undefined) return 0;
  if (ks.getForWrite(to, t) !== undefined) {
    if (!options.replace) return 0;
    ks.remove(to);
  }
  ks.put(to, copyValue(value));
  const expireAt = ks.expireOf(from);
  if (expireAt !== undefined) ks.setExpire(to, expireAt);
  if (typeof value === 'string') markCopy(ks, from, to, value);
  return 1;
};

export const KEY_WRITES: Record<string, CommandHandler> = {
  del,
  unlink: del,
  flushdb: flush,
  flushall: flush,
  rename: rename(false),
  renamenx: rename(true),
  copy,
};

export const KEY_READS: Record<string, CommandHandler> = {
  exists: present,
  touch: present,
  randomkey,
  dbsize: (ks, _argv, t) => ks.values.size - ks.expiredCount(t),
  keys: (ks, argv, t) => {
    const pattern = latin1(argv[1]!);
    const all = pattern === '*';
    const out: Reply[] = [];
    for (const key of ks.values.keys()) {
      if ((all || globMatch(pattern, key)) && ks.get(key, t) !== undefined) out.push(Buffer.from(key, 'latin1'));
    }
    return out;
  },
  scan,
  type: (ks, argv, t) => {
    const v = ks.get(latin1(argv[1]!), t);
    return TYPE_NAMES.get(v === undefined ? 'none' : typeOf(v))!;
  },
};

/** EXISTS / TOUCH key [key ...]: how many of them are present (a key named twice counts twice). */
function present(ks: KeyStore, argv: readonly Uint8Array[], t: number): Reply {
  let n = 0;
  for (let i = 1; i < argv.length; i++) if (ks.get(latin1(argv[i]!), t) !== undefined) n++;
  return n;
}

/**
 * RANDOMKEY: a live key from a random place in the SCAN order, or nil. A read, answered on one node
 * and changing nothing, so Math.random is fine here (a write would have to use ks.random()).
 */
function randomkey(ks: KeyStore, _argv: readonly Uint8Array[], t: number): Reply {
  if (ks.values.size === 0) return null;
  const found: string[] = [];
  const visit = (key: string): void => {
    if (ks.get(key, t) !== undefined) found.push(key);
  };
  const start = Math.floor(Math.random() * 2 ** 32);
  ks.index.scan(start, 2 ** 32, () => found.length > 0, visit);
  if (found.length === 0 && start > 0) ks.index.scan(0, 2 ** 32, () => found.length > 0, visit);
  if (found.length === 0) return null;
  return Buffer.from(found[Math.floor(Math.random() * found.length)]!, 'latin1');
}

/** SCAN cursor [MATCH pattern] [COUNT count] [TYPE type]. */
function scan(ks: KeyStore, argv: readonly Uint8Array[], t: number): Reply {
  const cursor = scanCursor(argv[1]!);
  if (cursor instanceof ErrorReply) return cursor;
  const o = scanOptions(argv, 2, true);
  if (o instanceof ErrorReply) return o;
  const keys: Reply[] = [];
  let found = 0;
  const next =
    cursor >= 2 ** 32
      ? 0
      : ks.index.scan(
          cursor,
          Math.min(o.count * 10, 2 ** 31),
          () => found >= o.count,
          (key) => {
            const v = ks.get(key, t);
            if (v === undefined) return;
            found++;
            if ((o.type === null || typeOf(v) === o.type) && scanMatches(o, key)) keys.push(Buffer.from(key, 'latin1'));
          },
        );
  return [Buffer.from(String(next), 'latin1'), keys];
}
