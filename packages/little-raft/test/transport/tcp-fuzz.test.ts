// A bounded share of the TcpCluster input fuzzer (test/fuzz/tcp-fuzz.ts; `npm run fuzz` runs
// 1,000,000 inputs): random and mutated streams through the frame parser, the handshake and
// message decoding. No crash, no hang, the parser's memory bounded, valid recordings accepted.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { fuzz, FUZZ_MAX_FRAME_BYTES } from '../fuzz/tcp-fuzz.js';

test('fuzz: 12,000 random and mutated connection streams (seed 1)', () => {
  const stats = fuzz({ seed: 1, inputs: 12000 });
  assert.equal(stats.inputs, 12000);
  for (const [category, n] of Object.entries(stats.byCategory)) assert.ok(n > 300, `${category}: ${n} inputs`);
  assert.ok(stats.maxBuffered <= FUZZ_MAX_FRAME_BYTES + 4);
  assert.ok(stats.maxAllocated <= FUZZ_MAX_FRAME_BYTES + 4);
  // The mutations reach past the handshake and into message decoding, and hit every check.
  assert.ok(stats.authenticated > 5000, `${stats.authenticated} authenticated`);
  assert.ok(stats.messages > 10000, `${stats.messages} messages`);
  for (const reason of ['oversized-frame', 'empty-frame', 'bad-handshake', 'bad-proof', 'bad-frame', 'undecodable']) {
    assert.ok((stats.rejected[reason] ?? 0) > 0, `no input was rejected with ${reason}`);
  }
});

test('fuzz: another seed, 4,000 inputs', () => {
  const stats = fuzz({ seed: 20260101, inputs: 4000 });
  assert.equal(stats.inputs, 4000);
});
