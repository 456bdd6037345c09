// Replica lifecycle: registerLeader on every change of known leader, cluster.halt(),
// stop(), and starting rules.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { Replica } from '../../src/driver/replica.js';
import { ReplicaStoppedError } from '../../src/encoding/errors.js';
import { MemoryStorage } from '../../src/storage/memory.js';
import type { Storage } from '../../src/core/types.js';
import { ManualClock } from '../support/manual-clock.js';
import { Calculator, NOOP, ReplicaNet, track, turn, type Op } from '../support/replica-net.js';

function assertNoRepeats(calls: (number | null)[], who: string): void {
  for (let i = 1; i < calls.length; i++) {
    assert.notEqual(calls[i], calls[i - 1], `${who}: registerLeader(${calls[i]}) twice in a row: ${calls.join(',')}`);
  }
}

test('registerLeader reports each change of known leader, null when it becomes unknown', async () => {
  const net = new ReplicaNet({ seed: 3 });
  net.startAll();
  const first = await net.waitForLeader();
  for (const id of net.ids) assert.deepEqual(net.leaderCalls.get(id), [first], `replica ${id}`);

  // Cut the leader off: it steps down (check-quorum), the others elect someone else.
  net.isolate(first);
  const rest = net.followers(first);
  await net.until(() => {
    const l = net.leader();
    return l !== null && l !== first && net.replica(first).status().role !== 'leader';
  }, 'a new leader while the old one is cut off');
  const second = net.leader()!;
  await net.until(() => rest.every((id) => net.replica(id).status().leaderId === second), 'followers know it');
  for (const id of rest) {
    const calls = net.leaderCalls.get(id)!;
    assert.equal(calls[0], first);
    assert.equal(calls.at(-1), second);
    assertNoRepeats(calls, `replica ${id}`);
  }
  // The follower that did not win lost its leader before it learnt the new one.
  const other = rest.find((id) => id !== second)!;
  assert.ok(net.leaderCalls.get(other)!.includes(null), `replica ${other}: ${net.leaderCalls.get(other)!.join(',')}`);
  // The cut-off leader knows no leader once it has stepped down.
  assert.deepEqual(net.leaderCalls.get(first), [first, null]);
  assert.equal(net.replica(first).status().leaderId, null);

  net.heal();
  await net.until(() => net.replica(first).status().leaderId === second, 'the old leader follows the new one');
  assert.deepEqual(net.leaderCalls.get(first), [first, null, second]);
  for (const id of net.ids) {
    const calls = net.leaderCalls.get(id)!;
    assertNoRepeats(calls, `replica ${id}`);
    assert.equal(calls.at(-1), net.replica(id).status().leaderId);
  }
  await net.stopAll();
});

test('cluster.halt() returning true stops the replica within a heartbeat interval and resolves start()', async () => {
  const net = new ReplicaNet({ seed: 5 });
  net.startAll();
  const leader = await net.waitForLeader();
  const follower = net.followers(leader)[0]!;
  const intervals = net.clock.activeIntervals;

  net.halted.add(follower);
  await net.run(50); // heartbeatTimeout
  assert.equal(net.runs.get(follower)!.settled, true, 'start() resolved');
  assert.equal(net.runs.get(follower)!.error, undefined);
  assert.equal(net.clock.activeIntervals, intervals - 1, 'its timer is cleared');
  await assert.rejects(net.replica(follower).propose({ id: 'late', delta: 1 }), ReplicaStoppedError);

  // The leader halts too; the last replica keeps running but cannot elect anyone.
  net.halted.add(leader);
  await net.run(50);
  assert.equal(net.runs.get(leader)!.settled, true);
  net.down.add(follower).add(leader);
  await net.stopAll();
});

test('stop() resolves start(), clears the timer and ends all activity', async () => {
  const net = new ReplicaNet({ seed: 6 });
  net.startAll();
  const leader = await net.waitForLeader();
  const replica = net.replica(leader);
  const sentBefore = net.sent.filter((m) => m.from === leader).length;

  await replica.stop();
  await net.flush();
  assert.equal(net.runs.get(leader)!.settled, true);
  assert.equal(net.runs.get(leader)!.error, undefined);
  assert.equal(net.clock.activeIntervals, 2);
  await replica.stop(); // idempotent

  // Messages and notifications are ignored from now on.
  net.down.add(leader);
  net.inject(leader, { type: 'vote-request', from: 2, to: leader, term: 99 });
  replica.notifyMessages();
  replica.notifyTransitions();
  await net.run(500);
  assert.equal(net.sent.filter((m) => m.from === leader).length, sentBefore);
  await assert.rejects(replica.propose({ id: 'x', delta: 1 }), /stopped/);
  await assert.rejects(replica.start(), /started once/);
  await net.stopAll();
});

test('start() twice is an error', async () => {
  const net = new ReplicaNet({ ids: [1] });
  const replica = net.start(1);
  await assert.rejects(replica.start(), /started once/);
  await net.stopAll();
});

test('a lone replica elects itself and applies its own proposals', async () => {
  const net = new ReplicaNet({ ids: [7] });
  net.startAll();
  assert.equal(await net.waitForLeader(), 7);
  await net.settle(net.replica(7).propose({ id: 'solo', delta: 2 }));
  assert.deepEqual(net.machine(7).history, [0, 'solo']);
  await net.stopAll();
});

test('stop() while start() is still loading from async storage: start() resolves and no timer is left', async () => {
  const memory = new MemoryStorage<Op, Uint8Array>();
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const storage: Storage<Op, Uint8Array> = {
    load: async () => {
      await gate;
      return memory.load();
    },
    write: (batch) => memory.write(batch),
  };
  const clock = new ManualClock();
  const replica = new Replica<Op>({
    id: 1,
    peerIds: [2, 3],
    cluster: { sendMessage() {}, receiveMessages: () => [], halt: () => false, registerLeader() {} },
    stateMachine: new Calculator(),
    noopTransition: NOOP,
    heartbeatTimeout: 50,
    electionTimeoutRange: [150, 300],
    storage,
    clock,
  });
  const run = track(replica.start());
  await turn();
  await replica.stop();
  release();
  for (let i = 0; i < 5; i++) await turn();
  assert.equal(run.settled, true, 'start() resolved');
  assert.equal(run.error, undefined);
  assert.equal(clock.activeIntervals, 0, 'no timer left running');
  await assert.rejects(replica.propose({ id: 'x', delta: 1 }), ReplicaStoppedError);
});
