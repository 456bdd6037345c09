// End to end: an old leader cut off from the cluster never answers a read with stale data.
// SIGSTOP freezes the leader (to the others it is partitioned away); they elect a new leader and
// take a write; a GET sent to the frozen old leader is answered once it thaws, and must show the
// new value (or fail), never the old one: reads go through a ReadIndex round, and a leader that
// cannot confirm its leadership with a quorum does not answer from its own state.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { KvTestCluster, sleep } from '../support/kv-cluster.js';

test('a partitioned old leader never serves a stale read', async (t) => {
  const cluster = await KvTestCluster.start(t);
  for (let round = 0; round < 2; round++) {
    const oldLeader = await cluster.waitForLeader();
    const key = `fenced:${round}`;
    const oldClient = cluster.client(oldLeader);
    assert.equal(await oldClient.set(key, 'old'), 'OK');
    assert.equal(await oldClient.get(key), 'old');

    const frozen = cluster.node(oldLeader).process!;
    frozen.kill('SIGSTOP');
    try {
      // The other two elect a leader among themselves.
      const others = cluster.nodes.filter((n) => n.id !== oldLeader).map((n) => n.id);
      let newLeader: number | null = null;
      const deadline = Date.now() + 20000;
      while (newLeader === null) {
        assert.ok(Date.now() < deadline, 'no new leader among the other two within 20 s');
        const views = await Promise.all(others.map((id) => cluster.status(id)));
        const leader = views.find((v) => v?.['role'] === 'leader');
        if (leader) newLeader = leader['id'] as number;
        else await sleep(50);
      }
      assert.equal(await cluster.client(newLeader).set(key, 'new'), 'OK');

      // Sent while the old leader is frozen: it reads the request only after it thaws.
      const staleRead = oldClient.get(key);
      const staleWrite = oldClient.incr(`${key}:count`);
      frozen.kill('SIGCONT');
      const value: string = await staleRead.then(
        (v) => v ?? '(nil)',
        (e: Error) => `error: ${e.message}`,
      );
      assert.ok(value === 'new' || value.startsWith('error: '), `the old leader answered ${String(value)}`);
      assert.notEqual(value, 'old');
      // A write sent to the old leader is applied once, through whoever leads now.
      const counted = await staleWrite.then(
        (n) => n,
        () => null,
      );
      if (counted !== null) assert.equal(counted, 1);
    } finally {
      frozen.kill('SIGCONT');
    }
    // Everyone converges on the new value.
    await cluster.waitForLeader();
    for (const node of cluster.nodes) assert.equal(await cluster.client(node.id).get(key), 'new');
  }
});
