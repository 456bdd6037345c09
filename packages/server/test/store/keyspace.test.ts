import { test } from 'node:test';
import assert from 'node:assert/strict';

import { Keyspace } from '../../src/store/keyspace.js';
import { prng } from '../../../little-raft/test/support/prng.js';
import { cmd, ks, plain, T0 } from '../support/kv-helpers.js';

test('SET and GET, binary-safe keys and values', () => {
  const { w, r } = ks();
  assert.equal(r('GET a'), null);
  assert.equal(w('SET a 1'), '+OK');
  assert.equal(r('GET a'), '1');
  assert.equal(w(['SET', '\x00\xff', '\r\n\x00']), '+OK');
  assert.equal(r(['GET', '\x00\xff']), '\r\n\x00');
  assert.equal(w(['SET', '', '']), '+OK');
  assert.equal(r(['GET', '']), '');
  assert.equal(r(['EXISTS', '']), 1);
  assert.equal(w('set a 2'), '+OK');
  assert.equal(r('get a'), '2');
});

test('SET NX / XX / GET', () => {
  const { w, r } = ks();
  assert.equal(w('SET k v XX'), null);
  assert.equal(r('EXISTS k'), 0);
  assert.equal(w('SET k v NX'), '+OK');
  assert.equal(w('SET k w NX'), null);
  assert.equal(r('GET k'), 'v');
  assert.equal(w('SET k w XX'), '+OK');
  assert.equal(w('SET k x GET'), 'w');
  assert.equal(w('SET new y GET'), null);
  assert.equal(r('GET new'), 'y');
  assert.equal(w('SET k z NX GET'), 'x', 'NX fails but GET still answers the old value');
  assert.equal(r('GET k'), 'x');
  assert.equal(w('SET none z XX GET'), null);
  assert.equal(r('EXISTS none'), 0);
});

test('SET errors are the same as validateWrite, and change nothing', () => {
  const { w, r } = ks();
  w('SET k v');
  assert.equal(w('SET k v2 NX XX'), '-ERR syntax error');
  assert.equal(w('SET k v2 EX x'), '-ERR value is not an integer or out of range');
  assert.equal(w('SET k v2 EX 0'), "-ERR invalid expire time in 'set' command");
  assert.equal(w('SET k v2 EX 9223372036854775'), "-ERR invalid expire time in 'set' command");
  assert.equal(w('SET k v2 PX 9223372036854775807'), "-ERR invalid expire time in 'set' command");
  assert.equal(r('GET k'), 'v');
  assert.equal(w('SET k'), "-ERR wrong number of arguments for 'set' command");
  assert.equal(w('NOPE x'), "-ERR unknown command 'NOPE', with args beginning with: 'x' ");
  assert.equal(w('GET k'), "-ERR 'get' is not a write command");
});

test('expiry: EX/PX relative to at, EXAT/PXAT absolute, TTL/PTTL, absent at expireAt', () => {
  const { w, r } = ks();
  w('SET ex v EX 10');
  w('SET px v PX 1500');
  w(`SET exat v EXAT ${T0 / 1000 + 20}`);
  w(`SET pxat v PXAT ${T0 + 30_000}`);
  w('SET plain v');
  assert.equal(r('TTL ex'), 10);
  assert.equal(r('PTTL ex'), 10_000);
  assert.equal(r('PTTL px'), 1500);
  assert.equal(r('TTL px'), 2, 'TTL rounds to the nearest second');
  assert.equal(r('TTL px', T0 + 1000), 1);
  assert.equal(r('TTL px', T0 + 1001), 0);
  assert.equal(r('PTTL exat'), 20_000);
  assert.equal(r('PTTL pxat'), 30_000);
  assert.equal(r('TTL plain'), -1);
  assert.equal(r('TTL missing'), -2);
  assert.equal(r('PTTL missing'), -2);
  assert.equal(r('GET px', T0 + 1499), 'v');
  assert.equal(r('GET px', T0 + 1500), null, 'a key is absent at its expireAt');
  assert.equal(r('TTL px', T0 + 1500), -2);
  assert.equal(r('EXISTS px', T0 + 1500), 0);
  assert.equal(r('TYPE px', T0 + 1500), '+none');
  assert.equal(r('STRLEN px', T0 + 1500), 0);
  assert.equal(r('DBSIZE'), 5);
  assert.equal(r('DBSIZE', T0 + 10_000), 3);
  assert.deepEqual((r('KEYS *', T0 + 20_000) as string[]).sort(), ['plain', 'pxat']);
});

