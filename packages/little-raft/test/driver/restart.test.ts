// Restarts over the same MemoryStorage: a new Replica recovers term, vote and log, and
// re-applies committed entries to a fresh state machine; with snapshotDelta > 0 it loads
// the stored snapshot first and re-applies only what follows it; a follower that was down
// catches up through a (chunked) snapshot.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import type { VoteResponse } from '../../src/core/types.js';
import { Calculator, ReplicaNet, type Op } from '../support/replica-net.js';

function ops(prefix: string, n: number): Op[] {
  return Array.from({ length: n }, (_, i) => ({ id: `${prefix}${i + 1}`, delta: i + 1 }));
}

async function proposeAll(net: ReplicaNet, leader: number, list: Op[]): Promise<void> {
  for (const op of list) await net.settle(net.replica(leader).propose(op));
}

test('a replica restarted over the same storage recovers term, vote and log, and re-applies committed entries', async () => {
  const net = new ReplicaNet({ seed: 41 });
  net.startAll();
  const leader = await net.waitForLeader();
  await proposeAll(net, leader, ops('op', 5));
  await net.waitForApplied();
  const before = net.replica(leader).status();
  const history = net.machine(leader).history.slice();
  const value = net.machine(leader).value;
  const stored = net.storages.get(leader)!.load();
  assert.equal(stored.hardState.term, before.term);
  assert.equal(stored.hardState.vote, leader, 'a leader voted for itself');

  // Restart without letting any time pass: nothing else can have changed its state.
  await net.restart(leader);
  const after = net.replica(leader).status();
  assert.equal(after.role, 'follower');
  assert.equal(after.term, before.term);
  assert.equal(after.lastLogIndex, before.lastLogIndex);
  assert.equal(after.commitIndex, before.commitIndex);
  assert.equal(after.lastApplied, before.commitIndex);
  const fresh = net.machine(leader);
  assert.deepEqual(fresh.history, history, 'the committed entries were applied again, in order');
  assert.equal(fresh.value, value);
  assert.equal(fresh.getSnapshotCalls, 1, 'no stored snapshot: getSnapshot() is asked once');
  assert.deepEqual(fresh.loaded, []);
  assert.deepEqual(fresh.statesOf('op1'), ['committed', 'applied']);

  // The recovered vote holds: in the same term it refuses another candidate, however
  // up to date that candidate's log is.
  const candidate = net.followers(leader)[0]!;
  net.inject(leader, {
    type: 'vote-request',
    from: candidate,
    to: leader,
    term: before.term,
    lastLogIndex: before.lastLogIndex + 10,
    lastLogTerm: before.term,
    preVote: false,
    transfer: false,
  });
  await net.flush();
  const answer = net.sent.filter((m): m is VoteResponse => m.type === 'vote-response' && m.from === leader).at(-1);
  assert.ok(answer, 'the restarted replica answered');
  assert.equal(answer.granted, false);
  assert.equal(answer.term, before.term);

  // And the cluster carries on with it.
  const next = await net.waitForLeader();
  await net.settle(net.replica(next).propose({ id: 'after', delta: 100 }));
  await net.waitForApplied();
  for (const id of net.ids) assert.equal(net.machine(id).value, value + 100);
  await net.stopAll();
});

