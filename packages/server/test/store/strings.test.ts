// The string commands against a Keyspace where redis-server comparisons cannot reach (keys of the
// other types, limits, snapshots), OBJECT on every type, and the long double arithmetic of
// INCRBYFLOAT on its own.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { Keyspace } from '../../src/store/keyspace.js';
import {
  addLongDouble,
  formatLongDouble,
  parseLongDouble,
  type LongDouble,
} from '../../src/store/families/long-double.js';
import { MAX_VALUE_LENGTH } from '../../src/store/families/strings.js';
import { HashValue, ListValue, SetValue, ZSetValue, type Value } from '../../src/store/values.js';
import { batchedKs, cmd, ks, plain, T0, WRONGTYPE } from '../support/kv-helpers.js';

test('keys of another type: WRONGTYPE, or replaced, or counted, as in Redis', () => {
  const { w, r, k } = ks();
  const hash = (): HashValue => new HashValue([['f', 'v']]);
  k.put('h', hash());
  assert.equal(w('GETSET h x'), WRONGTYPE);
  assert.equal(w('GETEX h'), WRONGTYPE);
  assert.equal(w('GETEX h EX abc'), WRONGTYPE, 'the type is checked before the expire value');
  assert.equal(w('INCRBYFLOAT h abc'), WRONGTYPE, 'and before the increment');
  assert.equal(w('SETRANGE h 0 x'), WRONGTYPE);
  assert.equal(w(['SETRANGE', 'h', '0', '']), WRONGTYPE);
  assert.equal(r('GETRANGE h 0 -1'), WRONGTYPE);
  assert.equal(r('SUBSTR h 0 -1'), WRONGTYPE);
  assert.equal(r('LCS h missing'), '-ERR The specified keys must contain string values');
  assert.equal(r('LCS missing h LEN'), '-ERR The specified keys must contain string values');
  assert.equal(w('SETNX h x'), 0);
  assert.equal(w('MSETNX a 1 h 2'), 0);
  assert.equal(r('EXISTS a'), 0);
  assert.equal(r('TYPE h'), '+hash');
  assert.equal(w('SETEX h 100 v'), '+OK', 'SETEX replaces a value of any type');
  assert.equal(r('GET h'), 'v');
  k.put('h', hash());
  assert.equal(w('PSETEX h 100 v'), '+OK');
  assert.equal(r('TYPE h'), '+string');
  assert.equal(r('PTTL h'), 100);
});

test('INCRBYFLOAT: the long double result, errors change nothing, the expiry is kept', () => {
  const { w, r } = ks();
  assert.equal(w('INCRBYFLOAT f 10.5'), '10.5');
  assert.equal(w('PEXPIRE f 5000'), 1);
  assert.equal(w('INCRBYFLOAT f 5.0e3'), '5010.5');
  assert.equal(w('INCRBYFLOAT f 0.1'), '5010.60000000000000009', 'the digits of an 80-bit long double');
  assert.equal(r('PTTL f'), 5000);
  assert.equal(w('INCRBYFLOAT f inf'), '-ERR increment would produce NaN or Infinity');
  assert.equal(w('INCRBYFLOAT f x'), '-ERR value is not a valid float');
  assert.equal(r('GET f'), '5010.60000000000000009');
  assert.equal(w('INCRBYFLOAT n 1e4933'), '-ERR value is not a valid float');
  assert.equal(r('EXISTS n'), 0);
});

test('long double: parse, add and print as glibc does, correctly rounded', () => {
  const sum = (a: string, b: string): string => {
    const x = parseLongDouble(a);
    const y = parseLongDouble(b);
    if (x === null || y === null) return 'invalid';
    const s = addLongDouble(x, y);
    return s === null || 'inf' in s ? 'overflow' : formatLongDouble(s);
  };
  assert.equal(sum('0.1', '0.2'), '0.3', 'a double would say 0.30000000000000004');
  assert.equal(sum('1.1', '2.2'), '3.3');
  assert.equal(sum('0.000003814697265625', '0'), '0.00000381469726562', 'ties to even in printing');
  assert.equal(sum('0.000011444091796875', '0'), '0.00001144409179688');
  assert.equal(sum('-1e-20', '0'), '0', '"-0.00000000000000000" is written 0');
  assert.equal(sum('-0', '-0'), '0');
  assert.equal(sum('9223372036854775807', '1'), '9223372036854775808');
  assert.equal(sum('18446744073709551615', '0'), '18446744073709551615', '64 significant bits');
  assert.equal(sum('18446744073709551617', '0'), '18446744073709551616', 'not 65');
  assert.equal(sum('0x1.8p1', '0X.8P1'), '4');
  assert.equal(sum('1e4932', '1e4932'), 'overflow');
  assert.equal(sum('inf', '-inf'), 'overflow', 'NaN');
  for (const bad of [
    '',
    ' 1',
    '1 ',
    '1e',
    '.',
    '-',
    '+',
    'nan',
    'NaN',
    '0x',
    '0x1p',
    '1e4933',
    '1e-5000',
    '0x1p-16446',
  ]) {
    assert.equal(parseLongDouble(bad), null, JSON.stringify(bad));
  }
  for (const good of ['+.5', '5.', '-0', 'INFINITY', '-inf', '0e999999999999', '0x1p-16445', '0'.repeat(5119)]) {
    assert.notEqual(parseLongDouble(good), null, good);
  }
  assert.equal(parseLongDouble('0'.repeat(5120)), null, "longer than Redis's buffer");
  const tiny = parseLongDouble('0x1p-16445') as LongDouble & { m: bigint; exp: number };
  assert.deepEqual([tiny.m, tiny.exp], [1n, -16445], 'the smallest subnormal');
});

