// A member that missed membership changes must still catch up from a leader it has never heard
// of (Raft thesis §4): replicas drop messages from senders no configuration names, so the leader
// has to introduce itself with a configuration that names it.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { CoreNet } from '../support/core-net.js';
import type { Membership, ReplicaId } from '../../src/core/types.js';
import { bytes, campaignAlone, compactAt, membership, termsOf } from './util.js';

/** Proposes `config` on the leader and runs until it is committed. */
function commitConfig(net: CoreNet, leader: ReplicaId, config: Membership): void {
  const index = net.raft(leader).proposeConfig(config);
  assert.ok(index > 0, `proposeConfig(${JSON.stringify(config)}) accepted`);
  for (let t = 0; t < 1000 && net.raft(leader).commit < index; t += 5) net.advance(5);
  assert.ok(net.raft(leader).commit >= index, 'committed');
}

/**
 * Cluster {1,2,3} (node 4 outside it); node 3 goes down; `before` runs; node 4 joins (learner,
 * then voter by joint consensus) and takes over the leadership; `after` runs; node 3 comes back
 * never having heard of node 4.
 */
function newLeaderUnknownToLaggard(
  before: (net: CoreNet) => void,
  after: (net: CoreNet) => void,
  beforeTransfer: (net: CoreNet) => void = () => {},
): CoreNet {
  const net = new CoreNet([1, 2, 3, 4], { bootstrap: membership([1, 2, 3]) });
  campaignAlone(net, 1);
  net.advance(30);
  net.crash(3);
  before(net);
  commitConfig(net, 1, { voters: [1, 2, 3], learners: [4], outgoing: [] });
  commitConfig(net, 1, { voters: [1, 2, 3, 4], learners: [], outgoing: [1, 2, 3] });
  net.advance(50); // the leader moves on to C(new) by itself
  assert.deepEqual(net.raft(1).config, membership([1, 2, 3, 4]));
  for (let i = 0; i < 5; i++) net.propose(1, `x${i}`);
  beforeTransfer(net);
  assert.ok(net.raft(1).transferLeadership(4));
  net.advance(100);
  assert.deepEqual(net.leaders(), [4]);
  for (let i = 0; i < 5; i++) net.propose(4, `y${i}`);
  net.advance(30);
  after(net);
  net.restart(3);
  net.advance(1000);
  assert.deepEqual(net.leaders(), [4]);
  return net;
}

function assertCaughtUp(net: CoreNet): void {
  assert.equal(net.raft(3).log.lastIndex, net.raft(4).log.lastIndex);
  assert.equal(net.raft(3).commit, net.raft(4).commit);
  assert.equal(net.raft(3).leaderId, 4);
  assert.deepEqual(net.raft(3).config, net.raft(4).config);
}

const nothing = () => {};
const compactAll = (net: CoreNet) => {
  for (const id of [1, 2, 4]) if (net.raft(id).applied > net.raft(id).log.snapshotIndex) compactAt(net, id, bytes(500));
};

test('a member that missed the change adding the new leader catches up from it (change still in the log)', () => {
  const net = newLeaderUnknownToLaggard(nothing, nothing);
  assertCaughtUp(net);
  assert.deepEqual(termsOf(net, 3), termsOf(net, 4));
});

test('... and when the leader compacted the change away after it took over (through the snapshot)', () => {
  assertCaughtUp(newLeaderUnknownToLaggard(nothing, compactAll));
});

test('a leader that joined through a snapshot older than its addition is introduced to a member behind it', () => {
  // Node 4 starts from node 1's snapshot, which predates node 4's addition and does not name it.
  const net = newLeaderUnknownToLaggard((n) => {
    for (let i = 0; i < 10; i++) n.propose(1, `w${i}`);
    n.advance(30);
    compactAll(n);
  }, nothing);
  assert.deepEqual(net.raft(4).snapshot?.config.voters, [1, 2, 3]);
  assertCaughtUp(net);
});

