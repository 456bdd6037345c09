// The sorted-set commands' arguments as Redis 7.0 reads them: scores (string2d), score ranges
// ("(1.5", "-inf") and lexicographic ranges ("[a", "(b", "-", "+"), with Redis's error texts.
// (Blocking timeouts: commands/timeout.ts, shared with the lists.)

import { latin1 } from '../../commands/args.js';
import { ErrorReply } from '../../resp/reply.js';
import { isCSpace, strtod } from './c-strtod.js';

export const ERR_NOT_FLOAT = new ErrorReply('ERR value is not a valid float');
export const ERR_RANGE_NOT_FLOAT = new ErrorReply('ERR min or max is not a float');
export const ERR_RANGE_NOT_LEX = new ErrorReply('ERR min or max not valid string range item');

/**
 * A score argument (string2d): the whole argument is a number, no leading space, no NaN, no
 * overflow to inf or underflow to 0 ("inf" itself is fine); null if not.
 */
export function parseScore(arg: Uint8Array): number | null {
  if (arg.length === 0 || isCSpace(arg[0]!)) return null;
  const r = strtod(latin1(arg));
  if (r.end !== arg.length || r.outOfRange || Number.isNaN(r.value)) return null;
  return r.value;
}

/** The argument as a C string: Redis passes it to strtod, which stops at a NUL byte. */
function cString(arg: Uint8Array): string {
  const nul = arg.indexOf(0);
  return latin1(nul < 0 ? arg : arg.subarray(0, nul));
}

/** A score range: min < or <= score < or <= max. */
export interface ScoreRange {
  min: number;
  max: number;
  minExclusive: boolean;
  maxExclusive: boolean;
}

/** One end of a score range (zslParseRange): "(" makes it exclusive; any strtod number but NaN. */
function scoreBound(arg: Uint8Array): { value: number; exclusive: boolean } | null {
  let text = cString(arg);
  const exclusive = text.startsWith('(');
  if (exclusive) text = text.slice(1);
  const r = strtod(text);
  // strtod reads nothing from "" or "(" and Redis accepts that as 0 (its end pointer is at the NUL).
  if ((r.end !== text.length && !(r.end === 0 && text === '')) || Number.isNaN(r.value)) return null;
  return { value: r.value, exclusive };
}

export function parseScoreRange(minArg: Uint8Array, maxArg: Uint8Array): ScoreRange | null {
  const min = scoreBound(minArg);
  const max = scoreBound(maxArg);
  if (min === null || max === null) return null;
  return { min: min.value, max: max.value, minExclusive: min.exclusive, maxExclusive: max.exclusive };
}

/** One end of a lexicographic range: -1 for "-", 1 for "+", else 0 with a member. */
export interface LexBound {
  infinite: -1 | 0 | 1;
  member: string;
  exclusive: boolean;
}

export interface LexRange {
  min: LexBound;
  max: LexBound;
}

/** zslParseLexRangeItem: "[m" or "(m", or exactly "-" or "+" (Redis reads them as C strings). */
function lexBound(arg: Uint8Array): LexBound | null {
  const first = arg[0];
  const alone = arg.length === 1 || arg[1] === 0;
  if (first === 43 /* + */) return alone ? { infinite: 1, member: '', exclusive: true } : null;
  if (first === 45 /* - */) return alone ? { infinite: -1, member: '', exclusive: true } : null;
  if (first === 40 /* ( */ || first === 91 /* [ */) {
    return { infinite: 0, member: latin1(arg.subarray(1)), exclusive: first === 40 };
  }
  return null;
}

export function parseLexRange(minArg: Uint8Array, maxArg: Uint8Array): LexRange | null {
  const min = lexBound(minArg);
  const max = lexBound(maxArg);
  return min === null || max === null ? null : { min, max };
}

/** sdscmplex: a member against a bound, where "-" is below and "+" above every member. */
function compareToBound(member: string, bound: LexBound): number {
  if (bound.infinite !== 0) return -bound.infinite;
  return member < bound.member ? -1 : member > bound.member ? 1 : 0;
}

/** zslLexValueGteMin: the member is not below the range's min. */
export function lexAboveMin(member: string, range: LexRange): boolean {
  const c = compareToBound(member, range.min);
  return range.min.exclusive ? c > 0 : c >= 0;
}

/** zslLexValueLteMax: the member is not above the range's max. */
export function lexBelowMax(member: string, range: LexRange): boolean {
  const c = compareToBound(member, range.max);
  return range.max.exclusive ? c < 0 : c <= 0;
}

/** Whether the range is empty whatever the set holds (min above max, or equal and exclusive). */
export function lexRangeEmpty(range: LexRange): boolean {
  const { min, max } = range;
  let c: number;
  if (min.infinite !== 0 || max.infinite !== 0) {
    c = min.infinite === max.infinite ? 0 : min.infinite === 1 || max.infinite === -1 ? 1 : -1;
  } else {
    c = min.member < max.member ? -1 : min.member > max.member ? 1 : 0;
  }
  return c > 0 || (c === 0 && (min.exclusive || max.exclusive));
}
