// End to end: the data of a cluster of real `little-raft serve` processes survives stopping the
// whole cluster (SIGTERM: a clean exit) and killing it (SIGKILL: acknowledged writes were synced),
// and a follower that was down while the others compacted their logs catches up from a snapshot.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { KvTestCluster } from '../support/kv-cluster.js';
import { eventually } from '../support/eventually.js';

/** Writes keys `${prefix}:0..n-1` (pipelined, so in a few batches) and an INCR per key; all acknowledged. */
async function writeAll(cluster: KvTestCluster, node: number, prefix: string, n: number): Promise<void> {
  const pipeline = cluster.client(node).pipeline();
  for (let i = 0; i < n; i++) pipeline.set(`${prefix}:${i}`, `${prefix}-value-${i}`).incr(`${prefix}:count`);
  const results = (await pipeline.exec())!;
  for (const [error] of results) assert.equal(error, null);
}

async function assertAll(cluster: KvTestCluster, prefix: string, n: number): Promise<void> {
  const keys = Array.from({ length: n }, (_, i) => `${prefix}:${i}`);
  for (const node of cluster.nodes) {
    const client = cluster.client(node.id);
    const values = await client.mget(...keys);
    keys.forEach((k, i) => assert.equal(values[i], `${prefix}-value-${i}`, `node ${node.id}: ${k}`));
    assert.equal(await client.get(`${prefix}:count`), String(n), `node ${node.id}: ${prefix}:count`);
  }
}

/**
 * Waits until `follower` has applied up to `index`, or without one up to the commit index `leader`
 * reports at each poll; fails with the follower's status.
 */
async function catchesUp(
  cluster: KvTestCluster,
  follower: number,
  leader: number,
  ms: number,
  index?: number,
): Promise<void> {
  await eventually(
    async () => {
      const [f, l] = await Promise.all([cluster.status(follower), cluster.status(leader)]);
      return f !== null && l !== null && (f['lastApplied'] as number) >= (index ?? (l['commitIndex'] as number));
    },
    `node ${follower} catches up`,
    ms,
  ).catch(async (e: Error) => assert.fail(`${e.message}: ${JSON.stringify(await cluster.status(follower))}`));
}

function restartAll(cluster: KvTestCluster): Promise<number> {
  for (const node of cluster.nodes) cluster.launch(node);
  return cluster.waitForLeader();
}

test('the whole cluster stops (SIGTERM, exit 0) or dies (SIGKILL) and restarts with its data', async (t) => {
  const cluster = await KvTestCluster.start(t);
  await writeAll(cluster, 1, 'a', 300);
  await writeAll(cluster, 2, 'b', 300);
  for (const node of cluster.nodes) assert.equal((await cluster.status(node.id))?.['incarnation'], 1);

  const exits = await cluster.stopAll('SIGTERM');
  exits.forEach((exit, i) =>
    assert.deepEqual(exit, { code: 0, signal: null }, `node ${i + 1} on SIGTERM:\n${cluster.nodes[i]!.output}`),
  );

  await restartAll(cluster);
  for (const node of cluster.nodes) assert.equal((await cluster.status(node.id))?.['incarnation'], 2);
  await assertAll(cluster, 'a', 300);
  await assertAll(cluster, 'b', 300);

  // Acknowledged means on disk on a majority: SIGKILL everything right after the replies.
  await writeAll(cluster, 3, 'c', 300);
  await Promise.all([writeAll(cluster, 1, 'd', 100), writeAll(cluster, 2, 'e', 100)]);
  const killed = await cluster.stopAll('SIGKILL');
  for (const exit of killed) assert.equal(exit?.signal, 'SIGKILL');

  await restartAll(cluster);
  for (const prefix of ['a', 'b', 'c']) await assertAll(cluster, prefix, 300);
  for (const prefix of ['d', 'e']) await assertAll(cluster, prefix, 100);
  // And the restarted cluster takes writes: batch seqs of the new incarnations are not mistaken
  // for duplicates of the old ones.
  await writeAll(cluster, 1, 'f', 50);
  await assertAll(cluster, 'f', 50);
});

