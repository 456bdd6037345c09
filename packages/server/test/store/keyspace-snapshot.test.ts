import { test } from 'node:test';
import assert from 'node:assert/strict';

import { Keyspace } from '../../src/store/keyspace.js';
import { SnapshotError } from '../../src/errors.js';
import { prng } from '../../../little-raft/test/support/prng.js';
import { cmd, plain, T0 } from '../support/kv-helpers.js';

function sample(): Keyspace {
  const k = new Keyspace();
  k.applyWrite(cmd('SET plain value'), T0);
  k.applyWrite(cmd(['SET', '\x00bin\xff', '\r\n\x00\xff']), T0);
  k.applyWrite(cmd(['SET', '', '']), T0);
  k.applyWrite(cmd('SET ttl v PX 5000'), T0);
  k.applyWrite(cmd('SET far v PXAT 9223372036854775807'), T0);
  k.applyWrite(cmd(['SET', 'long', 'x'.repeat(100_000)]), T0);
  k.applyWrite(cmd('SET gone v PX 10'), T0);
  k.applyWrite(cmd('INCR n'), T0 + 20);
  k.applyWrite(cmd('INCRBYFLOAT fl 0.1'), T0 + 20);
  k.applyWrite(cmd(['SETRANGE', 'sr', '2', '\xff']), T0 + 20);
  k.applyWrite(cmd(`PEXPIREAT sr ${T0 + 5000}`), T0 + 20);
  k.applyWrite(cmd('ZADD zs 1 a 2.5 b -inf c 1e300 d'), T0);
  k.applyWrite(cmd(['ZADD', 'zbin', '0', '\x00\xff', '0', '']), T0);
  // Hashes and sets: binary fields and members, insertion order, an intset, a large set.
  k.applyWrite(cmd(['HSET', 'hash', 'z', '1', '\x00\xff', '\r\n', '', '']), T0);
  k.applyWrite(cmd('SADD ints 3 -1 2'), T0);
  k.applyWrite(cmd(['SADD', 'set', 'b', '\x00', 'a']), T0);
  k.applyWrite(cmd(['SADD', 'bigset', ...Array.from({ length: 600 }, (_, i) => `m${i}`)]), T0);
  k.applyWrite(cmd(['RPUSH', 'list', 'a', '', '\x00\xff\r\n', 'a']), T0);
  // A ring buffer that wrapped around: its head is not at index 0.
  for (let i = 0; i < 6; i++) k.applyWrite(cmd(`RPUSH ring ${i}`), T0);
  k.applyWrite(cmd('LPOP ring 4'), T0);
  k.applyWrite(cmd('RPUSH ring 6 7 8 9'), T0);
  k.applyWrite(cmd('LPUSH ring -1'), T0);
  k.applyWrite(cmd('LMOVE ring moved LEFT RIGHT'), T0);
  return k;
}

const QUERIES = [
  ...['DBSIZE', 'KEYS *', 'GET plain', 'GET long', 'PTTL ttl', 'PTTL far', 'TTL plain', 'GET n', 'GET gone'],
  ...['GET fl', 'GET sr', 'PEXPIRETIME sr'],
  ...['ZRANGE zs 0 -1 WITHSCORES', 'ZRANGE zbin 0 -1 WITHSCORES'],
  ...['HGETALL hash', 'SMEMBERS ints', 'SMEMBERS set', 'SMEMBERS bigset'],
  ...['LRANGE list 0 -1', 'LRANGE ring 0 -1', 'LRANGE moved 0 -1', 'TYPE list'],
];

test('round trip: values, binary keys, expiries (also beyond 2^53), and the clock', () => {
  const a = sample();
  const bytes = a.serialize();
  const b = Keyspace.restore(bytes);
  for (const q of [...QUERIES, ['GET', '\x00bin\xff'], ['GET', '']]) {
    for (const now of [T0 + 20, T0 + 4000, T0 + 6000]) {
      assert.deepEqual(plain(b.read(cmd(q), now)), plain(a.read(cmd(q), now)), `${String(q)} at ${now}`);
    }
  }
  assert.deepEqual(plain(b.read(cmd(['GET', '\x00bin\xff']), T0)), '\r\n\x00\xff');
  assert.deepEqual(Buffer.from(b.serialize()), Buffer.from(bytes), 'serialize(restore(x)) = x');
  assert.equal(b.size, 11 + 4 + 3, 'keys expired at the clock are left out');
  assert.deepEqual(plain(b.read(cmd('LRANGE ring 0 -1'), T0)), ['4', '5', '6', '7', '8', '9']);
  // A restored list is a working list.
  b.applyWrite(cmd('RPUSH ring 10'), T0);
  assert.deepEqual(plain(b.read(cmd('LRANGE ring 0 -1'), T0)), ['4', '5', '6', '7', '8', '9', '10']);
  // The clock came along: a write stamped earlier is applied at the snapshot's clock.
  b.applyWrite(cmd('SET later v PX 100'), T0);
  assert.equal(plain(b.read(cmd('PTTL later'), T0)), 100 - 20 + 20);
});

test('an empty key space round-trips', () => {
  const b = Keyspace.restore(new Keyspace().serialize());
  assert.equal(b.size, 0);
  assert.deepEqual(plain(b.read(cmd('SCAN 0'), T0)), ['0', []]);
});

