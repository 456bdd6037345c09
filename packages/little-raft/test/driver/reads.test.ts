// Replica.ensureLinearizable (ReadIndex): resolves once this replica has applied everything
// committed before the call, as confirmed by a quorum. Batched: one heartbeat round serves every
// read waiting. A leader cut off from the majority never serves one. Followers ask the leader
// with { allowFollower: true }; without it they reject with NotLeaderError.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { NotLeaderError, ReplicaStoppedError } from '../../src/encoding/errors.js';
import type { ReplicaId, Storage, StorageWrite, StoredState } from '../../src/core/types.js';
import { MemoryStorage } from '../../src/storage/memory.js';
import type { Raft } from '../../src/core/raft.js';
import type { Clock } from '../../src/driver/options.js';
import { Reads } from '../../src/driver/reads.js';
import { Waiters } from '../../src/driver/waiters.js';
import { ReplicaNet, track, type Op, type Tracked } from '../support/replica-net.js';

/** MemoryStorage whose writes can be held back (then they complete, in order, on release()). */
class GatedStorage implements Storage<Op, Uint8Array> {
  closed = false;
  private held: { batch: StorageWrite<Op, Uint8Array>; done: () => void }[] = [];
  constructor(readonly memory: MemoryStorage<Op, Uint8Array>) {}
  load(): StoredState<Op, Uint8Array> {
    return this.memory.load();
  }
  write(batch: StorageWrite<Op, Uint8Array>): void | Promise<void> {
    if (!this.closed) return this.memory.write(batch);
    return new Promise((done) => this.held.push({ batch, done }));
  }
  release(): void {
    this.closed = false;
    for (const { batch, done } of this.held.splice(0)) {
      this.memory.write(batch);
      done();
    }
  }
}

async function cluster(seed: number, ids = [1, 2, 3], extra = {}): Promise<{ net: ReplicaNet; leader: ReplicaId }> {
  const net = new ReplicaNet({ ids, seed, replica: extra });
  net.startAll();
  const leader = await net.waitForLeader();
  await net.waitForApplied();
  return { net, leader };
}

test('on the leader a read resolves only once its state machine has applied up to the read index', async () => {
  const net = new ReplicaNet({ seed: 301 });
  const gates = new Map<ReplicaId, GatedStorage>();
  for (const id of net.ids) {
    gates.set(id, new GatedStorage(net.storages.get(id)!));
    net.start(id, { storage: gates.get(id)! });
  }
  const leader = await net.waitForLeader();
  await net.waitForApplied();
  // The leader's disk stalls: the followers commit `x` without it, so it cannot apply `x` yet.
  gates.get(leader)!.closed = true;
  const write = track(net.replica(leader).propose({ id: 'x', delta: 5 }));
  await net.until(
    () => net.replica(leader).status().commitIndex === net.replica(leader).status().lastLogIndex,
    'x committed by the followers',
  );
  const status = net.replica(leader).status();
  assert.ok(status.lastApplied < status.commitIndex, 'committed, not applied on the leader');
  let sawX: boolean | null = null;
  const read = track(
    net
      .replica(leader)
      .ensureLinearizable()
      .then(() => (sawX = net.machine(leader).value === 5)),
  );
  await net.run(200);
  assert.equal(read.settled, false, 'the read waits for the apply');
  assert.equal(write.settled, false);
  gates.get(leader)!.release();
  await net.until(() => read.settled, 'the read settles');
  assert.equal(read.error, undefined);
  assert.equal(sawX, true, 'when the read resolved, x was applied');
  await net.stopAll();
});

test('reads are batched: many concurrent reads cost one heartbeat round', async () => {
  const { net, leader } = await cluster(302, [1, 2, 3, 4, 5]);
  await net.settle(net.replica(leader).propose({ id: 'a', delta: 1 }));
  const mark = net.sent.length;
  const reads = Array.from({ length: 50 }, () => track(net.replica(leader).ensureLinearizable()));
  await net.flush(); // no time passes: no periodic heartbeat, only the read round
  assert.ok(
    reads.every((r) => r.settled && r.error === undefined),
    'all 50 reads resolved',
  );
  const appends = net.sent.slice(mark).filter((m) => m.type === 'append' && m.from === leader);
  assert.equal(appends.length, 4, 'one heartbeat to each of the four followers');
  assert.equal(new Set(appends.map((m) => m.type === 'append' && m.seq)).size, 1, 'all of one round');

  // A second batch costs a second round.
  const mark2 = net.sent.length;
  const more = Array.from({ length: 10 }, () => track(net.replica(leader).ensureLinearizable()));
  await net.flush();
  assert.ok(more.every((r) => r.settled && r.error === undefined));
  const appends2 = net.sent.slice(mark2).filter((m) => m.type === 'append' && m.from === leader);
  assert.equal(appends2.length, 4);
  const seq = (m: (typeof appends)[number]) => (m.type === 'append' ? m.seq : 0);
  assert.ok(seq(appends2[0]!) > seq(appends[0]!));
  await net.stopAll();
});

