// Scores in and out as Redis 7.0 reads and writes them: printf's %.17g (ties included), the
// listpack's integer scores, C strtod (scores, ranges) and lexicographic range items.
// Expected texts are redis-server 7.0.15's (or, for %.17g, C printf's).
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { formatListpackScore, formatScore } from '../../src/store/families/numbers.js';
import { strtod } from '../../src/store/families/c-strtod.js';
import {
  lexAboveMin,
  lexBelowMax,
  lexRangeEmpty,
  parseLexRange,
  parseScore,
  parseScoreRange,
} from '../../src/store/families/zset-args.js';

const b = (s: string): Buffer => Buffer.from(s, 'latin1');

test('formatScore is %.17g: fixed or exponent form, trailing zeros trimmed, inf, -0', () => {
  const cases: [number, string][] = [
    [0, '0'],
    [-0, '-0'],
    [1, '1'],
    [-3, '-3'],
    [1.5, '1.5'],
    [0.1, '0.10000000000000001'],
    [1.1, '1.1000000000000001'],
    [1e16, '10000000000000000'],
    [1e17, '1e+17'],
    [1e17 - 1, '1e+17'],
    [123456789012345680, '1.2345678901234568e+17'],
    [2e20, '2e+20'],
    [0.0001, '0.0001'],
    [0.00001, '1.0000000000000001e-05'],
    [1e-5 * 3, '3.0000000000000004e-05'],
    [9.9999999999999694e-311, '9.9999999999999694e-311'],
    [5e-324, '4.9406564584124654e-324'],
    [1.7976931348623157e308, '1.7976931348623157e+308'],
    [Infinity, 'inf'],
    [-Infinity, '-inf'],
    [66.193, '66.192999999999998'],
  ];
  for (const [v, s] of cases) assert.equal(formatScore(v), s, String(v));
});

test('formatScore rounds an exact tie half to even, as printf does (toExponential rounds up)', () => {
  // Exactly halfway at the 17th digit: ...479.625 -> .62 (2 is even); ...885.25 -> .2.
  assert.equal(formatScore(721084525018479.625), '721084525018479.62');
  assert.equal(formatScore(-721084525018479.625), '-721084525018479.62');
  assert.equal(formatScore(1497015263808885.25), '1497015263808885.2');
  // Odd digit before the tie: rounds up.
  assert.equal(formatScore(721084525018479.875), '721084525018479.88');
  assert.equal(formatScore(1497015263808885.75), '1497015263808885.8');
});

test('formatListpackScore: whole scores up to 2^62 as integers (ZSCAN of a small set)', () => {
  assert.equal(formatListpackScore(1e17), '100000000000000000');
  assert.equal(formatListpackScore(2 ** 62), '4611686018427387904');
  assert.equal(formatListpackScore(-(2 ** 62)), '-4611686018427387904');
  assert.equal(formatListpackScore(2 ** 63), '9.2233720368547758e+18');
  assert.equal(formatListpackScore(-0), '0');
  assert.equal(formatListpackScore(2.5), '2.5');
  assert.equal(formatListpackScore(-Infinity), '-inf');
});

test('strtod: what C reads, and where it stops', () => {
  const r = (s: string): [number, number] => {
    const x = strtod(s);
    return [x.value, x.end];
  };
  assert.deepEqual(r('1.5'), [1.5, 3]);
  assert.deepEqual(r('  -2e3x'), [-2000, 6]);
  assert.deepEqual(r('.5'), [0.5, 2]);
  assert.deepEqual(r('5.'), [5, 2]);
  assert.deepEqual(r('1e'), [1, 1]);
  assert.deepEqual(r('1e+'), [1, 1]);
  assert.deepEqual(r('0x10'), [16, 4]);
  assert.deepEqual(r('0x1.8p1'), [3, 7]);
  assert.deepEqual(r('-0X.8'), [-0.5, 5]);
  assert.deepEqual(r('0x'), [0, 1]);
  assert.deepEqual(r('0x1p'), [1, 3]);
  assert.deepEqual(r('inf'), [Infinity, 3]);
  assert.deepEqual(r('-Infinity'), [-Infinity, 9]);
  assert.deepEqual(r('infin'), [Infinity, 3]);
  assert.deepEqual(r('+'), [0, 0]);
  assert.deepEqual(r(''), [0, 0]);
  assert.ok(Number.isNaN(strtod('nan(123)').value));
  assert.equal(strtod('nan(123)').end, 8);
  assert.equal(strtod('nan(12').end, 3);
  assert.equal(strtod('1e400').outOfRange, true);
  assert.equal(strtod('1e-400').outOfRange, true);
  assert.equal(strtod('0e-400').outOfRange, false);
  assert.equal(strtod('1e-310').outOfRange, false);
  assert.equal(strtod('inf').outOfRange, false);
});

