// Leader-side details that the mutation run (`npm run mutation`) showed no test pinned down:
// stale answers are ignored and counted, TimeoutNow goes out once, a read-index request that
// reaches a follower is refused, a probing follower gets one append per heartbeat, and a forged
// acknowledgement beyond the leader's log does not make it throw.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { CoreNet, type Msg } from '../support/core-net.js';
import type { ReplicaId } from '../../src/core/types.js';
import { count, drain } from './util.js';

function settled(options = {}): { net: CoreNet; leader: ReplicaId; a: ReplicaId; b: ReplicaId } {
  const net = new CoreNet([1, 2, 3], options);
  const leader = net.electLeader();
  net.propose(leader, 'x', 'y');
  net.advance(30);
  const [a, b] = [1, 2, 3].filter((id) => id !== leader) as [ReplicaId, ReplicaId];
  return { net, leader, a, b };
}

test('a rejection at or below the follower match is stale: ignored and counted, the follower is not re-probed', () => {
  const { net, leader, a } = settled();
  const l = net.raft(leader);
  const match = l.matchIndex(a);
  assert.equal(match, l.log.lastIndex);
  for (const index of [match, match - 1]) {
    l.step({
      type: 'append-response',
      from: a,
      to: leader,
      term: l.term,
      success: false,
      index,
      hintIndex: 0,
      hintTerm: 0,
      seq: 0,
    });
  }
  assert.equal(l.dropped['stale-append-rejection'], 2);
  assert.equal(l.matchIndex(a), match);
  // Not re-probed: nothing is resent to `a` (a probe would send an append at once).
  const { messages } = drain(net, leader);
  assert.equal(
    count(messages, (m) => m.to === a),
    0,
  );
});

test('a snapshot response for a follower that is not being sent a snapshot is stale: ignored and counted', () => {
  const { net, leader, a } = settled();
  const l = net.raft(leader);
  l.step({ type: 'snapshot-response', from: a, to: leader, term: l.term, lastIncludedIndex: 0, nextOffset: 5, seq: 0 });
  assert.equal(l.dropped['stale-snapshot-response'], 1);
  const { messages } = drain(net, leader);
  assert.equal(
    count(messages, (m) => m.to === a),
    0,
  );
});

test('a forged acknowledgement beyond the end of a log without a snapshot is counted, not thrown on', () => {
  const { net, leader, a } = settled();
  const l = net.raft(leader);
  assert.equal(l.snapshot, null);
  const last = l.log.lastIndex;
  const commit = l.commit;
  l.step({
    type: 'append-response',
    from: a,
    to: leader,
    term: l.term,
    success: true,
    index: last + 5,
    hintIndex: 0,
    hintTerm: 0,
    seq: 0,
  });
  assert.doesNotThrow(() => drain(net, leader));
  assert.equal(l.dropped['no-snapshot-for-lagging-peer'], 1);
  assert.equal(l.commit, commit, 'nothing beyond the log is committed');
  assert.equal(l.role, 'leader');
});

test('a read-index request that reaches a follower is refused at once, to the replica that asked', () => {
  const { net, a, b } = settled();
  const f = net.raft(a);
  f.step({ type: 'read-index', from: b, to: a, term: f.term, requestId: 7 });
  const { messages } = drain(net, a);
  const answers = messages.filter((m) => m.type === 'read-index-response');
  assert.deepEqual(answers, [
    { type: 'read-index-response', from: a, to: b, term: f.term, requestId: 7, readIndex: 0 },
  ]);
});

