import { test } from 'node:test';
import assert from 'node:assert/strict';

import { globMatch } from '../../src/commands/glob.js';
import { prng } from '../../../little-raft/test/support/prng.js';

const yes = (p: string, s: string): void =>
  assert.ok(globMatch(p, s), `${JSON.stringify(p)} should match ${JSON.stringify(s)}`);
const no = (p: string, s: string): void =>
  assert.ok(!globMatch(p, s), `${JSON.stringify(p)} should not match ${JSON.stringify(s)}`);

test('literals, ? and *', () => {
  yes('abc', 'abc');
  no('abc', 'abd');
  no('abc', 'ab');
  no('ab', 'abc');
  yes('a?c', 'abc');
  no('a?c', 'ac');
  yes('*', 'anything');
  yes('a*', 'a');
  yes('a*c', 'abbbc');
  yes('a*b*c', 'a-b-b-c');
  no('a*b*c', 'a-b-b-d');
  yes('*a*', 'bab');
  yes('**x', 'x');
  yes('user:*:name', 'user:42:name');
  no('user:*:name', 'user:42:email');
  yes('h?llo*', 'hallo world');
});

test('the empty string matches only the empty pattern (KEYS and SCAN special-case "*")', () => {
  yes('', '');
  no('*', '');
  no('?', '');
  no('', 'a');
});

test('sets: [abc], [^abc], ranges either way round, escapes inside', () => {
  yes('h[ae]llo', 'hello');
  yes('h[ae]llo', 'hallo');
  no('h[ae]llo', 'hillo');
  yes('h[^e]llo', 'hallo');
  no('h[^e]llo', 'hello');
  yes('h[a-b]llo', 'hbllo');
  no('h[a-b]llo', 'hcllo');
  yes('[z-a]', 'm'); // reversed bounds
  yes('[\\]]', ']');
  yes('[\\-]', '-');
  no('[\\-]', 'a');
  yes('[a-]', 'a'); // "a-]" is the range a..] (Redis), and the set runs to the end
  no('[a-]x', 'ax');
  yes('[a-]x', ']'); // the set is {]..a, x}: unterminated, it runs to the end
  yes('[a-]x', 'x');
  yes('[[]', '[');
});

test('an unterminated set ends at the end of the pattern', () => {
  yes('[a', 'a');
  yes('x[ab', 'xb');
  no('x[ab', 'xc');
  no('[', 'a');
  yes('[^', 'a');
});

test('backslash escapes', () => {
  yes('\\*', '*');
  no('\\*', 'a');
  yes('a\\?c', 'a?c');
  no('a\\?c', 'abc');
  yes('\\[x]', '[x]');
  yes('a\\', 'a\\'); // a trailing backslash is literal
});

test('binary-safe: any byte, including NUL and 0xff', () => {
  yes('\x00*\xff', '\x00abc\xff');
  yes('[\x80-\xff]', '\xc3');
  no('[\x80-\xff]', 'a');
  yes('?', '\x00');
});

test('pathological patterns finish quickly (backtracking is bounded)', () => {
  const s = 'a'.repeat(5000);
  no('*a*a*a*a*a*a*a*a*a*a*b', s);
  yes('*a*a*a*a*a*a*a*a*a*a', s);
});

test('agrees with a reference regex translation on random patterns without sets', () => {
  const rnd = prng(3);
  const alphabet = 'ab*?\\';
  for (let i = 0; i < 5000; i++) {
    let p = '';
    for (let n = Math.floor(rnd() * 7); n > 0; n--) p += alphabet[Math.floor(rnd() * alphabet.length)];
    let s = '';
    for (let n = Math.floor(rnd() * 7); n > 0; n--) s += 'ab*?\\'[Math.floor(rnd() * 5)];
    // Reference: * -> .*, ? -> ., \x -> x, a trailing \ is literal.
    let re = '';
    for (let j = 0; j < p.length; j++) {
      const c = p[j]!;
      if (c === '*') re += '[\\s\\S]*';
      else if (c === '?') re += '[\\s\\S]';
      else if (c === '\\' && j + 1 < p.length) re += escape(p[++j]!);
      else re += escape(c);
    }
    const expected = s.length === 0 ? p.length === 0 : new RegExp(`^${re}$`).test(s);
    assert.equal(globMatch(p, s), expected, `${JSON.stringify(p)} vs ${JSON.stringify(s)}`);
  }
});

function escape(c: string): string {
  return c.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&');
}
