// ReadIndex in the core (Raft thesis §6.4): the leader answers a read with its commit index once
// it has committed an entry of its own term and a quorum acknowledged a heartbeat round sent
// after the read arrived. One round serves every read waiting. Followers ask the leader.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { CoreNet, withReads, type Msg } from '../support/core-net.js';
import type { Membership, ReplicaId } from '../../src/core/types.js';

function settledLeader(net: CoreNet): ReplicaId {
  const leader = net.electLeader();
  net.advance(30);
  return leader;
}

/** Round-tagged heartbeats the leader sent: empty appends, by seq. */
function roundsIn(msgs: Msg[], leader: ReplicaId): Map<number, number> {
  const rounds = new Map<number, number>();
  for (const m of msgs) {
    if (m.type === 'append' && m.from === leader) rounds.set(m.seq, (rounds.get(m.seq) ?? 0) + 1);
  }
  return rounds;
}

test('a new leader answers reads only once an entry of its own term (its noop) is committed', () => {
  const net = new CoreNet([1, 2, 3]);
  const reads = withReads(net);
  net.filter = (m) => m.type !== 'append-response';
  const leader = net.electLeader();
  const r = net.raft(leader);
  const noop = r.log.lastIndex;
  assert.equal(r.log.term(noop), r.term);
  assert.ok(r.commit < noop);
  r.readIndex(1);
  net.advance(50);
  assert.deepEqual(reads.get(leader), [], 'no answer while the noop is uncommitted');
  assert.equal(r.role, 'leader');
  net.heal();
  net.advance(30);
  assert.ok(r.commit >= noop);
  assert.deepEqual(reads.get(leader), [{ id: 1, index: noop }]);
});

test('one heartbeat round serves every read waiting; reads arriving meanwhile take the next round', () => {
  const net = new CoreNet([1, 2, 3, 4, 5]);
  const reads = withReads(net);
  const leader = settledLeader(net);
  const r = net.raft(leader);
  net.sent = [];
  for (let id = 1; id <= 20; id++) r.readIndex(id);
  net.flush();
  const first = roundsIn(net.queue, leader);
  assert.equal(first.size, 1, 'one round');
  assert.deepEqual([...first.values()], [4], 'one heartbeat per follower');
  // Reads arriving while the first round is in flight wait for the next one.
  r.readIndex(21);
  r.readIndex(22);
  net.deliverAll();
  const answers = reads.get(leader)!;
  assert.equal(answers.length, 22);
  assert.deepEqual(
    answers.map((a) => a.id),
    Array.from({ length: 22 }, (_, i) => i + 1),
  );
  for (const a of answers) assert.equal(a.index, r.commit);
  const rounds = roundsIn(net.sent, leader);
  assert.equal(rounds.size, 2, 'two rounds for 22 reads');
  assert.deepEqual([...rounds.values()], [4, 4]);
});

test('a round is released by acknowledgements of that round only, not of earlier heartbeats', () => {
  const net = new CoreNet([1, 2, 3]);
  const reads = withReads(net);
  const leader = settledLeader(net);
  const r = net.raft(leader);
  // A heartbeat goes out and its answers are held back.
  net.raft(leader).tick(10);
  net.flush();
  const heartbeats = net.queue.splice(0);
  assert.ok(heartbeats.length >= 2);
  r.readIndex(7);
  net.flush();
  const round = net.queue.splice(0);
  assert.equal(round.length, 2);
  // Answers to the older heartbeat arrive: not enough.
  for (const m of heartbeats) net.raft(m.to).step(m);
  net.flush();
  for (const m of net.queue.splice(0)) net.raft(m.to).step(m);
  net.flush();
  assert.deepEqual(reads.get(leader), []);
  // One follower answers the round: with the leader, a quorum.
  net.raft(round[0]!.to).step(round[0]!);
  net.flush();
  for (const m of net.queue.splice(0)) net.raft(m.to).step(m);
  net.flush();
  assert.deepEqual(reads.get(leader), [{ id: 7, index: r.commit }]);
});

