// C's strtod as glibc implements it in the C locale, over a latin1 string: what Redis 7.0 parses
// scores, score ranges and timeouts with. Accepts leading white space, a sign, decimal and
// hexadecimal ("0x1.8p3") numbers, "inf", "infinity" and "nan" in any case; stops at the first
// character that does not continue the number.

/** What strtod read: its value, how many characters it used (0: none), and how it ended. */
export interface Strtod {
  value: number;
  end: number;
  /** The number overflowed to +-inf, or underflowed to 0 from non-zero digits (C's ERANGE). */
  outOfRange: boolean;
  /** The decimal exponent of the first significant digit (for ranges wider than a double's). */
  magnitude: number;
}

const HEX = /^0[xX](?:[0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)(?:[pP][+-]?\d+)?/;
const DECIMAL = /^(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/;
const INFINITY = /^inf(?:inity)?/i;
const NAN = /^nan(?:\([0-9A-Za-z_]*\))?/i;

/** C's isspace in the C locale. */
export function isCSpace(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13);
}

export function strtod(text: string): Strtod {
  let i = 0;
  while (i < text.length && isCSpace(text.charCodeAt(i))) i++;
  let negative = false;
  if (text[i] === '+' || text[i] === '-') negative = text[i++] === '-';
  const rest = text.slice(i);
  let m = INFINITY.exec(rest);
  if (m !== null) return done(negative ? -Infinity : Infinity, i + m[0].length, false, 0);
  m = NAN.exec(rest);
  if (m !== null) return done(NaN, i + m[0].length, false, 0);
  m = HEX.exec(rest);
  if (m !== null) return hex(m[0], negative, i);
  m = DECIMAL.exec(rest);
  if (m === null) return done(0, 0, false, 0);
  const value = Number((negative ? '-' : '') + m[0]);
  const magnitude = decimalMagnitude(m[0]);
  const outOfRange = !Number.isFinite(value) || (value === 0 && magnitude !== -Infinity);
  return done(value, i + m[0].length, outOfRange, magnitude);
}

function done(value: number, end: number, outOfRange: boolean, magnitude: number): Strtod {
  return { value, end, outOfRange, magnitude };
}

/** The decimal exponent of the first non-zero digit of a decimal number; -Infinity if it is zero. */
function decimalMagnitude(s: string): number {
  const e = s.search(/[eE]/);
  const mantissa = e < 0 ? s : s.slice(0, e);
  const exponent = e < 0 ? 0 : Number(s.slice(e + 1));
  const point = mantissa.indexOf('.');
  const intDigits = point < 0 ? mantissa.length : point;
  const digits = mantissa.replace('.', '');
  const first = digits.search(/[1-9]/);
  if (first < 0) return -Infinity;
  return exponent + intDigits - 1 - first;
}

/** A hexadecimal float "0x<hex>[.<hex>][p<exp>]", rounded to a double. */
function hex(s: string, negative: boolean, offset: number): Strtod {
  const p = s.search(/[pP]/);
  const mantissa = p < 0 ? s.slice(2) : s.slice(2, p);
  const point = mantissa.indexOf('.');
  const fraction = point < 0 ? 0 : mantissa.length - point - 1;
  const digits = mantissa.replace('.', '').replace(/^0+/, '');
  const exponent = (p < 0 ? 0 : Number(s.slice(p + 1))) - 4 * fraction;
  let value = 0;
  if (digits !== '') {
    value = Number(BigInt('0x' + digits));
    // Scale in two steps so that 2 ** exponent itself cannot overflow or underflow first.
    const half = Math.trunc(exponent / 2);
    value = value * 2 ** half * 2 ** (exponent - half);
  }
  const magnitude = digits === '' ? -Infinity : Math.floor((exponent + 4 * digits.length) * Math.LOG10E * Math.LN2);
  const outOfRange = !Number.isFinite(value) || (value === 0 && digits !== '');
  return done(negative ? -value : value, offset + s.length, outOfRange, magnitude);
}
