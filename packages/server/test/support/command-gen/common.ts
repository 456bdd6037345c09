// The pieces every family's commands are made of: the command value itself, the key pool, argument
// values (integers, floats, binary, text), keywords in any case, expiry options.
import fc from 'fast-check';

import { formatCommand, type Argv } from '../resp-client.js';

/** One command of a stream: its argv, printed as redis-cli would take it in fast-check's reports. */
export class Command {
  readonly argv: Argv;
  constructor(argv: Argv) {
    this.argv = argv;
  }
  [fc.toStringMethod](): string {
    return formatCommand(this.argv);
  }
}

type Part = string | Uint8Array;

/** A command from its parts: strings are latin1 (one char per byte, so '\xff' is byte 255). */
export function command(...parts: readonly Part[]): Command {
  return new Command(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : Buffer.from(p))));
}

/** `name` (a keyword or a command name) in lower, upper or mixed case: both servers ignore case. */
export function kw(name: string): fc.Arbitrary<string> {
  const mixed = [...name].map((c, i) => (i % 2 === 0 ? c.toUpperCase() : c.toLowerCase())).join('');
  return fc.constantFrom(name.toUpperCase(), name.toLowerCase(), mixed);
}

/**
 * Keys: a pool small enough that commands keep meeting on the same keys (and, once there are other
 * types, on keys of the wrong type), plus a few odd ones: empty, binary, with a space.
 */
const COMMON_KEYS = ['k0', 'k1', 'k2', 'k3'];
const ODD_KEYS = ['', 'k\x00\xff', 'k 4', 'K0'];
export const key: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...COMMON_KEYS) },
  { weight: 1, arbitrary: fc.constantFrom(...ODD_KEYS) },
);

/** Every key `key` draws. */
export const KEY_POOL: readonly string[] = [...COMMON_KEYS, ...ODD_KEYS];

/** `arbitrary`'s value in `weight` cases out of `outOf`, else null. */
export function sometimes<T>(arbitrary: fc.Arbitrary<T>, weight: number, outOf: number): fc.Arbitrary<T | null> {
  return fc.oneof({ weight, arbitrary }, { weight: outOf - weight, arbitrary: fc.constant(null) });
}

/** 1 to `max` keys from the pool (repeats included). */
export function keys(max = 4): fc.Arbitrary<string[]> {
  return fc.array(key, { minLength: 1, maxLength: max });
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** Integers where arithmetic and parsing have edges: 64-bit limits, 2^53, 2^31, 2^32. */
const INTEGER_EDGES = [
  '0', '-1', '1',
  '9223372036854775807', '-9223372036854775808', '9223372036854775806', '-9223372036854775807',
  '9007199254740991', '9007199254740992', '9007199254740993', '-9007199254740993',
  '2147483647', '2147483648', '-2147483649', '4294967296',
  '999999999999999', '1000000000000000', '1000000001', '-1000000001',
]; // prettier-ignore

/** Almost integers: what a strict parser (Redis's string2ll) refuses. */
const NOT_INTEGERS = [
  '', '-', '01', '-0', '+1', ' 1', '1 ', '1.0', '1e3', '0x10', 'abc', '1\x00',
  '9223372036854775808', '-9223372036854775809', '18446744073709551616', '123456789012345678901',
]; // prettier-ignore

/** Integer arguments: small ones (so INCRs pile up), edges, any 64-bit value, and near misses. */
export const integerText: fc.Arbitrary<string> = fc.oneof(
  { weight: 5, arbitrary: fc.integer({ min: -20, max: 100 }).map(String) },
  { weight: 2, arbitrary: fc.constantFrom(...INTEGER_EDGES) },
  { weight: 1, arbitrary: fc.bigInt({ min: INT64_MIN, max: INT64_MAX }).map(String) },
  { weight: 1, arbitrary: fc.constantFrom(...NOT_INTEGERS) },
);

/**
 * Float-looking arguments, for the float commands to come (INCRBYFLOAT, HINCRBYFLOAT, ZADD, ...) and
 * as values the integer ones refuse.
 * @public (for the families to come; knip: not imported elsewhere yet)
 */
export const floatText: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    '0.5', '-1.5', '3.0', '1e3', '-0', '0.1', 'inf', '-inf', '+inf', 'nan', '1.7976931348623157e308',
    '5e-324', '.5', '1.', '0x1p3', ' 1.5', '1.5 ', '1,5',
  ),
  fc.double({ noNaN: true }).map(String),
); // prettier-ignore

