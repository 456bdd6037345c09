// Replica.propose(): resolves once the transition is applied on this replica; rejects with
// NotLeaderError on a non-leader and with ReplicaStoppedError when the replica is not
// running or stops before the transition is applied.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { NotLeaderError, ReplicaStoppedError } from '../../src/encoding/errors.js';
import { Replica } from '../../src/driver/replica.js';
import { Calculator, NOOP, ReplicaNet, track, type Op } from '../support/replica-net.js';

test('propose() resolves once the transition is applied locally', async () => {
  const net = new ReplicaNet({ seed: 31 });
  net.startAll();
  const leader = await net.waitForLeader();
  const machine = net.machine(leader);
  const seen: { applied: boolean; states: string[] }[] = [];
  const ops: Op[] = [
    { id: 1, delta: 5 },
    { id: 2, delta: -51 },
    { id: 3, delta: -511 },
  ];
  const results = ops.map((op) =>
    track(
      net
        .replica(leader)
        .propose(op)
        .then(() => {
          seen.push({ applied: machine.history.includes(op.id), states: machine.statesOf(op.id) });
        }),
    ),
  );
  await net.until(() => results.every((r) => r.settled), 'the proposals settle');
  for (const r of results) assert.equal(r.error, undefined);
  for (const s of seen) {
    assert.equal(s.applied, true, 'applied before propose() resolved');
    assert.deepEqual(s.states, ['queued', 'committed', 'applied']);
  }
  assert.equal(machine.value, -557);
  await net.stopAll();
});

test('propose() on a follower rejects with NotLeaderError naming the leader', async () => {
  const net = new ReplicaNet({ seed: 32 });
  net.startAll();
  const leader = await net.waitForLeader();
  for (const follower of net.followers(leader)) {
    const error = await net
      .replica(follower)
      .propose({ id: `to-${follower}`, delta: 1 })
      .then(
        () => assert.fail('propose() on a follower resolved'),
        (e: unknown) => e,
      );
    assert.ok(error instanceof NotLeaderError);
    assert.equal(error.name, 'NotLeaderError');
    assert.equal(error.leaderId, leader);
    assert.match(error.message, new RegExp(`leader is ${leader}`));
  }
  await net.stopAll();
});

test('propose() before any leader is known rejects with leaderId null', async () => {
  const net = new ReplicaNet({ seed: 33 });
  net.startAll();
  await net.flush();
  const error = await net
    .replica(1)
    .propose({ id: 'early', delta: 1 })
    .catch((e: unknown) => e);
  assert.ok(error instanceof NotLeaderError);
  assert.equal(error.leaderId, null);
  await net.stopAll();
});

test('propose() on a replica that is not started, or stopped, rejects with a clear error', async () => {
  const replica = new Replica<Op>({
    id: 1,
    peerIds: [2, 3],
    cluster: { sendMessage() {}, receiveMessages: () => [], halt: () => false, registerLeader() {} },
    stateMachine: new Calculator(),
    noopTransition: NOOP,
    heartbeatTimeout: 50,
    electionTimeoutRange: [150, 300],
  });
  await assert.rejects(replica.propose({ id: 'x', delta: 1 }), (e: unknown) => {
    assert.ok(e instanceof ReplicaStoppedError);
    assert.equal(e.name, 'ReplicaStoppedError');
    assert.match(e.message, /not started/);
    return true;
  });

  const net = new ReplicaNet({ seed: 34 });
  net.startAll();
  const leader = await net.waitForLeader();
  await net.stop(leader);
  await assert.rejects(net.replica(leader).propose({ id: 'y', delta: 1 }), (e: unknown) => {
    assert.ok(e instanceof ReplicaStoppedError);
    assert.match(e.message, /stopped/);
    return true;
  });
  await net.stopAll();
});

test('pending proposals reject with ReplicaStoppedError when the replica stops', async () => {
  const net = new ReplicaNet({ seed: 35 });
  net.startAll();
  const leader = await net.waitForLeader();
  net.isolate(leader); // nothing can commit now
  const pending = [1, 2, 3].map((i) => track(net.replica(leader).propose({ id: `p${i}`, delta: i })));
  await net.run(50);
  assert.ok(pending.every((p) => !p.settled));
  await net.stop(leader);
  for (const p of pending) {
    assert.equal(p.settled, true);
    assert.ok(p.error instanceof ReplicaStoppedError, String(p.error));
    assert.match(p.error.message, /stopped before the transition was applied/);
  }
  await net.stopAll();
});

test('halt() also rejects pending proposals', async () => {
  const net = new ReplicaNet({ seed: 36 });
  net.startAll();
  const leader = await net.waitForLeader();
  net.isolate(leader);
  const p = track(net.replica(leader).propose({ id: 'h', delta: 1 }));
  net.halted.add(leader);
  await net.run(50);
  assert.equal(net.runs.get(leader)!.settled, true);
  assert.ok(p.error instanceof ReplicaStoppedError);
  net.down.add(leader);
  await net.stopAll();
});
