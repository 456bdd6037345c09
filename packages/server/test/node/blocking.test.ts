// BlockedClients (node/blocking.ts) on a fake node: which waiters it wakes and with what command,
// first come first served per key, keeping a waiter's place after a nil; timeouts (mock clock)
// with an attempt unsent (taken back) or sent (its answer decides); a waiter that leaves with an
// attempt under way lets the next go; disconnects; shutdown.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';

import { BlockedClients } from '../../src/node/blocking.js';
import { NULL_ARRAY, type Reply } from '../../src/resp/reply.js';
import { cmd, plain } from '../support/kv-helpers.js';

interface FakeAttempt {
  argv: string;
  /** Gone into a batch: cancel() cannot take it back. */
  sent: boolean;
  cancelled: boolean;
  settled: boolean;
  answer(reply: Reply): void;
  fail(e: Error): void;
}

/** A fake node: keys with elements by type, and the attempts the waiters send. */
function setup(): {
  blocked: BlockedClients;
  held: Map<string, { type: 'list' | 'zset'; n: number }>;
  attempts: FakeAttempt[];
  /** The attempts neither answered nor taken back, as command lines. */
  open: () => string[];
} {
  const held = new Map<string, { type: 'list' | 'zset'; n: number }>();
  const attempts: FakeAttempt[] = [];
  const blocked = new BlockedClients({
    submit(argv) {
      const a = { argv: argv.map((x) => Buffer.from(x).toString('latin1')).join(' '), sent: false } as FakeAttempt;
      a.cancelled = false;
      a.settled = false;
      const reply = new Promise<Reply>((resolve, reject) => {
        a.answer = (r) => {
          a.settled = true;
          resolve(r);
        };
        a.fail = (e) => {
          a.settled = true;
          reject(e);
        };
      });
      attempts.push(a);
      const cancel = (): boolean => {
        if (a.sent) return false;
        a.cancelled = true;
        return true;
      };
      return { reply, cancel };
    },
    elements: (key, type) => (held.get(key)?.type === type ? held.get(key)!.n : 0),
  });
  const open = (): string[] => attempts.filter((a) => !a.cancelled && !a.settled).map((a) => a.argv);
  return { blocked, held, attempts, open };
}

/** Lets queued microtasks and promise callbacks run. */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Tracks a block() promise: its settled value (plain) or error message, or undefined while pending. */
function track(p: Promise<Reply>): { value: unknown } {
  const out: { value: unknown } = { value: undefined };
  p.then(
    (r) => (out.value = plain(r)),
    (e: Error) => (out.value = `rejected: ${e.message}`),
  );
  return out;
}

function mockClock(t: TestContext): void {
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 1_000_000 });
}

test('a ready key wakes its first waiters, as many as it has elements, each narrowed to that key', async () => {
  const { blocked, held, attempts, open } = setup();
  const w1 = track(blocked.block(1, cmd('BLPOP a b 0'), 0));
  const w2 = track(blocked.block(2, cmd('BRPOP b 0'), 0));
  const w3 = track(blocked.block(3, cmd('BLMPOP 0 2 c b LEFT COUNT 2'), 0));
  await settle();
  assert.deepEqual(open(), [], 'nothing to pop: nothing sent');
  assert.equal(blocked.size, 3);

  held.set('b', { type: 'list', n: 2 });
  blocked.ready(['b']);
  await settle();
  assert.deepEqual(open(), ['BLPOP b 0', 'BRPOP b 0'], 'the first two, in the order they blocked');

  // The first finds nothing (another node's client was faster): it keeps its place, and as b
  // still holds elements here, it goes again before the third.
  attempts[0]!.answer(NULL_ARRAY);
  await settle();
  assert.equal(w1.value, undefined);
  assert.deepEqual(open(), ['BRPOP b 0', 'BLPOP b 0']);
  held.set('b', { type: 'list', n: 1 }); // the second popped one: one left, claimed by the first
  attempts[1]!.answer([Buffer.from('b'), Buffer.from('x')]);
  await settle();
  assert.deepEqual(w2.value, ['b', 'x']);
  assert.deepEqual(open(), ['BLPOP b 0']);
  held.delete('b');
  attempts[2]!.answer([Buffer.from('b'), Buffer.from('y')]);
  await settle();
  assert.deepEqual(w1.value, ['b', 'y']);
  assert.deepEqual(open(), []);

  // The third waits on c and b; c gets elements: BLMPOP narrowed to c (numkeys 1), COUNT kept.
  held.set('c', { type: 'list', n: 5 });
  blocked.ready(['c', 'nobody-waits-here']);
  await settle();
  assert.deepEqual(open(), ['BLMPOP 0 1 c LEFT COUNT 2']);
  attempts[3]!.answer([Buffer.from('c'), [Buffer.from('1'), Buffer.from('2')]]);
  await settle();
  assert.deepEqual(w3.value, ['c', ['1', '2']]);
  assert.equal(blocked.size, 0);
});