test('a restored key space keeps working: SCAN, expiry purge, writes', () => {
  const a = new Keyspace();
  for (let i = 0; i < 5000; i++) a.applyWrite(cmd(`SET k${i} ${i}${i % 2 ? ' PX 100' : ''}`), T0);
  const b = Keyspace.restore(a.serialize());
  const [, keys] = plain(b.read(cmd('SCAN 0 COUNT 100000'), T0)) as [string, string[]];
  assert.equal(keys.length, 5000);
  for (let i = 0; i < 20; i++) b.applyWrite(cmd(`SET x${i} v`), T0 + 100);
  assert.equal(b.size, 2520, 'expired keys were purged from the restored heap');
});

test('every corruption is rejected with a SnapshotError: truncation, bit flips, bad checksum', () => {
  const bytes = Buffer.from(sample().serialize());
  for (let n = 0; n < bytes.length; n += n < 100 ? 1 : 997) {
    assert.throws(() => Keyspace.restore(bytes.subarray(0, n)), SnapshotError, `prefix of ${n}`);
  }
  const rnd = prng(4);
  for (let i = 0; i < 300; i++) {
    const bad = Buffer.from(bytes);
    const at = Math.floor(rnd() * bad.length);
    bad[at] = bad[at]! ^ (1 << Math.floor(rnd() * 8));
    assert.throws(() => Keyspace.restore(bad), SnapshotError, `bit flip at ${at}`);
  }
  assert.throws(() => Keyspace.restore(Buffer.concat([bytes, Buffer.from([0])])), SnapshotError);
  assert.throws(() => Keyspace.restore(new Uint8Array(0)), /too short/);
  assert.throws(() => Keyspace.restore(Buffer.from('nope nope nope nope')), /magic/);
});

test('structurally bad snapshots with a valid checksum are rejected too', async () => {
  const { crc32 } = await import('little-raft');
  const seal = (body: number[]): Buffer => {
    const b = Buffer.from(body);
    const out = Buffer.alloc(b.length + 4);
    b.copy(out);
    out.writeUInt32LE(crc32(b, 0, b.length), b.length);
    return out;
  };
  const header = (clock: number): number[] => {
    const h = Buffer.alloc(13);
    h.write('LRKS', 0, 'latin1');
    h[4] = 1;
    h.writeDoubleLE(clock, 5);
    return [...h];
  };
  const entry = (k: string, v: string, flag: number, extra: number[] = []): number[] => [
    k.length,
    ...Buffer.from(k),
    v.length,
    ...Buffer.from(v),
    flag,
    ...extra,
  ];
  assert.equal(Keyspace.restore(seal([...header(0), 1, ...entry('a', 'b', 0)])).size, 1);
  assert.throws(() => Keyspace.restore(seal([...header(0), 2, ...entry('a', 'b', 0), ...entry('a', 'c', 0)])), /twice/);
  assert.throws(() => Keyspace.restore(seal([...header(0), 1, ...entry('a', 'b', 2)])), /flag/);
  assert.throws(() => Keyspace.restore(seal([...header(0), 1, ...entry('a', 'b', 1, [0, 0, 0])])), /truncated/);
  const nan = [...Buffer.from(new Float64Array([NaN]).buffer)];
  assert.throws(() => Keyspace.restore(seal([...header(0), 1, ...entry('a', 'b', 1, nan)])), /expiry/);
  assert.throws(() => Keyspace.restore(seal([...header(1.5), 0])), /clock/);
  assert.throws(() => Keyspace.restore(seal([...header(0), 0x7f])), /count/);
  assert.throws(() => Keyspace.restore(seal([...header(0), 1, 100, 1, 1, 1])), /truncated key/);
  const v9 = header(0);
  v9[4] = 9;
  assert.throws(() => Keyspace.restore(seal([...v9, 0])), /unsupported version 9/);

  // Version 2: a type byte before each value, then the WATCH versions.
  const v2 = header(0);
  v2[4] = 2;
  const str = (s: string): number[] => [s.length, ...Buffer.from(s)];
  const noVersions = [0, 0, 0];
  assert.equal(Keyspace.restore(seal([...v2, 1, ...str('a'), 0, ...str('b'), 0, ...noVersions])).size, 1);
  assert.throws(() => Keyspace.restore(seal([...v2, 1, ...str('a'), 9, ...str('b'), 0, ...noVersions])), /type 9/);
  assert.throws(() => Keyspace.restore(seal([...v2, 1, ...str('a'), 1, 0, 0, ...noVersions])), /empty hash/);
  const dupSet = [...v2, 1, ...str('s'), 3, 2, ...str('m'), ...str('m'), 0, ...noVersions];
  assert.throws(() => Keyspace.restore(seal(dupSet)), /repeats a member/);
  const dupHash = [...v2, 1, ...str('h'), 1, 2, ...str('f'), ...str('1'), ...str('f'), ...str('2'), 0, ...noVersions];
  assert.throws(() => Keyspace.restore(seal(dupHash)), /repeats a field/);
  const zNaN = [...v2, 1, ...str('z'), 4, 1, ...str('m'), ...nan, 0, ...noVersions];
  assert.throws(() => Keyspace.restore(seal(zNaN)), /NaN/);
  assert.throws(() => Keyspace.restore(seal([...v2, 1, ...str('l'), 2, 0x7f, 0, ...noVersions])), /does not fit/);
  assert.throws(() => Keyspace.restore(seal([...v2, 0])), /truncated version floor/);
});
