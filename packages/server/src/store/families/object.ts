// OBJECT ENCODING / REFCOUNT / IDLETIME / FREQ / HELP, answered as Redis 7.0 with its default
// configuration would for the same value.
//
// Strings follow Redis's rules: a canonical 64-bit integer is 'int' (the shared object, refcount
// INT_MAX, for 0..9999), up to 44 bytes 'embstr', longer 'raw'; where history decides instead
// (APPEND, SETRANGE, INCRBYFLOAT, COPY), the key space's `encodings` says so. Collections are
// encoded by their contents with Redis's default thresholds; Redis never converts a collection back
// to the small encoding, so one that grew past them and shrank again is 'hashtable' / 'skiplist'
// there until a restart, and the small encoding here. Idle times are not tracked (reads change
// nothing on a replica): IDLETIME answers 0.

import { isKeyword, latin1, parseInt64 } from '../../commands/args.js';
import { unknownSubcommand, wrongArity } from '../../resp/error-replies.js';
import { ErrorReply, SimpleString } from '../../resp/reply.js';
import type { CommandHandler, KeyStore, StringEncoding } from '../key-store.js';
import { HashValue, ListValue, SetValue, type Value } from '../values.js';

/** Redis's defaults: hash-max-listpack-entries / -value, zset-max-listpack-*, set-max-intset-entries. */
const LISTPACK_ENTRIES = 128;
const LISTPACK_VALUE = 64;
const INTSET_ENTRIES = 512;
/** OBJ_ENCODING_EMBSTR_SIZE_LIMIT, and the shared integers 0 .. OBJ_SHARED_INTEGERS - 1. */
const EMBSTR_LIMIT = 44;
const SHARED_INTEGERS = 10000;
const SHARED_REFCOUNT = 2147483647;

const ERR_NO_LFU = new ErrorReply(
  'ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.',
);

const HELP = [
  'OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'ENCODING <key>',
  '    Return the kind of internal representation used in order to store the value',
  '    associated with a <key>.',
  'FREQ <key>',
  '    Return the access frequency index of the <key>. The returned integer is',
  '    proportional to the logarithm of the recent access frequency of the key.',
  'IDLETIME <key>',
  '    Return the idle time of the <key>, that is the approximated number of',
  '    seconds elapsed since the last access to the key.',
  'REFCOUNT <key>',
  '    Return the number of references of the value associated with the specified',
  '    <key>.',
  'HELP',
  '    Prints this help.',
].map((line) => new SimpleString(line));

/** What tryObjectEncoding makes of a string value. */
function encodingByValue(s: string): StringEncoding {
  if (s.length <= 20 && parseInt64(s) !== null) return 'int';
  return s.length <= EMBSTR_LIMIT ? 'embstr' : 'raw';
}

/** How Redis would hold the string `s` at `key`. */
function stringEncoding(ks: KeyStore, key: string, s: string): StringEncoding {
  return ks.encodings.get(key) ?? encodingByValue(s);
}

/** Whether Redis would hold the string at `key` as one of its shared integer objects. */
function isSharedInteger(ks: KeyStore, key: string, s: string): boolean {
  if (ks.encodings.has(key) || s.length > 4) return false;
  const v = parseInt64(s);
  return typeof v === 'number' && v >= 0 && v < SHARED_INTEGERS;
}

/**
 * Records how Redis holds the string just stored at `key`: `raw` after an edit in place (APPEND to a
 * key, SETRANGE), else as a string object made without trying an integer encoding (INCRBYFLOAT).
 */
export function markString(ks: KeyStore, key: string, s: string, raw: boolean): void {
  const encoding: StringEncoding = raw || s.length > EMBSTR_LIMIT ? 'raw' : 'embstr';
  if (encoding !== encodingByValue(s)) ks.encodings.set(key, encoding);
}

/** COPY of a string: Redis duplicates the object in its encoding (an integer unshared). */
export function markCopy(ks: KeyStore, from: string, to: string, s: string): void {
  const encoding = stringEncoding(ks, from, s);
  if (encoding !== encodingByValue(s) || encoding === 'int') ks.encodings.set(to, encoding);
}

function encodingOf(ks: KeyStore, key: string, v: Value): string {
  if (typeof v === 'string') return stringEncoding(ks, key, v);
  if (v instanceof ListValue) return 'quicklist';
  if (v instanceof HashValue) {
    if (v.size > LISTPACK_ENTRIES) return 'hashtable';
    for (const [field, value] of v) {
      if (field.length > LISTPACK_VALUE || value.length > LISTPACK_VALUE) return 'hashtable';
    }
    return 'listpack';
  }
  if (v instanceof SetValue) {
    if (v.size > INTSET_ENTRIES) return 'hashtable';
    for (const member of v) if (member.length > 20 || parseInt64(member) === null) return 'hashtable';
    return 'intset';
  }
  if (v.size > LISTPACK_ENTRIES) return 'skiplist';
  for (const e of v) if (e.member.length > LISTPACK_VALUE) return 'skiplist';
  return 'listpack';
}

/** OBJECT <subcommand> [key]. */
const object: CommandHandler = (ks, argv, t) => {
  const sub = argv[1]!;
  const known = ['encoding', 'refcount', 'idletime', 'freq', 'help'].find((s) => isKeyword(sub, s));
  if (known === undefined) return unknownSubcommand('object', sub);
  if (argv.length !== (known === 'help' ? 2 : 3)) return wrongArity(`object|${known}`);
  if (known === 'help') return HELP;
  const key = latin1(argv[2]!);
  const v = ks.get(key, t);
  if (v === undefined) return null;
  switch (known) {
    case 'encoding':
      return Buffer.from(encodingOf(ks, key, v), 'latin1');
    case 'refcount':
      return typeof v === 'string' && isSharedInteger(ks, key, v) ? SHARED_REFCOUNT : 1;
    case 'idletime':
      return 0;
    default:
      return ERR_NO_LFU;
  }
};

export const OBJECT_READS: Record<string, CommandHandler> = { object };
