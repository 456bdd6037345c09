// The set commands against the key space. Expected replies and errors are Redis 7.0.15's, taken
// from a real redis-server (test/service/hashes-sets.test.ts compares the two on a live cluster).
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { Keyspace } from '../../src/store/keyspace.js';
import { MAX_REPEATED_PICKS } from '../../src/store/families/random-picks.js';
import { batchedKs as ks, cmd, plain, T0, WRONGTYPE } from '../support/kv-helpers.js';

test('SADD, SREM, SCARD, SISMEMBER, SMISMEMBER; the key goes with its last member', () => {
  const { run, k } = ks();
  assert.equal(run('SADD s a b a'), 2);
  assert.equal(run(['SADD', 's', '\x00\xff', '']), 2);
  assert.equal(run('SADD s a'), 0);
  assert.equal(run('SCARD s'), 4);
  assert.equal(run('SCARD none'), 0);
  assert.equal(run(['SISMEMBER', 's', '\x00\xff']), 1);
  assert.equal(run('SISMEMBER s c'), 0);
  assert.equal(run('SISMEMBER none c'), 0);
  assert.deepEqual(run(['SMISMEMBER', 's', 'a', 'c', '']), [1, 0, 1]);
  assert.deepEqual(run('SMISMEMBER none a b'), [0, 0]);
  assert.equal(run('TYPE s'), '+set');
  const version = k.versionOf('s');
  assert.equal(run('SREM s x y'), 0);
  assert.equal(run('SADD s a b'), 0);
  assert.equal(k.versionOf('s'), version, 'no change, no new version (WATCH)');
  assert.equal(run(['SREM', 's', 'a', 'a', 'x', '']), 2);
  assert.equal(run('SREM none a'), 0);
  assert.equal(run(['SREM', 's', 'b', '\x00\xff']), 2);
  assert.equal(run('EXISTS s'), 0);
});

test('every set command against another type: WRONGTYPE, nothing changed', () => {
  const { run } = ks();
  run('SET str v');
  run('SADD s a');
  for (const c of [
    'SADD str a',
    'SREM str a',
    'SMEMBERS str',
    'SISMEMBER str a',
    'SMISMEMBER str a',
    'SCARD str',
    'SPOP str',
    'SPOP str 0',
    'SRANDMEMBER str',
    'SRANDMEMBER str 0',
    'SMOVE str s a',
    'SMOVE s str a',
    'SINTER s str',
    'SINTER none str',
    'SINTERCARD 2 none str',
    'SINTERSTORE d s str',
    'SUNION str none',
    'SUNIONSTORE d s str',
    'SDIFF none str',
    'SDIFFSTORE d str',
    'SSCAN str 0',
  ]) {
    assert.equal(run(c), WRONGTYPE, c);
  }
  assert.equal(run('GET str'), 'v');
  assert.deepEqual(run('SMEMBERS s'), ['a']);
  assert.equal(run('EXISTS d'), 0);
});

test('member order: ascending for an intset (at most 512 integers), else insertion order', () => {
  const { run } = ks();
  run('SADD i 10 -3 2 9223372036854775807 -9223372036854775808 0 -20 100');
  const ascending = ['-9223372036854775808', '-20', '-3', '0', '2', '10', '100', '9223372036854775807'];
  assert.deepEqual(run('SMEMBERS i'), ascending);
  assert.deepEqual(run('SSCAN i 0'), ['0', ascending]);
  assert.deepEqual(run('SUNION i'), ascending);
  assert.deepEqual(run('SRANDMEMBER i 100'), ascending);
  // Not integers as Redis reads them: a leading zero, a plus sign, beyond 64 bits.
  for (const odd of ['01', '+1', '9223372036854775808', ' 1', '-0']) {
    run(['SADD', `o${odd}`, '5', odd, '1']);
    assert.deepEqual(run(['SMEMBERS', `o${odd}`]), ['5', odd, '1'], odd);
  }
  run('SADD w b a c');
  assert.deepEqual(run('SMEMBERS w'), ['b', 'a', 'c']);
  const ints = Array.from({ length: 512 }, (_, i) => String(511 - i));
  run(['SADD', 'big', ...ints]);
  assert.deepEqual(run('SMEMBERS big'), [...ints].reverse(), '512 integers: still an intset');
  run('SADD big 512');
  assert.deepEqual(run('SMEMBERS big'), [...ints, '512'], '513: a hash table, in insertion order here');
});

