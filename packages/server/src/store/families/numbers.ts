// Floating-point arguments and replies as Redis 7.0 reads and writes them.

/** 2^26: a double with more fractional bits than this cannot sit exactly halfway at 17 digits. */
const TIE_SCALE = 67108864;
/** 2^53: integers below it print exactly in at most 16 digits. */
const EXACT_INT = 9007199254740992;
/** 2^62 (LLONG_MAX/2): the largest magnitude a listpack keeps a whole score as an integer. */
const LISTPACK_INT_MAX = 4611686018427387904;

/**
 * A score as Redis 7.0 replies it (printf's %.17g): '1.1000000000000001', '1e+20', 'inf', '-0'.
 * printf rounds the exact binary value half to even; toExponential rounds halves away from zero,
 * so an exact tie (possible only for doubles with few fractional bits) is rounded here.
 */
export function formatScore(v: number): string {
  if (v === Infinity) return 'inf';
  if (v === -Infinity) return '-inf';
  if (v === 0) return Object.is(v, -0) ? '-0' : '0';
  if (Number.isInteger(v) && v < EXACT_INT && v > -EXACT_INT) return String(v);
  const negative = v < 0;
  const a = negative ? -v : v;
  const [m, e] = a.toExponential(16).split('e') as [string, string];
  let digits = m.replace('.', '');
  if (Number.isInteger(a * TIE_SCALE)) {
    // Few fractional bits: the exact expansion fits in 51 digits; a tie is "5" then zeros.
    const exact = a.toExponential(50).split('e')[0]!.replace('.', '');
    if (exact[17] === '5' && /^0*$/.test(exact.slice(18)) && Number(exact[16]) % 2 === 0) {
      digits = exact.slice(0, 17); // round down to the even digit (toExponential rounded up)
    }
  }
  const exp = Number(e);
  digits = digits.replace(/0+$/, '');
  let out: string;
  if (exp < -4 || exp >= 17) {
    const fraction = digits.length > 1 ? `.${digits.slice(1)}` : '';
    out = `${digits[0]}${fraction}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  } else if (exp >= 0) {
    const whole = digits.slice(0, exp + 1).padEnd(exp + 1, '0');
    out = digits.length > exp + 1 ? `${whole}.${digits.slice(exp + 1)}` : whole;
  } else {
    out = `0.${'0'.repeat(-exp - 1)}${digits}`;
  }
  return negative ? `-${out}` : out;
}

/**
 * A score as a small sorted set (a listpack) holds it, which ZSCAN replies: a whole number up to
 * 2^62 as an integer ('100000000000000000', '0' for -0 too), anything else as %.17g.
 */
export function formatListpackScore(v: number): string {
  if (Number.isInteger(v) && v <= LISTPACK_INT_MAX && v >= -LISTPACK_INT_MAX) {
    return v < EXACT_INT && v > -EXACT_INT ? String(v === 0 ? 0 : v) : BigInt(v).toString();
  }
  return formatScore(v);
}