for (const checkQuorum of [true, false]) {
  test(`a partitioned old leader never serves a read while the majority commits (checkQuorum ${checkQuorum})`, async () => {
    const { net, leader: old } = await cluster(303 + Number(checkQuorum), [1, 2, 3, 4, 5], { checkQuorum });
    await net.settle(net.replica(old).propose({ id: 'before', delta: 1 }));
    await net.waitForApplied();
    const buddy = net.followers(old)[0]!;
    const majority = net.ids.filter((id) => id !== old && id !== buddy);
    for (const a of [old, buddy]) for (const b of majority) net.cut.add(`${a}>${b}`).add(`${b}>${a}`);
    const stale: Tracked<void>[] = [
      track(net.replica(old).ensureLinearizable()),
      track(net.replica(buddy).ensureLinearizable({ allowFollower: true })),
    ];
    // The majority elects a leader and commits a write the old leader does not have.
    const next = await net.waitForLeader(majority);
    await net.settle(net.replica(next).propose({ id: 'after', delta: 10 }));
    await net.until(() => majority.every((id) => net.machine(id).history.includes('after')), 'majority applied');
    await net.until(() => stale.every((r) => r.settled), 'the stale reads settle', 5_000);
    for (const r of stale) {
      assert.ok(r.error instanceof Error, 'rejected, never resolved');
      if (checkQuorum) assert.ok(r.error instanceof NotLeaderError, String(r.error));
      else assert.equal(r.error.name, 'TimeoutError');
    }
    assert.equal(net.replica(old).status().role, checkQuorum ? 'follower' : 'leader');
    // While cut off it keeps refusing: a new read on the old leader never sees stale state as fresh.
    const again = track(net.replica(old).ensureLinearizable({ allowFollower: true }));
    await net.run(1_500);
    assert.ok(again.settled && again.error !== undefined);
    assert.ok(!net.machine(old).history.includes('after'));
    net.heal();
    await net.waitForApplied();
    assert.ok(net.machine(old).history.includes('after'));
    await net.stopAll();
  });
}

test('a follower read (allowFollower) reflects every write acknowledged before it started', async () => {
  const { net, leader } = await cluster(305);
  const follower = net.followers(leader)[0]!;
  for (let i = 0; i < 5; i++) {
    // The follower misses the write's append; the write is acknowledged by the other two.
    net.cut.add(`${leader}>${follower}`);
    await net.settle(net.replica(leader).propose({ id: `w${i}`, delta: 1 }));
    net.heal();
    assert.ok(!net.machine(follower).history.includes(`w${i}`), 'the follower has not applied it yet');
    let seen: Op['id'][] = [];
    await net.settle(
      net
        .replica(follower)
        .ensureLinearizable({ allowFollower: true })
        .then(() => (seen = net.machine(follower).history.slice())),
    );
    assert.ok(seen.includes(`w${i}`), `read ${i} saw the acknowledged write`);
  }
  assert.ok(net.sent.some((m) => m.type === 'read-index' && m.from === follower && m.to === leader));
  await net.stopAll();
});

test('follower reads asked for in one turn share one read-index request and one answer', async () => {
  const { net, leader } = await cluster(308);
  const follower = net.followers(leader)[0]!;
  await net.settle(net.replica(leader).propose({ id: 'w', delta: 1 }));
  const mark = net.sent.length;
  const reads = Array.from({ length: 20 }, () =>
    track(net.replica(follower).ensureLinearizable({ allowFollower: true })),
  );
  await net.flush();
  assert.ok(
    reads.every((r) => r.settled && r.error === undefined),
    'all 20 reads resolved',
  );
  const sent = net.sent.slice(mark);
  const asked = sent.filter((m) => m.type === 'read-index' && m.from === follower);
  const answered = sent.filter((m) => m.type === 'read-index-response' && m.to === follower);
  assert.equal(asked.length, 1, 'one read-index request for the 20 reads');
  assert.equal(answered.length, 1, 'one answer');
  await net.stopAll();
});

