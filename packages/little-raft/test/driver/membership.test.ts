// Replica.changeMembership: joint consensus driven by the leader. New voters join as learners
// first and are promoted once caught up; C(old,new) then C(new); a removed leader steps down once
// C(new) commits. Replicas started with join: true wait, as learners, to be added. Configuration
// entries live in the log and in snapshots, and a restart takes its configuration from there.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inspect } from 'node:util';

import { NotLeaderError, ReplicaStoppedError } from '../../src/encoding/errors.js';
import { bytesCodec, jsonCodec } from '../../src/encoding/codec.js';
import type { LogEntry, Membership, ReplicaId } from '../../src/core/types.js';
import {
  Calculator,
  ReplicaNet,
  track,
  type ExtraOptions,
  type Msg,
  type Op,
  type Tracked,
} from '../support/replica-net.js';

/** A net over `ids` where only `voters` are started, as the bootstrap cluster; the rest may join later. */
function clusterOf(ids: ReplicaId[], voters: ReplicaId[], seed: number, options: ExtraOptions = {}): ReplicaNet {
  const net = new ReplicaNet({ ids, seed, replica: options });
  for (const id of voters) net.start(id, { peerIds: voters.filter((p) => p !== id) });
  return net;
}

/** The replica among `ids` that leads at the highest term among them (removed replicas may hold higher terms). */
function leaderAmong(net: ReplicaNet, ids: ReplicaId[]): ReplicaId | null {
  const up = ids.filter((id) => !net.down.has(id));
  const top = Math.max(...up.map((id) => net.replica(id).status().term));
  const leaders = up.filter(
    (id) => net.replica(id).status().role === 'leader' && net.replica(id).status().term === top,
  );
  return leaders.length === 1 ? leaders[0]! : null;
}

async function waitForLeaderAmong(net: ReplicaNet, ids: ReplicaId[]): Promise<ReplicaId> {
  let leader: ReplicaId | null = null;
  await net.until(() => (leader = leaderAmong(net, ids)) !== null, `a leader among ${ids.join(',')}`);
  return leader!;
}

/** Runs until every one of `ids` has applied what their leader has committed. */
async function waitForAppliedAmong(net: ReplicaNet, ids: ReplicaId[]): Promise<void> {
  await net.until(
    () => {
      const leader = leaderAmong(net, ids);
      if (leader === null) return false;
      const commit = net.replica(leader).status().commitIndex;
      return ids.every((id) => net.replica(id).status().lastApplied >= commit);
    },
    `replicas ${ids.join(',')} caught up`,
  );
}

/** The configuration entries in `id`'s stored log, in order. */
function configEntries(net: ReplicaNet, id: ReplicaId): LogEntry<Op>[] {
  return net.storages
    .get(id)!
    .load()
    .entries.filter((e) => e.config !== undefined);
}

const isReplication = (m: Msg) => m.type === 'append' || m.type === 'snapshot';
const isJoint = (c: Membership | undefined) => c !== undefined && c.outgoing.length > 0;

/**
 * A client that keeps a few writes in flight to whichever replica leads among `voters`,
 * with unique ids. Remembers which writes were acknowledged (propose resolved).
 */
class Client {
  acked: string[] = [];
  failed: string[] = [];
  private inflight = new Map<string, Tracked<void>>();
  private n = 0;
  constructor(
    private readonly net: ReplicaNet,
    public voters: ReplicaId[],
  ) {}

  pump(): void {
    for (const [id, t] of this.inflight) {
      if (!t.settled) continue;
      this.inflight.delete(id);
      (t.error === undefined ? this.acked : this.failed).push(id);
    }
    const leader = leaderAmong(this.net, this.voters);
    if (leader === null) return;
    while (this.inflight.size < 3) {
      const id = `w${++this.n}`;
      this.inflight.set(id, track(this.net.replica(leader).propose({ id, delta: 1 })));
    }
  }

  /** Keeps writing while virtual time runs, until `done` holds. */
  async writeUntil(done: () => boolean, what: string, maxMs = 30_000): Promise<void> {
    for (let t = 0; !done(); t += 5) {
      if (t > maxMs) throw new Error(`not reached within ${maxMs} virtual ms: ${what}`);
      this.pump();
      await this.net.run(5);
    }
    this.pump();
  }

  /** Stops writing and waits for the writes in flight to settle. */
  async drain(): Promise<void> {
    await this.net.until(() => [...this.inflight.values()].every((t) => t.settled), 'writes in flight settle');
    this.pump = () => {};
    for (const [id, t] of this.inflight) (t.error === undefined ? this.acked : this.failed).push(id);
    this.inflight.clear();
  }
}

