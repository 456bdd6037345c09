// SORT key [BY pattern] [LIMIT offset count] [GET pattern ...] [ASC | DESC] [ALPHA] [STORE dest]
// and SORT_RO (no STORE), as Redis 7.0's sort.c answers them: the elements of a list, set or sorted
// set, as numbers (C's strtod) or, with ALPHA, as strings, by themselves or by the values a BY
// pattern names (sort-pattern.ts); a BY pattern without '*' does not sort (a set is then answered
// in its own order, but sorted ALPHA when stored). STORE replaces dest with the result as a list.
//
// Where this differs from Redis 7.0.15: ALPHA compares bytes (Redis's strcoll in the C or C.UTF-8
// locale: the same but for bytes after a NUL); a number is judged by itself (Redis also refuses any
// non-integer once an earlier strtod in the process left errno at ERANGE); ALPHA BY with equal
// values keeps the elements' own order (Redis's sort leaves that order open).

import { isKeyword, latin1, parseInt64Arg } from '../../commands/args.js';
import { ERR_NOT_INTEGER, ERR_SYNTAX, WRONGTYPE } from '../../resp/error-replies.js';
import { ErrorReply, type Reply } from '../../resp/reply.js';
import type { CommandHandler, KeyStore } from '../key-store.js';
import { ListValue, SetValue, ZSetValue } from '../values.js';
import { strtod } from './c-strtod.js';
import { lookupByPattern, patternHasStar } from './sort-pattern.js';
import { inRedisOrder } from './set-order.js';

const ERR_NOT_DOUBLE = new ErrorReply("ERR One or more scores can't be converted into double");
/** The smallest normal double: glibc's strtod sets ERANGE below it too. */
const MIN_NORMAL = 2.2250738585072014e-308;

interface SortOptions {
  desc: boolean;
  alpha: boolean;
  limitStart: number;
  limitCount: number;
  by: string | null;
  dontSort: boolean;
  gets: string[];
  store: string | null;
}

/** Clamps a 64-bit LIMIT argument to a range where no arithmetic on it can overflow. */
function limitValue(v: number | bigint): number {
  return v > 2 ** 40 ? 2 ** 40 : v < -(2 ** 40) ? -(2 ** 40) : Number(v);
}

function parseOptions(argv: readonly Uint8Array[], readonly: boolean): SortOptions | ErrorReply {
  const o: SortOptions = {
    desc: false,
    alpha: false,
    limitStart: 0,
    limitCount: -1,
    by: null,
    dontSort: false,
    gets: [],
    store: null,
  };
  for (let j = 2; j < argv.length; j++) {
    const left = argv.length - j - 1;
    const arg = argv[j]!;
    if (isKeyword(arg, 'asc')) o.desc = false;
    else if (isKeyword(arg, 'desc')) o.desc = true;
    else if (isKeyword(arg, 'alpha')) o.alpha = true;
    else if (isKeyword(arg, 'limit') && left >= 2) {
      const start = parseInt64Arg(argv[j + 1]!);
      const count = parseInt64Arg(argv[j + 2]!);
      if (start === null || count === null) return ERR_NOT_INTEGER;
      o.limitStart = limitValue(start);
      o.limitCount = limitValue(count);
      j += 2;
    } else if (!readonly && isKeyword(arg, 'store') && left >= 1) {
      o.store = latin1(argv[++j]!);
    } else if (isKeyword(arg, 'by') && left >= 1) {
      o.by = latin1(argv[++j]!);
      // Sticky, as in Redis's sort.c: a later BY with '*' does not undo an earlier one without.
      if (!patternHasStar(o.by)) o.dontSort = true;
    } else if (isKeyword(arg, 'get') && left >= 1) {
      o.gets.push(latin1(argv[++j]!));
    } else return ERR_SYNTAX;
  }
  return o;
}

interface Item {
  readonly element: string;
  score: number;
  /** The BY value for ALPHA; null if the pattern named nothing. */
  by: string | null;
}

/** A number as SORT reads one: C's strtod over the whole text up to a NUL, finite or inf, not NaN. */
function sortScore(text: string): number | null {
  const nul = text.indexOf('\0');
  const c = nul === -1 ? text : text.slice(0, nul);
  const r = strtod(c);
  if (r.end !== c.length || r.outOfRange || Number.isNaN(r.value)) return null;
  if (r.value !== 0 && Math.abs(r.value) < MIN_NORMAL) return null;
  return r.value;
}