test('SET without KEEPTTL clears the TTL; KEEPTTL, INCR, APPEND keep it; MSET clears it', () => {
  const { w, r } = ks();
  w('SET a 1 EX 100');
  w('SET a 2');
  assert.equal(r('TTL a'), -1);
  w('SET a 1 EX 100');
  w('SET a 3 KEEPTTL');
  assert.equal(r('TTL a'), 100);
  assert.equal(r('GET a'), '3');
  w('INCR a', T0 + 1000);
  assert.equal(r('TTL a', T0 + 1000), 99);
  w('APPEND a 0', T0 + 2000);
  assert.equal(r('TTL a', T0 + 2000), 98);
  assert.equal(r('GET a', T0 + 2000), '40');
  w('MSET a 5 b 6', T0 + 3000);
  assert.equal(r('TTL a', T0 + 3000), -1);
  w('SET c 1 PX 10', T0 + 4000);
  assert.equal(w('SET c 2 KEEPTTL', T0 + 4010), '+OK');
  assert.equal(r('TTL c', T0 + 4010), -1, 'an expired key does not lend its TTL to a new one');
});

test('a write after expiry sees the key as absent', () => {
  const after = (setup: string, line: string): unknown => {
    const { w } = ks();
    w(setup, T0);
    return w(line, T0 + 100);
  };
  assert.equal(after('SET k 5 PX 100', 'INCR k'), 1);
  assert.equal(after('SET k abc PX 100', 'APPEND k d'), 1);
  assert.equal(after('SET k v PX 100', 'GETDEL k'), null);
  assert.equal(after('SET k v PX 100', 'SET k v NX'), '+OK');
  assert.equal(after('SET k v PX 100', 'SET k v XX'), null);
  assert.equal(after('SET k v PX 100', 'DEL k'), 0);
  assert.equal(after('SET k v PX 100', 'SET k w GET'), null);
  const { w, r } = ks();
  w('SET k 5 PX 100', T0);
  w('INCR k', T0 + 100);
  assert.equal(r('TTL k', T0 + 100), -1, 'the new key has no TTL');
  assert.equal(r('GET k', T0 + 100), '1');
});

test('SET with an expiry already in the past deletes the key', () => {
  const { w, r } = ks();
  w('SET k v');
  assert.equal(w('SET k v2 PXAT 1'), '+OK');
  assert.equal(r('EXISTS k'), 0);
  w('SET k v');
  assert.equal(w(`SET k v3 EXAT ${T0 / 1000} GET`), 'v');
  assert.equal(r('GET k'), null);
});

test('the clock never goes backwards: a write stamped earlier does not revive a key', () => {
  const { w, r } = ks();
  w('SET k v PX 100', T0);
  w('SET other x', T0 + 200);
  assert.equal(w('SET k2 v EX 1', T0 + 50), '+OK');
  assert.equal(r('PTTL k2', T0), 1000, 'EX counts from the state machine clock (T0 + 200)');
  assert.equal(r('GET k', T0 + 50), null, 'reads never go before the state machine clock');
});

