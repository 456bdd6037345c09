import { test } from 'node:test';
import assert from 'node:assert/strict';

import { indexOf, MemberIndex } from '../../src/store/member-index.js';
import { keyHash } from '../../src/store/key-hash.js';
import { HashValue, SetValue } from '../../src/store/values.js';
import { prng } from '../../../little-raft/test/support/prng.js';

/** The members in the index's order: by hash, ties by bytes. */
function expectedOrder(members: Iterable<string>): string[] {
  return [...members].sort((a, b) => keyHash(a) - keyHash(b) || (a < b ? -1 : a > b ? 1 : 0));
}

function allByRank(index: MemberIndex): string[] {
  return Array.from({ length: index.size }, (_, k) => index.nth(k));
}

/** Every member a full scan returns, with `between` run between the calls. */
function scanAll(index: MemberIndex, count: number, between?: () => void): { seen: string[]; calls: number } {
  const seen: string[] = [];
  let cursor = 0;
  let calls = 0;
  do {
    const from = cursor;
    cursor = index.scan(cursor, count, count * 10, (m) => seen.push(m));
    calls++;
    assert.ok(cursor === 0 || cursor > from, `the cursor moves forward: ${from} -> ${cursor}`);
    between?.();
  } while (cursor !== 0 && calls < 1_000_000);
  return { seen, calls };
}

test('nth walks the members in (hash, bytes) order, through adds, deletes, growth and shrinking', () => {
  const rnd = prng(7);
  const live = new Set<string>();
  const index = new MemberIndex([], 0);
  for (let step = 0; step < 20_000; step++) {
    const m = `m${Math.floor(rnd() * 3000)}`;
    // Grow to ~3000, then mostly delete, so the buckets are resized both ways.
    if (live.has(m) && (step > 12_000 || rnd() < 0.3)) {
      live.delete(m);
      index.delete(m);
    } else if (!live.has(m) && step <= 12_000) {
      live.add(m);
      index.add(m);
    }
    if (step % 2000 === 0) assert.deepEqual(allByRank(index), expectedOrder(live), `step ${step}`);
  }
  assert.equal(index.size, live.size);
  assert.deepEqual(allByRank(index), expectedOrder(live));
});

test('members with the same 32-bit hash are ordered by their bytes', () => {
  // Two members sharing a hash (found once by a search over c0, c1, c2 ...).
  const [a, b] = ['c693596', 'c1170850'];
  assert.equal(keyHash(a), keyHash(b));
  const sorted = [a, b].sort();
  for (const order of [
    [a, b],
    [b, a],
  ]) {
    const index = new MemberIndex(order, 2);
    assert.deepEqual(allByRank(index), sorted);
    const reversed = new MemberIndex([], 0);
    for (const m of order) reversed.add(m);
    assert.deepEqual(allByRank(reversed), sorted, 'the order does not depend on the history');
  }
});

test('a scan never stops between members of the same hash (the next call starts at that hash)', () => {
  const index = new MemberIndex(['c693596', 'c1170850', 'x', 'y'], 4);
  const { seen } = scanAll(index, 1);
  assert.deepEqual(seen, expectedOrder(['c693596', 'c1170850', 'x', 'y']));
});

test('a scan returns every member exactly once when nothing changes, at any COUNT', () => {
  for (const n of [0, 1, 5, 300, 20_000]) {
    const members = Array.from({ length: n }, (_, i) => `member:${i}`);
    const index = new MemberIndex(members, n);
    for (const count of [1, 10, 1000]) {
      const { seen, calls } = scanAll(index, count);
      assert.deepEqual(seen, expectedOrder(members), `n=${n} count=${count}`);
      if (n > 0) assert.ok(calls <= Math.ceil(n / count) + 1, `n=${n} count=${count}: ${calls} calls`);
    }
  }
});

test('a scan returns every member present throughout, whatever is added and removed between calls', () => {
  const rnd = prng(11);
  for (let round = 0; round < 8; round++) {
    const set = new SetValue();
    for (let i = 0; i < 2000; i++) set.add(`s${i}`);
    const index = indexOf(set);
    const removedSometime = new Set<string>();
    let next = 2000;
    const { seen } = scanAll(index, 1 + Math.floor(rnd() * 50), () => {
      // Heavy churn: the bucket count changes as the set grows to several times its size and back.
      const adds = Math.floor(rnd() * 400);
      for (let i = 0; i < adds; i++) set.add(`s${next++}`);
      const removes = Math.floor(rnd() * 400);
      for (let i = 0; i < removes && set.size > 0; i++) {
        const m = index.nth(Math.floor(rnd() * index.size));
        set.delete(m);
        removedSometime.add(m);
      }
    });
    const returned = new Set(seen);
    for (let i = 0; i < 2000; i++) {
      const m = `s${i}`;
      if (set.has(m) && !removedSometime.has(m)) assert.ok(returned.has(m), `round ${round}: ${m} missed`);
    }
    assert.equal(index.size, set.size, 'the index follows the set');
    assert.deepEqual(allByRank(index), expectedOrder(set));
  }
});

test('a collection builds its index on first use only, and keeps it up to date from then on', () => {
  const h = new HashValue([
    ['a', '1'],
    ['b', '2'],
  ]);
  assert.equal(h.index, undefined, 'no index until one is asked for');
  const index = indexOf(h);
  assert.equal(indexOf(h), index);
  h.set('c', '3');
  h.set('a', 'again');
  h.delete('b');
  h.delete('nope');
  assert.deepEqual(allByRank(index), expectedOrder(['a', 'c']));
  h.clear();
  assert.equal(h.index, undefined);
  const copy = new HashValue(new HashValue([['x', '1']]));
  assert.equal(copy.index, undefined, 'a copy starts without one');
  const s = new SetValue(['x', 'y']);
  const si = indexOf(s);
  s.add('z');
  s.add('x');
  s.delete('y');
  assert.deepEqual(allByRank(si), expectedOrder(['x', 'z']));
});

test('a cursor past the last position ends the scan', () => {
  const index = new MemberIndex(['a', 'b'], 2);
  const seen: string[] = [];
  assert.equal(
    index.scan(2 ** 32, 10, 100, (m) => seen.push(m)),
    0,
  );
  assert.equal(
    index.scan(2 ** 32 - 1, 10, 100, (m) => seen.push(m)),
    0,
  );
  assert.deepEqual(seen, []);
});