/** Every acknowledged write appears exactly once in `history`, which holds no write twice. */
function assertAllOnce(history: Op['id'][], acked: string[], where: string): void {
  const writes = history.filter((id) => typeof id === 'string');
  assert.equal(new Set(writes).size, writes.length, `${where}: no write applied twice`);
  const have = new Set(writes);
  const missing = acked.filter((id) => !have.has(id));
  assert.deepEqual(missing, [], `${where}: every acknowledged write is applied`);
}

test('a 3-node cluster grows to 5 and shrinks back to 3 while a client keeps writing', async () => {
  const net = clusterOf([1, 2, 3, 4, 5], [1, 2, 3], 101, { maxEntriesPerMessage: 4 });
  const first = await waitForLeaderAmong(net, [1, 2, 3]);
  const client = new Client(net, [1, 2, 3]);
  await client.writeUntil(() => client.acked.length >= 60, '60 writes before the change');
  net.start(4, { join: true });
  net.start(5, { join: true });

  // Grow to five.
  const ackedBefore = client.acked.length;
  const grow = track(net.replica(first).changeMembership({ voters: [1, 2, 3, 4, 5] }));
  await client.writeUntil(() => grow.settled, 'the grow settles');
  assert.equal(grow.error, undefined, String(grow.error));
  assert.ok(client.acked.length > ackedBefore, 'writes kept being acknowledged during the change');
  client.voters = [1, 2, 3, 4, 5];
  await client.writeUntil(() => client.acked.length >= ackedBefore + 40, 'writes in the 5-node cluster');

  // The leader's log holds the three steps: new voters as learners, C(old,new), C(new).
  const steps = configEntries(net, first).map((e) => e.config!);
  assert.deepEqual(steps, [
    { voters: [1, 2, 3], learners: [4, 5], outgoing: [] },
    { voters: [1, 2, 3, 4, 5], learners: [], outgoing: [1, 2, 3] },
    { voters: [1, 2, 3, 4, 5], learners: [], outgoing: [] },
  ]);
  for (const id of net.ids) {
    const s = net.replica(id).status();
    assert.deepEqual([...s.voters].sort(), [1, 2, 3, 4, 5], `replica ${id} voters`);
    assert.deepEqual(s.learners, [], `replica ${id} learners`);
    assert.notEqual(s.role, 'learner', `replica ${id} is a voter now`);
  }

  // Shrink to three, removing the current leader and one more.
  const leader = await waitForLeaderAmong(net, [1, 2, 3, 4, 5]);
  const remaining = net.ids.filter((id) => id !== leader).slice(-3);
  const removed = net.ids.filter((id) => !remaining.includes(id));
  const ackedMid = client.acked.length;
  const shrink = track(net.replica(leader).changeMembership({ voters: remaining }));
  await client.writeUntil(() => shrink.settled, 'the shrink settles');
  assert.equal(shrink.error, undefined, String(shrink.error));
  assert.notEqual(net.replica(leader).status().role, 'leader', 'the removed leader stepped down');
  const sentAfterShrink = net.sent.length;
  client.voters = remaining;
  await client.writeUntil(() => client.acked.length >= ackedMid + 40, 'writes in the shrunk cluster');
  await client.drain();

  const final = await waitForLeaderAmong(net, remaining);
  assert.ok(remaining.includes(final));
  await waitForAppliedAmong(net, remaining);
  const history = net.machine(final).history;
  assertAllOnce(history, client.acked, `leader ${final}`);
  for (const id of remaining) {
    assert.deepEqual(net.machine(id).history, history, `replica ${id} applied the same writes in the same order`);
    assert.deepEqual(net.replica(id).status().voters, remaining);
  }
  // Removed replicas applied a prefix of the same history, and are no longer led.
  for (const id of removed) {
    const h = net.machine(id).history;
    assert.deepEqual(h, history.slice(0, h.length), `removed replica ${id} applied a prefix`);
    assert.notEqual(net.replica(id).status().role, 'leader');
  }
  assert.equal(
    net.sent.slice(sentAfterShrink).filter((m) => isReplication(m) && removed.includes(m.to)).length,
    0,
    'nothing is replicated to removed replicas any more',
  );
  await net.stopAll();
});

