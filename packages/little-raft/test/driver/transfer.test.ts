// Replica.transferLeadership: the leader stops taking proposals, brings the target up to date,
// then tells it to start an election at once (TimeoutNow). Resolves when the target leads;
// rejects after an election timeout if that did not happen, and the old leader leads on.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { NotLeaderError, ReplicaStoppedError } from '../../src/encoding/errors.js';
import { ReplicaNet, track, type Msg, type Tracked } from '../support/replica-net.js';

const timeoutNows = (net: ReplicaNet, from = 0) => net.sent.slice(from).filter((m) => m.type === 'timeout-now');

test('transfer to an up-to-date follower: it leads in the next term, at once', async () => {
  const net = new ReplicaNet({ seed: 201 });
  net.startAll();
  const old = await net.waitForLeader();
  await net.settle(net.replica(old).propose({ id: 'a', delta: 1 }));
  await net.waitForApplied();
  const target = net.followers(old)[1]!;
  const term = net.replica(old).status().term;
  const start = net.clock.now();
  const mark = net.sent.length;

  await net.settle(net.replica(old).transferLeadership(target));
  assert.equal(net.replica(target).status().role, 'leader');
  assert.equal(net.replica(target).status().term, term + 1, 'one election, no pre-vote round lost');
  assert.equal(net.replica(old).status().role, 'follower');
  assert.equal(net.replica(old).status().leaderId, target);
  assert.ok(net.clock.now() - start < 150, 'well before any election timeout');
  assert.deepEqual(
    timeoutNows(net, mark).map((m) => [m.from, m.to]),
    [[old, target]],
  );
  // The target's election was a transfer: voters answered though they had a leader.
  const requests = net.sent.slice(mark).filter((m) => m.type === 'vote-request' && m.from === target);
  assert.ok(requests.length > 0);
  for (const m of requests) assert.ok(m.type === 'vote-request' && m.transfer && !m.preVote);

  await net.settle(net.replica(target).propose({ id: 'b', delta: 2 }));
  await net.waitForApplied();
  for (const id of net.ids) assert.equal(net.machine(id).value, 3);
  await net.stopAll();
});

test('transfer to a lagging follower: it is brought up to date first, then told to time out', async () => {
  const net = new ReplicaNet({ seed: 202, replica: { maxEntriesPerMessage: 2 } });
  net.startAll();
  const old = await net.waitForLeader();
  const target = net.followers(old)[0]!;
  // The target misses 20 writes.
  net.cut.add(`${old}>${target}`);
  for (let i = 0; i < 20; i++) await net.settle(net.replica(old).propose({ id: `w${i}`, delta: 1 }));
  net.heal();
  const last = net.replica(old).status().lastLogIndex;
  assert.ok(net.replica(target).status().lastLogIndex < last - 10, 'the target lags');
  const mark = net.sent.length;

  await net.settle(net.replica(old).transferLeadership(target));
  assert.equal(net.replica(target).status().role, 'leader');
  const sent = net.sent.slice(mark);
  const tn = sent.findIndex((m) => m.type === 'timeout-now');
  assert.ok(tn >= 0);
  const caughtUp = sent.findIndex(
    (m: Msg) => m.type === 'append-response' && m.from === target && m.success && m.index >= last,
  );
  assert.ok(caughtUp >= 0 && caughtUp < tn, 'TimeoutNow only after the target acknowledged the whole log');
  assert.equal(timeoutNows(net, mark).length, 1);
  for (let i = 0; i < 20; i++) assert.ok(net.machine(target).history.includes(`w${i}`));
  await net.stopAll();
});

