// The patterns of SORT's BY and GET options (Redis 7.0 sort.c lookupKeyByPattern): "#" is the
// element itself; otherwise the first '*' is replaced by the element to name a key, whose string
// value is taken, or with "->field" after the '*' the field of the hash at that key. Redis reads
// the '#', the '*' and the "->" as C strings do (up to a NUL byte), the rest by length.

import type { KeyStore } from '../key-store.js';
import { HashValue } from '../values.js';

/** Whether a BY pattern names keys (has a '*'): without one, SORT does not sort. */
export function patternHasStar(pattern: string): boolean {
  const star = pattern.indexOf('*');
  return star !== -1 && star < cEnd(pattern);
}

/** Where C's strlen stops: the first NUL, or the end. */
function cEnd(s: string): number {
  const nul = s.indexOf('\0');
  return nul === -1 ? s.length : nul;
}

/** The value `pattern` names for `element`; null for no key, another type, or no field. */
export function lookupByPattern(ks: KeyStore, pattern: string, element: string, t: number): string | null {
  const end = cEnd(pattern);
  if (pattern[0] === '#' && end === 1) return element;
  const star = pattern.indexOf('*');
  if (star === -1 || star >= end) return null;
  const arrow = pattern.indexOf('->', star + 1);
  const hasField = arrow !== -1 && arrow + 2 < end;
  const key = pattern.slice(0, star) + element + pattern.slice(star + 1, hasField ? arrow : pattern.length);
  const v = ks.get(key, t);
  if (v === undefined) return null;
  if (hasField) return v instanceof HashValue ? (v.get(pattern.slice(arrow + 2)) ?? null) : null;
  return typeof v === 'string' ? v : null;
}
