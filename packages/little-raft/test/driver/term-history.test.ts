import { test } from 'node:test';
import assert from 'node:assert/strict';

import { termAt } from '../../src/driver/term-history.js';

test('termAt: the term of the last run starting at or before the index', () => {
  const starts = [3, 1, 7, 2, 8, 5, 20, 6];
  const expected: [number, number | undefined][] = [
    [1, undefined], // older than the table covers
    [2, undefined],
    [3, 1],
    [6, 1],
    [7, 2],
    [8, 5],
    [19, 5],
    [20, 6],
    [25, 6],
  ];
  for (const [index, term] of expected) assert.equal(termAt(starts, index), term, `index ${index}`);
  assert.equal(termAt([], 5), undefined, 'an empty table covers nothing');
  assert.equal(termAt([1, 4], 1), 4);
});

test('termAt agrees with a linear scan on a long table', () => {
  const starts: number[] = [];
  for (let run = 0, index = 10; run < 1024; run++, index += 1 + (run % 5)) starts.push(index, run + 1);
  for (let index = 0; index <= starts.at(-2)! + 3; index++) {
    let term: number | undefined;
    for (let i = 0; i < starts.length && starts[i]! <= index; i += 2) term = starts[i + 1];
    assert.equal(termAt(starts, index), term, `index ${index}`);
  }
});