test('proposals during a transfer are refused with NotLeaderError; the new leader takes them', async () => {
  const net = new ReplicaNet({ seed: 203 });
  net.startAll();
  const old = await net.waitForLeader();
  const target = net.followers(old)[0]!;
  net.cut.add(`${old}>${target}`);
  for (let i = 0; i < 5; i++) await net.settle(net.replica(old).propose({ id: `w${i}`, delta: 1 }));
  net.heal();
  // Cut again so the transfer stays in progress while we propose.
  net.cut.add(`${old}>${target}`);
  const transfer = track(net.replica(old).transferLeadership(target));
  const during = net.replica(old).propose({ id: 'during', delta: 100 });
  await assert.rejects(during, NotLeaderError);
  net.machine(old).submit({ id: 'polled', delta: 100 });
  net.replica(old).notifyTransitions();
  await net.run(20);
  assert.deepEqual(net.machine(old).statesOf('during'), ['abandoned:not-leader']);
  assert.deepEqual(net.machine(old).statesOf('polled'), ['abandoned:not-leader']);
  assert.equal(transfer.settled, false);

  net.heal();
  await net.until(() => transfer.settled, 'the transfer settles');
  assert.equal(transfer.error, undefined);
  await assert.rejects(net.replica(old).propose({ id: 'to-old', delta: 1 }), (e: unknown) => {
    assert.ok(e instanceof NotLeaderError);
    assert.equal(e.leaderId, target, 'the error names the new leader');
    return true;
  });
  await net.settle(net.replica(target).propose({ id: 'to-new', delta: 1 }));
  await net.waitForApplied();
  for (const id of net.ids) {
    assert.ok(!net.machine(id).history.includes('during'));
    assert.ok(!net.machine(id).history.includes('polled'));
    assert.ok(net.machine(id).history.includes('to-new'));
  }
  await net.stopAll();
});

test('transfer to a non-voter or from a non-leader rejects at once; to itself resolves', async () => {
  const net = new ReplicaNet({ ids: [1, 2, 3, 4], seed: 204 });
  for (const id of [1, 2, 3]) net.start(id, { peerIds: [1, 2, 3].filter((p) => p !== id) });
  net.start(4, { join: true });
  const leader = await net.waitForLeader([1, 2, 3]);
  await net.settle(net.replica(leader).changeMembership({ voters: [1, 2, 3], learners: [4] }));
  const replica = net.replica(leader);
  await assert.rejects(replica.transferLeadership(4), { name: 'RangeError', message: /4 is not a voter/ });
  await assert.rejects(replica.transferLeadership(9), { name: 'RangeError', message: /9 is not a voter/ });
  const follower = [1, 2, 3].find((id) => id !== leader)!;
  await assert.rejects(net.replica(follower).transferLeadership(leader), (e: unknown) => {
    assert.ok(e instanceof NotLeaderError);
    assert.equal(e.leaderId, leader);
    return true;
  });
  await net.settle(replica.transferLeadership(leader));
  // None of that started a transfer: proposals go through right away.
  await net.settle(replica.propose({ id: 'fine', delta: 1 }));
  assert.equal(replica.status().role, 'leader');
  assert.equal(net.sent.filter((m) => m.type === 'timeout-now').length, 0);
  await net.stop(leader);
  await assert.rejects(replica.transferLeadership(follower), ReplicaStoppedError);
  await net.stopAll();
});

test('an unreachable target: the transfer rejects after about an election timeout and the old leader leads on', async () => {
  const net = new ReplicaNet({ seed: 205 });
  net.startAll();
  const old = await net.waitForLeader();
  const target = net.followers(old)[0]!;
  const term = net.replica(old).status().term;
  net.isolate(target);
  const start = net.clock.now();
  const transfer = track(net.replica(old).transferLeadership(target));
  const during: { at: number; outcome: Tracked<void> }[] = [];
  await net.until(() => {
    // Proposals keep being refused for as long as the transfer is on.
    if (!transfer.settled) {
      const at = net.clock.now();
      during.push({ at, outcome: track(net.replica(old).propose({ id: `t${at}`, delta: 1 })) });
    }
    return transfer.settled;
  }, 'the transfer settles');
  const end = net.clock.now();
  const elapsed = end - start;
  assert.ok(transfer.error instanceof Error, 'rejected');
  assert.equal(transfer.error.name, 'TimeoutError');
  assert.match(transfer.error.message, /did not happen/);
  assert.ok(elapsed >= 150 && elapsed <= 300 + 50, `rejected after ${elapsed} ms (election timeout 150-300)`);
  assert.equal(net.replica(old).status().role, 'leader');
  assert.equal(net.replica(old).status().term, term);
  await net.flush();
  const early = during.filter((d) => d.at < end - 5);
  assert.ok(early.length >= 25);
  for (const d of early) {
    assert.ok(d.outcome.error instanceof NotLeaderError, `proposal at ${d.at} refused`);
  }
  // It accepts proposals again.
  await net.settle(net.replica(old).propose({ id: 'after', delta: 1 }));
  net.heal();
  await net.waitForApplied();
  for (const id of net.ids) assert.ok(net.machine(id).history.includes('after'));
  assert.equal(net.leader(), old);
  await net.stopAll();
});