test('one TimeoutNow per transfer, even as other followers keep acknowledging', () => {
  const { net, leader, a: target, b: other } = settled();
  const l = net.raft(leader);
  // `other` misses an entry; TimeoutNow is never delivered, so the leader keeps leading.
  net.filter = (m) => m.to !== other && m.type !== 'timeout-now';
  net.propose(leader, 'z');
  assert.equal(l.matchIndex(target), l.log.lastIndex);
  assert.ok(l.matchIndex(other) < l.log.lastIndex);
  const before = count(net.sent, (m) => m.type === 'timeout-now');
  assert.equal(l.transferLeadership(target), true);
  net.deliverAll();
  net.filter = (m) => m.type !== 'timeout-now';
  net.advance(40); // heartbeats: `other` catches up and acknowledges new entries
  assert.equal(l.matchIndex(other), l.log.lastIndex);
  assert.equal(l.role, 'leader');
  assert.equal(count(net.sent, (m) => m.type === 'timeout-now') - before, 1);
});

test('a follower that stopped answering is probed with one append per heartbeat, like a healthy one', () => {
  const { net, leader, a: silent, b: healthy } = settled();
  net.filter = (m) => m.to !== silent;
  net.propose(leader, 'lost');
  net.advance(50); // `silent` acknowledges nothing for a whole interval: back to probing
  const from = net.sent.length;
  net.advance(50);
  const appends = (to: ReplicaId) => count(net.sent.slice(from), (m: Msg) => m.type === 'append' && m.to === to);
  assert.ok(appends(healthy) >= 4);
  assert.equal(appends(silent), appends(healthy));
});

test('a removed follower is dropped from replication as soon as it acknowledges the entry that removed it', () => {
  const { net, leader, a: removed, b: other } = settled();
  const l = net.raft(leader);
  const index = l.proposeConfig({ voters: [leader, other], learners: [], outgoing: [] });
  assert.ok(index > 0);
  // The removed follower's acknowledgement comes last, after every member's.
  net.filter = (m) => !(m.type === 'append-response' && m.from === removed);
  net.advance(30);
  assert.ok(l.matchIndex(removed) < index);
  net.heal();
  net.advance(30);
  assert.ok(l.commit >= index);
  assert.ok(net.raft(removed).log.lastIndex >= index, 'the removed follower got the entry');
  assert.equal(l.matchIndex(removed), 0, 'no progress kept for it');
  net.sent = [];
  net.advance(100);
  assert.equal(
    count(net.sent, (m) => m.from === leader && m.to === removed),
    0,
  );
});

test('a read round is released by the newest acknowledgement even when an older one arrives after it', () => {
  const { net, leader, a } = settled();
  const l = net.raft(leader);
  l.readIndex(1);
  const out = l.ready(true);
  const heartbeat = out?.messages.find((m) => m.type === 'append' && m.to === a);
  assert.ok(heartbeat?.type === 'append', 'the round sends a heartbeat');
  const { seq } = heartbeat;
  const ack = {
    type: 'append-response',
    from: a,
    to: leader,
    term: l.term,
    success: true,
    index: l.matchIndex(a),
    hintIndex: 0,
    hintTerm: 0,
  } as const;
  l.step({ ...ack, seq });
  l.step({ ...ack, seq: seq - 1 }); // reordered: an earlier heartbeat's answer
  assert.deepEqual(l.ready(true)?.reads, [{ id: 1, index: l.commit }]);
});

test('a follower that acknowledged something since the last heartbeat stays pipelined: it gets a heartbeat, not a re-probe', () => {
  const { net, leader, a } = settled();
  const l = net.raft(leader);
  net.filter = (m) => !(m.type === 'append' && m.to === a); // three appends to `a` stay unanswered
  const first = net.propose(leader, 'p1');
  net.propose(leader, 'p2');
  net.propose(leader, 'p3');
  const ack = {
    type: 'append-response',
    from: a,
    to: leader,
    term: l.term,
    hintIndex: 0,
    hintTerm: 0,
    seq: 0,
  } as const;
  l.step({ ...ack, success: true, index: first }); // the first arrives late; two are still in flight
  l.tick(10);
  const toA = drain(net, leader).messages.filter((m) => m.type === 'append' && m.to === a);
  assert.deepEqual(
    toA.map((m) => (m.type === 'append' ? [m.prevLogIndex, m.entries.length] : null)),
    [[first, 0]],
    'one empty heartbeat at the acknowledged index; p2 and p3 are not resent',
  );
});