test('SMEMBERS, SINTER, SUNION, SDIFF and SPOP with a count are sets in RESP3; SRANDMEMBER is an array', () => {
  const { run, raw } = ks();
  run('SADD s 2 1');
  assert.equal(raw('SMEMBERS s', true), '~2\r\n$1\r\n1\r\n$1\r\n2\r\n');
  assert.equal(raw('SMEMBERS s', false), '*2\r\n$1\r\n1\r\n$1\r\n2\r\n');
  assert.equal(raw('SMEMBERS none', true), '~0\r\n');
  assert.equal(raw('SINTER s none', true), '~0\r\n');
  assert.equal(raw('SUNION none', true), '~0\r\n');
  assert.equal(raw('SDIFF s none', true), '~2\r\n$1\r\n1\r\n$1\r\n2\r\n');
  assert.equal(raw('SRANDMEMBER s 5', true), '*2\r\n$1\r\n1\r\n$1\r\n2\r\n');
  assert.equal(raw('SRANDMEMBER s 0', true), '*0\r\n');
  assert.equal(raw('SRANDMEMBER none 3', true), '*0\r\n');
  assert.equal(raw('SRANDMEMBER none', true), '_\r\n');
  assert.equal(raw('SPOP s 0', true), '~0\r\n');
  assert.equal(raw('SPOP s 0', false), '*0\r\n');
  assert.equal(raw('SPOP none 2', true), '~0\r\n');
  assert.equal(raw('SPOP none', true), '_\r\n');
  assert.equal(raw('SPOP s 5', true), '~2\r\n$1\r\n1\r\n$1\r\n2\r\n');
  assert.equal(raw('SMISMEMBER s a', true), '*1\r\n:0\r\n');
  assert.equal(raw('SSCAN none 0', true), '*2\r\n$1\r\n0\r\n*0\r\n');
});

test('SINTER, SUNION, SDIFF: missing keys are empty sets, every key type-checked first', () => {
  const { run } = ks();
  run('SADD a 1 2 3 x');
  run('SADD b 2 3 4 x');
  run('SADD c 3 x y');
  assert.deepEqual(run('SINTER a b c'), ['3', 'x']);
  assert.deepEqual(run('SINTER a b'), ['2', '3', 'x']);
  assert.deepEqual(run('SINTER a a'), ['1', '2', '3', 'x']);
  assert.deepEqual(run('SINTER a none'), []);
  assert.deepEqual(run('SUNION a b c none'), ['1', '2', '3', 'x', '4', 'y']);
  assert.deepEqual(run('SDIFF a b'), ['1']);
  assert.deepEqual(run('SDIFF b a c'), ['4']);
  assert.deepEqual(run('SDIFF a none'), ['1', '2', '3', 'x']);
  assert.deepEqual(run('SDIFF none a'), []);
  assert.deepEqual(run('SDIFF a b a'), [], 'the first key again: empty');
  run('SADD n 3 1 2');
  run('SADD m 5 4 3 2');
  assert.deepEqual(run('SINTER m n'), ['2', '3'], 'an integer result is answered ascending');
  assert.deepEqual(run('SUNION m n'), ['1', '2', '3', '4', '5']);
  assert.deepEqual(run('SDIFF m n'), ['4', '5']);
  run('SET str v');
  assert.equal(run('SINTER none str'), WRONGTYPE, 'checked even after an empty set');
  assert.equal(run('SDIFF none str'), WRONGTYPE);
});

test('SINTERSTORE, SUNIONSTORE, SDIFFSTORE: replace the destination (any type, TTL too) or delete it', () => {
  const { run, k } = ks();
  run('SADD a 1 2 3');
  run('SADD b 2 3 4');
  run('SET dst v PX 100000');
  assert.equal(run('SINTERSTORE dst a b'), 2);
  assert.deepEqual(run('SMEMBERS dst'), ['2', '3']);
  assert.equal(run('PTTL dst'), -1, 'the TTL goes with the old value');
  assert.equal(run('SUNIONSTORE dst a b'), 4);
  assert.deepEqual(run('SMEMBERS dst'), ['1', '2', '3', '4']);
  assert.equal(run('SDIFFSTORE dst a b'), 1);
  assert.deepEqual(run('SMEMBERS dst'), ['1']);
  assert.equal(run('SDIFFSTORE a a'), 3, 'one key: its own difference');
  assert.equal(run('SUNIONSTORE a a b'), 4, 'the destination may be a source');
  assert.deepEqual(run('SMEMBERS a'), ['1', '2', '3', '4']);
  const version = k.versionOf('dst');
  assert.equal(run('SINTERSTORE dst a none'), 0);
  assert.equal(run('EXISTS dst'), 0, 'an empty result deletes the destination');
  assert.notEqual(k.versionOf('dst'), version);
  assert.equal(run('SUNIONSTORE dst none'), 0);
  assert.equal(run('SDIFFSTORE dst b b'), 0);
  assert.equal(run('EXISTS dst'), 0);
  run('SET str v');
  assert.equal(run('SUNIONSTORE dst a str'), WRONGTYPE);
  assert.equal(run('EXISTS dst'), 0, 'an error stores nothing');
  assert.equal(run('SINTERSTORE str a'), 4, 'a string destination is replaced');
  assert.equal(run('TYPE str'), '+set');
});

