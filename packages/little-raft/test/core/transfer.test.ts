// Leadership transfer in the core (Raft thesis §3.10): the leader takes no proposals, catches the
// target up, then sends TimeoutNow; the target campaigns at once (no pre-vote), its vote requests
// marked `transfer` so voters answer despite their leader lease. The leader gives up after the
// minimum election timeout and leads on.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { CoreNet, type Msg } from '../support/core-net.js';
import type { Membership, ReplicaId } from '../../src/core/types.js';
import { drain } from './util.js';

function settledLeader(net: CoreNet): ReplicaId {
  const leader = net.electLeader();
  net.advance(30);
  return leader;
}

const isTimeoutNow = (m: Msg) => m.type === 'timeout-now';

test('TimeoutNow goes out only once the target holds the whole log; the target then wins at once', () => {
  const net = new CoreNet([1, 2, 3], { maxEntriesPerMessage: 1, maxInflight: 1 });
  const leader = settledLeader(net);
  const [target, other] = [1, 2, 3].filter((id) => id !== leader) as [ReplicaId, ReplicaId];
  // The target misses ten entries.
  net.filter = (m) => m.to !== target;
  for (let i = 0; i < 10; i++) net.propose(leader, `x${i}`);
  net.heal();
  const r = net.raft(leader);
  const term = r.term;
  assert.ok(net.raft(target).log.lastIndex < r.log.lastIndex);

  // Whenever the leader sends TimeoutNow, the target must already hold the whole log.
  const seen: number[] = [];
  const ready = r.ready.bind(r);
  r.ready = (canWrite) => {
    const out = ready(canWrite);
    for (const m of [...(out?.messages ?? []), ...(out?.afterWrite ?? [])]) {
      if (isTimeoutNow(m)) seen.push(net.raft(target).log.lastIndex - r.log.lastIndex);
    }
    return out;
  };
  const sentBefore = net.sent.length;
  assert.equal(r.transferLeadership(target), true);
  assert.equal(r.transferee, target);
  net.deliverAll();
  assert.deepEqual(seen, [], 'nothing yet: the lost appends are resent at the next heartbeat');
  assert.equal(r.propose([{ id: 'no' }]), 0);
  net.advance(50);
  assert.deepEqual(seen, [0], 'one TimeoutNow, sent when the target had caught up');
  assert.ok(
    net.sent.slice(sentBefore).filter((m) => m.type === 'append' && m.to === target && m.entries.length > 0).length >=
      5,
    'after several appends (one entry each)',
  );
  assert.equal(net.raft(target).role, 'leader');
  assert.equal(net.raft(target).term, term + 1);
  assert.equal(r.role, 'follower');
  assert.equal(r.transferee, null);
  const votes = net.sent.slice(sentBefore).filter((m) => m.type === 'vote-request');
  assert.ok(votes.length > 0);
  for (const v of votes) assert.ok(v.type === 'vote-request' && v.transfer && !v.preVote && v.from === target);
  assert.equal(net.raft(other).vote, target, 'the other voter voted although it had heard from its leader');
});

test('no proposals during a transfer; after the minimum election timeout it is given up and proposals resume', () => {
  const net = new CoreNet([1, 2, 3]);
  const leader = settledLeader(net);
  const target = [1, 2, 3].find((id) => id !== leader)!;
  net.partition(
    [target],
    [1, 2, 3].filter((id) => id !== target),
  );
  const r = net.raft(leader);
  const term = r.term;
  assert.equal(r.transferLeadership(target), true);
  assert.equal(r.propose([{ id: 'refused' }]), 0);
  net.advance(95);
  assert.equal(r.transferee, target, 'still trying just before the minimum election timeout (100)');
  assert.equal(r.propose([{ id: 'refused' }]), 0);
  net.advance(10);
  assert.equal(r.transferee, null, 'given up');
  assert.equal(r.role, 'leader');
  assert.equal(r.term, term);
  assert.ok(net.propose(leader, 'accepted') > 0);
  net.advance(20);
  assert.ok(!net.node(leader).applied.some((c) => c.id === 'refused'));
  assert.equal(net.node(leader).applied.at(-1)?.id, 'accepted');
});

test('transferLeadership is refused on a non-leader, to itself, to a learner and to a stranger', () => {
  const learners: Membership = { voters: [1, 2, 3], learners: [4], outgoing: [] };
  const net = new CoreNet([1, 2, 3, 4], { bootstrap: learners });
  const leader = settledLeader(net);
  assert.notEqual(leader, 4);
  const follower = [1, 2, 3].find((id) => id !== leader)!;
  assert.equal(net.raft(follower).transferLeadership(leader), false);
  assert.equal(net.raft(leader).transferLeadership(leader), false);
  assert.equal(net.raft(leader).transferLeadership(4), false);
  assert.equal(net.raft(leader).transferLeadership(7), false);
  assert.equal(net.raft(leader).transferee, null);
  assert.ok(net.propose(leader, 'still-taking') > 0);
  // A learner told to time out (by its leader) does not campaign.
  net.raft(4).step({ type: 'timeout-now', from: leader, to: 4, term: net.raft(leader).term });
  const out = drain(net, 4);
  assert.equal([...out.messages, ...out.afterWrite].filter((m) => m.type === 'vote-request').length, 0);
  assert.equal(net.raft(4).role, 'follower');
});

test('a TimeoutNow from anyone but the current leader is ignored', () => {
  const net = new CoreNet([1, 2, 3]);
  const leader = settledLeader(net);
  const [a, b] = [1, 2, 3].filter((id) => id !== leader) as [ReplicaId, ReplicaId];
  const term = net.raft(a).term;
  net.raft(a).step({ type: 'timeout-now', from: b, to: a, term });
  assert.equal(net.raft(a).role, 'follower');
  assert.equal(net.raft(a).term, term);
  assert.equal(net.raft(a).dropped['stale-timeout-now'], 1);
});

test('a leader deposed during a transfer forgets it', () => {
  const net = new CoreNet([1, 2, 3]);
  const leader = settledLeader(net);
  const target = [1, 2, 3].find((id) => id !== leader)!;
  net.partition(
    [leader],
    [1, 2, 3].filter((id) => id !== leader),
  );
  const r = net.raft(leader);
  r.transferLeadership(target);
  net.advance(300); // check-quorum: it steps down
  assert.equal(r.role, 'follower');
  assert.equal(r.transferee, null);
});
