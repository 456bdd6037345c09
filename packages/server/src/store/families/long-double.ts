// HINCRBYFLOAT's arithmetic as Redis 7.0 does it on x86-64: C's long double (80-bit x87: a 64-bit
// significand), parsed by strtold, added, and printed with "%.17Lf" then trailing zeros trimmed.
// A JS double would answer differently (0.1 + 0.2 is "0.3" in Redis: the long double sum rounds
// to it at 17 decimals), so the value is computed exactly with BigInt and rounded as the hardware
// rounds: to nearest, ties to even.

/** A finite long double: (-1)^neg * m * 2^e, m < 2^64 (0 for zero); or an infinity. */
interface LongDouble {
  readonly neg: boolean;
  readonly m: bigint;
  readonly e: number;
  readonly inf: boolean;
}

const BITS = 64;
/** Exponent of the least significant bit of the smallest subnormal: 2^-16445. */
const MIN_EXP = -16445;
/** Largest exponent of m's least significant bit: the largest finite value is (2^64 - 1) * 2^16320. */
const MAX_EXP = 16320;
/** Redis's MAX_LONG_DOUBLE_CHARS: string2ld refuses a text this long or longer. */
const MAX_CHARS = 5 * 1024;
/** Decimal exponents (of the leading digit) beyond which a value surely overflows or rounds to 0. */
const MAX_DECIMAL_EXP = 4933;
const MIN_DECIMAL_EXP = -4952;

const DECIMAL = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;
const HEX = /^([+-]?)0[xX]([0-9a-fA-F]*)(?:\.([0-9a-fA-F]*))?(?:[pP]([+-]?\d+))?$/;
const INFINITY = /^([+-]?)inf(inity)?$/i;
/** Leading characters C's isspace() accepts, which string2ld refuses. */
const SPACE = /^[ \t\n\v\f\r]/;

const INF_POS: LongDouble = { neg: false, m: 0n, e: 0, inf: true };
const INF_NEG: LongDouble = { neg: true, m: 0n, e: 0, inf: true };
const TEN17 = 10n ** 17n;

function bitLength(n: bigint): number {
  return n === 0n ? 0 : n.toString(2).length;
}

/** An exponent written in the text: huge ones clamp (they only decide overflow or underflow). */
function exponent(text: string | undefined): number {
  if (text === undefined) return 0;
  const v = Number(text);
  return Math.max(-1e9, Math.min(1e9, v));
}

/** The long double nearest to num / den * 2^exp2 (num, den > 0); infinite on overflow. */
function round(neg: boolean, num: bigint, den: bigint, exp2: number): LongDouble {
  let e = exp2 + bitLength(num) - bitLength(den) - BITS;
  const quotient = (lsb: number): [bigint, bigint, bigint] => {
    const shift = exp2 - lsb;
    const n = shift >= 0 ? num << BigInt(shift) : num;
    const d = shift >= 0 ? den : den << BigInt(-shift);
    return [n / d, n % d, d];
  };
  let [q, r, d] = quotient(e);
  if (q >> BigInt(BITS) !== 0n) [q, r, d] = quotient(++e);
  if (e < MIN_EXP) [q, r, d] = quotient((e = MIN_EXP));
  if (2n * r > d || (2n * r === d && (q & 1n) === 1n)) q++;
  if (q >> BigInt(BITS) !== 0n) {
    q >>= 1n;
    e++;
  }
  if (e > MAX_EXP) return neg ? INF_NEG : INF_POS;
  return { neg, m: q, e: q === 0n ? 0 : e, inf: false };
}

/**
 * A long double as Redis's string2ld reads it (strtold: decimal, hexadecimal, inf/infinity; no
 * spaces, no NaN, nothing after the number), or null. Like string2ld, an overflow to infinity or an
 * underflow to zero counts as invalid, while "inf" itself is accepted.
 */
export function parseLongDouble(text: string): LongDouble | null {
  if (text.length === 0 || text.length >= MAX_CHARS || SPACE.test(text)) return null;
  const inf = INFINITY.exec(text);
  if (inf !== null) return inf[1] === '-' ? INF_NEG : INF_POS;
  const hex = HEX.exec(text);
  if (hex !== null) {
    const [, sign, whole = '', fraction = '', exp] = hex;
    if (whole === '' && fraction === '') return null;
    return fromParts(sign === '-', BigInt(`0x${whole}${fraction}`), exponent(exp) - 4 * fraction.length, 2);
  }
  const dec = DECIMAL.exec(text);
  if (dec === null) return null;
  const [, sign, whole = '', fraction = '', exp] = dec;
  if (whole === '' && fraction === '') return null;
  return fromParts(sign === '-', BigInt(`${whole}${fraction}`), exponent(exp) - fraction.length, 10);
}

/** digits * base^exp, rounded; null when a nonzero value overflows or rounds to zero. */
function fromParts(neg: boolean, digits: bigint, exp: number, base: 2 | 10): LongDouble | null {
  if (digits === 0n) return { neg, m: 0n, e: 0, inf: false };
  if (base === 10) {
    const lead = digits.toString().length - 1 + exp;
    if (lead > MAX_DECIMAL_EXP || lead < MIN_DECIMAL_EXP) return null;
    const v = exp >= 0 ? round(neg, digits * 10n ** BigInt(exp), 1n, 0) : round(neg, digits, 10n ** BigInt(-exp), 0);
    return v.inf || v.m === 0n ? null : v;
  }
  const lead = bitLength(digits) + exp;
  if (lead > MAX_EXP + BITS + 1 || lead < MIN_EXP - 1) return null;
  const v = round(neg, digits, 1n, exp);
  return v.inf || v.m === 0n ? null : v;
}

/** a + b, rounded; infinite if either is or on overflow (never NaN: callers refuse it first). */
export function addLongDouble(a: LongDouble, b: LongDouble): LongDouble {
  if (a.inf) return a;
  if (b.inf) return b;
  if (a.m === 0n) return b.m === 0n ? { neg: a.neg && b.neg, m: 0n, e: 0, inf: false } : b;
  if (b.m === 0n) return a;
  const lsb = Math.min(a.e, b.e);
  const sa = (a.neg ? -a.m : a.m) << BigInt(a.e - lsb);
  const sb = (b.neg ? -b.m : b.m) << BigInt(b.e - lsb);
  const sum = sa + sb;
  if (sum === 0n) return { neg: false, m: 0n, e: 0, inf: false };
  return round(sum < 0n, sum < 0n ? -sum : sum, 1n, lsb);
}

export function isInfinite(v: LongDouble): boolean {
  return v.inf;
}

/**
 * The value as Redis's ld2string(LD_STR_HUMAN) writes it: printf's "%.17Lf" (exact, rounded half
 * to even), trailing zeros and a trailing '.' removed, "-0" written "0". Finite values only.
 */
export function formatLongDouble(v: LongDouble): string {
  let scaled = v.m * TEN17;
  if (v.e >= 0) {
    scaled <<= BigInt(v.e);
  } else {
    const shift = BigInt(-v.e);
    const q = scaled >> shift;
    const r = scaled - (q << shift);
    const half = 1n << (shift - 1n);
    scaled = r > half || (r === half && (q & 1n) === 1n) ? q + 1n : q;
  }
  const digits = scaled.toString().padStart(18, '0');
  const whole = digits.slice(0, -17);
  const fraction = digits.slice(-17).replace(/0+$/, '');
  const text = fraction === '' ? whole : `${whole}.${fraction}`;
  return v.neg && text !== '0' ? `-${text}` : text;
}