test('INCR / DECR / INCRBY / DECRBY: values, parsing, int64 bounds', () => {
  const { w, r } = ks();
  assert.equal(w('INCR n'), 1);
  assert.equal(w('INCRBY n 41'), 42);
  assert.equal(w('DECR n'), 41);
  assert.equal(w('DECRBY n 50'), -9);
  assert.equal(w('INCRBY n -1'), -10);
  assert.equal(r('GET n'), '-10');
  assert.equal(w('SET n 9223372036854775806'), '+OK');
  assert.equal(w('INCR n'), 9223372036854775807n);
  assert.equal(w('INCR n'), '-ERR increment or decrement would overflow');
  assert.equal(r('GET n'), '9223372036854775807');
  assert.equal(w('SET n -9223372036854775807'), '+OK');
  assert.equal(w('DECR n'), -9223372036854775808n);
  assert.equal(w('DECR n'), '-ERR increment or decrement would overflow');
  assert.equal(w('INCRBY n 9223372036854775807'), -1);
  assert.equal(w('DECRBY n -9223372036854775808'), '-ERR decrement would overflow');
  assert.equal(w('INCRBY n -9223372036854775808'), '-ERR increment or decrement would overflow');
  assert.equal(w('SET n 9007199254740991'), '+OK');
  assert.equal(w('INCR n'), 9007199254740992n, 'beyond 2^53 the reply is a bigint, exact');
  assert.equal(w('INCR n'), 9007199254740993n);
  assert.equal(w('DECRBY n 9007199254740993'), 0);
  for (const bad of ['x', '', ' 1', '1 ', '01', '-0', '+1', '1.0', '1e3', '9223372036854775808', '--1', '-']) {
    w(['SET', 'b', bad]);
    assert.equal(w('INCR b'), '-ERR value is not an integer or out of range', JSON.stringify(bad));
    assert.equal(r('GET b'), bad, 'a failed INCR changes nothing');
  }
  assert.equal(w('INCRBY b x'), '-ERR value is not an integer or out of range');
  w('SET z 0');
  assert.equal(w('INCRBY z -9223372036854775808'), -9223372036854775808n);
});

test('APPEND, STRLEN, GETDEL, DEL, EXISTS, MGET, MSET, TYPE', () => {
  const { w, r } = ks();
  assert.equal(w('APPEND s Hello'), 5);
  assert.equal(w('APPEND s World'), 10);
  assert.equal(r('GET s'), 'HelloWorld');
  assert.equal(r('STRLEN s'), 10);
  assert.equal(r('STRLEN nope'), 0);
  assert.equal(w('MSET a 1 b 2 a 3'), '+OK');
  assert.equal(w('MSET a 1 b'), "-ERR wrong number of arguments for 'mset' command");
  assert.deepEqual(r('MGET a b nope s'), ['3', '2', null, 'HelloWorld']);
  assert.equal(r('EXISTS a a nope b'), 3);
  assert.equal(r('TYPE a'), '+string');
  assert.equal(r('TYPE nope'), '+none');
  assert.equal(w('GETDEL a'), '3');
  assert.equal(w('GETDEL a'), null);
  assert.equal(w('DEL a b b nope s'), 2);
  assert.equal(r('DBSIZE'), 0);
});

test('FLUSHDB', () => {
  const { w, r } = ks();
  w('SET a 1 EX 10');
  w('SET b 2');
  assert.equal(w('FLUSHDB NOW'), '-ERR syntax error');
  assert.equal(r('DBSIZE'), 2);
  assert.equal(w('FLUSHDB ASYNC'), '+OK');
  assert.equal(r('DBSIZE'), 0);
  assert.deepEqual(r('KEYS *'), []);
  assert.deepEqual(r('SCAN 0'), ['0', []]);
  w('SET a 1');
  assert.equal(r('TTL a'), -1);
});

test('KEYS with globs', () => {
  const { w, r } = ks();
  for (const k of ['user:1', 'user:2', 'user:10', 'admin', '']) w(['SET', k, 'x']);
  assert.deepEqual((r('KEYS *') as string[]).sort(), ['', 'admin', 'user:1', 'user:10', 'user:2']);
  assert.deepEqual((r('KEYS user:?') as string[]).sort(), ['user:1', 'user:2']);
  assert.deepEqual((r('KEYS user:[^2]*') as string[]).sort(), ['user:1', 'user:10']);
  assert.deepEqual(r('KEYS nomatch'), []);
});

test('reads answer errors for wrong arity and non-read commands', () => {
  const { r } = ks();
  assert.equal(r('GET'), "-ERR wrong number of arguments for 'get' command");
  assert.equal(r('DBSIZE x'), "-ERR wrong number of arguments for 'dbsize' command");
  assert.equal(r('SET a b'), "-ERR 'set' is not a read command");
});

