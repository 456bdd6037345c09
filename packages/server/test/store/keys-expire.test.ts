// The expiry and generic key commands against a Keyspace: times computed from the apply time `at`
// (so replicas agree), past times deleting, NX/XX/GT/LT, RENAME and COPY moving expiries and
// copying collections deeply, RANDOMKEY skipping expired keys, and the checks made before proposal.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { validateWrite } from '../../src/commands/write-syntax.js';
import { Keyspace } from '../../src/store/keyspace.js';
import { HashValue, ListValue, SetValue, ZSetValue } from '../../src/store/values.js';
import { cmd, ks, plain, T0 } from '../support/kv-helpers.js';

test('EXPIRE family: relative times count from the apply time, absolute ones are kept as given', () => {
  const { w, r } = ks();
  for (const key of ['a', 'b', 'c', 'd']) w(`SET ${key} v`);
  assert.equal(w('EXPIRE a 10', T0 + 5), 1);
  assert.equal(w('PEXPIRE b 1500', T0 + 5), 1);
  assert.equal(w(`EXPIREAT c ${T0 / 1000 + 20}`, T0 + 5), 1);
  assert.equal(w(`PEXPIREAT d ${T0 + 30_001}`, T0 + 5), 1);
  assert.equal(r('PEXPIRETIME a'), T0 + 10_005);
  assert.equal(r('PEXPIRETIME b'), T0 + 1505);
  assert.equal(r('PEXPIRETIME c'), T0 + 20_000);
  assert.equal(r('PEXPIRETIME d'), T0 + 30_001);
  assert.equal(r('EXPIRETIME a'), T0 / 1000 + 10, 'seconds, rounded to nearest');
  assert.equal(r('EXPIRETIME d'), T0 / 1000 + 30);
  assert.equal(r('TTL b', T0 + 1000), 1);
  assert.equal(r('PTTL b', T0 + 1000), 505);
  assert.equal(r('GET b', T0 + 1505), null);
  assert.equal(r('EXPIRETIME b', T0 + 1505), -2, 'expired: absent');
});

test('a time not after the apply time deletes the key and answers 1; an expired key answers 0', () => {
  const { w, r, k } = ks();
  w('SET a v');
  assert.equal(w('PEXPIREAT a ' + String(T0), T0), 1, 'exactly now');
  assert.equal(k.values.has('a'), false, 'deleted at once, not left for a purge');
  w('SET b v');
  assert.equal(w('EXPIRE b -10'), 1);
  assert.equal(r('EXISTS b'), 0);
  w('SET c v PX 10');
  assert.equal(w('EXPIRE c 100', T0 + 10), 0, 'already expired');
  assert.equal(w('PERSIST c', T0 + 10), 0);
  assert.equal(r('TTL c', T0 + 10), -2);
});

test('NX, XX, GT, LT: no expiry counts as infinite', () => {
  const { w, r } = ks();
  w('SET k v');
  assert.equal(w('EXPIRE k 100 XX'), 0);
  assert.equal(w('EXPIRE k 100 GT'), 0, 'nothing is greater than no expiry');
  assert.equal(w('EXPIRE k 100 LT'), 1, 'anything is less than no expiry');
  assert.equal(w('EXPIRE k 50 NX'), 0);
  assert.equal(w('EXPIRE k 100 GT'), 0, 'equal is not greater');
  assert.equal(w('EXPIRE k 100 LT'), 0, 'equal is not less');
  assert.equal(w('EXPIRE k 101 GT'), 1);
  assert.equal(w('EXPIRE k 99 XX LT'), 1);
  assert.equal(r('TTL k'), 99);
  assert.equal(w('PERSIST k'), 1);
  assert.equal(w('EXPIRE k 10 NX'), 1);
  assert.equal(w('EXPIRE k 10 NX XX'), '-ERR NX and XX, GT or LT options at the same time are not compatible');
  assert.equal(w('EXPIRE k 10 GT LT'), '-ERR GT and LT options at the same time are not compatible');
  assert.equal(w(['EXPIRE', 'k', '10', 'b\x00ad']), '-ERR Unsupported option b', 'printed up to a NUL, as C does');
  assert.equal(r('TTL k'), 10);
});

