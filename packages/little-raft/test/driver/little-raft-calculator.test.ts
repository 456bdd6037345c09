// little_raft's own tests (little_raft/tests/raft_stable.rs and raft_unstable.rs), carried
// over: three replicas of a calculator, transitions handed to whichever replica registered
// itself as leader through getPendingTransitions + notifyTransitions, snapshot delta 1 and
// little_raft's timeouts. The unstable variant drops 25% of messages and shuffles every
// receiveMessages batch. Time is virtual (ManualClock), so no test sleeps.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { ReplicaNet, type Op } from '../support/replica-net.js';

const LITTLE_RAFT = {
  heartbeatTimeout: 500,
  electionTimeoutRange: [750, 950] as [number, number],
  snapshotDelta: 1,
};

const OPS: Op[] = [
  { id: 1, delta: 5 },
  { id: 2, delta: -51 },
  { id: 3, delta: -511 },
  { id: 4, delta: 3 },
];

/** The replica that last told its cluster it is the leader (little_raft's `is_leader`). */
function selfRegisteredLeader(net: ReplicaNet): number | null {
  for (const id of net.ids) {
    if (net.down.has(id)) continue;
    const calls = net.leaderCalls.get(id)!;
    if (calls.at(-1) === id) return id;
  }
  return null;
}

test('raft_stable: every replica applies the noop and the four operations in the same order', async () => {
  const net = new ReplicaNet({ ids: [0, 1, 2], seed: 11, step: 25, replica: LITTLE_RAFT });
  net.startAll();
  for (const op of OPS) {
    await net.until(() => selfRegisteredLeader(net) !== null, 'a self-registered leader');
    const leader = selfRegisteredLeader(net)!;
    net.machine(leader).submit(op);
    net.replica(leader).notifyTransitions();
    await net.until(
      () => net.ids.every((id) => net.machine(id).history.includes(op.id)),
      `op ${op.id} applied everywhere`,
    );
  }
  for (const id of net.ids) {
    const m = net.machine(id);
    const applied = m.states.filter(([, state]) => state === 'applied').map(([tid]) => tid);
    assert.deepEqual(applied, [0, 1, 2, 3, 4], `replica ${id} applied ids`);
    assert.equal(m.value, -554);
    assert.ok(net.replica(id).status().snapshotIndex > 0, `replica ${id} compacted its log`);
  }
  await net.stopAll();
});

for (const seed of [1, 2, 3]) {
  test(`raft_unstable (seed ${seed}): 25% dropped, shuffled messages; values converge after every operation`, async () => {
    const net = new ReplicaNet({
      ids: [0, 1, 2],
      seed,
      dropRate: 0.25,
      shuffle: true,
      step: 25,
      replica: LITTLE_RAFT,
    });
    net.startAll();
    /** Transitions some leader queued and applied, with the replica that took each in. */
    const accepted: { op: Op; leader: number }[] = [];
    const toFollowers: { op: Op; follower: number }[] = [];
    let retryId = 100;
    const abandoned: Op['id'][] = [];
    let expected = 0;
    for (const original of OPS) {
      let op = original;
      for (;;) {
        await net.until(() => selfRegisteredLeader(net) !== null, 'a self-registered leader');
        const leader = selfRegisteredLeader(net)!;
        net.machine(leader).submit(op);
        net.replica(leader).notifyTransitions();
        const m = net.machine(leader);
        await net.until(
          () =>
            net.ids.every((id) => net.machine(id).history.includes(op.id)) ||
            m.statesOf(op.id).some((s) => s.startsWith('abandoned')),
          `op ${op.id} applied everywhere or abandoned`,
        );
        if (m.statesOf(op.id).some((s) => s.startsWith('abandoned'))) {
          // The leader was deposed before committing it: a client retries, as with any Raft.
          abandoned.push(op.id);
          op = { id: retryId++, delta: original.delta };
          continue;
        }
        accepted.push({ op, leader });
        break;
      }
      expected += original.delta;
      for (const id of abandoned) {
        // Fails on the known gap of the todo test in transition-states.test.ts.
        assert.ok(!net.machine(0).history.includes(id), `abandoned transition ${id} was applied anyway`);
      }
      // raft_unstable.rs checks every machine's value after each operation.
      for (const id of net.ids) assert.equal(net.machine(id).value, expected, `replica ${id} after op ${op.id}`);

      // A transition handed to a follower is abandoned there, never applied.
      const leader = accepted.at(-1)!.leader;
      const follower = net.followers(leader)[0]!;
      if (net.replica(follower).status().role === 'follower') {
        const stray: Op = { id: `stray-${op.id}`, delta: 1000 };
        net.machine(follower).submit(stray);
        net.replica(follower).notifyTransitions();
        await net.flush();
        toFollowers.push({ op: stray, follower });
      }
    }
    assert.equal(expected, -554);
    await net.waitForApplied();

    // Every replica went through the same sequence of transitions (snapshots included).
    const histories = net.ids.map((id) => net.machine(id).history);
    for (const h of histories) assert.deepEqual(h, histories[0]);
    const ops = histories[0]!.filter((id) => id !== 0);
    assert.deepEqual(
      ops,
      accepted.map((a) => a.op.id),
    );
    for (const id of net.ids) assert.equal(net.machine(id).value, -554);

    for (const { op, leader } of accepted) {
      assert.deepEqual(net.machine(leader).statesOf(op.id), ['queued', 'committed', 'applied'], `op ${op.id}`);
    }
    assert.ok(toFollowers.length > 0);
    for (const { op, follower } of toFollowers) {
      assert.deepEqual(net.machine(follower).statesOf(op.id), ['abandoned:not-leader']);
      for (const id of net.ids) assert.ok(!net.machine(id).history.includes(op.id));
    }
    await net.stopAll();
  });
}
