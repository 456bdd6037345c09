// The fastFirstElection option (etcd's initial election tick advance): a replica starts with its
// election timer a heartbeat short of the minimum timeout. A cluster started whole then elects
// within [heartbeat, max - min + heartbeat] of starting; a lone replica restarted into a healthy
// cluster only asks for pre-votes, which are refused, so the leader and term stay; without
// pre-vote the option does nothing (an early real campaign would depose a healthy leader).
// Virtual time (ReplicaNet): heartbeat 50 ms, election timeout [150, 300] ms.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import type { ReplicaId } from '../../src/core/types.js';
import { ReplicaNet } from '../support/replica-net.js';

const HEARTBEAT = 50;
const [MIN, MAX] = [150, 300];

/** Virtual ms from the start until some replica leads (checked every 5 ms). */
async function firstLeaderAfter(net: ReplicaNet): Promise<number> {
  for (let t = 0; t <= 2 * MAX; t += 5) {
    if (net.leader() !== null) return t;
    await net.run(5);
  }
  throw new Error('no leader within two maximum election timeouts');
}

for (const seed of [1, 2, 3, 4, 5]) {
  test(`a cluster started whole elects before the minimum election timeout with it, not without (seed ${seed})`, async () => {
    const fast = new ReplicaNet({ seed, replica: { fastFirstElection: true } });
    fast.startAll();
    const fastMs = await firstLeaderAfter(fast);
    assert.ok(fastMs <= MAX - MIN + HEARTBEAT, `a leader after ${fastMs} virtual ms with fastFirstElection`);
    await fast.stopAll();

    const slow = new ReplicaNet({ seed });
    slow.startAll();
    const slowMs = await firstLeaderAfter(slow);
    assert.ok(slowMs >= MIN, `a leader after ${slowMs} virtual ms without it`);
    await slow.stopAll();
  });
}

test('a replica restarted alone with it, cut off from the leader at first, does not depose the leader', async () => {
  const net = new ReplicaNet({ seed: 11, replica: { fastFirstElection: true } });
  net.startAll();
  const leader = await net.waitForLeader();
  const term = net.replica(leader).status().term;
  const follower: ReplicaId = net.followers(leader)[0]!;
  await net.stop(follower);
  net.isolate(follower);
  net.start(follower);
  // It campaigns (pre-vote) within a heartbeat to MAX - MIN + a heartbeat, before hearing the leader.
  let campaigned = false;
  for (let t = 0; t < MAX; t += 5) {
    if (t === MAX - MIN + HEARTBEAT) net.heal(); // its pre-votes now reach the others
    await net.run(5);
    campaigned ||= net.replica(follower).status().role === 'candidate'; // pre-candidates show as candidates
  }
  assert.ok(campaigned, 'the restarted replica asked for pre-votes');
  await net.run(3 * MAX);
  assert.equal(net.leader(), leader, 'the leader stays');
  assert.equal(net.replica(leader).status().term, term, 'no new term');
  assert.equal(net.replica(follower).status().leaderId, leader);
  assert.equal(net.replica(follower).status().term, term, 'it only asked for pre-votes');
  await net.stopAll();
});

test('without pre-vote the option does nothing: no campaign before the minimum election timeout', async () => {
  const net = new ReplicaNet({ seed: 12, replica: { fastFirstElection: true, preVote: false } });
  net.startAll();
  for (let t = 0; t < MIN - 5; t += 5) {
    await net.run(5);
    for (const id of net.ids) assert.equal(net.replica(id).status().role, 'follower', `replica ${id} at ${t + 5} ms`);
  }
  await net.waitForLeader();
  await net.stopAll();
});