/** Byte order, then length (memcmp, as compareStringObjects): latin1 strings compare so in JS. */
function compareBytes(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** strcmp: bytes up to the first NUL (strcoll in the C locale). */
function compareCStrings(a: string, b: string): number {
  const x = a.indexOf('\0');
  const y = b.indexOf('\0');
  return compareBytes(x === -1 ? a : a.slice(0, x), y === -1 ? b : b.slice(0, y));
}

function sortGeneric(ks: KeyStore, argv: readonly Uint8Array[], t: number, readonly: boolean): Reply {
  const o = parseOptions(argv, readonly);
  if (o instanceof ErrorReply) return o;
  const source = ks.get(latin1(argv[1]!), t);
  if (
    source !== undefined &&
    !(source instanceof ListValue || source instanceof SetValue || source instanceof ZSetValue)
  ) {
    return WRONGTYPE;
  }
  let { dontSort, alpha, by } = o;
  if (dontSort && source instanceof SetValue && o.store !== null) {
    // A set's own order is its hash table's: stored, it is sorted ALPHA so that replicas agree.
    dontSort = false;
    alpha = true;
    by = null;
  }
  let length = source === undefined ? 0 : source instanceof ListValue ? source.length : source.size;
  let start = Math.min(Math.max(o.limitStart, 0), length);
  const count = Math.min(Math.max(o.limitCount, -1), length);
  let end = count < 0 ? length - 1 : start + count - 1;
  if (start >= length) {
    start = length - 1;
    end = length - 2;
  }
  if (end >= length) end = length - 1;

  let elements: string[];
  if (source === undefined) elements = [];
  else if (dontSort && !(source instanceof SetValue)) {
    // A list or sorted set in its own order (reversed by DESC): only the LIMIT range is taken.
    elements = [];
    if (end >= start) {
      const n = source instanceof ListValue ? source.length : source.size;
      for (let i = start; i <= end; i++) {
        const at = o.desc ? n - 1 - i : i;
        elements.push(source instanceof ListValue ? source.at(at) : source.at(at).member);
      }
      end -= start;
      start = 0;
    }
    length = elements.length;
  } else if (source instanceof ListValue) elements = source.slice();
  else if (source instanceof SetValue) elements = inRedisOrder(source, source.size);
  else elements = Array.from(source, (e) => e.member);

  const items: Item[] = elements.map((element) => ({ element, score: 0, by: null }));
  if (!dontSort) {
    let failed = false;
    for (const item of items) {
      const value = by === null ? item.element : lookupByPattern(ks, by, item.element, t);
      if (value === null) continue; // nothing named: scores 0, or sorts first under ALPHA
      if (alpha) {
        if (by !== null) item.by = value;
      } else {
        const score = sortScore(value);
        if (score === null) failed = true;
        else item.score = score;
      }
    }
    if (failed) return ERR_NOT_DOUBLE;
    const stored = o.store !== null;
    const sign = o.desc ? -1 : 1;
    items.sort((a, b) => sign * compareItems(a, b, alpha, by !== null, stored));
  }

  const picked: (string | null)[] = [];
  for (let j = start; j <= end; j++) {
    const element = items[j]!.element;
    if (o.gets.length === 0) picked.push(element);
    for (const pattern of o.gets) picked.push(lookupByPattern(ks, pattern, element, t));
  }
  if (o.store === null) return picked.map((v) => (v === null ? null : Buffer.from(v, 'latin1')));
  if (picked.length > 0) {
    // Stored, a GET that named nothing is an empty string.
    ks.put(o.store, ListValue.of(picked.map((v) => v ?? '')));
    ks.persist(o.store);
  } else ks.remove(o.store);
  return picked.length;
}

function compareItems(a: Item, b: Item, alpha: boolean, byPattern: boolean, stored: boolean): number {
  if (!alpha) {
    if (a.score > b.score) return 1;
    if (a.score < b.score) return -1;
    return compareBytes(a.element, b.element); // equal scores: deterministic all the same
  }
  if (byPattern) {
    if (a.by === null || b.by === null) return a.by === b.by ? 0 : a.by === null ? -1 : 1;
    return stored ? compareBytes(a.by, b.by) : compareCStrings(a.by, b.by);
  }
  return stored ? compareBytes(a.element, b.element) : compareCStrings(a.element, b.element);
}

export const SORT_WRITES: Record<string, CommandHandler> = {
  sort: (ks, argv, t) => sortGeneric(ks, argv, t, false),
};

export const SORT_READS: Record<string, CommandHandler> = {
  sort_ro: (ks, argv, t) => sortGeneric(ks, argv, t, true),
};
