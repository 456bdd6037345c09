import { test } from 'node:test';
import assert from 'node:assert/strict';

import { Keyspace } from '../../src/store/keyspace.js';
import { keyHash } from '../../src/store/key-hash.js';
import { prng } from '../../../little-raft/test/support/prng.js';
import { cmd, plain, T0 } from '../support/kv-helpers.js';

function scanAll(k: Keyspace, opts = '', between?: (step: number) => void): string[] {
  const seen: string[] = [];
  let cursor = '0';
  for (let step = 0; step < 1_000_000; step++) {
    const [next, keys] = plain(k.read(cmd(`SCAN ${cursor}${opts}`), T0)) as [string, string[]];
    seen.push(...keys);
    cursor = next;
    if (cursor === '0') return seen;
    between?.(step);
  }
  throw new Error('SCAN did not finish');
}

test('the key hash is stable (cursors mean the same on every node and version)', () => {
  assert.equal(keyHash(''), 2872998923);
  assert.equal(keyHash('a'), 444641715);
  assert.equal(keyHash('user:1000'), 2797768722);
});

test('SCAN returns every key exactly once when nothing changes, at any COUNT', () => {
  for (const n of [0, 1, 7, 100, 5000]) {
    const k = new Keyspace();
    for (let i = 0; i < n; i++) k.applyWrite(cmd(`SET key:${i} v`), T0);
    for (const count of [1, 10, 1000]) {
      const seen = scanAll(k, ` COUNT ${count}`);
      assert.equal(seen.length, n, `n=${n} count=${count}`);
      assert.equal(new Set(seen).size, n);
    }
  }
});

test('SCAN MATCH, TYPE and COUNT', () => {
  const k = new Keyspace();
  for (let i = 0; i < 300; i++) k.applyWrite(cmd(`SET ${i % 3 === 0 ? 'user' : 'item'}:${i} v`), T0);
  assert.equal(scanAll(k, ' MATCH user:*').length, 100);
  assert.equal(scanAll(k, ' MATCH user:* COUNT 5 TYPE string').length, 100);
  assert.equal(scanAll(k, ' TYPE list').length, 0);
  assert.equal(scanAll(k, ' match * type STRING').length, 300);
  const [, first] = plain(k.read(cmd('SCAN 0 COUNT 1000'), T0)) as [string, string[]];
  assert.equal(first.length, 300, 'a COUNT above the key count returns everything at once');
});

test('SCAN argument errors', () => {
  const k = new Keyspace();
  const r = (line: string): unknown => plain(k.read(cmd(line), T0));
  assert.equal(r('SCAN x'), '-ERR invalid cursor');
  assert.deepEqual(r('SCAN -1'), ['0', []], 'strtoul wraps negative cursors, as in Redis');
  assert.equal(r('SCAN 1x'), '-ERR invalid cursor');
  assert.equal(r('SCAN -'), '-ERR invalid cursor');
  assert.equal(plain(k.read(cmd(['SCAN', ' 1']), T0)), '-ERR invalid cursor');
  // The cursor is read as a C string, as Redis does: empty, or cut at a NUL byte.
  assert.deepEqual(plain(k.read(cmd(['SCAN', '']), T0)), ['0', []]);
  assert.deepEqual(plain(k.read(cmd(['SCAN', '0\x00x']), T0)), ['0', []]);
  assert.equal(plain(k.read(cmd(['SCAN', '\x00x', 'get']), T0)), '-ERR syntax error');
  assert.equal(r('SCAN 18446744073709551616'), '-ERR invalid cursor');
  assert.deepEqual(r('SCAN 18446744073709551615'), ['0', []]);
  assert.equal(r('SCAN 0 COUNT 0'), '-ERR syntax error');
  assert.equal(r('SCAN 0 COUNT x'), '-ERR value is not an integer or out of range');
  assert.equal(r('SCAN 0 COUNT'), '-ERR syntax error');
  assert.equal(r('SCAN 0 FOO bar'), '-ERR syntax error');
  assert.equal(r('SCAN'), "-ERR wrong number of arguments for 'scan' command");
});

test('SCAN skips expired keys', () => {
  const k = new Keyspace();
  for (let i = 0; i < 100; i++) k.applyWrite(cmd(`SET k${i} v${i % 2 === 0 ? ' PX 10' : ''}`), T0 - 20);
  assert.equal(scanAll(k).length, 50);
});

test('keys present for the whole iteration are returned, whatever is added and deleted meanwhile', () => {
  for (const seed of [1, 2, 3]) {
    const rnd = prng(seed);
    const k = new Keyspace();
    const stable = new Set<string>();
    for (let i = 0; i < 3000; i++) {
      k.applyWrite(cmd(`SET stable:${i} v`), T0);
      stable.add(`stable:${i}`);
    }
    let churn = 0;
    const live: string[] = [];
    const seen = new Set(
      scanAll(k, ` COUNT ${1 + Math.floor(rnd() * 50)}`, () => {
        // Between calls: add many keys (forcing the index to grow and rebuild), delete some,
        // and delete-then-re-add some stable keys' neighbours.
        for (let j = 0; j < 40; j++) {
          const key = `churn:${churn++}`;
          k.applyWrite(cmd(`SET ${key} v`), T0);
          live.push(key);
        }
        for (let j = 0; j < 30 && live.length > 0; j++) {
          const victim = live.splice(Math.floor(rnd() * live.length), 1)[0]!;
          k.applyWrite(cmd(`DEL ${victim}`), T0);
        }
      }),
    );
    for (const key of stable) assert.ok(seen.has(key), `seed ${seed}: ${key} was never returned`);
    assert.ok(churn > 1000, 'the key space changed a lot during the scan');
  }
});

test('a mass deletion between calls (index shrinks) does not lose surviving keys', () => {
  const k = new Keyspace();
  for (let i = 0; i < 20_000; i++) k.applyWrite(cmd(`SET k${i} v`), T0);
  const survivors = new Set<string>();
  for (let i = 0; i < 20_000; i += 97) survivors.add(`k${i}`);
  let deleted = false;
  const seen = new Set(
    scanAll(k, ' COUNT 100', (step) => {
      if (step === 5 && !deleted) {
        deleted = true;
        for (let i = 0; i < 20_000; i++) if (!survivors.has(`k${i}`)) k.applyWrite(cmd(`DEL k${i}`), T0);
      }
    }),
  );
  for (const key of survivors) assert.ok(seen.has(key), `${key} was never returned`);
});