test('removing the leader: it steps down once C(new) commits, a remaining voter leads, and it no longer counts', async () => {
  const net = new ReplicaNet({ ids: [1, 2, 3], seed: 102 });
  net.startAll();
  const old = await net.waitForLeader();
  const rest = net.followers(old);
  await net.settle(net.replica(old).propose({ id: 'before', delta: 1 }));
  const oldTerm = net.replica(old).status().term;

  await net.settle(net.replica(old).changeMembership({ voters: rest }));
  const sentAfter = net.sent.length;
  const cNew = configEntries(net, old).at(-1)!;
  assert.deepEqual(cNew.config, { voters: rest, learners: [], outgoing: [] });
  const s = net.replica(old).status();
  assert.notEqual(s.role, 'leader', 'the removed leader stepped down');
  assert.ok(s.commitIndex >= cNew.index, 'it stepped down having seen C(new) committed');
  assert.deepEqual(s.voters, rest);
  assert.equal(s.term, oldTerm, 'it led until then: no election happened meanwhile');

  const next = await waitForLeaderAmong(net, rest);
  assert.ok(rest.includes(next));
  await net.settle(net.replica(next).propose({ id: 'after', delta: 2 }));
  await waitForAppliedAmong(net, rest);
  for (const id of rest) {
    const writes = net.machine(id).history.filter((w) => typeof w === 'string');
    assert.deepEqual(writes, ['before', 'after'], `replica ${id}`);
  }

  // The removed replica is not part of the cluster: it receives nothing and cannot help commit.
  assert.equal(net.sent.slice(sentAfter).filter((m) => isReplication(m) && m.to === old).length, 0);
  await net.stop(rest.find((id) => id !== next)!);
  const stuck = track(net.replica(next).propose({ id: 'needs-two', delta: 3 }));
  const commit = net.replica(next).status().commitIndex;
  await net.run(1_000);
  assert.equal(stuck.settled && stuck.error === undefined, false, 'one of two voters cannot commit');
  assert.ok(net.replica(next).status().commitIndex <= commit);
  assert.ok(!net.machine(old).history.includes('needs-two'));
  assert.notEqual(net.replica(old).status().role, 'leader');
  await net.stopAll();
});

test('a leader being removed takes no proposals once C(new) is appended: none is left pending forever', async () => {
  const net = new ReplicaNet({ ids: [1, 2, 3], seed: 103 });
  net.startAll();
  const leader = await net.waitForLeader();
  const rest = net.followers(leader);
  // Propose the moment C(new) (which removes the leader) reaches the leader's storage.
  const storage = net.storages.get(leader)!;
  const write = storage.write.bind(storage);
  let late: Tracked<void> | null = null;
  storage.write = (batch) => {
    write(batch);
    const removing = batch.entries?.some((e) => e.config && !isJoint(e.config) && !e.config.voters.includes(leader));
    if (removing && late === null) late = track(net.replica(leader).propose({ id: 'late', delta: 1 }));
  };
  await net.settle(net.replica(leader).changeMembership({ voters: rest }));
  await net.run(2_000);
  assert.ok(late, 'a proposal was made after C(new) was appended');
  const t = late as Tracked<void>;
  assert.equal(t.settled, true, 'the proposal settled');
  if (t.error !== undefined) {
    assert.ok(t.error instanceof NotLeaderError, inspect(t.error));
    assert.ok(!net.machine(rest[0]!).history.includes('late'));
  }
  const states = net.machine(leader).statesOf('late');
  assert.ok(
    states.at(-1) === 'applied' || states.at(-1)?.startsWith('abandoned'),
    `final state reported: ${states.join(',')}`,
  );
  await net.stopAll();
});