test('the checks before proposal: the errors Redis gives before it looks at the key', () => {
  const v = (line: string | string[], now?: number): unknown => {
    const e = validateWrite(cmd(line), now);
    return e === null ? null : plain(e);
  };
  assert.equal(v('EXPIRE k 10 XX GT'), null);
  assert.equal(v('EXPIRE k x'), '-ERR value is not an integer or out of range');
  assert.equal(v('EXPIRE k 10 bogus'), '-ERR Unsupported option bogus');
  assert.equal(v('EXPIRE k 9223372036854775'), null, 'overflows only with now added: found when applied');
  assert.equal(v('EXPIRE k 9223372036854775', T0), "-ERR invalid expire time in 'expire' command");
  assert.equal(v('PEXPIREAT k 9223372036854775807'), null);
  assert.equal(v('EXPIREAT k 9223372036854776'), "-ERR invalid expire time in 'expireat' command");
  assert.equal(v('SETEX k 0 v'), "-ERR invalid expire time in 'setex' command");
  assert.equal(v('PSETEX k x v'), '-ERR value is not an integer or out of range');
  assert.equal(v('GETEX k EX x'), null, 'the value is checked once the key is found');
  assert.equal(v('GETEX k EX 1 PX 1'), '-ERR syntax error');
  assert.equal(v('SETRANGE k -1 v'), '-ERR offset is out of range');
  assert.equal(v('SETRANGE k x v'), '-ERR value is not an integer or out of range');
  assert.equal(v('MSETNX a 1 b'), "-ERR wrong number of arguments for 'msetnx' command");
  assert.equal(v('COPY a a'), '-ERR source and destination objects are the same');
  assert.equal(v('COPY a b DB 3'), '-ERR DB index is out of range');
  assert.equal(v('FLUSHALL now'), '-ERR syntax error');
  assert.equal(v('INCRBYFLOAT k x'), null, 'WRONGTYPE comes first: found when applied');
  assert.equal(v('RENAME a b'), null);
});

test('RENAME moves the value and its expiry, replacing the destination and its expiry', () => {
  const { w, r, k } = ks();
  w('SET a 1 PX 5000');
  w('SET b 2 PX 9000');
  assert.equal(w('RENAME a b'), '+OK');
  assert.equal(r('GET b'), '1');
  assert.equal(r('PTTL b'), 5000);
  assert.equal(r('EXISTS a'), 0);
  assert.equal(k.expires.has('a'), false);
  w('SET c 3');
  assert.equal(w('RENAME b c'), '+OK');
  assert.equal(r('PTTL c'), 5000);
  w('SET d 4');
  assert.equal(w('RENAME d c'), '+OK');
  assert.equal(r('PTTL c'), -1, "the destination's expiry goes with its value");
  assert.equal(w('RENAMENX c c'), 0);
  assert.equal(w('RENAME c c'), '+OK');
  assert.equal(w('RENAME gone x'), '-ERR no such key');
  w('SET e 5 PX 10');
  assert.equal(w('RENAME e f', T0 + 10), '-ERR no such key', 'an expired key is gone');
  const list = ListValue.of(['x', 'y']);
  k.put('l', list);
  k.ready.clear();
  assert.equal(w('RENAME l m'), '+OK');
  assert.equal(k.values.get('m'), list, 'moved, not copied');
  assert.deepEqual([...k.ready], ['m'], 'a list arriving under a name wakes its blocked clients');
});