test('SINTERCARD: numkeys, LIMIT and their errors', () => {
  const { run } = ks();
  run('SADD a 1 2 3 4');
  run('SADD b 2 3 4 5');
  run('SET str v');
  const cases: [string, unknown][] = [
    ['SINTERCARD 2 a b', 3],
    ['SINTERCARD 1 a', 4],
    ['SINTERCARD 2 a none', 0],
    ['SINTERCARD 2 a b LIMIT 2', 2],
    ['SINTERCARD 2 a b limit 0', 3],
    ['SINTERCARD 2 a b LIMIT 9223372036854775807', 3],
    ['SINTERCARD 1 a LIMIT 1 LIMIT 0', 4],
    ['SINTERCARD 0 a', '-ERR numkeys should be greater than 0'],
    ['SINTERCARD -1 a', '-ERR numkeys should be greater than 0'],
    ['SINTERCARD x a', '-ERR numkeys should be greater than 0'],
    ['SINTERCARD 3 a b', "-ERR Number of keys can't be greater than number of args"],
    ['SINTERCARD 99999999999999999999 a', '-ERR numkeys should be greater than 0'],
    ['SINTERCARD 9223372036854775807 a', "-ERR Number of keys can't be greater than number of args"],
    ['SINTERCARD 1 a LIMIT', '-ERR syntax error'],
    ['SINTERCARD 1 a LIMIT -1', "-ERR LIMIT can't be negative"],
    ['SINTERCARD 1 a LIMIT x', "-ERR LIMIT can't be negative"],
    ['SINTERCARD 1 a FOO 2', '-ERR syntax error'],
    ['SINTERCARD 1 str', WRONGTYPE],
    ['SINTERCARD 2 none str', WRONGTYPE],
    ['SINTERCARD 1 str LIMIT x', "-ERR LIMIT can't be negative"],
  ];
  for (const [c, reply] of cases) assert.deepEqual(run(c), reply, c);
});

test('SMOVE: Redis order of checks; the source goes when emptied, the destination is created', () => {
  const { run } = ks();
  run('SADD s 1 2');
  run('SET str v');
  assert.equal(run('SMOVE none str 1'), 0, 'a missing source answers 0 before the destination is checked');
  assert.equal(run('SMOVE str s 1'), WRONGTYPE);
  assert.equal(run('SMOVE s str 1'), WRONGTYPE);
  assert.equal(run('SMOVE s s 1'), 1);
  assert.equal(run('SMOVE s s 9'), 0);
  assert.equal(run('SMOVE s d 9'), 0);
  assert.equal(run('EXISTS d'), 0);
  assert.equal(run('SMOVE s d 1'), 1);
  assert.deepEqual(run('SMEMBERS d'), ['1']);
  run('SADD d 2');
  assert.equal(run('SMOVE s d 2'), 1, 'already in the destination: still moved out of the source');
  assert.equal(run('EXISTS s'), 0);
  assert.deepEqual(run('SMEMBERS d'), ['1', '2']);
});

