// ZSetValue, the chunked sorted list, against a plain sorted array: random adds, moves, deletes and
// range removals across many chunk splits and merges, checking ranks, positions and searches.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { compareZ, ZSetValue, type ZEntry } from '../../src/store/zset-value.js';
import { prng } from '../../../little-raft/test/support/prng.js';

/** The model: entries sorted by compareZ. */
function sortedModel(m: Map<string, number>): ZEntry[] {
  return [...m].map(([member, score]) => ({ member, score })).sort(compareZ);
}

/** The first index of a sorted array where `before` stops holding. */
function firstIndex(a: readonly ZEntry[], before: (e: ZEntry) => boolean): number {
  let i = 0;
  while (i < a.length && before(a[i]!)) i++;
  return i;
}

function check(z: ZSetValue, model: Map<string, number>, rnd: () => number, what: string, full: boolean): void {
  const want = sortedModel(model);
  assert.equal(z.size, want.length, `${what}: size`);
  if (full) assert.deepEqual([...z], want, `${what}: order`);
  for (let k = 0; k < 5 && want.length > 0; k++) {
    const i = Math.floor(rnd() * want.length);
    assert.deepEqual(z.at(i), want[i], `${what}: at(${i})`);
    assert.equal(z.rank(want[i]!.member), i, `${what}: rank`);
    const s = want[i]!.score;
    assert.equal(
      z.firstByScore(s, false),
      firstIndex(want, (e) => e.score < s),
      `${what}: firstByScore >=`,
    );
    assert.equal(
      z.firstByScore(s, true),
      firstIndex(want, (e) => e.score <= s),
      `${what}: firstByScore >`,
    );
    const from = Math.floor(rnd() * want.length);
    const to = from + Math.floor(rnd() * (want.length - from + 1));
    assert.deepEqual(z.range(from, to), want.slice(from, to), `${what}: range(${from}, ${to})`);
  }
  assert.equal(z.rank('absent member'), undefined);
}

test('a sorted set of thousands of entries agrees with a sorted array through random changes', () => {
  for (const seed of [1, 2]) {
    const rnd = prng(seed);
    const z = new ZSetValue();
    const model = new Map<string, number>();
    const member = (): string => `m${Math.floor(rnd() * 6000)}`;
    // Few distinct scores, so that order by member matters too.
    const score = (): number => Math.floor(rnd() * 50) - 25 + (rnd() < 0.2 ? rnd() : 0);
    for (let step = 0; step < 300; step++) {
      const op = rnd();
      if (op < 0.6) {
        for (let n = Math.floor(rnd() * 80); n > 0; n--) {
          const m = member();
          const s = score();
          z.add(m, s);
          model.set(m, s);
        }
      } else if (op < 0.8) {
        for (let n = Math.floor(rnd() * 60); n > 0; n--) {
          const m = member();
          assert.equal(z.delete(m), model.delete(m));
        }
      } else if (model.size > 0) {
        const want = sortedModel(model);
        const from = Math.floor(rnd() * want.length);
        const to = Math.min(want.length, from + Math.floor(rnd() * (rnd() < 0.2 ? 3000 : 40)));
        assert.deepEqual(z.removeRange(from, to), want.slice(from, to));
        for (const e of want.slice(from, to)) model.delete(e.member);
      }
      check(z, model, rnd, `seed ${seed} step ${step}`, step % 10 === 0);
    }
  }
});

test('the same score again changes nothing; -0 is stored as 0; members are binary strings', () => {
  const z = new ZSetValue();
  z.add('a', 1);
  z.add('a', 1);
  assert.equal(z.size, 1);
  z.add('b', -0);
  assert.ok(Object.is(z.scores.get('b'), 0));
  assert.ok(Object.is(z.at(0).score, 0));
  z.add('\xff', 0);
  z.add('\x00', 0);
  z.add('', 0);
  assert.deepEqual(
    [...z].map((e) => e.member),
    ['', '\x00', 'b', '\xff', 'a'],
  );
  // Searches by member assume equal scores (what ZRANGEBYLEX is for).
  z.delete('a');
  assert.equal(z.firstByMember('b', false), 2);
  assert.equal(z.firstByMember('b', true), 3);
  assert.equal(z.firstByMember('\xff', true), 4);
});

test('fromSorted builds the same set as adds, and emptied ranges leave a usable set', () => {
  const entries: ZEntry[] = [];
  for (let i = 0; i < 2000; i++) entries.push({ member: `m${String(i).padStart(5, '0')}`, score: Math.floor(i / 7) });
  const z = ZSetValue.fromSorted(entries);
  assert.deepEqual([...z], entries);
  assert.equal(z.rank('m01234'), 1234);
  assert.deepEqual(z.removeRange(0, 2000).length, 2000);
  assert.equal(z.size, 0);
  assert.deepEqual([...z], []);
  z.add('x', 1);
  assert.deepEqual([...z], [{ member: 'x', score: 1 }]);
  assert.equal(z.firstByScore(5, false), 1);
  assert.deepEqual(ZSetValue.fromSorted([{ member: 'n', score: -0 }]).at(0), { member: 'n', score: 0 });
});

test('scan positions: a member present throughout a walk is visited, whatever changes between steps', () => {
  const rnd = prng(9);
  const z = new ZSetValue();
  for (let i = 0; i < 3000; i++) z.add(`k${i}`, i);
  const index = z.scanPositions();
  const seen = new Set<string>();
  let cursor = 0;
  let steps = 0;
  do {
    cursor = index.scan(
      cursor,
      100,
      () => false,
      (m) => {
        if (z.scores.has(m)) seen.add(m);
      },
    );
    // Churn between steps: new members, deleted members that are not among the stable ones.
    for (let n = 0; n < 30; n++) z.add(`new${Math.floor(rnd() * 1e6)}`, rnd());
    for (let n = 0; n < 10; n++) z.delete(`new${Math.floor(rnd() * 1e6)}`);
    steps++;
  } while (cursor !== 0);
  for (let i = 0; i < 3000; i++) assert.ok(seen.has(`k${i}`), `k${i} seen`);
  assert.ok(steps > 1, 'walked in several steps');
});