test('... and when the change was compacted away before it took over (probe through the snapshot)', () => {
  // The new leader's configuration entry is behind its snapshot; it probes from its last index,
  // which node 3 drops: only the snapshot, whose configuration names node 4, introduces it.
  const net = newLeaderUnknownToLaggard(nothing, nothing, compactAll);
  assert.ok(net.raft(4).configIndex <= net.raft(4).log.snapshotIndex);
  assertCaughtUp(net);
});

test('a restarted member knows the bootstrap members even when its latest configuration leaves one out', () => {
  // Node 1 is removed and added back while node 3 is down; node 3's last configuration is {2,3}.
  // With node 2 down too, only node 3's vote can make node 1 leader.
  const net = new CoreNet([1, 2, 3], {});
  campaignAlone(net, 2);
  net.advance(30);
  commitConfig(net, 2, membership([2, 3]));
  net.crash(3);
  commitConfig(net, 2, membership([1, 2, 3]));
  net.advance(30);
  net.crash(2);
  net.restart(3);
  assert.deepEqual(net.raft(3).config, membership([2, 3]));
  for (let t = 0; t < 3000 && net.leaders().length === 0; t += 5) net.advance(5);
  assert.deepEqual(net.leaders(), [1]);
  net.advance(50);
  assert.deepEqual(net.raft(3).config, membership([1, 2, 3]));
  assert.equal(net.raft(3).commit, net.raft(1).commit);
});

test('replicas that C(new) leaves out still campaign until C(new) commits (thesis §4.2.2)', () => {
  // C(old,new) = {3} + {1,2,3} commits; leader 1 appends C(new) = {3} (1 and 2 as learners) and
  // crashes after only node 2 got it. Node 3 cannot win under C(old,new) (node 2's log is ahead),
  // so node 2 must campaign, although C(new) makes it a learner, to commit C(new).
  const net = new CoreNet([1, 2, 3], {});
  campaignAlone(net, 1);
  net.advance(30);
  const final: Membership = { voters: [3], learners: [1, 2], outgoing: [] };
  net.filter = (m) => !(m.type === 'append' && m.to === 3 && m.entries.some((e) => e.config?.outgoing.length === 0));
  commitConfig(net, 1, { ...final, outgoing: [1, 2, 3] });
  net.advance(30);
  assert.deepEqual(net.raft(2).config, final);
  assert.deepEqual(net.raft(3).config, { ...final, outgoing: [1, 2, 3] }, 'node 3 missed C(new)');
  net.crash(1);
  net.heal();
  for (let t = 0; t < 3000 && !(net.leaders()[0] === 3 && net.raft(3).commit >= net.raft(3).configIndex); t += 5)
    net.advance(5);
  assert.deepEqual(net.leaders(), [3]);
  assert.deepEqual(net.raft(3).config, final);
  assert.ok(net.raft(3).commit >= net.raft(3).configIndex, 'C(new) committed');
  net.propose(3, 'after');
  net.advance(30);
  assert.equal(net.node(2).applied.at(-1)?.id, 'after');
});

test('answers and reads from a replica no configuration names are dropped; requests stand on their term', () => {
  const net = new CoreNet([1, 2, 3, 4], { bootstrap: membership([1, 2, 3]) });
  campaignAlone(net, 1);
  net.advance(30);
  const l = net.raft(1);
  const term = l.term;
  l.step({ type: 'append-response', from: 4, to: 1, term, success: true, index: 1, hintIndex: 0, hintTerm: 0, seq: 0 });
  l.step({ type: 'read-index', from: 4, to: 1, term, requestId: 1 });
  assert.equal(l.dropped['unknown-peer'], 2);
  // A leader this replica has not heard of yet (it missed the change adding it) is followed.
  const f = net.raft(2);
  f.step({
    type: 'append',
    from: 4,
    to: 2,
    term: term + 1,
    prevLogIndex: f.log.lastIndex,
    prevLogTerm: f.log.lastTerm,
    entries: [],
    leaderCommit: 0,
    seq: 1,
  });
  assert.equal(f.dropped['unknown-peer'], undefined);
  assert.equal(f.term, term + 1);
  assert.equal(f.leaderId, 4);
});