test('replicas started with join: true stay learners: they never campaign and their acks never commit', async () => {
  const net = clusterOf([1, 2, 3, 4, 5], [1, 2, 3], 104);
  const joiners = [4, 5];
  for (const id of joiners) net.start(id, { join: true });
  for (const id of joiners) assert.equal(net.replica(id).status().role, 'learner');
  const leader = await waitForLeaderAmong(net, [1, 2, 3]);
  await net.run(2_000);
  // Not added yet: nobody talks to them, they say nothing.
  for (const id of joiners) {
    const s = net.replica(id).status();
    assert.deepEqual(s, { ...s, role: 'learner', term: 0, leaderId: null, voters: [], learners: [] });
  }
  assert.equal(net.sent.filter((m) => joiners.includes(m.from) || joiners.includes(m.to)).length, 0);

  await net.settle(net.replica(leader).changeMembership({ voters: [1, 2, 3], learners: joiners }));
  await net.settle(net.replica(leader).propose({ id: 'x', delta: 1 }));
  await net.waitForApplied();
  for (const id of joiners) {
    const s = net.replica(id).status();
    assert.equal(s.role, 'learner');
    assert.deepEqual(s.voters, [1, 2, 3]);
    assert.deepEqual(s.learners, joiners);
    assert.deepEqual(net.machine(id).history, net.machine(leader).history, 'the learner receives the log');
  }
  await net.run(3_000);
  const votes = net.sent.filter(
    (m) => m.type === 'vote-request' && (joiners.includes(m.from) || joiners.includes(m.to)),
  );
  assert.deepEqual(votes, [], 'learners never campaign and are never asked');

  // Two of three voters down: the leader and both learners (three of five replicas) hold the
  // entry, but it does not commit.
  const others = [1, 2, 3].filter((id) => id !== leader);
  for (const id of others) await net.stop(id);
  const commit = net.replica(leader).status().commitIndex;
  const pending = track(net.replica(leader).propose({ id: 'y', delta: 1 }));
  await net.run(100);
  const index = net.replica(leader).status().lastLogIndex;
  for (const id of joiners) {
    assert.ok(net.replica(id).status().lastLogIndex >= index, `learner ${id} holds the entry`);
    assert.ok(
      net.sent.some((m) => m.from === id && m.type === 'append-response' && m.success && m.index >= index),
      `and acknowledged it`,
    );
  }
  assert.equal(net.replica(leader).status().commitIndex, commit, 'nothing committed');
  assert.ok(!pending.settled || pending.error !== undefined);
  await net.run(1_000);
  assert.notEqual(net.replica(leader).status().role, 'leader', 'check-quorum: learners do not count');
  for (const id of joiners) assert.ok(!net.machine(id).history.includes('y'));

  // Back to three voters: a voter leads again, never a learner.
  for (const id of others) net.start(id, { peerIds: [1, 2, 3].filter((p) => p !== id) });
  const next = await waitForLeaderAmong(net, net.ids);
  assert.ok([1, 2, 3].includes(next));
  for (const id of joiners) assert.equal(net.replica(id).status().role, 'learner');
  await net.stopAll();
});

test('a joining learner catches up from the leader snapshot (snapshotDelta small), then is promoted', async () => {
  const net = clusterOf([1, 2, 3, 4], [1, 2, 3], 105, { snapshotDelta: 5 });
  const leader = await waitForLeaderAmong(net, [1, 2, 3]);
  for (let i = 1; i <= 30; i++) await net.settle(net.replica(leader).propose({ id: `p${i}`, delta: i }));
  net.start(4, { join: true });
  await net.settle(net.replica(leader).changeMembership({ voters: [1, 2, 3], learners: [4] }));
  await net.waitForApplied();
  const learner = net.machine(4);
  assert.ok(
    net.sent.some((m) => m.type === 'snapshot' && m.to === 4),
    'the learner was sent a snapshot',
  );
  assert.ok(learner.loaded.length >= 1, 'and loaded it');
  assert.ok(net.replica(4).status().snapshotIndex > 0);
  assert.equal(learner.value, net.machine(leader).value);
  assert.deepEqual(learner.history, net.machine(leader).history);
  assert.equal(net.replica(4).status().role, 'learner');

  await net.settle(net.replica(leader).changeMembership({ voters: [1, 2, 3, 4] }));
  assert.deepEqual(net.replica(4).status().voters, [1, 2, 3, 4]);
  assert.equal(net.replica(4).status().role, 'follower');
  await net.stopAll();
});

test('promotion waits until the new voter has caught up; commits go on meanwhile', async () => {
  const net = clusterOf([1, 2, 3, 4], [1, 2, 3], 106);
  const leader = await waitForLeaderAmong(net, [1, 2, 3]);
  const client = new Client(net, [1, 2, 3]);
  await client.writeUntil(() => client.acked.length >= 30, 'writes before the change');
  net.start(4, { join: true });
  net.isolate(4); // the joiner lags behind a cut link
  const grow = track(net.replica(leader).changeMembership({ voters: [1, 2, 3, 4] }));
  const acked = client.acked.length;
  await client.writeUntil(() => client.acked.length >= acked + 100, 'writes while the joiner lags');
  assert.equal(grow.settled, false);
  const steps = configEntries(net, leader).map((e) => e.config!);
  assert.deepEqual(steps, [{ voters: [1, 2, 3], learners: [4], outgoing: [] }], 'added as a learner only');
  assert.deepEqual(net.replica(leader).status().voters, [1, 2, 3]);
  assert.equal(net.replica(4).status().lastLogIndex, 0);

  net.heal();
  await client.writeUntil(() => grow.settled, 'the grow settles');
  assert.equal(grow.error, undefined, String(grow.error));
  const entries = configEntries(net, leader);
  assert.equal(entries.length, 3);
  assert.ok(isJoint(entries[1]!.config));
  assert.deepEqual(net.replica(leader).status().voters, [1, 2, 3, 4]);
  await client.drain();
  await net.waitForApplied();
  assertAllOnce(net.machine(4).history, client.acked, 'the new voter');
  await net.stopAll();
});

