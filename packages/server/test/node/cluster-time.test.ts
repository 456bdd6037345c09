// ClusterTime on a fake node: the leader's time for reads, asked for once per batch of reads, and
// never going back; and its two node messages.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { NotLeaderError, TimeoutError } from 'little-raft';

import { ClusterTime, TIME_REQUEST_TIMEOUT_MS, type ClusterTimeHost } from '../../src/node/cluster-time.js';
import { decodeNodeMessage, encodeTimeReply, encodeTimeRequest } from '../../src/node/forwarding.js';

/** A node of id 2 whose clock, leader, term and sent messages the test sets and reads. */
class FakeHost implements ClusterTimeHost {
  readonly id = 2;
  time = 1000;
  leader: number | null = 1;
  currentTerm = 3;
  sent: { to: number; id: number }[] = [];
  clock(): number {
    return this.time;
  }
  leaderId(): number | null {
    return this.leader;
  }
  term(): number {
    return this.currentTerm;
  }
  send(to: number, payload: Uint8Array): boolean {
    const m = decodeNodeMessage(payload);
    assert.equal(m.type, 'time-request');
    this.sent.push({ to, id: m.id });
    return true;
  }
}

/** A promise's outcome so far: its value, its error, or 'pending'. */
function outcome<T>(p: Promise<T>): { current: T | Error | 'pending' } {
  const o: { current: T | Error | 'pending' } = { current: 'pending' };
  p.then(
    (v) => (o.current = v),
    (e: unknown) => (o.current = e as Error),
  );
  return o;
}

const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

test('the leader reads its own clock, and never hands out a time below one it gave', async () => {
  const host = new FakeHost();
  host.leader = 2;
  const time = new ClusterTime(host);
  assert.equal(await time.fetch(), 1000);
  host.time = 900; // the clock stepped back
  assert.equal(await time.fetch(), 1000);
  assert.equal(time.leaderNow(), 1000);
  assert.deepEqual(decodeNodeMessage(time.answer(7)), { type: 'time-reply', id: 7, term: 3, time: 1000 });
  host.time = 1100;
  assert.deepEqual(decodeNodeMessage(time.answer(8)), { type: 'time-reply', id: 8, term: 3, time: 1100 });
  assert.equal(time.now, 1100, 'a time handed out is one this node reads at too');
  host.leader = 1;
  assert.deepEqual(decodeNodeMessage(time.answer(9)), { type: 'time-reply', id: 9, term: 3, time: null });
  assert.deepEqual(host.sent, []);
});

test("a follower's reads of one turn share one request; later ones wait for the next", async () => {
  const host = new FakeHost();
  const time = new ClusterTime(host);
  const first = [time.fetch(), time.fetch()];
  assert.deepEqual(host.sent, [], 'sent at the end of the turn');
  await settle();
  assert.deepEqual(host.sent, [{ to: 1, id: 1 }], 'one request for both');
  const later = outcome(time.fetch());
  assert.equal(host.sent.length, 1, 'not sent while one is out');
  time.onReply(3, 1, 3, 5000); // from a node not asked
  time.onReply(1, 99, 3, 5000); // to another request
  await settle();
  assert.equal(later.current, 'pending');
  time.onReply(1, 1, 3, 5000);
  assert.deepEqual(await Promise.all(first), [5000, 5000]);
  assert.equal(time.now, 0, 'not read at until a barrier confirms it');
  time.confirm(5000);
  assert.equal(time.now, 5000);
  assert.deepEqual(host.sent, [
    { to: 1, id: 1 },
    { to: 1, id: 2 },
  ]);
  time.onReply(1, 1, 3, 9000); // a duplicate of the first answer: not the second's
  await settle();
  assert.equal(later.current, 'pending');
  time.onReply(1, 2, 3, 4000); // another leader's slower clock
  await settle();
  assert.equal(later.current, 4000);
  time.confirm(4000);
  assert.equal(time.now, 5000, 'the time read at never goes back');
});

test('a follower refuses an answer from a node that does not lead or from an older term', async () => {
  const host = new FakeHost();
  const time = new ClusterTime(host);
  const refused = time.fetch();
  await settle();
  time.onReply(1, 1, 3, null);
  await assert.rejects(refused, NotLeaderError);
  const older = time.fetch();
  await settle();
  time.onReply(1, 2, 2, 5000);
  await assert.rejects(older, NotLeaderError);
  host.leader = null;
  await assert.rejects(time.fetch(), NotLeaderError);
});

test('a leader change fails the request in flight; the reads queued behind it ask the new leader', async () => {
  const host = new FakeHost();
  const time = new ClusterTime(host);
  const inFlight = time.fetch();
  await settle();
  const queued = time.fetch();
  host.leader = 3;
  time.leaderChanged();
  await assert.rejects(inFlight, NotLeaderError);
  assert.deepEqual(host.sent, [
    { to: 1, id: 1 },
    { to: 3, id: 2 },
  ]);
  time.onReply(3, 2, 4, 6000);
  assert.equal(await queued, 6000);
});

test('a request with no answer fails its reads after a while; stop fails the rest', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const host = new FakeHost();
  const time = new ClusterTime(host);
  const lost = time.fetch();
  await settle();
  const queued = time.fetch();
  t.mock.timers.tick(TIME_REQUEST_TIMEOUT_MS);
  await assert.rejects(lost, TimeoutError);
  assert.equal(host.sent.length, 2, 'the queued read is asked for again');
  time.stop();
  await assert.rejects(queued, /shutting down/);
  await assert.rejects(time.fetch(), /shutting down/);
});

test('time messages round-trip; malformed ones are refused', () => {
  assert.deepEqual(decodeNodeMessage(encodeTimeRequest(12)), { type: 'time-request', id: 12 });
  assert.deepEqual(decodeNodeMessage(encodeTimeReply(12, 5, 1.7e12)), {
    type: 'time-reply',
    id: 12,
    term: 5,
    time: 1.7e12,
  });
  assert.deepEqual(decodeNodeMessage(encodeTimeReply(12, 5, null)), {
    type: 'time-reply',
    id: 12,
    term: 5,
    time: null,
  });
  assert.throws(() => decodeNodeMessage(encodeTimeRequest(12).subarray(0, 8)), /time request of 8 bytes/);
  assert.throws(() => decodeNodeMessage(encodeTimeReply(12, 5, 1).subarray(0, 24)), /time reply of 24 bytes/);
  assert.throws(() => decodeNodeMessage(encodeTimeReply(12, -1, 1)), /bad term/);
  assert.throws(() => decodeNodeMessage(encodeTimeReply(12, 5, Infinity)), /bad time/);
  assert.throws(() => decodeNodeMessage(encodeTimeRequest(-1)), /bad seq/);
});
