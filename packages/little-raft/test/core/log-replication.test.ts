// Raft §5.3 (log replication): Figure 7's divergent followers, and fast log backtracking.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import type { CoreNet } from '../support/core-net.js';
import type { ReplicaId } from '../../src/core/types.js';
import { campaignAlone, drain, entriesOf, netFrom, run, termsOf, type InitialState } from './util.js';

const rejectionsFrom = (net: CoreNet, id: ReplicaId) =>
  net.sent.filter((m) => m.from === id && m.type === 'append-response' && !m.success).length;

/** Every node's log (and its stored log) equals the leader's. */
function assertLogsEqual(net: CoreNet, leader: ReplicaId, ids: ReplicaId[]): void {
  const want = termsOf(net, leader);
  for (const id of ids) {
    assert.deepEqual(termsOf(net, id), want, `log of ${id}`);
    const stored = net
      .node(id)
      .storage.load()
      .entries.map((e) => [e.index, e.term]);
    assert.deepEqual(stored, want, `stored log of ${id}`);
  }
}

// Figure 7: the leader's log (term 8 leader) and followers (a)-(f).
const FIGURE_7: Record<string, number[]> = {
  leader: [1, 1, 1, 4, 4, 5, 5, 6, 6, 6],
  a: [1, 1, 1, 4, 4, 5, 5, 6, 6],
  b: [1, 1, 1, 4],
  c: [1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 6],
  d: [1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 7, 7],
  e: [1, 1, 1, 4, 4, 4, 4],
  f: [1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3],
};

test('Figure 7: the term-8 leader brings each follower (a)-(f) to its log, cutting extra entries', () => {
  const names = ['leader', 'a', 'b', 'c', 'd', 'e', 'f'];
  const ids = names.map((_, i) => i + 1);
  const states: Record<number, InitialState> = {};
  names.forEach((name, i) => {
    const terms = FIGURE_7[name]!;
    states[i + 1] = {
      hardState: { term: name === 'leader' ? 7 : terms.at(-1)!, vote: null, commit: 3 },
      // Same (index, term) means the same entry (Log Matching), so the same transition too.
      entries: entriesOf(terms),
    };
  });
  const net = netFrom(ids, states);
  // Only the leader's clock runs at first, so it campaigns (for term 8) before anyone else.
  campaignAlone(net, 1);
  assert.equal(net.raft(1).term, 8);
  // (c) and (d) have more up-to-date logs and refused; (a), (b), (e), (f) made the majority.
  net.advance(100);
  assert.deepEqual(net.leaders(), [1]);
  const want = [...FIGURE_7.leader!, 8].map((t, i) => [i + 1, t]);
  assert.deepEqual(termsOf(net, 1), want, 'the leader appended its term-8 noop at index 11');
  assertLogsEqual(net, 1, ids);
  // Extra entries are gone: (c)'s index 11 (term 6), (d)'s 11-12 (term 7), (f)'s term 2/3 run.
  const [c, d, f] = [names.indexOf('c') + 1, names.indexOf('d') + 1, names.indexOf('f') + 1];
  assert.equal(net.raft(c).log.term(11), 8);
  assert.equal(net.raft(d).log.lastIndex, 11);
  assert.equal(net.raft(d).log.term(12), undefined);
  assert.equal(net.raft(f).log.term(4), 4);
  // Everyone applied the same entries, in order, and all of the leader's log is committed.
  for (const id of ids) {
    assert.equal(net.raft(id).commit, 11);
    assert.deepEqual(net.node(id).applied, net.node(1).applied, `applied by ${id}`);
  }
  // Fast backtracking: each follower needed at most a couple of rejected appends.
  for (const id of ids.slice(1)) assert.ok(rejectionsFrom(net, id) <= 2, `${id}: ${rejectionsFrom(net, id)}`);
});

