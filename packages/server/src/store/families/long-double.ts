// INCRBYFLOAT's arithmetic as Redis 7.0 does it on x86-64: C's `long double` (x87 80-bit extended:
// a 64-bit significand, binary exponents down to -16445 with subnormals, up to 16383), parsed by
// glibc's strtold and printed by printf("%.17Lf"). A double would answer differently ("0.1" plus
// "0.2" is "0.3" in Redis, not "0.30000000000000004"), so the values are emulated exactly with
// BigInt: every parse, sum and print is correctly rounded to nearest, ties to even, as glibc does.

/** A finite extended value: (-1)^neg * m * 2^exp, m < 2^64 (m = 2^64 only transiently). */
interface Finite {
  readonly neg: boolean;
  readonly m: bigint;
  readonly exp: number;
}

/** A long double: finite, or an infinity (NaN is never kept: strtold's NaN is refused). */
export type LongDouble = Finite | { readonly neg: boolean; readonly inf: true };

const SIGNIFICAND_BITS = 64;
/** Exponent of the lowest bit of the smallest subnormal, and of the highest bit of the largest value. */
const MIN_LSB_EXP = -16445;
const MAX_LEAD_EXP = 16383;
/** Redis's MAX_LONG_DOUBLE_CHARS: longer arguments are refused before strtold sees them. */
const MAX_CHARS = 5 * 1024;
/** Decimal magnitudes beyond these overflow (max ~1.19e4932) or underflow (min ~3.65e-4951) for sure. */
const MAX_DEC_EXP = 4934;
const MIN_DEC_EXP = -4953;

const DECIMAL = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;
const HEX = /^([+-]?)0[xX]([0-9a-fA-F]*)(?:\.([0-9a-fA-F]*))?(?:[pP]([+-]?\d+))?$/;
const INF = /^([+-]?)inf(inity)?$/i;

function bitLength(n: bigint): number {
  return n === 0n ? 0 : n.toString(2).length;
}

/**
 * The extended value nearest to (-1)^neg * n / d * 2^shift (n >= 0, d > 0), ties to even; an
 * infinity on overflow. `null` when a nonzero n rounds to zero (strtold's underflow, ERANGE).
 */
function round(neg: boolean, n: bigint, d: bigint, shift: number): LongDouble | null {
  if (n === 0n) return { neg, m: 0n, exp: 0 };
  // lead = floor(log2(n / d)), then the bit position of the last significand bit kept.
  let lead = bitLength(n) - bitLength(d);
  if (lead >= 0 ? n < d << BigInt(lead) : n << BigInt(-lead) < d) lead--;
  lead += shift;
  if (lead > MAX_LEAD_EXP) return { neg, inf: true };
  if (lead < MIN_LSB_EXP - 1) return null; // below half the smallest subnormal
  const lsb = Math.max(lead - (SIGNIFICAND_BITS - 1), MIN_LSB_EXP);
  const scale = shift - lsb; // value / 2^lsb = n * 2^scale / d
  let num = n;
  let den = d;
  if (scale >= 0) num <<= BigInt(scale);
  else den <<= BigInt(-scale);
  let q = num / den;
  const r2 = (num - q * den) * 2n;
  if (r2 > den || (r2 === den && (q & 1n) === 1n)) q++;
  if (q === 0n) return null;
  if (bitLength(q) - 1 + lsb > MAX_LEAD_EXP) return { neg, inf: true };
  return { neg, m: q, exp: lsb };
}

/** Digits as a BigInt, with no decimal digits at all meaning 0. */
function digits(s: string, radix: 10 | 16): bigint {
  if (s === '') return 0n;
  return radix === 10 ? BigInt(s) : BigInt('0x' + s);
}

/** A signed exponent; a huge one is clamped (the value then overflows or underflows anyway). */
function exponent(s: string | undefined): number {
  if (s === undefined) return 0;
  const v = Number(s);
  return Math.max(-1e9, Math.min(1e9, v));
}

/**
 * A long double as Redis's string2ld reads it: strtold over the whole text (decimal, hexadecimal
 * with a binary exponent, inf, infinity), no leading space, nothing left over, no NaN, and no
 * overflow or underflow to zero. Null when Redis says "value is not a valid float".
 */