test('configuration is persisted: a restart takes it from the log, ignoring peerIds and join', async () => {
  const net = clusterOf([1, 2, 3, 4], [1, 2, 3], 107);
  const leader = await waitForLeaderAmong(net, [1, 2, 3]);
  net.start(4, { join: true });
  await net.settle(net.replica(leader).changeMembership({ voters: [1, 2, 3, 4] }));
  await net.waitForApplied();

  // The joiner restarts without join and with made-up peers; a founder restarts as a "joiner".
  const follower = [1, 2, 3].find((id) => id !== leader)!;
  await net.restart(4, { join: false, peerIds: [8, 9] });
  await net.restart(follower, { join: true, peerIds: [] });
  for (const id of [4, follower]) {
    const s = net.replica(id).status();
    assert.deepEqual(s.voters, [1, 2, 3, 4], `replica ${id} recovered the configuration`);
    assert.equal(s.role, 'follower', `replica ${id} is a voter`);
  }
  await net.settle(net.replica(leader).propose({ id: 'after-restart', delta: 1 }));
  await net.waitForApplied();
  for (const id of net.ids) assert.ok(net.machine(id).history.includes('after-restart'));
  // The restarted founder can lead the four: its configuration is not its peerIds.
  await net.stop(leader);
  const next = await waitForLeaderAmong(
    net,
    net.ids.filter((id) => id !== leader),
  );
  await net.settle(net.replica(next).propose({ id: 'three-of-four', delta: 1 }));
  await net.stopAll();
});

test('configuration is persisted in snapshots: a restart takes it from the snapshot when the log has none', async () => {
  const net = clusterOf([1, 2, 3, 4], [1, 2, 3], 108, { snapshotDelta: 4 });
  const leader = await waitForLeaderAmong(net, [1, 2, 3]);
  net.start(4, { join: true });
  await net.settle(net.replica(leader).changeMembership({ voters: [1, 2, 3, 4] }));
  for (let i = 0; i < 12; i++) await net.settle(net.replica(leader).propose({ id: `p${i}`, delta: 1 }));
  await net.waitForApplied();
  for (const id of net.ids) {
    const stored = net.storages.get(id)!.load();
    assert.ok(stored.snapshot, `replica ${id} has a snapshot`);
    assert.deepEqual(stored.snapshot.config, { voters: [1, 2, 3, 4], learners: [], outgoing: [] });
    assert.equal(
      stored.entries.filter((e) => e.config).length,
      0,
      `replica ${id}: no configuration entry left in the log`,
    );
  }
  await net.restart(4, { join: true });
  const other = [1, 2, 3].find((id) => id !== leader)!;
  await net.restart(other, { peerIds: [7] });
  for (const id of [4, other]) {
    assert.deepEqual(net.replica(id).status().voters, [1, 2, 3, 4]);
    assert.equal(net.replica(id).status().role, 'follower');
  }
  await net.settle(net.replica(leader).propose({ id: 'q', delta: 1 }));
  await net.waitForApplied();
  assert.equal(net.machine(4).value, net.machine(leader).value);
  await net.stopAll();
});

test('one membership change at a time: a second concurrent changeMembership rejects clearly', async () => {
  const net = clusterOf([1, 2, 3, 4, 5], [1, 2, 3], 109);
  const leader = await waitForLeaderAmong(net, [1, 2, 3]);
  net.start(4, { join: true });
  net.isolate(4); // keeps the first change waiting for 4 to catch up
  const first = track(net.replica(leader).changeMembership({ voters: [1, 2, 3, 4] }));
  await net.run(50);
  const lastIndex = net.replica(leader).status().lastLogIndex;
  await assert.rejects(
    net.replica(leader).changeMembership({ voters: [1, 2, 3, 5] }),
    /another membership change is in progress/,
  );
  await net.run(50);
  assert.equal(net.replica(leader).status().lastLogIndex, lastIndex, 'the second change appended nothing');
  assert.equal(first.settled, false);
  net.heal();
  await net.until(() => first.settled, 'the first change settles');
  assert.equal(first.error, undefined);
  assert.deepEqual(net.replica(leader).status().voters, [1, 2, 3, 4]);
  // Now another change is accepted.
  await net.settle(net.replica(leader).changeMembership({ voters: [1, 2, 3] }));
  assert.deepEqual(net.replica(leader).status().voters, [1, 2, 3]);
  await net.stopAll();
});