test('GETRANGE / SETRANGE: integers stored as strings, binary bytes, the size limit', () => {
  const { w, r } = ks();
  w('INCRBY n 12345');
  assert.equal(r('GETRANGE n 1 2'), '23');
  assert.equal(w('SETRANGE n 5 6'), 6);
  assert.equal(w('INCR n'), 123457);
  assert.equal(w(['SETRANGE', 'b', '2', '\xff\x00']), 4);
  assert.equal(r('GET b'), '\x00\x00\xff\x00');
  assert.equal(r('GETRANGE b -2 -1'), '\xff\x00');
  assert.equal(
    w(['SETRANGE', 'b', String(MAX_VALUE_LENGTH - 1), 'xy']),
    '-ERR string exceeds maximum allowed size (proto-max-bulk-len)',
  );
  assert.equal(r('STRLEN b'), 4);
});

test('LCS: a table too large for memory is refused rather than allocated', () => {
  const { w, r } = ks();
  w(['SET', 'a', 'x'.repeat(20_000)]);
  w(['SET', 'b', 'y'.repeat(20_000)]);
  assert.equal(r('LCS a b LEN'), '-ERR Insufficient memory, failed allocating transient memory for LCS');
  w(['SET', 'c', 'xy'.repeat(2000)]);
  assert.equal(r('LCS a c LEN'), 2000);
});

test('OBJECT ENCODING of every type by its contents, with Redis 7.0 default thresholds', () => {
  const { r, k } = ks();
  const enc = (v: Value): unknown => {
    k.put('v', v);
    return r('OBJECT ENCODING v');
  };
  const n = (count: number, f: (i: number) => string): string[] => Array.from({ length: count }, (_, i) => f(i));
  assert.equal(enc(ListValue.of(['a'])), 'quicklist');
  assert.equal(enc(new HashValue(n(128, (i) => `f${i}`).map((f) => [f, 'v'] as [string, string]))), 'listpack');
  assert.equal(enc(new HashValue(n(129, (i) => `f${i}`).map((f) => [f, 'v'] as [string, string]))), 'hashtable');
  assert.equal(enc(new HashValue([['f', 'x'.repeat(64)]])), 'listpack');
  assert.equal(enc(new HashValue([['f', 'x'.repeat(65)]])), 'hashtable');
  assert.equal(enc(new HashValue([['x'.repeat(65), 'v']])), 'hashtable');
  assert.equal(enc(new SetValue(n(512, String))), 'intset');
  assert.equal(enc(new SetValue(n(513, String))), 'hashtable');
  assert.equal(enc(new SetValue(['1', '-9223372036854775808'])), 'intset');
  assert.equal(enc(new SetValue(['1', '9223372036854775808'])), 'hashtable');
  assert.equal(enc(new SetValue(['01'])), 'hashtable', 'not the canonical form of an integer');
  assert.equal(enc(new SetValue(['a'])), 'hashtable');
  const zset = (members: string[]): ZSetValue => {
    const z = new ZSetValue();
    members.forEach((m, i) => z.add(m, i));
    return z;
  };
  assert.equal(enc(zset(n(128, String))), 'listpack');
  assert.equal(enc(zset(n(129, String))), 'skiplist');
  assert.equal(enc(zset(['x'.repeat(64)])), 'listpack');
  assert.equal(enc(zset(['x'.repeat(65)])), 'skiplist');
  k.put('h', new HashValue([['f', 'v']]));
  assert.equal(r('OBJECT REFCOUNT h'), 1);
  assert.equal(r('OBJECT IDLETIME h'), 0, 'idle times are not tracked');
  assert.match(String(r('OBJECT FREQ h')), /^-ERR An LFU maxmemory policy is not selected/);
});

test('string encodings: history where Redis keeps it, the value after a snapshot (as after an RDB load)', () => {
  const { w, r, k } = ks();
  w('SET a 12');
  w('APPEND a 3');
  w('INCRBYFLOAT f 2');
  w('SET s 1');
  w('COPY s c');
  assert.deepEqual([r('OBJECT ENCODING a'), r('OBJECT ENCODING f'), r('OBJECT ENCODING c')], ['raw', 'embstr', 'int']);
  assert.deepEqual([r('OBJECT REFCOUNT s'), r('OBJECT REFCOUNT c')], [2147483647, 1]);
  w('RENAME a b');
  assert.equal(r('OBJECT ENCODING b'), 'raw');
  const restored = Keyspace.restore(k.serialize());
  const rr = (line: string): unknown => plain(restored.read(cmd(line), T0));
  assert.deepEqual(
    [rr('OBJECT ENCODING b'), rr('OBJECT ENCODING f'), rr('OBJECT REFCOUNT c')],
    ['int', 'int', 2147483647],
  );
  w('SET b 123');
  w('DEL f');
  assert.equal(r('OBJECT ENCODING b'), 'int');
  assert.equal(k.encodings.size, 1, 'SET and DEL forget the history; only the copy is left');
});

test('SET with an expiry already past changes the key for WATCH, even one that did not exist (as Redis)', () => {
  const { k, run } = batchedKs();
  const before = k.versionOf('gone');
  assert.equal(run('set gone 0 get exat 1'), null);
  assert.equal(run('exists gone'), 0);
  assert.notEqual(k.versionOf('gone'), before, 'the version moved: a WATCH of the key fails its EXEC');
});
