// Pub/sub and snapshots, on a 3-node cluster of real `little-raft serve` processes whose peer links
// run through LinkProxies: a follower is cut off until the leader's log was compacted past it, so
// it catches up from a snapshot, which skips the PUBLISHes it covers. That node disconnects its
// subscribers rather than leave them open with a gap: what they received ends with no gap
// (support/pubsub-run.ts), and a subscriber that comes back receives everything acknowledged
// after it subscribed.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { KvTestCluster, withLogs } from '../support/kv-cluster.js';
import { eventually, PubSubRun } from '../support/pubsub-run.js';

test('a subscriber on a node that catches up from a snapshot is disconnected, never left with a gap', async (t) => {
  const cluster = await KvTestCluster.start(t, { linkProxies: true, snapshotEntries: 50 });
  const run = new PubSubRun(cluster);
  t.after(() => run.close());
  const leader = await cluster.waitForLeader();
  const [behind, other] = cluster.nodes.map((n) => n.id).filter((id) => id !== leader) as [number, number];
  const majority = [leader, other];
  const whole = [await run.subscribe(leader, 'leader'), await run.subscribe(other, 'other')];
  const lagging = [await run.subscribe(behind, 'behind0'), await run.subscribe(behind, 'behind1')];
  for (const id of majority) run.publish(id, `p${id}`);

  await withLogs(cluster, async () => {
    try {
      await run.progress('before the partition', Date.now(), majority);
      const cut = run.marks();
      cluster.links.isolate(behind);
      const left = Number((await cluster.status(behind))?.['lastLogIndex']);
      // The log is compacted past where node `behind` stopped: only a snapshot can bring it back.
      await eventually(
        async () => {
          for (const id of majority)
            if (!(Number((await cluster.status(id))?.['snapshotIndex']) > left + 100)) return false;
          return true;
        },
        () => `the log compacted past index ${left}\n${run.describe()}`,
      );
      for (const s of lagging)
        assert.deepEqual(run.receivedSince(s, cut), [], `${s.name} received messages published after the cut`);

      cluster.links.heal();
      await eventually(
        async () => Number((await cluster.status(behind))?.['snapshotIndex']) > left,
        () => `node ${behind} installs a snapshot\n${run.describe()}`,
      );
      await eventually(
        () => lagging.every((s) => s.dropped),
        () => `node ${behind} disconnects its subscribers\n${run.describe()}`,
      );
      await run.subscribe(behind, 'resubscribed');
      await run.progress('after the heal', Date.now(), majority);
    } finally {
      await Promise.all(run.publishers.map((p) => p.stop()));
    }
    await run.finish();
    assert.ok(whole.every((s) => !s.dropped));
    const published = run.check(whole);
    // The dropped ones got what came before the cut, at least: the check saw them end with no gap.
    for (const s of lagging) assert.ok(s.got.length > 0, `${s.name} received nothing`);
    t.diagnostic(`${published.length} delivered; ${run.describe()}`);
  })();
});