export function parseLongDouble(text: string): LongDouble | null {
  if (text.length === 0 || text.length >= MAX_CHARS) return null;
  const inf = INF.exec(text);
  if (inf !== null) return { neg: inf[1] === '-', inf: true };
  const hex = HEX.exec(text);
  if (hex !== null) {
    const [, sign, whole = '', fraction = '', exp] = hex;
    if (whole === '' && fraction === '') return null; // "0x" alone: strtold reads "0" and stops
    const n = digits(whole + fraction, 16);
    return finiteOrNull(round(sign === '-', n, 1n, exponent(exp) - 4 * fraction.length));
  }
  const dec = DECIMAL.exec(text);
  if (dec === null) return null;
  const [, sign, whole = '', fraction = '', exp] = dec;
  if (whole === '' && fraction === '') return null;
  const neg = sign === '-';
  const all = (whole + fraction).replace(/^0+/, '');
  if (all === '') return { neg, m: 0n, exp: 0 };
  const significant = all.replace(/0+$/, '');
  // value = significant * 10^e10
  const e10 = exponent(exp) - fraction.length + (all.length - significant.length);
  const magnitude = e10 + significant.length - 1;
  if (magnitude > MAX_DEC_EXP || magnitude < MIN_DEC_EXP) return null;
  const n = BigInt(significant);
  const result = e10 >= 0 ? round(neg, n * 10n ** BigInt(e10), 1n, 0) : round(neg, n, 10n ** BigInt(-e10), 0);
  return finiteOrNull(result);
}

/** strtold's ERANGE cases are refused: overflow to an infinity, underflow to zero. */
function finiteOrNull(v: LongDouble | null): LongDouble | null {
  return v === null || 'inf' in v ? null : v;
}

export const LONG_DOUBLE_ZERO: LongDouble = { neg: false, m: 0n, exp: 0 };

/** a + b, rounded to the nearest long double (inf + -inf is NaN: null). */
export function addLongDouble(a: LongDouble, b: LongDouble): LongDouble | null {
  if ('inf' in a || 'inf' in b) {
    if ('inf' in a && 'inf' in b && a.neg !== b.neg) return null;
    return 'inf' in a ? a : b;
  }
  if (b.m === 0n) return a.m === 0n ? { neg: a.neg && b.neg, m: 0n, exp: 0 } : a;
  if (a.m === 0n) return b;
  const low = Math.min(a.exp, b.exp);
  const x = a.m << BigInt(a.exp - low);
  const y = b.m << BigInt(b.exp - low);
  const sum = (a.neg ? -x : x) + (b.neg ? -y : y);
  if (sum === 0n) return { neg: false, m: 0n, exp: 0 }; // x + (-x) is +0 when rounding to nearest
  return round(sum < 0n, sum < 0n ? -sum : sum, 1n, low) ?? { neg: sum < 0n, m: 0n, exp: 0 };
}

/** a * k (k a positive integer), rounded to the nearest long double (the blocking timeouts' seconds * 1000). */
export function multiplyLongDouble(a: LongDouble, k: bigint): LongDouble {
  if ('inf' in a) return a;
  return round(a.neg, a.m * k, 1n, a.exp) ?? { neg: a.neg, m: 0n, exp: 0 };
}

const TEN_17 = 10n ** 17n;

/**
 * A finite value as INCRBYFLOAT stores and replies it: printf's "%.17Lf" (rounded to nearest, ties
 * to even), trailing zeros and a trailing '.' removed, and "-0" written "0".
 */
export function formatLongDouble(v: Finite): string {
  // |v| * 10^17 = m * 10^17 * 2^exp, rounded to an integer.
  let q: bigint;
  if (v.exp >= 0) {
    q = (v.m * TEN_17) << BigInt(v.exp);
  } else {
    const den = 1n << BigInt(-v.exp);
    const num = v.m * TEN_17;
    q = num / den;
    const r2 = (num - q * den) * 2n;
    if (r2 > den || (r2 === den && (q & 1n) === 1n)) q++;
  }
  const whole = (q / TEN_17).toString();
  const fraction = (q % TEN_17).toString().padStart(17, '0').replace(/0+$/, '');
  const text = fraction === '' ? whole : `${whole}.${fraction}`;
  return v.neg && text !== '0' ? `-${text}` : text;
}