/** Leader (1) and node 2 share `leaderTerms`; node 3 has `followerTerms`; node 1 campaigns first. */
function catchUp(leaderTerms: number[], followerTerms: number[], term: number): CoreNet {
  const net = netFrom([1, 2, 3], {
    1: { hardState: { term, vote: null, commit: 0 }, entries: entriesOf(leaderTerms) },
    2: { hardState: { term, vote: null, commit: 0 }, entries: entriesOf(leaderTerms) },
    3: { hardState: { term, vote: null, commit: 0 }, entries: entriesOf(followerTerms) },
  });
  campaignAlone(net, 1);
  net.advance(50);
  assertLogsEqual(net, 1, [1, 2, 3]);
  assert.equal(net.raft(3).commit, leaderTerms.length + 1);
  return net;
}

test('a follower 1,000 entries behind catches up after one rejected append, not 1,000', () => {
  const net = catchUp(run(1, 1010), run(1, 10), 1);
  assert.ok(rejectionsFrom(net, 3) <= 1, `${rejectionsFrom(net, 3)} rejections`);
});

test('a follower with 1,000 conflicting entries over 100 terms converges in a handful of rejections', () => {
  // Follower: 11..1010 from terms 2..101 (10 each), never committed. Leader: terms 102..111 (100 each).
  const follower = [...run(1, 10)];
  for (let t = 2; t <= 101; t++) follower.push(...run(t, 10));
  const leader = [...run(1, 10)];
  for (let t = 102; t <= 111; t++) leader.push(...run(t, 100));
  const net = catchUp(leader, follower, 111);
  assert.ok(rejectionsFrom(net, 3) <= 5, `${rejectionsFrom(net, 3)} rejections`);
  assert.equal(net.raft(3).log.term(11), 102);
});

test('conflicting entries of higher terms than the leader entries at the same indices also converge fast', () => {
  // Leader: 11..1010 from terms 2..101 (10 each). Follower: 11..1010 from terms 102..201 (10 each).
  const leader = [...run(1, 10)];
  for (let t = 2; t <= 101; t++) leader.push(...run(t, 10));
  const follower = [...run(1, 10)];
  for (let t = 102; t <= 201; t++) follower.push(...run(t, 10));
  const net = catchUp(leader, follower, 201);
  assert.ok(rejectionsFrom(net, 3) <= 5, `${rejectionsFrom(net, 3)} rejections`);
  assert.equal(net.raft(3).log.term(1010), 101);
});

test('a follower with a longer conflicting tail of one stale term loses it all in one round trip', () => {
  // Follower: 1..10 term 1, then 2,000 entries of term 2. Leader: 1..10 term 1, then 5 of term 3.
  const net = catchUp([...run(1, 10), ...run(3, 5)], [...run(1, 10), ...run(2, 2000)], 3);
  assert.ok(rejectionsFrom(net, 3) <= 2, `${rejectionsFrom(net, 3)} rejections`);
  assert.equal(net.raft(3).log.lastIndex, 16);
});

test('a follower acknowledges only what the append proved to match, not a stale tail beyond it', () => {
  // Node 2 holds 3@2 from a deposed leader; the term-3 leader's log has 3@3. A late retransmission
  // of the append carrying index 2 must be acknowledged as 2: index 3 is not known to match.
  const net = netFrom([1, 2, 3], {
    2: { hardState: { term: 3, vote: null, commit: 1 }, entries: entriesOf([1, 1, 2]) },
  });
  const f = net.raft(2);
  f.step({
    type: 'append',
    from: 1,
    to: 2,
    term: 3,
    prevLogIndex: 1,
    prevLogTerm: 1,
    entries: entriesOf([1], 2),
    leaderCommit: 2,
    seq: 1,
  });
  assert.equal(f.log.lastIndex, 3, 'nothing conflicted, so the tail stays for now');
  const acks = drain(net, 2).afterWrite.filter((m) => m.type === 'append-response');
  assert.deepEqual(
    acks.map((m) => m.type === 'append-response' && [m.success, m.index]),
    [[true, 2]],
  );
  assert.equal(f.commit, 2, 'commit is bounded by the last entry the append proved, too');
});