test('a read requested after the read index of its turn was asked for waits for the next one', async () => {
  const asked: number[] = [];
  const core = { applied: 5, leaderId: 1, readIndex: (id: number) => asked.push(id) } as unknown as Raft<
    Op,
    Uint8Array
  >;
  const waiters = new Waiters();
  const reads = new Reads<Op, Uint8Array>({ now: () => 0 } as unknown as Clock, [10, 20], waiters);
  const first = track(reads.request(false));
  const second = track(reads.request(false));
  reads.flush(core);
  const late = track(reads.request(false)); // after the read index of the first two was asked for
  await Promise.resolve();
  assert.deepEqual(asked, [1], 'the first two share read index 1');
  reads.indexed(core, 1, 5);
  await new Promise((r) => setImmediate(r));
  assert.ok(first.settled && second.settled && first.error === undefined && second.error === undefined);
  assert.equal(late.settled, false, 'the later read is not served by an index asked for before it');
  reads.flush(core);
  assert.deepEqual(asked, [1, 2]);
  reads.indexed(core, 2, 0); // refused: not the leader
  await new Promise((r) => setImmediate(r));
  assert.ok(late.error instanceof NotLeaderError);
  assert.equal(waiters.size, 0);
});

test('a leader-only read requested before its replica stepped down is refused, not forwarded', async () => {
  const asked: number[] = [];
  const core = { role: 'follower', applied: 5, leaderId: 2, readIndex: (id: number) => asked.push(id) };
  const reads = new Reads<Op, Uint8Array>({ now: () => 0 } as unknown as Clock, [10, 20], new Waiters());
  const leaderOnly = track(reads.request(true)); // requested while it led
  const anywhere = track(reads.request(false)); // with allowFollower
  reads.flush(core as unknown as Raft<Op, Uint8Array>);
  await new Promise((r) => setImmediate(r));
  assert.ok(leaderOnly.error instanceof NotLeaderError, 'the leader-only read is refused');
  assert.equal(leaderOnly.error.leaderId, 2);
  assert.deepEqual(asked, [1], 'the other one is asked for');
  assert.equal(anywhere.settled, false);
  reads.indexed(core as unknown as Raft<Op, Uint8Array>, 1, 5);
  await new Promise((r) => setImmediate(r));
  assert.ok(anywhere.settled && anywhere.error === undefined);
});

test('on a follower without allowFollower, or with no leader known, a read rejects with NotLeaderError', async () => {
  const { net, leader } = await cluster(306);
  const [follower, other] = net.followers(leader) as [ReplicaId, ReplicaId];
  await assert.rejects(net.replica(follower).ensureLinearizable(), (e: unknown) => {
    assert.ok(e instanceof NotLeaderError);
    assert.equal(e.leaderId, leader);
    return true;
  });
  await assert.rejects(net.replica(follower).ensureLinearizable({ allowFollower: false }), NotLeaderError);
  assert.equal(net.sent.filter((m) => m.type === 'read-index').length, 0, 'nothing was asked');
  // With no leader known, even allowFollower is refused at once.
  await net.stop(leader);
  await net.stop(other);
  await net.until(() => net.replica(follower).status().leaderId === null, 'the leader is missed');
  await assert.rejects(net.replica(follower).ensureLinearizable({ allowFollower: true }), (e: unknown) => {
    assert.ok(e instanceof NotLeaderError);
    assert.equal(e.leaderId, null);
    return true;
  });
  await net.stop(follower);
  await assert.rejects(net.replica(follower).ensureLinearizable(), ReplicaStoppedError);
  await net.stopAll();
});

test('a learner serves reads through the leader with allowFollower', async () => {
  const net = new ReplicaNet({ ids: [1, 2, 3, 4], seed: 307 });
  for (const id of [1, 2, 3]) net.start(id, { peerIds: [1, 2, 3].filter((p) => p !== id) });
  net.start(4, { join: true });
  const leader = await net.waitForLeader([1, 2, 3]);
  await net.settle(net.replica(leader).changeMembership({ voters: [1, 2, 3], learners: [4] }));
  await net.waitForApplied();
  assert.equal(net.replica(4).status().leaderId, leader);
  net.cut.add(`${leader}>4`);
  await net.settle(net.replica(leader).propose({ id: 'z', delta: 7 }));
  net.heal();
  assert.equal(net.machine(4).value, 0, 'the learner lags');
  await assert.rejects(net.replica(4).ensureLinearizable(), NotLeaderError);
  let value = 0;
  await net.settle(
    net
      .replica(4)
      .ensureLinearizable({ allowFollower: true })
      .then(() => (value = net.machine(4).value)),
  );
  assert.equal(value, 7);
  await net.stopAll();
});