test('a key already holding elements when the client blocks is tried at once; types must match', async () => {
  const { blocked, held, open } = setup();
  held.set('z', { type: 'zset', n: 3 });
  held.set('l', { type: 'list', n: 1 });
  track(blocked.block(1, cmd('BLPOP z 0'), 0));
  track(blocked.block(2, cmd('BZPOPMIN l 0'), 0));
  track(blocked.block(3, cmd('BLMOVE l dst LEFT RIGHT 0'), 0));
  track(blocked.block(4, cmd('BZMPOP 0 2 x z MIN'), 0));
  await settle();
  assert.deepEqual(open(), ['BZMPOP 0 1 z MIN', 'BLMOVE l dst LEFT RIGHT 0']);
  blocked.recheckAll(); // after a snapshot: looked at again, no second attempt for a busy waiter
  await settle();
  assert.deepEqual(open(), ['BZMPOP 0 1 z MIN', 'BLMOVE l dst LEFT RIGHT 0']);
});

test('timeouts: an idle waiter answers nil; the time already spent counts', async (t) => {
  mockClock(t);
  const { blocked } = setup();
  const w = track(blocked.block(1, cmd('BLPOP q 1'), 200));
  await settle();
  t.mock.timers.tick(799);
  await settle();
  assert.equal(w.value, undefined);
  t.mock.timers.tick(1);
  await settle();
  assert.equal(w.value, '*-1');
  assert.equal(blocked.size, 0);
  const late = track(blocked.block(2, cmd('BLPOP q 0.1'), 150));
  await settle();
  assert.equal(late.value, '*-1', 'already past its timeout');
});

test('a timeout with an attempt not yet sent takes it back; with one sent, that answer decides', async (t) => {
  mockClock(t);
  const { blocked, held, attempts } = setup();
  held.set('q', { type: 'list', n: 1 });
  const unsent = track(blocked.block(1, cmd('BLPOP q 1'), 0));
  await settle();
  t.mock.timers.tick(1000);
  await settle();
  assert.equal(attempts[0]!.cancelled, true);
  assert.equal(unsent.value, '*-1');

  const sent = track(blocked.block(2, cmd('BLPOP q 1'), 0));
  await settle();
  attempts[1]!.sent = true;
  t.mock.timers.tick(1000);
  await settle();
  assert.equal(sent.value, undefined, 'it may have popped: waits for the answer');
  attempts[1]!.answer([Buffer.from('q'), Buffer.from('v')]);
  await settle();
  assert.deepEqual(sent.value, ['q', 'v'], 'the element it popped is not lost');

  const sentNil = track(blocked.block(3, cmd('BLPOP q 1'), 0));
  await settle();
  attempts[2]!.sent = true;
  t.mock.timers.tick(1000);
  attempts[2]!.answer(NULL_ARRAY);
  await settle();
  assert.equal(sentNil.value, '*-1');
  assert.equal(attempts.length, 3, 'no attempt after the timeout');
});