test('the read index is the commit index when the round starts, not the last index', () => {
  const net = new CoreNet([1, 2, 3]);
  const reads = withReads(net);
  const leader = settledLeader(net);
  const r = net.raft(leader);
  const commit = r.commit;
  // An entry is appended but not committed (acknowledgements of it are lost).
  net.filter = (m) => !(m.type === 'append-response' && m.index > commit);
  net.propose(leader, 'pending');
  assert.ok(r.log.lastIndex > commit);
  r.readIndex(3);
  net.deliverAll();
  assert.deepEqual(reads.get(leader), [{ id: 3, index: commit }]);
});

test('a follower gets its read index from the leader; without a known leader it is refused at once', () => {
  const net = new CoreNet([1, 2, 3]);
  const reads = withReads(net);
  const leader = settledLeader(net);
  const follower = [1, 2, 3].find((id) => id !== leader)!;
  net.raft(follower).readIndex(5);
  net.flush();
  assert.deepEqual(
    net.queue.filter((m) => m.type === 'read-index').map((m) => [m.from, m.to]),
    [[follower, leader]],
  );
  net.deliverAll();
  assert.deepEqual(reads.get(follower), [{ id: 5, index: net.raft(leader).commit }]);

  const lone = new CoreNet([1, 2, 3]);
  const loneReads = withReads(lone);
  lone.raft(1).readIndex(9);
  lone.flush();
  assert.deepEqual(loneReads.get(1), [{ id: 9, index: 0 }], 'refused: no leader known');
  assert.equal(lone.queue.length, 0);
});

test('a leader cut off from the majority never answers a read; it refuses them when it steps down', () => {
  const net = new CoreNet([1, 2, 3, 4, 5]);
  const reads = withReads(net);
  const leader = settledLeader(net);
  const minority = [leader, [1, 2, 3, 4, 5].find((id) => id !== leader)!];
  const majority = [1, 2, 3, 4, 5].filter((id) => !minority.includes(id));
  net.partition(minority, majority);
  net.raft(leader).readIndex(1);
  net.raft(minority[1]!).readIndex(2); // a follower on the minority side asks the old leader
  net.advance(90);
  assert.deepEqual(reads.get(leader), []);
  assert.deepEqual(reads.get(minority[1]!), []);
  net.advance(200); // check-quorum
  assert.equal(net.raft(leader).role, 'follower');
  assert.deepEqual(reads.get(leader), [{ id: 1, index: 0 }], 'refused');
  assert.deepEqual(reads.get(minority[1]!), [{ id: 2, index: 0 }], 'refused');
});

test('in a joint configuration a read round needs a majority of both halves; learners do not count', () => {
  const bootstrap: Membership = { voters: [1, 2, 3], learners: [], outgoing: [] };
  const net = new CoreNet([1, 2, 3, 4, 5, 6], { bootstrap, checkQuorum: false }); // 4 and 5 go quiet for a while
  const reads = withReads(net);
  const leader = settledLeader(net);
  const joint: Membership = { voters: [leader, 4, 5].sort(), learners: [6], outgoing: [1, 2, 3] };
  // 4 and 5 (the rest of the new half) do not answer; the old half and the learner do.
  net.filter = (m) => !(m.type === 'append-response' && (m.from === 4 || m.from === 5));
  const index = net.raft(leader).proposeConfig(joint);
  net.deliverAll();
  assert.deepEqual(net.raft(leader).config, joint, 'the joint configuration is in force, uncommitted');
  net.raft(leader).readIndex(1);
  net.advance(60);
  assert.ok(
    net.sent.some((m) => m.type === 'append-response' && m.from === 6),
    'the learner answers',
  );
  assert.deepEqual(reads.get(leader), [], 'no majority of the new half');
  net.heal();
  net.advance(20);
  assert.ok(net.raft(leader).commit >= index);
  assert.equal(reads.get(leader)!.length, 1);
  assert.ok(reads.get(leader)![0]!.index > 0);
});
