// Floating-point arguments and replies as Redis 7.0 reads and writes them.

const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const INFINITY = /^[+-]?inf(inity)?$/i;

/**
 * A double as Redis's strtod-based parsing accepts it (no spaces, no NaN); null if it is not one.
 * Hexadecimal floats, which C's strtod also takes, are not accepted here.
 */
export function parseDouble(text: string): number | null {
  if (DECIMAL.test(text)) {
    const v = Number(text);
    return Number.isNaN(v) ? null : v;
  }
  if (INFINITY.test(text)) return text.startsWith('-') ? -Infinity : Infinity;
  return null;
}

/** A score as Redis 7.0 replies it (printf's %.17g): '1.1000000000000001', '1e+20', 'inf'. */
export function formatScore(v: number): string {
  if (v === Infinity) return 'inf';
  if (v === -Infinity) return '-inf';
  if (v === 0) return '0';
  const [mantissa, exponent] = v.toExponential(16).split('e') as [string, string];
  const exp = Number(exponent);
  if (exp < -4 || exp >= 17) {
    const digits = trimZeros(mantissa);
    return `${digits}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  return trimZeros(v.toFixed(16 - exp));
}

/**
 * A value as INCRBYFLOAT and HINCRBYFLOAT reply it: fixed-point, no exponent, trailing zeros
 * trimmed. Redis prints its long double with 17 decimals; this prints the double's shortest
 * digits, which agrees wherever the value has at most 17 significant digits.
 */
export function formatHuman(v: number): string {
  if (v === 0) return '0';
  const [digits, exponent] = v.toExponential().split('e') as [string, string];
  const exp = Number(exponent);
  const negative = digits.startsWith('-');
  const plain = digits.replace('-', '').replace('.', '');
  let out: string;
  if (exp >= plain.length - 1) out = plain + '0'.repeat(exp - plain.length + 1);
  else if (exp >= 0) out = `${plain.slice(0, exp + 1)}.${plain.slice(exp + 1)}`;
  else out = `0.${'0'.repeat(-exp - 1)}${plain}`;
  if (out.includes('.')) {
    // At most 17 decimals, as Redis's "%.17Lf".
    const [whole, fraction] = out.split('.') as [string, string];
    out = fraction.length > 17 ? trimZeros(Number(`0.${fraction}`).toFixed(17).replace(/^0/, whole)) : out;
  }
  return negative ? `-${out}` : out;
}

function trimZeros(s: string): string {
  return s.includes('.') ? s.replace(/\.?0+$/, '') : s;
}