test('a leader that inherits a joint configuration refuses a new change until it is final', async () => {
  const net = clusterOf([1, 2, 3, 4, 5], [1, 2, 3, 4, 5], 113);
  const first = await waitForLeaderAmong(net, [1, 2, 3, 4, 5]);
  const removed = [1, 2, 3, 4, 5].find((id) => id !== first)!;
  // No replication is acknowledged: the followers get C(old, new) but it is never committed.
  net.dropIf = (_from, _to, message) => message.type === 'append-response';
  const change = track(net.replica(first).changeMembership({ voters: [1, 2, 3, 4, 5].filter((id) => id !== removed) }));
  await net.until(
    () => net.followers(first).every((id) => isJoint(configEntries(net, id).at(-1)?.config)),
    'the followers hold the joint configuration',
  );
  await net.stop(first);
  const rest = [1, 2, 3, 4, 5].filter((id) => id !== first);
  const next = await waitForLeaderAmong(net, rest);
  const status = net.replica(next).status();
  assert.ok(status.voters.includes(removed), 'the joint configuration still counts the outgoing voter');
  assert.equal(status.configIndex, configEntries(net, next).at(-1)!.index, 'configIndex names its entry');
  assert.ok(status.configIndex > status.commitIndex, 'and it is not committed yet');
  const lastIndex = status.lastLogIndex;
  // A change computed from these voters would put the removed one back.
  await assert.rejects(
    net.replica(next).changeMembership({ voters: status.voters, learners: [] }),
    /another membership change is in progress/,
  );
  assert.equal(net.replica(next).status().lastLogIndex, lastIndex, 'the refused change appended nothing');
  net.dropIf = null;
  await net.until(
    () => leaderAmong(net, rest) !== null && !net.replica(leaderAmong(net, rest)!).status().voters.includes(removed),
    `node ${removed} leaves once the joint configuration is final`,
  );
  await net.until(() => {
    const s = net.replica(leaderAmong(net, rest)!).status();
    return s.configIndex > status.configIndex && s.configIndex <= s.commitIndex;
  }, 'the final configuration is committed');
  assert.ok(change.settled || !net.isRunning(first));
  await net.stopAll();
});

test('bad requests reject with clear errors and change nothing', async () => {
  const net = new ReplicaNet({ ids: [1, 2, 3], seed: 110 });
  net.startAll();
  const leader = await net.waitForLeader();
  await net.waitForApplied();
  const replica = net.replica(leader);
  const before = replica.status();
  await assert.rejects(replica.changeMembership({ voters: [] }), { name: 'RangeError', message: /at least one voter/ });
  await assert.rejects(replica.changeMembership({ voters: [1, 2], learners: [2, 3] }), {
    name: 'RangeError',
    message: /2 cannot be both voter and learner/,
  });
  for (const bad of [1.5, -1, NaN, '2', null, Infinity]) {
    await assert.rejects(replica.changeMembership({ voters: [1, bad as number] }), {
      name: 'TypeError',
      message: /voters has a bad id/,
    });
  }
  await assert.rejects(replica.changeMembership({ voters: [1], learners: [0.5] }), {
    name: 'TypeError',
    message: /learners has a bad id/,
  });
  await assert.rejects(replica.changeMembership({ voters: 3 as unknown as number[] }), {
    name: 'TypeError',
    message: /voters must be an array/,
  });
  const follower = net.followers(leader)[0]!;
  await assert.rejects(net.replica(follower).changeMembership({ voters: [1, 2] }), (e: unknown) => {
    assert.ok(e instanceof NotLeaderError);
    assert.equal(e.leaderId, leader);
    return true;
  });
  await net.run(200);
  assert.equal(replica.status().lastLogIndex, before.lastLogIndex, 'nothing was appended');
  assert.deepEqual(replica.status().voters, before.voters);
  // A change to the configuration already in force resolves at once, appending nothing.
  await net.settle(replica.changeMembership({ voters: [3, 2, 1, 1] }));
  assert.equal(replica.status().lastLogIndex, before.lastLogIndex);
  await net.stop(leader);
  await assert.rejects(replica.changeMembership({ voters: [1, 2] }), ReplicaStoppedError);
  await net.stopAll();
});