test('COPY copies collections deeply, with the expiry; REPLACE', () => {
  const { w, r, k } = ks();
  const h = new HashValue([['f', 'v']]);
  const s = new SetValue(['1', 'x']);
  const z = new ZSetValue();
  z.add('m', 1.5);
  const l = ListValue.of(['a', 'b']);
  k.put('h', h);
  k.put('s', s);
  k.put('z', z);
  k.put('l', l);
  w('PEXPIRE h 7000');
  for (const key of ['h', 's', 'z', 'l']) assert.equal(w(`COPY ${key} ${key}2`), 1, key);
  assert.equal(r('PTTL h2'), 7000);
  assert.equal(r('PTTL s2'), -1);
  const h2 = k.values.get('h2') as HashValue;
  h2.set('g', 'w');
  assert.equal(h.has('g'), false, 'the hash is a copy');
  (k.values.get('s2') as SetValue).add('y');
  assert.equal(s.has('y'), false);
  (k.values.get('z2') as ZSetValue).add('n', 2);
  assert.equal(z.size, 1);
  (k.values.get('l2') as ListValue).pushBack('c');
  assert.equal(l.length, 2);
  assert.deepEqual(
    [...(k.values.get('z2') as ZSetValue)],
    [
      { member: 'm', score: 1.5 },
      { member: 'n', score: 2 },
    ],
  );
  assert.equal(w('COPY h s'), 0);
  assert.equal(w('COPY h s REPLACE'), 1);
  assert.equal(r('TYPE s'), '+hash');
  assert.equal(r('PTTL s'), 7000);
  assert.equal(w('COPY nothing s REPLACE'), 0);
  assert.equal(r('TYPE s'), '+hash');
});

test('UNLINK, TOUCH, FLUSHALL', () => {
  const { w, r, k } = ks();
  w('MSET a 1 b 2 c 3');
  w('PEXPIRE c 10');
  assert.equal(r('TOUCH a a b c'), 4);
  assert.equal(r('TOUCH a b c', T0 + 10), 2);
  assert.equal(w('UNLINK a c x', T0 + 10), 1);
  w('APPEND b 5');
  w('PEXPIRE b 100');
  assert.equal(k.encodings.size, 1);
  assert.equal(w('FLUSHALL'), '+OK');
  assert.equal(r('DBSIZE'), 0);
  assert.equal(k.expires.size, 0);
  assert.equal(k.encodings.size, 0);
});

test('RANDOMKEY: only live keys, and not always the same one', () => {
  const { w, r } = ks();
  assert.equal(r('RANDOMKEY'), null);
  for (let i = 0; i < 200; i++) w(`SET gone${i} v PX 10`);
  w('SET kept v');
  for (let i = 0; i < 50; i++) assert.equal(r('RANDOMKEY', T0 + 10), 'kept');
  assert.equal(r('RANDOMKEY', T0 + 10), 'kept');
  for (let i = 0; i < 50; i++) w(`SET live${i} v`, T0 + 20);
  const seen = new Set<unknown>();
  for (let i = 0; i < 200; i++) seen.add(r('RANDOMKEY', T0 + 20));
  assert.ok(seen.size > 10, `${seen.size} different keys`);
  for (const key of seen) assert.ok(key === 'kept' || String(key).startsWith('live'), String(key));
});

test('replicas applying the same expiry commands agree, whatever their own clocks', () => {
  const lines = [
    'SET a 1',
    'EXPIRE a 100',
    'SETEX b 50 v',
    'GETEX b PX 2000',
    'SET c 3',
    'PEXPIRE c 300 GT',
    'PEXPIRE c 300 LT',
    'COPY a d',
    'RENAME a e',
    'INCRBYFLOAT f 1.5',
    'EXPIRE f 7',
    'SETRANGE g 3 x',
    'GETEX g EXAT 1',
  ];
  const replicas = [new Keyspace(), new Keyspace()];
  const replies = replicas.map((k) => lines.map((line, i) => plain(k.applyWrite(cmd(line), T0 + i))));
  assert.deepEqual(replies[0], replies[1]);
  assert.deepEqual(Buffer.from(replicas[0]!.serialize()), Buffer.from(replicas[1]!.serialize()));
  assert.equal(plain(replicas[1]!.read(cmd('PEXPIRETIME e'), T0 + 50)), T0 + 1 + 100_000);
  assert.equal(plain(replicas[1]!.read(cmd('PEXPIRETIME d'), T0 + 50)), T0 + 1 + 100_000);
  assert.equal(plain(replicas[1]!.read(cmd('PEXPIRETIME b'), T0 + 50)), T0 + 3 + 2000);
  assert.equal(plain(replicas[1]!.read(cmd('EXISTS g'), T0 + 50)), 0);
});
