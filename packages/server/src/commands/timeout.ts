// The timeout argument of the blocking commands (BLPOP ... BZMPOP), read as Redis 7.0 reads it:
// strtold, then ceill(seconds * 1000) in x87 extended precision (a 64-bit significand), cast to a
// 64-bit integer (a value out of its range becomes its most negative value). Emulated exactly with
// BigInt, because at the edges it decides between an error and waiting forever: "-0.001" waits
// forever in Redis (its long double is a hair above -0.001, so the product rounds up to -0) while
// "-0.0011" is negative; "inf" and "1e30" are negative (out of range), "1e5000" is no float at all.
// Hexadecimal floats ("0x1.8p3") are read too, as strtold reads them.

import { ErrorReply } from '../resp/reply.js';
import { latin1 } from './args.js';

const ERR_TIMEOUT_NOT_FLOAT = new ErrorReply('ERR timeout is not a float or out of range');
const ERR_TIMEOUT_NEGATIVE = new ErrorReply('ERR timeout is negative');

const DECIMAL = /^[+-]?(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;
const HEX = /^[+-]?0[xX]([0-9a-fA-F]*)(?:\.([0-9a-fA-F]*))?(?:[pP]([+-]?\d+))?$/;
const INFINITY = /^[+-]?inf(inity)?$/i;
/** Redis copies the argument into a buffer of this size (MAX_LONG_DOUBLE_CHARS) for strtold. */
const MAX_CHARS = 5 * 1024;
/** A long double is m * 2^e with a 64-bit m: these bound e (normal numbers up to below 2^16384; denormals). */
const MIN_EXP = -16382 - 63;
const MAX_EXP = 16383 - 63;
const TOP = 1n << 64n;
const INT64_LIMIT = 1n << 63n;

/** A non-negative long double: m * 2^e. */
interface LongDouble {
  m: bigint;
  e: number;
}

/**
 * The timeout in milliseconds (0: wait forever), or Redis's error. Milliseconds beyond 2^53 are
 * approximate (they are centuries).
 */
export function parseTimeout(arg: Uint8Array): number | ErrorReply {
  if (arg.length >= MAX_CHARS) return ERR_TIMEOUT_NOT_FLOAT;
  const text = latin1(arg);
  if (INFINITY.test(text)) return ERR_TIMEOUT_NEGATIVE; // ceill(inf) cast to a long long
  const negative = text.startsWith('-');
  const hex = HEX.exec(text);
  if (hex !== null) return hexTimeout(hex, negative);
  const match = DECIMAL.exec(text);
  if (match === null) return ERR_TIMEOUT_NOT_FLOAT;
  const whole = match[1]!;
  const fraction = match[2] ?? '';
  if (whole.length + fraction.length === 0) return ERR_TIMEOUT_NOT_FLOAT;
  const digits = (whole + fraction).replace(/^0+/, '');
  if (digits === '') return 0; // an exact zero, whatever its exponent
  const exp10 = Number(match[3] ?? '0') - fraction.length;
  // The value lies in [10^(magnitude-1), 10^magnitude). Far from the edges, no exact arithmetic is needed.
  const magnitude = digits.length + exp10;
  if (magnitude > 4934 || magnitude < -4952) return ERR_TIMEOUT_NOT_FLOAT; // ERANGE: overflow, or underflow to 0
  if (magnitude > 30 && magnitude < 4932) return ERR_TIMEOUT_NEGATIVE; // ms beyond 2^63: out of the cast's range
  if (magnitude < -30 && magnitude > -4940) return negative ? 0 : 1; // ceill of a tiny product
  const n = BigInt(digits) * 10n ** BigInt(Math.max(0, exp10));
  return milliseconds(n, 10n ** BigInt(Math.max(0, -exp10)), negative);
}

/** A hexadecimal float: hex digits (a point among them), then a power of two. */
function hexTimeout(match: RegExpExecArray, negative: boolean): number | ErrorReply {
  const whole = match[1]!;
  const fraction = match[2] ?? '';
  if (whole.length + fraction.length === 0) return ERR_TIMEOUT_NOT_FLOAT;
  const digits = (whole + fraction).replace(/^0+/, '');
  if (digits === '') return 0;
  const exp2 = Number(match[3] ?? '0') - 4 * fraction.length;
  // The value lies in [2^(magnitude-4), 2^magnitude): as above, with the edges in powers of two.
  const magnitude = 4 * digits.length + exp2;
  if (magnitude > 16400 || magnitude < -16470) return ERR_TIMEOUT_NOT_FLOAT;
  if (magnitude > 100 && magnitude < 16370) return ERR_TIMEOUT_NEGATIVE;
  if (magnitude < -100 && magnitude > -16400) return negative ? 0 : 1;
  const n = BigInt('0x' + digits) << BigInt(Math.max(0, exp2));
  return milliseconds(n, 1n << BigInt(Math.max(0, -exp2)), negative);
}

/** ceill(±(n / d) * 1000) as Redis computes it in long doubles, with its checks. */
function milliseconds(n: bigint, d: bigint, negative: boolean): number | ErrorReply {
  const seconds = nearest(n, d);
  if (seconds === null || seconds.m === 0n) return ERR_TIMEOUT_NOT_FLOAT;
  const ms = nearest((seconds.m * 1000n) << BigInt(Math.max(0, seconds.e)), 1n << BigInt(Math.max(0, -seconds.e)));
  if (ms === null) return ERR_TIMEOUT_NEGATIVE;
  const rounded = ceiling(ms, negative);
  if (rounded < 0n || rounded >= INT64_LIMIT) return ERR_TIMEOUT_NEGATIVE;
  return Number(rounded);
}

/** The long double nearest to n / d (ties to even), with denormals; null if it overflows. */
function nearest(n: bigint, d: bigint): LongDouble | null {
  let e = bitLength(n) - bitLength(d) - 64;
  let [q, r, divisor] = divide(n, d, e);
  while (q >= TOP) [q, r, divisor] = divide(n, d, ++e);
  while (q < TOP >> 1n && e > MIN_EXP) [q, r, divisor] = divide(n, d, --e);
  if (e < MIN_EXP) [q, r, divisor] = divide(n, d, (e = MIN_EXP));
  const twice = 2n * r;
  if (twice > divisor || (twice === divisor && (q & 1n) === 1n)) q++;
  if (q === TOP) {
    q = TOP >> 1n;
    e++;
  }
  return e > MAX_EXP ? null : { m: q, e };
}

/** floor(n / (d * 2^e)), its remainder and divisor (both scaled alike). */
function divide(n: bigint, d: bigint, e: number): [bigint, bigint, bigint] {
  const num = e >= 0 ? n : n << BigInt(-e);
  const div = e >= 0 ? d << BigInt(e) : d;
  return [num / div, num % div, div];
}

/** ceil(±v) as an integer. */
function ceiling(v: LongDouble, negative: boolean): bigint {
  if (v.e >= 0) return (negative ? -1n : 1n) * (v.m << BigInt(v.e));
  const shift = BigInt(-v.e);
  const floor = v.m >> shift;
  if (negative) return -floor;
  return floor << shift === v.m ? floor : floor + 1n;
}

function bitLength(v: bigint): number {
  return v === 0n ? 0 : v.toString(2).length;
}
