// MemoryLimit: the used-memory sample is reused for a few ms (the check runs per write command), the
// limit is Redis's `used > maxmemory`, and without a limit nothing is measured.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { MemoryLimit } from '../../src/node/memory-limit.js';

function fake(maxmemory: number): {
  limit: MemoryLimit;
  set: (used: number) => void;
  at: (ms: number) => void;
  measured: () => number;
} {
  let used = 0;
  let now = 1000;
  let measured = 0;
  const limit = new MemoryLimit(
    maxmemory,
    () => {
      measured++;
      return used;
    },
    () => now,
  );
  return { limit, set: (u) => (used = u), at: (ms) => (now = ms), measured: () => measured };
}

test('over the limit only above it; one measurement per 5 ms', () => {
  const m = fake(100);
  m.set(100);
  assert.equal(m.limit.exceeded(), false); // equal is not over, as in Redis
  m.set(101);
  assert.equal(m.limit.exceeded(), false); // the sample is 0 ms old: reused
  m.at(1004);
  assert.equal(m.limit.exceeded(), false);
  assert.equal(m.measured(), 1);
  m.at(1005);
  assert.equal(m.limit.exceeded(), true);
  assert.equal(m.measured(), 2);
  m.set(50);
  assert.equal(m.limit.used(), 50); // INFO measures now
  assert.equal(m.limit.peak, 101);
  assert.equal(m.limit.exceeded(), false); // and refreshes the sample
});

test('no limit: never measured, never exceeded', () => {
  const m = fake(0);
  m.set(10 ** 12);
  assert.equal(m.limit.exceeded(), false);
  assert.equal(m.measured(), 0);
});

test('the real measurement grows with what the process holds', () => {
  const limit = new MemoryLimit(1);
  const before = limit.used();
  const held = Buffer.alloc(64 * 1024 * 1024, 1);
  // Other garbage may be collected meanwhile: half of what is held is still seen.
  assert.ok(limit.used() - before > held.length / 2, 'external memory counts');
  assert.equal(limit.exceeded(), true);
});
