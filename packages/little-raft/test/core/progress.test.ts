// Unit tests for src/core/progress.ts: the leader's view of one follower.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { Progress } from '../../src/core/progress.js';

test('a new progress probes from `next`, one append at a time', () => {
  const pr = new Progress(11);
  assert.equal(pr.state, 'probe');
  assert.equal(pr.match, 0);
  assert.equal(pr.next, 11);
  assert.equal(pr.canSend(8), true);
  pr.sent(15);
  assert.equal(pr.paused, true);
  assert.equal(pr.canSend(8), false, 'probe: wait for the answer before sending again');
  assert.equal(pr.next, 11, 'probe does not advance next optimistically');
  assert.deepEqual(pr.inflight, []);
});

test('an acknowledgement in probe unpauses; becomeReplicate continues right after match', () => {
  const pr = new Progress(11);
  pr.sent(15);
  assert.equal(pr.maybeUpdate(15), true);
  assert.equal(pr.match, 15);
  assert.equal(pr.next, 16);
  assert.equal(pr.paused, false);
  pr.becomeReplicate();
  assert.equal(pr.state, 'replicate');
  assert.equal(pr.next, 16);
  assert.deepEqual(pr.inflight, []);
});

test('replicate: appends are pipelined up to the inflight window', () => {
  const pr = new Progress(1);
  pr.maybeUpdate(10);
  pr.becomeReplicate();
  const max = 3;
  pr.sent(12);
  pr.sent(14);
  assert.equal(pr.canSend(max), true);
  pr.sent(20);
  assert.equal(pr.canSend(max), false, 'window full');
  assert.equal(pr.next, 21, 'next advances optimistically');
  assert.deepEqual(pr.inflight, [12, 14, 20]);
  // An ack frees every append it covers.
  assert.equal(pr.maybeUpdate(14), true);
  assert.deepEqual(pr.inflight, [20]);
  assert.equal(pr.canSend(max), true);
  assert.equal(pr.next, 21, 'an ack below next does not move next back');
  // An ack in the middle of an append frees nothing beyond it.
  assert.equal(pr.maybeUpdate(17), true);
  assert.deepEqual(pr.inflight, [20]);
  assert.equal(pr.maybeUpdate(20), true);
  assert.deepEqual(pr.inflight, []);
});

test('stale or duplicate acknowledgements change nothing', () => {
  const pr = new Progress(1);
  pr.maybeUpdate(10);
  pr.becomeReplicate();
  pr.sent(15);
  pr.sent(20);
  assert.equal(pr.maybeUpdate(10), false, 'duplicate');
  assert.equal(pr.maybeUpdate(7), false, 'reordered, older');
  assert.equal(pr.match, 10);
  assert.equal(pr.next, 21);
  assert.deepEqual(pr.inflight, [15, 20]);
});

test('becomeProbe after a rejection: back to match + 1, the pipeline is forgotten', () => {
  const pr = new Progress(1);
  pr.maybeUpdate(10);
  pr.becomeReplicate();
  pr.sent(15);
  pr.sent(20);
  pr.becomeProbe();
  assert.equal(pr.state, 'probe');
  assert.equal(pr.next, 11);
  assert.deepEqual(pr.inflight, []);
  assert.equal(pr.canSend(8), true);
  pr.sent(20);
  assert.equal(pr.canSend(8), false, 'one at a time again');
});

test('snapshot state sends no appends until the follower reaches the snapshot', () => {
  const pr = new Progress(1);
  pr.maybeUpdate(3);
  pr.becomeReplicate();
  pr.sent(9);
  pr.becomeSnapshot(100);
  assert.equal(pr.state, 'snapshot');
  assert.equal(pr.snapshotIndex, 100);
  assert.equal(pr.snapshotOffset, 0);
  assert.deepEqual(pr.inflight, []);
  assert.equal(pr.canSend(8), false);
  pr.sent(50); // no effect in snapshot state
  assert.deepEqual(pr.inflight, []);
  assert.equal(pr.maybeUpdate(100), true);
  assert.equal(pr.match, 100);
  assert.equal(pr.next, 101);
  pr.becomeReplicate();
  assert.equal(pr.canSend(8), true);
  assert.equal(pr.next, 101);
});