test('parseScore (string2d): the whole argument, no space first, no NaN, no overflow', () => {
  assert.equal(parseScore(b('1')), 1);
  assert.equal(parseScore(b('-1.5e2')), -150);
  assert.equal(parseScore(b('+inf')), Infinity);
  assert.equal(parseScore(b('-INFINITY')), -Infinity);
  assert.equal(parseScore(b('0x10')), 16);
  assert.equal(parseScore(b('0e-400')), 0);
  assert.equal(parseScore(b('1e-310')), 1e-310);
  for (const bad of ['', ' 1', '1 ', 'nan', 'abc', '1e400', '-1e400', '1e-400', '1\x002', '(1', '1e']) {
    assert.equal(parseScore(b(bad)), null, JSON.stringify(bad));
  }
});

test('score ranges: "(" is exclusive; strtod with spaces first; stops at NUL; "" and "(" are 0', () => {
  assert.deepEqual(parseScoreRange(b('(1'), b('+inf')), {
    min: 1,
    max: Infinity,
    minExclusive: true,
    maxExclusive: false,
  });
  assert.deepEqual(parseScoreRange(b(' 1'), b('( 2')), { min: 1, max: 2, minExclusive: false, maxExclusive: true });
  assert.deepEqual(parseScoreRange(b(''), b('(')), { min: 0, max: 0, minExclusive: false, maxExclusive: true });
  assert.deepEqual(parseScoreRange(b('1\x00abc'), b('1e400')), {
    min: 1,
    max: Infinity,
    minExclusive: false,
    maxExclusive: false,
  });
  for (const bad of [' ', 'nan', '(nan', 'a', '1 ', '((1', '[1']) {
    assert.equal(parseScoreRange(b(bad), b('1')), null, JSON.stringify(bad));
    assert.equal(parseScoreRange(b('1'), b(bad)), null, JSON.stringify(bad));
  }
});

test('lexicographic ranges: [ and ( items, lone - and +, comparisons and empty ranges', () => {
  assert.equal(parseLexRange(b('a'), b('+')), null);
  assert.equal(parseLexRange(b(''), b('+')), null);
  assert.equal(parseLexRange(b('-a'), b('+')), null);
  assert.equal(parseLexRange(b('-'), b('++')), null);
  // Redis reads "+\0x" as a C string: a lone "+".
  assert.deepEqual(parseLexRange(b('-'), b('+\x00x'))?.max, { infinite: 1, member: '', exclusive: true });
  const r = parseLexRange(b('[b'), b('(d'))!;
  assert.deepEqual(
    ['a', 'b', 'c', 'd', 'e'].map((m) => [lexAboveMin(m, r), lexBelowMax(m, r)]),
    [
      [false, true],
      [true, true],
      [true, true],
      [true, false],
      [true, false],
    ],
  );
  const all = parseLexRange(b('-'), b('+'))!;
  assert.ok(lexAboveMin('', all) && lexBelowMax('\xff', all));
  assert.equal(lexRangeEmpty(all), false);
  assert.equal(lexRangeEmpty(parseLexRange(b('+'), b('-'))!), true);
  assert.equal(lexRangeEmpty(parseLexRange(b('+'), b('+'))!), true);
  assert.equal(lexRangeEmpty(parseLexRange(b('[b'), b('[a'))!), true);
  assert.equal(lexRangeEmpty(parseLexRange(b('[b'), b('(b'))!), true);
  assert.equal(lexRangeEmpty(parseLexRange(b('[b'), b('[b'))!), false);
  assert.equal(lexRangeEmpty(parseLexRange(b('-'), b('[a'))!), false);
});
