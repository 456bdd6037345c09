// Raft §5.4 (safety): the election restriction and Figure 8's commit rule.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import type { CoreNet, Msg } from '../support/core-net.js';
import { campaignAlone, entriesOf, netFrom, termsOf, tickOne } from './util.js';

/**
 * Figure 8 (c): S1 leads in term 4 and has spread its term-2 entry at index 2 to S2 and S3
 * (a majority of five), but not yet any entry of term 4. S5 (down) holds a term-3 entry at
 * index 2 from its own leadership in term 3; S4 is cut off.
 *
 * Our leaders append a noop at the start of their term, so S1's first entry of term 4 is the
 * noop at index 3. The network strips term-4 entries from every append (they are lost), so
 * the term-2 entry travels alone.
 */
function figure8c(): CoreNet {
  const hs = (vote: number | null) => ({ term: 3, vote, commit: 1 });
  const net = netFrom(
    [1, 2, 3, 4, 5],
    {
      1: { hardState: hs(null), entries: entriesOf([1, 2]) },
      2: { hardState: hs(null), entries: entriesOf([1]) },
      3: { hardState: hs(5), entries: entriesOf([1]) },
      4: { hardState: hs(5), entries: entriesOf([1]) },
      5: { hardState: hs(5), entries: entriesOf([1, 3]) },
    },
    // The paper's plain Raft: no leases, so a later leader can be elected as soon as S1 is gone.
    { checkQuorum: false, maxEntriesPerMessage: 1 },
  );
  net.crash(5);
  net.filter = (m: Msg) => {
    if (m.from === 4 || m.to === 4) return false;
    if (m.type === 'append') m.entries = m.entries.filter((e) => e.term !== 4);
    return true;
  };
  campaignAlone(net, 1);
  assert.equal(net.raft(1).term, 4);
  net.advance(100);
  return net;
}

test('Figure 8 (c): an old-term entry on a majority is not committed by counting replicas', () => {
  const net = figure8c();
  for (const id of [1, 2, 3]) assert.equal(net.raft(id).log.term(2), 2, `S${id} holds (2, term 2)`);
  assert.equal(net.raft(1).log.term(3), 4, 'the term-4 noop exists only on S1');
  assert.equal(net.raft(2).log.lastIndex, 2);
  assert.equal(net.raft(3).log.lastIndex, 2);
  assert.equal(net.raft(1).role, 'leader');
  assert.equal(net.raft(1).commit, 1, 'index 2 (term 2) is on 3 of 5 but must not be committed');
  for (const id of [1, 2, 3]) {
    assert.equal(net.raft(id).commit, 1);
    assert.ok(!net.node(id).applied.some((c) => c.id === '2@2'), `S${id} applied nothing of term 2`);
  }
});

test('Figure 8 (d): S5 is then elected and overwrites the uncommitted term-2 entry everywhere', () => {
  const net = figure8c();
  net.crash(1);
  net.heal();
  net.restart(5);
  campaignAlone(net, 5);
  assert.ok(net.raft(5).term >= 5);
  net.advance(100);
  for (const id of [2, 3, 4, 5]) {
    assert.equal(net.raft(id).log.term(2), 3, `S${id}: index 2 now holds S5's term-3 entry`);
    assert.deepEqual(termsOf(net, id), termsOf(net, 5));
    assert.ok(net.raft(id).commit >= 3);
    assert.ok(!net.node(id).applied.some((c) => c.id === '2@2'));
    assert.ok(net.node(id).applied.some((c) => c.id === '2@3'));
  }
});

test('Figure 8 (e): once an entry of the leader term is on a majority, both commit, and S5 can no longer win', () => {
  const net = figure8c();
  assert.equal(net.raft(1).commit, 1);
  // The term-4 noop now gets through to S2 and S3 (S4 stays cut off).
  net.filter = (m: Msg) => m.from !== 4 && m.to !== 4;
  net.advance(50);
  assert.equal(net.raft(1).commit, 3, 'the term-4 entry commits, and the term-2 entry with it');
  for (const id of [1, 2, 3]) {
    assert.equal(net.raft(id).commit, 3);
    assert.deepEqual(
      net.node(id).applied.map((c) => c.id),
      ['1@1', '2@2', 'noop'],
    );
  }
  // S1 crashes; S5 comes back and tries to lead. Its last entry (2, term 3) is behind S2's and
  // S3's (3, term 4): the election restriction (§5.4.1) keeps it from winning.
  net.crash(1);
  net.heal();
  net.restart(5);
  tickOne(net, 5, 2000);
  assert.notEqual(net.raft(5).role, 'leader');
  // When the others' clocks run too, one of them leads and S5's term-3 entry is replaced.
  const leader = net.electLeader();
  assert.ok([2, 3, 4].includes(leader));
  net.advance(100);
  for (const id of [2, 3, 4, 5]) {
    assert.equal(net.raft(id).log.term(2), 2, `S${id} keeps the committed term-2 entry`);
    assert.deepEqual(termsOf(net, id), termsOf(net, leader));
    assert.deepEqual(
      net
        .node(id)
        .applied.slice(0, 3)
        .map((c) => c.id),
      ['1@1', '2@2', 'noop'],
    );
  }
});

test('§5.4.1: a candidate whose log is less up to date than every voter is refused', () => {
  const net = netFrom([1, 2, 3], {
    1: { hardState: { term: 2, vote: null, commit: 0 }, entries: entriesOf([1, 1]) },
    2: { hardState: { term: 2, vote: null, commit: 0 }, entries: entriesOf([1, 2]) },
    3: { hardState: { term: 2, vote: null, commit: 0 }, entries: entriesOf([1, 2, 2]) },
  });
  tickOne(net, 1, 1000);
  assert.notEqual(net.raft(1).role, 'leader');
  assert.equal(net.raft(2).vote, null);
  assert.equal(net.raft(3).vote, null);
  // Node 2's log (2, term 2) beats node 1's (2, term 1) but not node 3's: it wins with node 1's vote.
  campaignAlone(net, 2);
  assert.equal(net.raft(1).vote, 2);
  assert.equal(net.raft(3).vote, null, 'node 3 refused');
});