test('removed replicas do not disturb the new configuration', async () => {
  const net = new ReplicaNet({ ids: [1, 2, 3, 4, 5], seed: 111 });
  net.startAll();
  const leader = await net.waitForLeader();
  const removed = net.followers(leader).slice(0, 2);
  const remaining = net.ids.filter((id) => !removed.includes(id));
  await net.settle(net.replica(leader).changeMembership({ voters: remaining }));
  const term = net.replica(leader).status().term;
  await net.run(5_000);
  assert.equal(leaderAmong(net, remaining), leader, 'the same leader throughout');
  for (const id of remaining) assert.equal(net.replica(id).status().term, term, `replica ${id} kept its term`);
  for (const id of removed) assert.notEqual(net.replica(id).status().role, 'leader');
  await net.settle(net.replica(leader).propose({ id: 'still-fine', delta: 1 }));
  await net.stopAll();
});

test('applyTransition receives each transition with its log index; configuration entries are not applied', async () => {
  class Indexed extends Calculator {
    indices: number[] = [];
    override applyTransition(op: Op, index?: number): void {
      super.applyTransition(op);
      this.indices.push(index!);
    }
  }
  const net = clusterOf([1, 2, 3, 4], [1, 2, 3], 112);
  const machines = new Map<ReplicaId, Indexed>();
  for (const id of [1, 2, 3]) {
    await net.stop(id);
    machines.set(id, new Indexed());
    net.start(id, { peerIds: [1, 2, 3].filter((p) => p !== id) }, machines.get(id));
  }
  const leader = await waitForLeaderAmong(net, [1, 2, 3]);
  await net.settle(net.replica(leader).propose({ id: 'a', delta: 1 }));
  machines.set(4, new Indexed());
  net.start(4, { join: true }, machines.get(4));
  await net.settle(net.replica(leader).changeMembership({ voters: [1, 2, 3, 4] }));
  await net.settle(net.replica(leader).propose({ id: 'b', delta: 1 }));
  await net.waitForApplied();
  const log = net.storages.get(leader)!.load().entries;
  const transitions = log.filter((e) => e.transition !== undefined);
  for (const [id, m] of machines) {
    assert.deepEqual(
      m.indices,
      transitions.map((e) => e.index),
      `replica ${id}: the log index of each applied transition, config entries skipped`,
    );
    assert.deepEqual(
      m.appliedHere.map((op) => op.id),
      transitions.map((e) => e.transition!.id),
    );
  }
  await net.stopAll();
});

test('a leader lost in the middle of a change: its promise rejects and the next leader completes the change', async () => {
  const net = clusterOf([1, 2, 3, 4, 5], [1, 2, 3], 113);
  for (const id of [4, 5]) net.start(id, { join: true });
  const old = await waitForLeaderAmong(net, [1, 2, 3]);
  // The leader is cut off right after it appended C(old,new) (and sent it).
  const storage = net.storages.get(old)!;
  const write = storage.write.bind(storage);
  let cut = false;
  storage.write = (batch) => {
    write(batch);
    if (!cut && batch.entries?.some((e) => isJoint(e.config))) {
      cut = true;
      setImmediate(() => net.isolate(old));
    }
  };
  const change = track(net.replica(old).changeMembership({ voters: [1, 2, 3, 4, 5] }));
  await net.until(() => change.settled, 'the change settles');
  assert.ok(change.error instanceof NotLeaderError, String(change.error));
  const others = net.ids.filter((id) => id !== old);
  const next = await waitForLeaderAmong(net, others);
  await net.until(
    () => others.every((id) => net.replica(id).status().commitIndex >= configEntries(net, next).at(-1)!.index),
    'the final configuration commits',
  );
  const last = configEntries(net, next).at(-1)!;
  assert.deepEqual(
    last.config,
    { voters: [1, 2, 3, 4, 5], learners: [], outgoing: [] },
    'C(new), appended by the next leader',
  );
  assert.equal(last.term, net.replica(next).status().term);
  net.heal();
  await net.settle(net.replica(next).propose({ id: 'done', delta: 1 }));
  await net.waitForApplied();
  for (const id of net.ids) assert.deepEqual(net.replica(id).status().voters, [1, 2, 3, 4, 5]);
  await net.stopAll();
});

