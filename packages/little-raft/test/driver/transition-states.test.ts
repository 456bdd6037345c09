// Transition states as docs/api.md defines them: queued -> committed -> applied on the replica
// that took a transition in; committed -> applied for every entry a replica applies;
// abandoned 'not-leader' on a follower; abandoned 'conflict-with-leader' when a deposed
// leader's uncommitted entries are overwritten.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { NotLeaderError } from '../../src/encoding/errors.js';
import { ReplicaNet, track, type Op } from '../support/replica-net.js';

test('the leader registers queued, committed, applied; followers committed, applied', async () => {
  const net = new ReplicaNet({ seed: 21 });
  net.startAll();
  const leader = await net.waitForLeader();
  const ops: Op[] = [
    { id: 'a', delta: 1 },
    { id: 'b', delta: 2 },
  ];
  net.machine(leader).submit(...ops);
  net.replica(leader).notifyTransitions();
  await net.waitForApplied();
  for (const op of ops) {
    assert.deepEqual(net.machine(leader).statesOf(op.id), ['queued', 'committed', 'applied']);
    for (const id of net.followers(leader)) assert.deepEqual(net.machine(id).statesOf(op.id), ['committed', 'applied']);
  }
  // The leader's noop is applied everywhere too, and applying it changes nothing.
  for (const id of net.ids) {
    assert.deepEqual(net.machine(id).statesOf(0), ['committed', 'applied']);
    assert.deepEqual(net.machine(id).history, [0, 'a', 'b']);
    assert.equal(net.machine(id).value, 3);
  }
  // Both were queued before either was committed: one batch.
  const states = net.machine(leader).states.map(([id, state]) => `${id}:${state}`);
  assert.ok(states.indexOf('b:queued') < states.indexOf('a:committed'), states.join(' '));
  await net.stopAll();
});

test("a transition given to a follower is abandoned with 'not-leader' and never applied", async () => {
  const net = new ReplicaNet({ seed: 22 });
  net.startAll();
  const leader = await net.waitForLeader();
  const follower = net.followers(leader)[0]!;
  net.machine(follower).submit({ id: 'via-poll', delta: 1 });
  net.replica(follower).notifyTransitions();
  await net.flush();
  assert.deepEqual(net.machine(follower).statesOf('via-poll'), ['abandoned:not-leader']);

  await assert.rejects(net.replica(follower).propose({ id: 'via-propose', delta: 1 }), NotLeaderError);
  assert.deepEqual(net.machine(follower).statesOf('via-propose'), ['abandoned:not-leader']);

  await net.settle(net.replica(leader).propose({ id: 'marker', delta: 0 }));
  await net.waitForApplied();
  for (const id of net.ids) assert.deepEqual(net.machine(id).history, [0, 'marker']);
  await net.stopAll();
});

test("a deposed leader's uncommitted transitions are abandoned with 'conflict-with-leader'", async () => {
  const net = new ReplicaNet({ seed: 23 });
  net.startAll();
  const old = await net.waitForLeader();
  await net.settle(net.replica(old).propose({ id: 'before', delta: 1 }));

  // Partition the leader, then hand it transitions it can no longer commit.
  net.isolate(old);
  net.machine(old).submit({ id: 'lost-1', delta: 10 });
  net.replica(old).notifyTransitions();
  const lost2 = track(net.replica(old).propose({ id: 'lost-2', delta: 100 }));
  await net.flush();
  assert.deepEqual(net.machine(old).statesOf('lost-1'), ['queued']);
  assert.deepEqual(net.machine(old).statesOf('lost-2'), ['queued']);
  const oldLastIndex = net.replica(old).status().lastLogIndex;

  // The majority elects a new leader and commits past the deposed leader's entries.
  const rest = net.followers(old);
  const next = await net.waitForLeader(rest);
  await net.settle(net.replica(next).propose({ id: 'after-1', delta: 1000 }));
  await net.settle(net.replica(next).propose({ id: 'after-2', delta: 1000 }));
  assert.ok(net.replica(next).status().commitIndex >= oldLastIndex);
  assert.equal(lost2.settled, false, 'still undecided while partitioned');

  net.heal();
  await net.until(() => net.replica(old).status().leaderId === next, 'the old leader follows the new one');
  await net.waitForApplied();
  for (const id of ['lost-1', 'lost-2']) {
    assert.deepEqual(net.machine(old).statesOf(id), ['queued', 'abandoned:conflict-with-leader'], id);
  }
  assert.ok(lost2.error instanceof NotLeaderError, String(lost2.error));
  assert.equal(lost2.error.leaderId, next);
  for (const id of net.ids) {
    assert.deepEqual(
      net.machine(id).history.filter((t) => t !== 0),
      ['before', 'after-1', 'after-2'],
    );
    assert.equal(net.machine(id).value, 2001);
  }
  await net.stopAll();
});

// A deposed leader that catches up through a snapshot tells which of its own pending entries
// the snapshot contains by the snapshot's term history (termStarts): the one the new leader
// committed is reported committed and applied and its propose() resolves (a client retrying
// an abandoned transition would apply it twice); the one it overwrote is abandoned.
test('a committed transition is never reported abandoned, even when its leader catches up by snapshot', async () => {
  const net = new ReplicaNet({ seed: 24, replica: { snapshotDelta: 1 } });
  net.startAll();
  const old = await net.waitForLeader();
  const [keeper, other] = net.followers(old) as [number, number];
  // `keeper` receives the entry but its ack is lost; `other` never sees it.
  net.cut.add(`${keeper}>${old}`).add(`${old}>${other}`).add(`${other}>${old}`);
  const p = track(net.replica(old).propose({ id: 'replicated', delta: 1 }));
  await net.flush();
  net.isolate(old);
  // Cut off, the old leader also takes in one that reaches nobody.
  const lost = track(net.replica(old).propose({ id: 'lost', delta: 10 }));
  await net.flush();
  // `keeper` has the longer log, so it wins and commits the entry with its noop.
  const next = await net.waitForLeader([keeper, other]);
  assert.equal(next, keeper);
  await net.waitForApplied([keeper, other]);
  assert.ok(net.machine(keeper).history.includes('replicated'));
  net.heal();
  await net.until(() => p.settled && lost.settled, 'the proposals settle');
  await net.waitForApplied();
  const machine = net.machine(old);
  assert.ok(machine.loaded.length > 0, 'caught up by snapshot');
  assert.ok(!machine.appliedHere.some((t) => t.id === 'replicated'), 'it came in the snapshot, not applied here');
  assert.deepEqual(
    machine.history.filter((id) => id !== 0),
    ['replicated'],
  );
  assert.equal(p.error, undefined, 'propose() resolves: the transition was applied');
  assert.deepEqual(machine.statesOf('replicated'), ['queued', 'committed', 'applied']);
  // The new leader's noop took the index of 'lost': the snapshot's term history says so.
  assert.ok(lost.error instanceof NotLeaderError, String(lost.error));
  assert.deepEqual(machine.statesOf('lost'), ['queued', 'abandoned:conflict-with-leader']);
  for (const id of net.ids) assert.equal(net.machine(id).value, 1);
  await net.stopAll();
});