test('SPOP: one member, or a count; errors in Redis order', () => {
  const { run } = ks();
  run('SADD s a b c d e');
  const cases: [string, unknown][] = [
    ['SPOP s 1 2', '-ERR syntax error'],
    ['SPOP none 1 2', '-ERR syntax error'],
    ['SPOP s -1', '-ERR value is out of range, must be positive'],
    ['SPOP s x', '-ERR value is out of range, must be positive'],
    ['SPOP none -1', '-ERR value is out of range, must be positive'],
    ['SPOP s 9223372036854775808', '-ERR value is out of range, must be positive'],
    ['SPOP s 0', []],
    ['SPOP none 3', []],
    ['SPOP none', null],
  ];
  for (const [c, reply] of cases) assert.deepEqual(run(c), reply, c);
  const one = run('SPOP s') as string;
  assert.ok('abcde'.includes(one));
  const two = run('SPOP s 2') as string[];
  assert.equal(new Set([one, ...two]).size, 3);
  const left = run('SMEMBERS s') as string[];
  assert.deepEqual(new Set([one, ...two, ...left]), new Set(['a', 'b', 'c', 'd', 'e']), 'popped ones are gone');
  assert.deepEqual(run('SPOP s 9223372036854775807'), left, 'count >= size: all of it, in order');
  assert.equal(run('EXISTS s'), 0);
  run('SADD i 3 1 2');
  assert.deepEqual(run('SPOP i 3'), ['1', '2', '3']);
});

test('SPOP is the same on every replica: same log, same pops; after a snapshot too; small and large sets', () => {
  for (const size of [5, 100, 129, 3000]) {
    const members = Array.from({ length: size }, (_, i) => `m${i}`);
    const a = ks();
    a.run(['SADD', 's', ...members]);
    a.run('SADD t 1 2 3 4 5 6 7 8');
    const b = ks(Keyspace.restore(a.k.serialize()), 3);
    a.k.read(cmd('SSCAN s 0'), T0); // one replica built an index for the scan: no difference
    a.k.read(cmd('SRANDMEMBER s 3'), T0);
    const popsA: unknown[] = [];
    const popsB: unknown[] = [];
    for (let i = 0; i < 20; i++) {
      for (const c of ['SPOP s', `SPOP s ${1 + (i % 7)}`, 'SPOP t']) {
        popsA.push(a.run(c));
        popsB.push(b.run(c));
      }
    }
    assert.deepEqual(popsA, popsB, `size ${size}`);
    assert.deepEqual(a.run('SMEMBERS s'), b.run('SMEMBERS s'));
  }
});

test('SPOP picks every member about equally often', () => {
  const counts = new Map<string, number>();
  for (const size of [3, 300]) {
    counts.clear();
    const draws = 100 * size;
    const { run } = ks();
    run(['SADD', 's', ...Array.from({ length: size }, (_, i) => `m${i}`)]);
    for (let i = 0; i < draws; i++) {
      const m = run('SPOP s') as string;
      counts.set(m, (counts.get(m) ?? 0) + 1);
      run(['SADD', 's', m]);
    }
    const expected = draws / size;
    assert.equal(counts.size, size, `size ${size}: every member popped`);
    // Five standard deviations: deterministic draws, so this cannot flake; it catches a biased pick.
    const slack = 5 * Math.sqrt(expected);
    for (const [m, n] of counts) assert.ok(Math.abs(n - expected) < slack, `${m}: ${n} of ${draws}`);
  }
});

test('SRANDMEMBER: one member, or a count as Redis 7.0 reads it', () => {
  const { run } = ks();
  run('SADD s a b c');
  run('SET str v');
  const cases: [string, unknown][] = [
    ['SRANDMEMBER s 1 2', '-ERR syntax error'],
    ['SRANDMEMBER s x', '-ERR value is not an integer or out of range'],
    ['SRANDMEMBER none x', '-ERR value is not an integer or out of range'],
    ['SRANDMEMBER str x', '-ERR value is not an integer or out of range'],
    ['SRANDMEMBER s 9223372036854775808', '-ERR value is not an integer or out of range'],
    [
      'SRANDMEMBER s -9223372036854775808',
      '-ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807',
    ],
    ['SRANDMEMBER s 0', []],
    ['SRANDMEMBER none -5', []],
    ['SRANDMEMBER none', null],
    ['SRANDMEMBER s 3', ['a', 'b', 'c']],
    ['SRANDMEMBER s 9223372036854775807', ['a', 'b', 'c']],
    // Redis would try to build these replies; here they are refused.
    [`SRANDMEMBER s -${MAX_REPEATED_PICKS + 1}`, '-ERR value is out of range'],
    ['SRANDMEMBER s -9223372036854775807', '-ERR value is out of range'],
  ];
  for (const [c, reply] of cases) assert.deepEqual(run(c), reply, c);
  for (let i = 0; i < 20; i++) {
    assert.ok('abc'.includes(run('SRANDMEMBER s') as string));
    const two = run('SRANDMEMBER s 2') as string[];
    assert.equal(new Set(two).size, 2);
  }
  const many = run('SRANDMEMBER s -300') as string[];
  assert.equal(many.length, 300);
  assert.deepEqual(new Set(many), new Set(['a', 'b', 'c']));
  assert.equal(run('SCARD s'), 3, 'a read takes nothing');
});