test('a removed replica can be added back; its stale log is brought up to date', async () => {
  const net = new ReplicaNet({ ids: [1, 2, 3], seed: 114 });
  net.startAll();
  const leader = await net.waitForLeader();
  const victim = net.followers(leader)[0]!;
  const rest = net.ids.filter((id) => id !== victim);
  await net.settle(net.replica(leader).changeMembership({ voters: rest }));
  for (let i = 0; i < 5; i++) await net.settle(net.replica(leader).propose({ id: `a${i}`, delta: 1 }));
  await net.run(1_000);
  assert.ok(!net.machine(victim).history.includes('a0'), 'removed: it got nothing more');
  await net.settle(net.replica(leader).changeMembership({ voters: [1, 2, 3] }));
  await net.settle(net.replica(leader).propose({ id: 'back', delta: 1 }));
  await net.waitForApplied();
  for (const id of net.ids) {
    assert.deepEqual(net.replica(id).status().voters, [1, 2, 3]);
    assert.deepEqual(net.machine(id).history, net.machine(leader).history, `replica ${id}`);
  }
  await net.stopAll();
});

test('a new voter that never shows up: the change times out while it is still a learner, and commits go on', async () => {
  const net = clusterOf([1, 2, 3, 4], [1, 2, 3], 115);
  const leader = await waitForLeaderAmong(net, [1, 2, 3]);
  const client = new Client(net, [1, 2, 3]);
  const change = track(net.replica(leader).changeMembership({ voters: [1, 2, 3, 4] }));
  await client.writeUntil(() => change.settled, 'the change settles');
  assert.ok(change.error instanceof Error);
  assert.equal(change.error.name, 'TimeoutError');
  assert.match(change.error.message, /new voters 4 did not catch up/);
  assert.ok(client.acked.length > 100, 'writes were acknowledged all along');
  const s = net.replica(leader).status();
  assert.deepEqual([s.voters, s.learners], [[1, 2, 3], [4]], 'added as a learner, never promoted');
  await client.drain();
  await net.stopAll();
});

for (const seed of [1, 2, 3]) {
  test(`changes, transfers and reads in a row, through the byte codec, with lost and reordered messages (seed ${seed})`, async () => {
    const net = new ReplicaNet({
      ids: [1, 2, 3, 4, 5],
      seed: 130 + seed,
      dropRate: 0.1,
      shuffle: true,
      codecs: { transition: jsonCodec<Op>(), snapshot: bytesCodec },
      replica: { snapshotDelta: 7, snapshotChunkBytes: 64 },
    });
    for (const id of [1, 2, 3]) net.start(id, { peerIds: [1, 2, 3].filter((p) => p !== id) });
    for (const id of [4, 5]) net.start(id, { join: true });
    const client = new Client(net, net.ids);
    const steps: [string, (leader: ReplicaId) => Promise<void>][] = [
      ['grow', (l) => net.replica(l).changeMembership({ voters: [1, 2, 3, 4, 5] })],
      ['transfer', (l) => net.replica(l).transferLeadership(l === 5 ? 4 : 5)],
      ['read', (l) => net.replica(l).ensureLinearizable()],
      ['shrink, 1 becomes a learner', (l) => net.replica(l).changeMembership({ voters: [2, 4, 5], learners: [1] })],
      ['transfer again', (l) => net.replica(l).transferLeadership(l === 2 ? 4 : 2)],
      ['swap two voters, drop the learner', (l) => net.replica(l).changeMembership({ voters: [1, 3, 4] })],
    ];
    for (const [name, step] of steps) {
      // Retried on the current leader until it succeeds (a lost message may fail a transfer).
      for (let attempt = 0; ; attempt++) {
        const leader = await waitForLeaderAmong(net, net.ids);
        const outcome = track(step(leader));
        await client.writeUntil(() => outcome.settled, name);
        if (outcome.error === undefined) break;
        assert.ok(attempt < 10, `${name}: ${inspect(outcome.error)}`);
      }
    }
    await client.drain();
    const final = [1, 3, 4];
    const leader = await waitForLeaderAmong(net, net.ids);
    assert.ok(final.includes(leader));
    await waitForAppliedAmong(net, final);
    const history = net.machine(leader).history;
    assertAllOnce(history, client.acked, `seed ${seed}`);
    assert.ok(client.acked.length > 0);
    for (const id of final) {
      assert.deepEqual(net.machine(id).history, history, `replica ${id}`);
      assert.deepEqual(net.replica(id).status().voters, final);
      assert.deepEqual(net.replica(id).status().learners, []);
    }
    await net.stopAll();
  });
}