test('with snapshotDelta > 0 the log is compacted, and a restart loads the snapshot then re-applies only what follows', async () => {
  const net = new ReplicaNet({ seed: 42, replica: { snapshotDelta: 3 } });
  net.startAll();
  const leader = await net.waitForLeader();
  await proposeAll(net, leader, ops('op', 10));
  await net.waitForApplied();
  for (const id of net.ids) {
    const m = net.machine(id);
    const status = net.replica(id).status();
    assert.ok(m.created.length >= 3, `replica ${id} created ${m.created.length} snapshots`);
    assert.ok(status.snapshotIndex > 0);
    assert.equal(m.created.at(-1)!.lastIncludedIndex, status.snapshotIndex);
    const stored = net.storages.get(id)!.load();
    assert.equal(stored.snapshot?.lastIncludedIndex, status.snapshotIndex, 'the snapshot is in storage');
    assert.equal(stored.entries[0]?.index ?? status.snapshotIndex + 1, status.snapshotIndex + 1, 'the prefix is gone');
  }

  let reapplied = 0;
  for (const id of net.ids) {
    const history = net.machine(id).history.slice();
    const value = net.machine(id).value;
    const stored = net.storages.get(id)!.load();
    const snapshotIndex = stored.snapshot!.lastIncludedIndex;
    await net.restart(id);
    const fresh = net.machine(id);
    assert.equal(fresh.loaded.length, 1, 'setSnapshot() called once with the stored snapshot');
    assert.equal(fresh.loaded[0]!.lastIncludedIndex, snapshotIndex);
    assert.equal(fresh.getSnapshotCalls, 0, 'a stored snapshot wins over getSnapshot()');
    const after = stored.entries.filter((e) => e.index <= stored.hardState.commit).map((e) => e.transition!.id);
    assert.deepEqual(
      fresh.appliedHere.map((op) => op.id),
      after,
      'only the committed entries after the snapshot are applied again',
    );
    assert.deepEqual(fresh.history, history);
    assert.equal(fresh.value, value);
    reapplied += after.length;
    await net.waitForLeader();
  }
  assert.ok(reapplied > 0, 'some restart had entries after its snapshot to re-apply');
  await net.stopAll();
});

test('a follower that was down catches up through a chunked snapshot', async () => {
  const net = new ReplicaNet({ seed: 43, replica: { snapshotDelta: 4, snapshotChunkBytes: 16 } });
  net.startAll();
  const leader = await net.waitForLeader();
  const late = net.followers(leader)[0]!;
  await proposeAll(net, leader, ops('a', 2));
  await net.waitForApplied();
  await net.stop(late);
  const lateLog = net.storages.get(late)!.load();
  const lateLast = lateLog.entries.at(-1)?.index ?? lateLog.snapshot?.lastIncludedIndex ?? 0;

  await proposeAll(net, leader, ops('b', 12));
  await net.waitForApplied(net.ids.filter((id) => id !== late));
  assert.ok(net.replica(leader).status().snapshotIndex > lateLast, "the leader compacted past the follower's log");

  await net.restart(late);
  await net.waitForApplied();
  const m = net.machine(late);
  assert.ok(m.loaded.length >= 1, 'setSnapshot() was called on the late follower');
  const chunks = net.sent.filter((msg) => msg.type === 'snapshot' && msg.to === late);
  assert.ok(
    chunks.some((c) => c.type === 'snapshot' && c.offset > 0),
    'the snapshot went in several chunks',
  );
  assert.ok(net.replica(late).status().snapshotIndex > lateLast);
  assert.deepEqual(m.history, net.machine(leader).history);
  assert.equal(m.value, net.machine(leader).value);

  // It takes part in commits again.
  await net.settle(net.replica(leader).propose({ id: 'last', delta: 1000 }));
  await net.waitForApplied();
  assert.equal(m.value, net.machine(leader).value);
  await net.stopAll();
});

test('a state machine that keeps its own snapshot (getSnapshot) is not re-applied what the snapshot covers', async () => {
  const net = new ReplicaNet({ seed: 44 });
  net.startAll();
  const leader = await net.waitForLeader();
  const follower = net.followers(leader)[0]!;
  await proposeAll(net, leader, ops('a', 3));
  await net.waitForApplied();
  const status = net.replica(follower).status();
  const term = net.storages
    .get(follower)!
    .load()
    .entries.find((e) => e.index === status.lastApplied)!.term;
  const saved = net.machine(follower).snapshotNow(status.lastApplied, term);
  await proposeAll(net, leader, ops('b', 3));
  await net.waitForApplied();

  const own = new Calculator();
  own.setSnapshot(saved);
  own.loaded = [];
  own.own = saved;
  await net.restart(follower, {}, own);
  assert.equal(own.getSnapshotCalls, 1);
  assert.deepEqual(
    own.appliedHere.map((op) => op.id),
    ['b1', 'b2', 'b3'],
  );
  assert.deepEqual(own.history, net.machine(leader).history);
  assert.equal(net.replica(follower).status().snapshotIndex, saved.lastIncludedIndex);
  await net.stopAll();
});