test('SRANDMEMBER on a large set: distinct picks of every size, every member reachable', () => {
  const { run } = ks();
  run(['SADD', 's', ...Array.from({ length: 1000 }, (_, i) => `m${i}`)]);
  for (const n of [1, 2, 333, 334, 999]) {
    const got = run(`SRANDMEMBER s ${n}`) as string[];
    assert.equal(got.length, n);
    assert.equal(new Set(got).size, n);
  }
  assert.equal(new Set(run('SRANDMEMBER s -20000') as string[]).size, 1000);
});

test('SSCAN: an intset or a set of up to 128 whole; a larger one by cursor, every member present throughout returned', () => {
  const { run } = ks();
  const ints = Array.from({ length: 500 }, (_, i) => String(1000 - i));
  run(['SADD', 'i', ...ints]);
  const [cursor, page] = run('SSCAN i 77 COUNT 3') as [string, string[]];
  assert.equal(cursor, '0');
  assert.deepEqual(page, [...ints].reverse(), 'an intset: all of it, ascending');
  assert.deepEqual(run('SSCAN i 0 MATCH 99*'), [
    '0',
    ['990', '991', '992', '993', '994', '995', '996', '997', '998', '999'],
  ]);
  const small = Array.from({ length: 128 }, (_, i) => `w${i}`);
  run(['SADD', 'w', ...small]);
  assert.deepEqual(run('SSCAN w 0 COUNT 1'), ['0', small]);
  run('SADD w one-more');
  const [next, first] = run('SSCAN w 0 COUNT 10') as [string, string[]];
  assert.notEqual(next, '0', '129 members: by cursor');
  assert.ok(first.length >= 10 && first.length < 129);

  const members = Array.from({ length: 2000 }, (_, i) => `m${i}`);
  run(['SADD', 's', ...members]);
  const returned = new Set<string>();
  let c = '0';
  let step = 0;
  do {
    const [n, got] = run(`SSCAN s ${c} COUNT 25`) as [string, string[]];
    for (const m of got) returned.add(m);
    c = n;
    step++;
    run(['SADD', 's', ...Array.from({ length: 50 }, (_, i) => `new${step}-${i}`)]);
    run(['SREM', 's', `m${step}`]);
  } while (c !== '0');
  for (let i = step + 1; i < 2000; i++) assert.ok(returned.has(`m${i}`), `m${i} missed`);
});

test('SSCAN errors, in Redis order', () => {
  const { run } = ks();
  run('SADD s 1 2 3');
  run('SET str v');
  const cases: [string | string[], unknown][] = [
    ['SSCAN s x', '-ERR invalid cursor'],
    ['SSCAN none x', '-ERR invalid cursor'],
    ['SSCAN str x', '-ERR invalid cursor'],
    ['SSCAN s 18446744073709551616', '-ERR invalid cursor'],
    ['SSCAN s 18446744073709551615', ['0', ['1', '2', '3']]],
    [['SSCAN', 's', ' 0'], '-ERR invalid cursor'],
    ['SSCAN none 0 COUNT x', ['0', []]],
    ['SSCAN str 0 COUNT x', WRONGTYPE],
    ['SSCAN s 0 COUNT 0', '-ERR syntax error'],
    ['SSCAN s 0 COUNT x', '-ERR value is not an integer or out of range'],
    ['SSCAN s 0 MATCH', '-ERR syntax error'],
    ['SSCAN s 0 TYPE string', '-ERR syntax error'],
    ['SSCAN s 0 COUNT 1 MATCH *3', ['0', ['3']]],
  ];
  for (const [c, reply] of cases) assert.deepEqual(run(c), reply, String(c));
});

test('sets survive a snapshot: members, order, replies', () => {
  const { run, k } = ks();
  run('SADD i 3 -1 2');
  run(['SADD', 'b', '\x00', '\xff', 'z', 'a']);
  run(['SADD', 'big', ...Array.from({ length: 700 }, (_, i) => String(i))]);
  const b = Keyspace.restore(k.serialize());
  for (const q of ['SMEMBERS i', 'SMEMBERS b', 'SMEMBERS big', 'SSCAN big 0', 'SSCAN big 99999 COUNT 7', 'SCARD big']) {
    assert.deepEqual(plain(b.read(cmd(q), T0)), plain(k.read(cmd(q), T0)), q);
  }
});