/** Any value: integers, floats, binary bytes, UTF-8 text, protocol-looking text, a few long ones. */
export const value: fc.Arbitrary<Uint8Array | string> = fc.oneof(
  { weight: 4, arbitrary: integerText },
  { weight: 1, arbitrary: floatText },
  { weight: 2, arbitrary: fc.uint8Array({ maxLength: 16 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 10 }).map((s) => Buffer.from(s, 'utf8')) },
  { weight: 1, arbitrary: fc.constantFrom('', ' ', 'OK', '\r\n', '$-1\r\n', '*1\r\n$1\r\nx\r\n', 'v\x00') },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.integer({ min: 100, max: 5000 }), fc.constantFrom('x', '7', '\xff'))
      .map(([n, c]) => c.repeat(n)),
  },
);

/** 2100-01-01 in seconds since the epoch: absolute expiry times after it cannot pass during a test. */
export const YEAR_2100 = 4_102_444_800;

/**
 * An expiry option (EX, PX, EXAT, PXAT and its value): at least 100 s away, or long past (the key is
 * gone at once), so the moment each server runs a command cannot change what it does; or an edge
 * value under any of the four: zero, negative, not an integer, overflowing a 64-bit millisecond time
 * (the same whenever it runs: now is far from the limits), or a valid time beyond 2^53 ms.
 */
export const expiry: fc.Arbitrary<string[]> = fc.oneof(
  { weight: 3, arbitrary: fc.tuple(kw('ex'), fc.integer({ min: 100, max: 1_000_000_000 }).map(String)) },
  { weight: 3, arbitrary: fc.tuple(kw('px'), fc.integer({ min: 100_000, max: 10 ** 12 }).map(String)) },
  {
    weight: 2,
    arbitrary: fc.tuple(
      kw('exat'),
      fc.oneof(fc.integer({ min: YEAR_2100, max: YEAR_2100 + 10 ** 8 }), fc.constantFrom(1, 1_000_000_000)).map(String),
    ),
  },
  {
    weight: 2,
    arbitrary: fc.tuple(
      kw('pxat'),
      fc
        .oneof(fc.integer({ min: YEAR_2100 * 1000, max: YEAR_2100 * 1000 + 10 ** 11 }), fc.constantFrom(1, 10 ** 12))
        .map(String),
    ),
  },
  {
    weight: 1,
    arbitrary: fc.tuple(
      fc.oneof(kw('ex'), kw('px'), kw('exat'), kw('pxat')),
      fc.constantFrom(
        // refused: not positive, not integers
        '0', '-1', '-100', 'abc', '1.5', '', '-9223372036854775808',
        // seconds that overflow once in milliseconds, or once now is added; the largest allowed values
        '9223372036854775', '9223372036854776', '9223372036854775807', '9223372036854775808',
        '9223372036000000000', '9223372036854775000',
        // absolute times beyond 2^53 ms (the year 287,396)
        '9007199254740993', '9007199254740993000', '9007199254741',
      ),
    ),
  },
); // prettier-ignore

/** Any argument at all: for wrong-arity and wrong-syntax variants. */
export const anyArg: fc.Arbitrary<Uint8Array | string> = fc.oneof(key, value, kw('ex'), kw('nx'), kw('get'));

/**
 * `name` followed by 0 to `max` arguments of any kind: the wrong-arity and syntax errors (and now and
 * then a valid command by chance).
 */
export function anyArgs(names: readonly string[], max = 4): fc.Arbitrary<Command> {
  return fc
    .tuple(fc.constantFrom(...names).chain(kw), fc.array(anyArg, { maxLength: max }))
    .map(([name, args]) => command(name, ...args));
}

/** `name key cursor [option ...]` (HSCAN, SSCAN, ZSCAN): up to two options. */
export function keyScan(
  name: string,
  cursor: fc.Arbitrary<string>,
  option: fc.Arbitrary<readonly string[]>,
): fc.Arbitrary<Command> {
  return fc
    .tuple(kw(name), key, cursor, fc.array(option, { maxLength: 2 }))
    .map(([c, k, at, options]) => command(c, k, at, ...options.flat()));
}
