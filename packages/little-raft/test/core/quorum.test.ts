// Unit tests for src/core/quorum.ts: commit index and election outcome for (joint) majorities.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { hasQuorum, isVoter, members, quorumIndex, voteOutcome } from '../../src/core/quorum.js';
import type { Membership } from '../../src/core/types.js';
import { prng } from '../support/prng.js';

const cfg = (voters: number[], outgoing: number[] = [], learners: number[] = []): Membership => ({
  voters,
  learners,
  outgoing,
});
const ids = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

/** The largest v such that a majority of `values` is >= v, by brute force. */
function bruteMajority(values: number[]): number {
  let best = 0;
  for (const v of values) {
    if (values.filter((x) => x >= v).length > values.length / 2) best = Math.max(best, v);
  }
  return best;
}

test('quorumIndex: hand-checked majorities for 1..7 voters', () => {
  const cases: [number[], number][] = [
    [[5], 5],
    [[5, 3], 3],
    [[5, 3, 1], 3],
    [[1, 5, 3, 4], 3],
    [[9, 1, 2, 8, 7], 7],
    [[6, 6, 1, 1, 1, 2], 1],
    [[6, 6, 1, 1, 5, 2, 6], 5],
  ];
  for (const [match, want] of cases) {
    const m = cfg(ids(match.length));
    assert.equal(
      quorumIndex(m, (id) => match[id - 1]!),
      want,
      match.join(','),
    );
  }
});

test('quorumIndex: matches brute force on random matches for 1..7 voters', () => {
  const rnd = prng(42);
  for (let n = 1; n <= 7; n++) {
    for (let k = 0; k < 300; k++) {
      const match = ids(n).map(() => Math.floor(rnd() * 20));
      assert.equal(
        quorumIndex(cfg(ids(n)), (id) => match[id - 1]!),
        bruteMajority(match),
        match.join(','),
      );
    }
  }
});

test('quorumIndex: a joint configuration needs a majority of both halves', () => {
  const match: Record<number, number> = { 1: 10, 2: 10, 3: 2, 4: 3, 5: 4, 6: 8 };
  const at = (id: number) => match[id] ?? 0;
  // Old {1,2,3} has 10 on a majority, new {4,5,6} only 4.
  assert.equal(quorumIndex(cfg([4, 5, 6], [1, 2, 3]), at), 4);
  assert.equal(quorumIndex(cfg([1, 2, 3], [4, 5, 6]), at), 4, 'symmetric');
  assert.equal(quorumIndex(cfg([1, 2, 3]), at), 10, 'without outgoing, only the voters count');
  assert.equal(quorumIndex(cfg([1, 2, 3], [], [4, 5, 6]), at), 10, 'learners never count');
  // Overlapping halves.
  assert.equal(quorumIndex(cfg([1, 2, 6], [1, 2, 3]), at), 10);
  assert.equal(quorumIndex(cfg([1, 3, 4], [1, 2, 3]), at), 3);
});

test('voteOutcome: won, lost and pending in a simple majority', () => {
  const m = cfg([1, 2, 3, 4, 5]);
  const v = (entries: [number, boolean][]) => voteOutcome(m, new Map(entries));
  assert.equal(
    v([
      [1, true],
      [2, true],
    ]),
    'pending',
  );
  assert.equal(
    v([
      [1, true],
      [2, true],
      [3, true],
    ]),
    'won',
  );
  assert.equal(
    v([
      [1, true],
      [2, false],
      [3, false],
    ]),
    'pending',
    '2 undecided could still make 3',
  );
  assert.equal(
    v([
      [1, true],
      [2, false],
      [3, false],
      [4, false],
    ]),
    'lost',
  );
  assert.equal(
    v([
      [1, true],
      [9, true],
      [8, true],
    ]),
    'pending',
    'votes of non-voters do not count',
  );
  assert.equal(voteOutcome(cfg([1]), new Map([[1, true]])), 'won');
  // Even sizes: 2 of 4 is not a majority.
  const four = cfg([1, 2, 3, 4]);
  assert.equal(
    voteOutcome(
      four,
      new Map([
        [1, true],
        [2, true],
        [3, false],
      ]),
    ),
    'pending',
  );
  assert.equal(
    voteOutcome(
      four,
      new Map([
        [1, true],
        [2, true],
        [3, false],
        [4, false],
      ]),
    ),
    'lost',
  );
});

test('voteOutcome: a joint configuration is won only with both majorities and lost if either is lost', () => {
  const m = cfg([4, 5, 6], [1, 2, 3]);
  const v = (yes: number[], no: number[] = []) =>
    voteOutcome(m, new Map([...yes.map((id) => [id, true] as const), ...no.map((id) => [id, false] as const)]));
  assert.equal(v([1, 2, 3]), 'pending', 'all of the old half, none of the new');
  assert.equal(v([1, 2, 4, 5]), 'won');
  assert.equal(v([1, 2, 3, 4], [5, 6]), 'lost', 'the new half is lost');
  assert.equal(v([4, 5, 6, 1], [2, 3]), 'lost', 'the old half is lost');
});

test('hasQuorum, isVoter, members', () => {
  const joint = cfg([3, 4, 5], [1, 2, 3], [9]);
  assert.equal(
    hasQuorum(joint, (id) => [1, 2, 3, 4].includes(id)),
    true,
  );
  assert.equal(
    hasQuorum(joint, (id) => [1, 2, 9].includes(id)),
    false,
  );
  assert.equal(
    hasQuorum(cfg([1, 2, 3]), (id) => id === 1),
    false,
  );
  assert.equal(isVoter(joint, 1), true);
  assert.equal(isVoter(joint, 5), true);
  assert.equal(isVoter(joint, 9), false);
  assert.deepEqual(members(joint).sort(), [1, 2, 3, 4, 5, 9]);
});