test('a follower that missed compacted entries catches up from a snapshot', async (t) => {
  const cluster = await KvTestCluster.start(t, { snapshotEntries: 20 });
  const leader = await cluster.waitForLeader();
  const follower = cluster.nodes.find((n) => n.id !== leader)!.id;
  const client = cluster.client(leader);
  assert.equal(await client.set('early', 'before the follower stopped'), 'OK');
  await catchesUp(cluster, follower, leader, 10000);
  const stoppedAt = (await cluster.status(follower))!['lastApplied'] as number;
  assert.deepEqual(await cluster.kill(follower, 'SIGTERM'), { code: 0, signal: null });

  // One log entry per write: awaited one at a time, each is its own batch.
  for (let i = 0; i < 120; i++) {
    assert.equal(await client.set(`seq:${i % 40}`, `round ${Math.floor(i / 40)} of ${i % 40}`), 'OK');
    assert.equal(await client.incr('seq:count'), i + 1);
  }
  const before = (await cluster.status(leader))!;
  assert.ok(
    (before['snapshotIndex'] as number) > stoppedAt + 20,
    `the leader compacted its log past the follower's ${stoppedAt}: ${JSON.stringify(before)}`,
  );

  cluster.launch(cluster.node(follower));
  await cluster.waitForLeader();
  await catchesUp(cluster, follower, leader, 20000, before['commitIndex'] as number);
  const status = (await cluster.status(follower))!;
  assert.ok((status['snapshotIndex'] as number) > stoppedAt, `no snapshot installed: ${JSON.stringify(status)}`);

  const reader = cluster.client(follower);
  assert.equal(await reader.get('early'), 'before the follower stopped');
  assert.equal(await reader.get('seq:count'), '120');
  const keys = Array.from({ length: 40 }, (_, i) => `seq:${i}`);
  assert.deepEqual(
    await reader.mget(...keys),
    keys.map((_, i) => `round 2 of ${i}`),
  );
  // It takes part again: a write through it is applied everywhere.
  assert.equal(await reader.set('late', 'after the catch-up'), 'OK');
  for (const node of cluster.nodes) assert.equal(await cluster.client(node.id).get('late'), 'after the catch-up');
});

test('a follower catches up from a snapshot larger than one peer frame (16 MiB)', async (t) => {
  const cluster = await KvTestCluster.start(t, { snapshotEntries: 10 });
  const leader = await cluster.waitForLeader();
  const follower = cluster.nodes.find((n) => n.id !== leader)!.id;
  const client = cluster.client(leader);
  assert.deepEqual(await cluster.kill(follower, 'SIGTERM'), { code: 0, signal: null });

  // 24 values of 1 MiB: the key space, and so every snapshot of it, is over 24 MiB.
  const value = (i: number): string => String(i % 10).repeat(1 << 20);
  for (let i = 0; i < 24; i++) assert.equal(await client.set(`big:${i}`, value(i)), 'OK');
  for (let i = 0; i < 20; i++) assert.equal(await client.incr('count'), i + 1);
  const before = (await cluster.status(leader))!;
  assert.ok((before['snapshotIndex'] as number) > 24, `the leader compacted its log: ${JSON.stringify(before)}`);

  cluster.launch(cluster.node(follower));
  await catchesUp(cluster, follower, leader, 30000, before['commitIndex'] as number);
  const reader = cluster.client(follower);
  assert.equal(await reader.get('count'), '20');
  for (const i of [0, 13, 23]) assert.equal(await reader.get(`big:${i}`), value(i), `big:${i} on the follower`);
});

test('a leader restarted from its snapshot file sends that snapshot, read from the file a chunk at a time', async (t) => {
  const cluster = await KvTestCluster.start(t, { snapshotEntries: 20 });
  const leader = await cluster.waitForLeader();
  const behind = cluster.nodes.find((n) => n.id !== leader)!.id;
  const others = cluster.nodes.filter((n) => n.id !== behind).map((n) => n.id);
  const client = cluster.client(leader);
  assert.deepEqual(await cluster.kill(behind, 'SIGTERM'), { code: 0, signal: null });

  // Over 3 MiB of key space: the snapshot file holds four data frames of a MiB at most.
  const value = (i: number): string => `${i}:`.padEnd(800 * 1024, String.fromCharCode(97 + i));
  for (let i = 0; i < 4; i++) assert.equal(await client.set(`big:${i}`, value(i)), 'OK');
  for (let i = 0; i < 30; i++) assert.equal(await client.incr('count'), i + 1);
  const before = (await cluster.status(leader))!;
  assert.ok((before['snapshotIndex'] as number) > 4, `the leader compacted its log: ${JSON.stringify(before)}`);

  // The two up to date stop and start again: their snapshot stays in its file (snapshotsOnDisk).
  for (const id of others) assert.deepEqual(await cluster.kill(id, 'SIGTERM'), { code: 0, signal: null });
  for (const id of others) cluster.launch(cluster.node(id));
  const next = await cluster.waitForLeader();
  assert.ok(others.includes(next));
  const status = (await cluster.status(next))!;
  assert.equal(status['snapshotIndex'], before['snapshotIndex'], 'no newer snapshot taken since the restart');

  cluster.launch(cluster.node(behind));
  await catchesUp(cluster, behind, next, 30000, status['commitIndex'] as number);
  // Its log was compacted away on every other node: only that snapshot could bring it the data.
  // (It may have taken one of its own since, hence at least.)
  const caughtUp = (await cluster.status(behind))!;
  assert.ok((caughtUp['snapshotIndex'] as number) >= (before['snapshotIndex'] as number), JSON.stringify(caughtUp));
  const reader = cluster.client(behind);
  assert.equal(await reader.get('count'), '30');
  for (let i = 0; i < 4; i++) assert.equal(await reader.get(`big:${i}`), value(i), `big:${i} on the node behind`);
});
