// Redis glob matching (KEYS, SCAN MATCH): `*` any run, `?` any one byte, `[abc]` `[^abc]` `[a-z]` sets,
// `\x` a literal x. Binary-safe: pattern and subject are latin1 strings (one char per byte).
//
// Quirks kept from Redis: an unterminated `[` set ends at the end of the pattern; a range's bounds may
// come in either order; `\` as the last pattern byte is a literal backslash; the empty string matches
// only the empty pattern (KEYS and SCAN treat the pattern "*" as "everything" before matching).
// The matcher backtracks only to the last `*`, so it runs in O(pattern * subject) at worst.

const STAR = 42; // *
const QUESTION = 63; // ?
const OPEN = 91; // [
const CLOSE = 93; // ]
const CARET = 94; // ^
const DASH = 45; // -
const BACKSLASH = 92; // \

/**
 * Matches the one-byte token at `p[pi]` (not a `*`) against byte `c`.
 * Returns the index just past the token if it matches, else -1.
 */
function matchToken(p: string, pi: number, c: number): number {
  const end = p.length;
  const t = p.charCodeAt(pi);
  if (t === QUESTION) return pi + 1;
  if (t === BACKSLASH && pi + 1 < end) return p.charCodeAt(pi + 1) === c ? pi + 2 : -1;
  if (t !== OPEN) return t === c ? pi + 1 : -1;

  let i = pi + 1;
  const negate = i < end && p.charCodeAt(i) === CARET;
  if (negate) i++;
  let match = false;
  for (;;) {
    if (i >= end) break; // unterminated set: it ends with the pattern
    const x = p.charCodeAt(i);
    if (x === BACKSLASH && end - i >= 2) {
      i++;
      if (p.charCodeAt(i) === c) match = true;
    } else if (x === CLOSE) {
      i++;
      break;
    } else if (end - i >= 3 && p.charCodeAt(i + 1) === DASH) {
      let lo = x;
      let hi = p.charCodeAt(i + 2);
      if (lo > hi) [lo, hi] = [hi, lo];
      if (c >= lo && c <= hi) match = true;
      i += 2;
    } else if (x === c) {
      match = true;
    }
    i++;
  }
  return match !== negate ? i : -1;
}

/** Whether `subject` matches the Redis glob `pattern` (both latin1 strings). */
export function globMatch(pattern: string, subject: string): boolean {
  const pl = pattern.length;
  const sl = subject.length;
  let pi = 0;
  let si = 0;
  let starP = -1; // pattern index just after the last `*` seen
  let starS = 0; // subject index that `*` was last tried to end at
  while (si < sl) {
    if (pi < pl && pattern.charCodeAt(pi) === STAR) {
      while (pi < pl && pattern.charCodeAt(pi) === STAR) pi++;
      if (pi === pl) return true;
      starP = pi;
      starS = si;
      continue;
    }
    if (pi < pl) {
      const next = matchToken(pattern, pi, subject.charCodeAt(si));
      if (next >= 0) {
        pi = next;
        si++;
        continue;
      }
    }
    if (starP < 0) return false;
    // Let the last `*` swallow one more byte and retry the rest of the pattern from there.
    starS++;
    si = starS;
    pi = starP;
  }
  if (sl === 0) return pl === 0;
  while (pi < pl && pattern.charCodeAt(pi) === STAR) pi++;
  return pi === pl;
}