test('a waiter leaving with an attempt under way lets the next waiter of that key go', async (t) => {
  mockClock(t);
  const { blocked, held, attempts, open } = setup();
  held.set('q', { type: 'list', n: 1 });
  const first = track(blocked.block(1, cmd('BLPOP q 1'), 0));
  track(blocked.block(2, cmd('BLPOP q 0'), 0));
  track(blocked.block(3, cmd('BLPOP q 0'), 0));
  track(blocked.block(4, cmd('BLPOP q 0'), 0));
  await settle();
  assert.deepEqual(open(), ['BLPOP q 1'], 'one element: only the first goes');

  // Its timeout takes its attempt back: the element is still there, for the second.
  t.mock.timers.tick(1000);
  await settle();
  assert.equal(first.value, '*-1');
  assert.deepEqual(open(), ['BLPOP q 0']);
  // The second's attempt fails (its outcome is unknown; the element may still be there): the third goes.
  attempts[1]!.fail(new Error('TIMEOUT the write was not confirmed in time'));
  await settle();
  assert.deepEqual(open(), ['BLPOP q 0']);
  assert.equal(attempts.length, 3);
  // The third disconnects before its attempt is sent: the fourth goes.
  blocked.cancel(3);
  await settle();
  assert.equal(attempts[2]!.cancelled, true);
  assert.deepEqual(open(), ['BLPOP q 0']);
  assert.equal(attempts.length, 4);
  assert.equal(blocked.size, 1);
});

test('timeouts longer than setTimeout allows are waited out in steps', async (t) => {
  mockClock(t);
  const { blocked } = setup();
  const w = track(blocked.block(1, cmd('BLPOP q 3000000'), 0)); // 3e9 ms > 2^31 - 1
  t.mock.timers.tick(2 ** 31 - 1);
  await settle();
  assert.equal(w.value, undefined);
  t.mock.timers.tick(3e9 - (2 ** 31 - 1));
  await settle();
  assert.equal(w.value, '*-1');
});

test('a disconnected client stops waiting; its unsent attempt is dropped, a sent one is ignored', async () => {
  const { blocked, held, attempts, open } = setup();
  held.set('q', { type: 'list', n: 1 });
  track(blocked.block(1, cmd('BLPOP q 0'), 0));
  const next = track(blocked.block(2, cmd('BLPOP q 0'), 0));
  await settle();
  blocked.cancel(1);
  assert.equal(attempts[0]!.cancelled, true);
  assert.equal(blocked.size, 1);
  blocked.ready(['q']);
  await settle();
  assert.deepEqual(open(), ['BLPOP q 0'], 'the next waiter goes');
  attempts[1]!.sent = true;
  blocked.cancel(2);
  assert.equal(attempts[1]!.cancelled, false, 'already sent: it cannot be taken back');
  attempts[1]!.answer([Buffer.from('q'), Buffer.from('lost with its client')]);
  await settle();
  assert.equal(next.value, '*-1', 'nobody reads it');
  assert.equal(blocked.size, 0);
  blocked.cancel(3); // not blocked: nothing happens
});

test('a failed attempt is the reply; shutdown fails every waiter and later blocks', async () => {
  const { blocked, held, attempts } = setup();
  held.set('q', { type: 'list', n: 1 });
  const w = track(blocked.block(1, cmd('BLPOP q 0'), 0));
  const other = track(blocked.block(2, cmd('BLPOP other 0'), 0));
  await settle();
  attempts[0]!.fail(new Error('TIMEOUT the write was not confirmed in time'));
  await settle();
  assert.equal(w.value, 'rejected: TIMEOUT the write was not confirmed in time');
  blocked.close(new Error('ERR the node is shutting down'));
  await settle();
  assert.equal(other.value, 'rejected: ERR the node is shutting down');
  const after = track(blocked.block(3, cmd('BLPOP q 0'), 0));
  await settle();
  assert.equal(after.value, 'rejected: ERR the node is shutting down');
  assert.equal(blocked.size, 0);
});
