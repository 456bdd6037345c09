// Expiry under clock skew, end to end: a key's expiry is judged by the cluster's time (the
// leader's clock, carried with writes and with read barriers), not by the clock of the node a
// client happens to read from, so every node answers GET, TTL and PTTL of an expiring key alike.
// Node 1 leads on the true clock, node 2 runs 5 s ahead and node 3 5 s behind (--clock-offset-ms).
// Nothing here measures time: the checks compare answers with one another and with the leader's.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import type { Redis } from 'ioredis';

import { KvTestCluster, sleep, withLogs } from '../support/kv-cluster.js';

const SKEW_MS = 5000;
/** Shorter than the skew: node 2's own clock is past the expiry the moment the key is set. */
const PX_MS = 3000;

/** GET and PTTL of `key` in one read-only MULTI/EXEC: one read barrier, one instant. */
async function getAndPttl(client: Redis, key: string): Promise<[unknown, unknown]> {
  const replies = await client.multi().get(key).pttl(key).exec();
  assert.ok(replies !== null);
  for (const [error] of replies) assert.equal(error, null);
  return [replies[0]![1], replies[1]![1]];
}

test('expiry follows the cluster clock, not the skewed clock of the node read from', async (t) => {
  const cluster = await KvTestCluster.start(t, {
    nodeArgs: {
      // Nodes 2 and 3 do not stand for election again once node 1, on the true clock, leads (any
      // node may win the first election: a start advances every node's election timer).
      2: [`--clock-offset-ms=${SKEW_MS}`, '--election-timeout', '30000-40000'],
      3: [`--clock-offset-ms=-${SKEW_MS}`, '--election-timeout', '30000-40000'],
    },
  });
  await withLogs(cluster, async () => {
    const first = await cluster.waitForLeader();
    t.diagnostic(`node ${first} won the first election`);
    if (first !== 1) {
      const via = `127.0.0.1:${cluster.node(first).httpPort}`;
      const moved = await cluster.cli([
        'member',
        'transfer-leader',
        '--to',
        '1',
        '--node',
        via,
        '--secret-file',
        cluster.secretFile,
      ]);
      assert.equal(moved.code, 0, moved.stderr);
    }
    assert.equal(await cluster.waitForLeader(), 1);
    const leader = cluster.client(1);
    const ahead = cluster.client(2);
    const behind = cluster.client(3);

    // (1) Node 2's clock already says the key expired; the cluster's does not.
    assert.equal(await leader.set('k', 'v', 'PX', PX_MS), 'OK');
    const ttlBefore = await leader.ttl('k');
    const pttlBefore = await leader.pttl('k');
    assert.equal(await ahead.get('k'), 'v', 'the node 5 s ahead serves the key the leader still has');
    const [value, pttlAhead] = await getAndPttl(ahead, 'k');
    assert.equal(value, 'v');
    const ttlAhead = await ahead.ttl('k');
    const pttlAfter = await leader.pttl('k');
    const ttlAfter = await leader.ttl('k');
    // Asked in this order, the answers follow the one clock of the cluster, which only advances.
    assert.ok(typeof pttlAhead === 'number' && pttlAhead > 0, `node 2's PTTL ${String(pttlAhead)}`);
    assert.ok(pttlBefore <= PX_MS && pttlAhead <= pttlBefore && pttlAfter <= pttlAhead, 'PTTL never grows');
    assert.ok(ttlBefore >= ttlAhead && ttlAhead >= ttlAfter && ttlAhead > 0, 'TTL never grows');

    // (2) Once the leader says the key is gone, node 3 (whose clock says it has seconds to live)
    // says so too, at once: no write in between moves its time on.
    for (let polls = 0; (await leader.get('k')) !== null; polls++) {
      assert.ok(polls < 1000, 'the leader still had the key after 1000 polls');
      await sleep(20);
    }
    assert.equal(await behind.get('k'), null, 'the node 5 s behind no longer serves the key');
    assert.equal(await behind.pttl('k'), -2);
    assert.equal(await behind.ttl('k'), -2);
    assert.equal(await behind.exists('k'), 0);
    assert.deepEqual(await getAndPttl(behind, 'k'), [null, -2]);
    assert.deepEqual(await getAndPttl(ahead, 'k'), [null, -2]);
  })();
});
