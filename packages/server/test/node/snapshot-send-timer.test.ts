// The leader's timing of a snapshot sent to a follower: from its first chunk until the follower's
// acknowledgement of the installed snapshot, across resent chunks and other peers' traffic.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import type { Message } from 'little-raft';

import { SnapshotSendTimer, type SnapshotSent } from '../../src/node/snapshot-send-timer.js';

const config = { voters: [1, 2, 3], learners: [], outgoing: [] };

function chunk(to: number, index: number, offset: number, size: number, done: boolean): Message<unknown, Uint8Array> {
  return {
    type: 'snapshot',
    from: 1,
    to,
    term: 2,
    lastIncludedIndex: index,
    lastIncludedTerm: 2,
    config,
    termStarts: [],
    offset,
    data: new Uint8Array(size),
    done,
    seq: 0,
  };
}

function ack(from: number, index: number, success = true): Message<unknown, Uint8Array> {
  return { type: 'append-response', from, to: 1, term: 2, success, index, hintIndex: 0, hintTerm: 0, seq: 0 };
}

function timer(): { timer: SnapshotSendTimer; started: string[]; sent: SnapshotSent[]; tick: (ms: number) => void } {
  let now = 0;
  const started: string[] = [];
  const sent: SnapshotSent[] = [];
  const t = new SnapshotSendTimer(
    (to, index) => started.push(`${to}@${index}`),
    (s) => sent.push(s),
    () => now,
  );
  return { timer: t, started, sent, tick: (ms) => (now += ms) };
}

test('a send is timed from its first chunk to the acknowledgement of the installed snapshot', () => {
  const { timer: t, started, sent, tick } = timer();
  assert.equal(t.active, false);
  t.sent(2, chunk(2, 50, 0, 100, false));
  assert.deepEqual(started, ['2@50']);
  assert.equal(t.active, true);
  tick(400);
  t.sent(2, chunk(2, 50, 100, 100, false));
  t.sent(2, chunk(2, 50, 100, 100, false)); // resent: the same trip
  t.received([ack(2, 40)]); // an old acknowledgement, before the last chunk went out
  t.sent(2, chunk(2, 50, 200, 30, true));
  t.received([ack(3, 60), ack(2, 49), ack(2, 50, false)]); // another peer; too low; a refusal
  assert.deepEqual(sent, []);
  tick(600);
  t.received([ack(2, 50)]);
  assert.deepEqual(sent, [{ to: 2, index: 50, bytes: 230, seconds: 1 }]);
  assert.deepEqual(started, ['2@50'], 'resent chunks start no new trip');
  assert.equal(t.active, false);
});

test('a newer snapshot starts a new trip, and a lost leadership ends every trip untimed', () => {
  const { timer: t, started, sent } = timer();
  t.sent(2, chunk(2, 50, 0, 10, false));
  t.sent(2, chunk(2, 80, 0, 10, true));
  t.sent(3, chunk(3, 80, 0, 10, true));
  assert.deepEqual(started, ['2@50', '2@80', '3@80']);
  t.received([ack(2, 80)]);
  assert.deepEqual(
    sent.map((s) => [s.to, s.index, s.bytes]),
    [[2, 80, 10]],
  );
  t.forget();
  t.received([ack(3, 80)]);
  assert.equal(sent.length, 1, 'nothing is timed after the leadership is lost');
  // Messages other than snapshot chunks are not counted as sends.
  t.sent(2, ack(2, 1));
  assert.equal(t.active, false);
});
