// The blocking commands' timeout argument, read as Redis 7.0.15 reads it (each case checked against
// redis-server: which values fail and how, and which wait forever (0)).
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { parseTimeout } from '../../src/commands/timeout.js';
import { ErrorReply } from '../../src/resp/reply.js';

const NOT_FLOAT = 'ERR timeout is not a float or out of range';
const NEGATIVE = 'ERR timeout is negative';

function timeout(text: string): number | string {
  const r = parseTimeout(Buffer.from(text, 'latin1'));
  return r instanceof ErrorReply ? r.message : r;
}

test('ordinary timeouts in seconds, as milliseconds rounded up; 0 waits forever', () => {
  assert.equal(timeout('0'), 0);
  assert.equal(timeout('1'), 1000);
  assert.equal(timeout('0.5'), 500);
  assert.equal(timeout('.5'), 500);
  assert.equal(timeout('5.'), 5000);
  assert.equal(timeout('+0.1'), 100);
  assert.equal(timeout('1.5e3'), 1500000);
  assert.equal(timeout('1.001'), 1001);
  assert.equal(timeout('0.0009'), 1, 'a fraction of a millisecond waits one');
  assert.equal(timeout('0.0000001'), 1);
  assert.equal(timeout('1e-30'), 1);
  assert.equal(timeout('1e-4940'), 1);
});

test('what Redis reads as zero (wait forever), among them small negative values', () => {
  assert.equal(timeout('-0'), 0);
  assert.equal(timeout('0e-5000'), 0);
  assert.equal(timeout('-0.0001'), 0);
  assert.equal(timeout('-0.001'), 0, 'its long double is a hair above -0.001: ceill gives -0');
  assert.equal(timeout('-1e-4940'), 0);
});

test('negative: below -1 ms, infinite, or beyond 2^63 ms', () => {
  for (const t of [
    '-1',
    '-0.0011',
    '-0.00100000000000000001',
    'inf',
    '-inf',
    'Infinity',
    '1e400',
    '1e4932',
    '9223372036854775807',
  ]) {
    assert.equal(timeout(t), NEGATIVE, t);
  }
});

test('hexadecimal floats, as strtold reads them', () => {
  assert.equal(timeout('0x10'), 16000);
  assert.equal(timeout('0X1p-10'), 1);
  assert.equal(timeout('0x.8'), 500);
  assert.equal(timeout('0x1.'), 1000);
  assert.equal(timeout('0x1p+3'), 8000);
  assert.equal(timeout('0x1.fffffffffffffffffp-1'), 1000);
  assert.equal(timeout('0x1p-16445'), 1, 'the smallest denormal');
  assert.equal(timeout('0x1.8p-16446'), 1, 'rounds up to it');
  assert.equal(timeout('0x0.0000000001p1'), 1);
  for (const t of ['-0x0', '-0x1p-11', '-0x1.01p-10']) assert.equal(timeout(t), 0, t);
  for (const t of ['-0x1.1p-10', '0x10000000000000000000000', '0x1p16383']) assert.equal(timeout(t), NEGATIVE, t);
  for (const t of ['0x', '0x.p1', '0xp1', '0x1p', '0x1g', '0x1p100000', '0x1p-100000', '0x1p16384', '0x1p-16446']) {
    assert.equal(timeout(t), NOT_FLOAT, t);
  }
  assert.equal(timeout('-0x1p-16446'), NOT_FLOAT);
});

test('not a float: syntax, NaN, out of the long double range, too long', () => {
  for (const t of [
    'abc',
    '',
    ' 1',
    '1 ',
    '.',
    '1e',
    '1e1a',
    'nan',
    '1e5000',
    '-1e5000',
    '1.2e4932',
    '1e-5000',
    '-1e-5000',
  ]) {
    assert.equal(timeout(t), NOT_FLOAT, JSON.stringify(t));
  }
  assert.equal(timeout('0'.repeat(5119)), 0);
  assert.equal(timeout('0'.repeat(5120)), NOT_FLOAT);
});

test('at the edges of a double and a millisecond count of 2^63', () => {
  assert.equal(timeout('9e15'), 9e18);
  assert.equal(timeout('1e-400'), 1, "below a double's range, above zero as a long double");
  for (const t of ['1e16', '9.3e15']) assert.equal(timeout(t), NEGATIVE, t);
  assert.equal(timeout('1\x00'), NOT_FLOAT);
});

test('huge timeouts that Redis accepts wait (practically) forever', () => {
  assert.ok((timeout('9223372036854775') as number) > 9e18);
  assert.ok((timeout('9223372036854775.807') as number) > 9e18);
});
