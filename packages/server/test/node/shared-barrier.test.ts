// SharedBarrier: the read barriers asked for in one turn run as one, begun after every one of them
// was asked for; one asked for once it has begun waits for the next (else a read could be served
// at a read index taken before it came, missing a write acknowledged in between).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setImmediate as nextTurn } from 'node:timers/promises';

import { SharedBarrier } from '../../src/node/shared-barrier.js';

/** A barrier whose runs the test ends by hand; `log` records when callers and runs come. */
function fixture(): {
  barrier: SharedBarrier<number>;
  runs: { end: (v: number) => void; fail: (e: Error) => void }[];
  log: string[];
} {
  const runs: { end: (v: number) => void; fail: (e: Error) => void }[] = [];
  const log: string[] = [];
  const barrier = new SharedBarrier(() => {
    log.push(`begin ${runs.length + 1}`);
    return new Promise<number>((end, fail) => runs.push({ end, fail }));
  });
  return { barrier, runs, log };
}

test('the callers of one turn share one barrier, begun after the last of them', async () => {
  const { barrier, runs, log } = fixture();
  const answers: number[] = [];
  for (let i = 0; i < 3; i++) {
    log.push(`caller ${i + 1}`);
    void barrier.wait().then((v) => answers.push(v));
  }
  assert.deepEqual(runs.length, 0, 'no barrier begins while callers of the turn may still come');
  await nextTurn();
  assert.deepEqual(log, ['caller 1', 'caller 2', 'caller 3', 'begin 1']);
  runs[0]!.end(7);
  await nextTurn();
  assert.deepEqual(answers, [7, 7, 7]);
});

test('a caller that comes once the barrier has begun waits for a barrier of its own', async () => {
  const { barrier, runs, log } = fixture();
  const answers: string[] = [];
  void barrier.wait().then((v) => answers.push(`first ${v}`));
  await nextTurn();
  assert.equal(runs.length, 1);
  log.push('late caller');
  void barrier.wait().then((v) => answers.push(`late ${v}`));
  runs[0]!.end(1);
  await nextTurn();
  assert.deepEqual(answers, ['first 1'], 'the late caller is not answered by the barrier begun before it came');
  assert.deepEqual(log, ['begin 1', 'late caller', 'begin 2']);
  runs[1]!.end(2);
  await nextTurn();
  assert.deepEqual(answers, ['first 1', 'late 2']);
});

test('a failed barrier fails each of its callers, and the next turn begins a new one', async () => {
  const { barrier, runs } = fixture();
  const outcomes = [barrier.wait(), barrier.wait()].map((p) => p.then(String, (e: Error) => e.message));
  await nextTurn();
  runs[0]!.fail(new Error('not the leader'));
  assert.deepEqual(await Promise.all(outcomes), ['not the leader', 'not the leader']);
  const again = barrier.wait();
  await nextTurn();
  assert.equal(runs.length, 2);
  runs[1]!.end(3);
  assert.equal(await again, 3);
});

test('a begin that throws fails its callers instead of escaping', async () => {
  const barrier = new SharedBarrier<number>(() => {
    throw new Error('replica stopped');
  });
  await assert.rejects(barrier.wait(), /replica stopped/);
});