test('replicas applying the same commands agree exactly (state and replies), snapshots included', () => {
  const rnd = prng(11);
  const a = new Keyspace();
  const b = new Keyspace();
  let c: Keyspace | null = null;
  const keys = ['a', 'b', 'c', 'd', 'e', 'f'];
  const pick = <T>(xs: T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  let at = T0;
  for (let i = 0; i < 5000; i++) {
    at += Math.floor(rnd() * 50) - 10; // sometimes backwards: a new leader with a slower clock
    const k = pick(keys);
    const line = pick([
      `SET ${k} ${i}`,
      `SET ${k} ${i} PX ${1 + Math.floor(rnd() * 200)}`,
      `SET ${k} ${i} EX 1 NX`,
      `SET ${k} ${i} XX KEEPTTL GET`,
      `INCR ${k}`,
      `APPEND ${k} x`,
      `DEL ${k} ${pick(keys)}`,
      `GETDEL ${k}`,
      `MSET ${k} 1 ${pick(keys)} 2`,
    ]);
    const ra = plain(a.applyWrite(cmd(line), at));
    assert.deepEqual(plain(b.applyWrite(cmd(line), at)), ra);
    if (c !== null) assert.deepEqual(plain(c.applyWrite(cmd(line), at)), ra, `restored replica differs at ${i}`);
    if (i % 1000 === 500) c = Keyspace.restore(a.serialize());
  }
  assert.deepEqual(Buffer.from(a.serialize()), Buffer.from(b.serialize()));
  assert.deepEqual(Buffer.from(c!.serialize()), Buffer.from(a.serialize()));
  for (const now of [at, at + 100, at + 1000]) {
    for (const q of ['DBSIZE', 'KEYS *', ...keys.map((k) => `PTTL ${k}`), ...keys.map((k) => `GET ${k}`)]) {
      assert.deepEqual(plain(c!.read(cmd(q), now)), plain(a.read(cmd(q), now)), q);
    }
  }
});

test('WATCH versions: a restored replica keeps the same versions as one that applied the log, across generations', () => {
  const a = new Keyspace();
  let b: Keyspace | null = null;
  // Enough distinct keys for the version table to roll over its generations twice.
  for (let i = 1; i <= 200_000; i++) {
    for (const k of b === null ? [a] : [a, b]) {
      k.beginBatch(i);
      k.applyWrite(cmd(`SET key:${i % 150_000} v`), T0);
    }
    if (i === 70_000) b = Keyspace.restore(a.serialize());
  }
  assert.deepEqual(Buffer.from(b!.serialize()), Buffer.from(a.serialize()));
  for (const key of ['key:1', 'key:60000', 'key:149999', 'key:10', 'never']) {
    assert.equal(b!.versionOf(key), a.versionOf(key), key);
  }
  assert.equal(a.versionOf('key:10'), 150_010, 'a recent change: its own index');
  assert.ok(a.versionOf('never') > 0, 'a forgotten (or never seen) key counts as changed at the floor');
  assert.ok(a.versionOf('never') < 150_010);
});

test('expired keys are purged as writes go on, not left to pile up', () => {
  const k = new Keyspace();
  for (let i = 0; i < 10_000; i++) k.applyWrite(cmd(`SET k${i} v PX ${1 + (i % 100)}`), T0);
  assert.equal(k.size, 10_000);
  for (let i = 0; i < 100; i++) k.applyWrite(cmd(`SET live${i} v`), T0 + 1000);
  assert.equal(k.size, 100, 'every expired key was deleted');
  assert.equal(k.expiringSize, 0);
  assert.equal(plain(k.read(cmd('DBSIZE'), T0 + 1000)), 100);
});

test('re-setting an expiring key many times does not grow the expiry heap without bound', () => {
  const k = new Keyspace();
  for (let i = 0; i < 50_000; i++) k.applyWrite(cmd(`SET k v EX ${1000 + i}`), T0);
  const heap = (k as unknown as { heap: { size: number } }).heap;
  assert.ok(heap.size <= 2 + 1024 * 2, `heap holds ${heap.size} entries for one key`);
  assert.equal(plain(k.read(cmd('TTL k'), T0)), 1000 + 49_999);
});

test('DBSIZE is exact even with expired keys not yet purged', () => {
  const k = new Keyspace();
  for (let i = 0; i < 2000; i++) k.applyWrite(cmd(`SET k${i} v PX ${i + 1}`), T0);
  for (const dt of [0, 1, 500, 1999, 2000, 5000]) {
    assert.equal(plain(k.read(cmd('DBSIZE'), T0 + dt)), Math.max(0, 2000 - dt), `at +${dt}`);
  }
});
