// Bad input through the Cluster: whatever receiveMessages returns -- values of the wrong
// type, malformed messages, messages from unknown replicas, misaddressed or stale ones,
// replays -- is dropped and counted in droppedMessages(), never thrown; the replica keeps
// working.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { ReplicaNet } from '../support/replica-net.js';

/** Values that are not well-formed messages at all. */
function garbage(from: number, to: number, term: number): unknown[] {
  const entry = { index: 1, term: 1, transition: { id: 'x', delta: 1 } };
  const append = {
    type: 'append',
    from,
    to,
    term,
    prevLogIndex: 0,
    prevLogTerm: 0,
    entries: [] as unknown[],
    leaderCommit: 0,
    seq: 1,
  };
  return [
    null,
    undefined,
    42,
    'vote for me',
    [],
    {},
    new Uint8Array([1, 2, 3]),
    { type: 42, from, to, term },
    { type: 'bogus', from, to, term },
    { type: 'toString', from, to, term },
    { type: '__proto__', from, to, term },
    { type: 'x'.repeat(10_000), from, to, term },
    { type: 'vote-request', from, to, term }, // fields missing
    { type: 'vote-request', from: -1, to, term, lastLogIndex: 0, lastLogTerm: 0, preVote: false, transfer: false },
    { type: 'vote-request', from, to, term: NaN, lastLogIndex: 0, lastLogTerm: 0, preVote: false, transfer: false },
    { type: 'vote-request', from, to, term: 1e300, lastLogIndex: 0, lastLogTerm: 0, preVote: false, transfer: false },
    { type: 'vote-request', from, to, term: 1n, lastLogIndex: 0, lastLogTerm: 0, preVote: false, transfer: false },
    { type: 'vote-request', from, to, term: '7', lastLogIndex: 0, lastLogTerm: 0, preVote: false, transfer: false },
    { type: 'vote-request', from, to, term, lastLogIndex: 0, lastLogTerm: 0, preVote: 'yes', transfer: false },
    { type: 'vote-response', from, to, term, granted: 1, preVote: false },
    { ...append, entries: 'all of them' },
    { ...append, entries: [null] },
    { ...append, entries: [{ ...entry, index: -1 }] },
    { ...append, entries: [{ ...entry, term: 1.5 }] },
    { ...append, entries: [{ index: 1, term: 1 }] }, // neither transition nor config
    { ...append, entries: [{ ...entry, transition: 'x' }] },
    { ...append, entries: [{ ...entry, transition: { id: null } }] },
    { ...append, entries: [{ ...entry, config: { voters: [1] } }] },
    { ...append, leaderCommit: -5 },
    { type: 'append-response', from, to, term, success: true, index: 1, hintIndex: 0, hintTerm: 0 }, // no seq
    {
      type: 'snapshot',
      from,
      to,
      term,
      lastIncludedIndex: 5,
      lastIncludedTerm: 1,
      config: { voters: [1, 2, 3], learners: [], outgoing: [] },
      termStarts: [1, 1],
      offset: 10,
      data: 'not bytes',
      done: true,
      seq: 1,
    },
    { type: 'snapshot', from, to, term, lastIncludedIndex: 5, lastIncludedTerm: 1, offset: 0, done: true, seq: 1 },
  ];
}

test('malformed, unknown-peer, misaddressed and stale messages are dropped and counted; the cluster keeps working', async () => {
  const net = new ReplicaNet({ seed: 51 });
  net.startAll();
  const leader = await net.waitForLeader();
  await net.settle(net.replica(leader).propose({ id: 'first', delta: 1 }));
  await net.waitForApplied();
  const follower = net.followers(leader)[0]!;
  const term = net.replica(leader).status().term;

  for (const target of [leader, follower]) {
    const sender = net.ids.find((id) => id !== target)!;
    const bad = garbage(sender, target, term);
    const before = net.replica(target).droppedMessages();
    for (const item of bad) net.inject(target, item);
    const vote = {
      type: 'vote-request',
      from: sender,
      to: target,
      term: term + 5,
      lastLogIndex: 1000,
      lastLogTerm: term + 5,
      preVote: false,
      transfer: false,
    };
    // Answers and reads from a replica that is not a member, even with a higher term. (Requests
    // stand on their term, as in etcd; the transport authenticates senders.)
    net.inject(target, { type: 'vote-response', from: 99, to: target, term: term + 5, granted: true, preVote: false });
    net.inject(target, { type: 'read-index', from: 99, to: target, term, requestId: 7 });
    // Addressed to someone else, or claiming to come from the target itself.
    net.inject(target, { ...vote, from: sender, to: 42 });
    net.inject(target, { ...vote, from: target });
    // From a member, but at a term that is over.
    net.inject(target, { ...vote, from: sender, term: 0, lastLogTerm: 0 });
    net.inject(target, {
      type: 'append',
      from: sender,
      to: target,
      term: 0,
      prevLogIndex: 0,
      prevLogTerm: 0,
      entries: [{ index: 1, term: 0, transition: { id: 'stale', delta: 1e6 } }],
      leaderCommit: 1,
      seq: 1,
    });
    await net.flush();

    const after = net.replica(target).droppedMessages();
    const grew = (reason: string) => (after[reason] ?? 0) - (before[reason] ?? 0);
    assert.equal(grew('malformed'), bad.length, `replica ${target}: ${JSON.stringify(after)}`);
    assert.equal(grew('unknown-peer'), 2);
    assert.equal(grew('misaddressed'), 2);
    assert.equal(grew('stale-term'), 2);
    assert.equal(net.runs.get(target)!.settled, false, `replica ${target} is still running`);
    assert.equal(net.replica(target).status().term, term, 'nothing moved the term');
  }
  assert.equal(net.leader(), leader, 'leadership unchanged');

  await net.settle(net.replica(leader).propose({ id: 'second', delta: 2 }));
  await net.waitForApplied();
  for (const id of net.ids) {
    assert.deepEqual(net.machine(id).history, [0, 'first', 'second']);
    assert.equal(net.machine(id).value, 3);
  }
  await net.stopAll();
});

test('replayed and duplicated old messages are harmless', async () => {
  const net = new ReplicaNet({ seed: 52 });
  net.startAll();
  const first = await net.waitForLeader();
  await net.settle(net.replica(first).propose({ id: 'a', delta: 1 }));
  // Force a new term: the first leader is cut off and the others elect someone else.
  net.isolate(first);
  const second = await net.waitForLeader(net.followers(first));
  await net.settle(net.replica(second).propose({ id: 'b', delta: 2 }));
  net.heal();
  await net.waitForApplied();

  // Deliver every message ever sent again, twice, to its addressee.
  const old = net.sent.slice();
  for (const m of [...old, ...old]) net.inject(m.to, structuredClone(m));
  await net.flush();
  for (const id of net.ids) {
    assert.equal(net.runs.get(id)!.settled, false);
    assert.ok((net.replica(id).droppedMessages()['stale-term'] ?? 0) > 0, `replica ${id} saw stale terms`);
  }
  await net.settle(net.replica(net.leader()!).propose({ id: 'c', delta: 4 }));
  await net.waitForApplied();
  const history = net.machine(first).history;
  assert.deepEqual(
    history.filter((id) => id !== 0),
    ['a', 'b', 'c'],
  );
  for (const id of net.ids) {
    assert.deepEqual(net.machine(id).history, history);
    assert.equal(net.machine(id).value, 7);
  }
  await net.stopAll();
});
