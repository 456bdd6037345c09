// The heap's growing percent: ours unless node was given its own (node/heap-growth.ts).
import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  HEAP_GROWING_PERCENT,
  heapGrowingPercent,
  heapGrowingPercentOf,
  limitHeapGrowth,
  snapshotLoading,
} from '../../src/node/heap-growth.js';

test("node's own --heap-growing-percent is found in its flags, in each spelling; the last one wins", () => {
  assert.equal(heapGrowingPercentOf([]), null);
  assert.equal(heapGrowingPercentOf(['--import', 'tsx', '--max-old-space-size=4096']), null);
  assert.equal(heapGrowingPercentOf(['--heap-growing-percent=60']), 60);
  assert.equal(heapGrowingPercentOf(['--heap_growing_percent=45']), 45);
  assert.equal(heapGrowingPercentOf(['--heap-growing-percent', '70', '--import', 'tsx']), 70);
  assert.equal(heapGrowingPercentOf(['--heap-growing-percent=60', '--heap-growing-percent=20']), 20);
  // Not a number: V8 would refuse it; it is not ours to read as one.
  assert.equal(heapGrowingPercentOf(['--heap-growing-percent=lots']), null);
  assert.equal(HEAP_GROWING_PERCENT, 30);
});

test('30% in service, V8 choosing while a snapshot loads; a percent given to node is never touched', () => {
  const set: string[] = [];
  const record = (flags: string): void => void set.push(flags);
  try {
    assert.equal(limitHeapGrowth([], record), 30);
    assert.deepEqual(set.splice(0), ['--heap-growing-percent=30']);
    assert.equal(heapGrowingPercent(), 30);
    snapshotLoading(true, record);
    assert.deepEqual(set.splice(0), ['--heap-growing-percent=0']);
    snapshotLoading(true, record); // a newer snapshot took over the load
    snapshotLoading(false, record);
    assert.deepEqual(set.splice(0), ['--heap-growing-percent=0', '--heap-growing-percent=30']);

    assert.equal(limitHeapGrowth(['--heap-growing-percent=60'], record), 60);
    snapshotLoading(true, record);
    snapshotLoading(false, record);
    assert.deepEqual(set, [], "node's own percent stays");
    assert.equal(heapGrowingPercent(), 60);
  } finally {
    snapshotLoading(false, () => undefined);
  }
});
