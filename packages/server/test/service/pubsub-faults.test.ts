// Pub/sub under a network partition and a leader kill, on a 3-node cluster of real `little-raft
// serve` processes whose peer links run through LinkProxies. Subscribers on every node; on every
// node, publishers publishing numbered messages one at a time. The leader is cut off from the
// others (its clients stay connected to it), the network heals, then the leader is SIGKILLed and
// restarted. Checked (support/pubsub-run.ts): one log order for every subscriber, nothing twice,
// each publisher's acknowledged messages in order, every one of them delivered; the killed node's
// subscribers got a prefix of it, new ones on the restarted node the rest. And: nothing published
// after the cut reaches the cut-off node's subscribers before the heal, and everything
// acknowledged meanwhile does after it (late, not never); its publishers get errors, not
// acknowledgements, while it is cut off; PUBSUB NUMSUB counts every node's subscribers again once
// the gossip's links are back.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { KvTestCluster, withLogs } from '../support/kv-cluster.js';
import { eventually, PubSubRun } from '../support/pubsub-run.js';

test('pub/sub under a partition of the leader and a leader kill: one log order, nothing twice, nothing acknowledged lost', async (t) => {
  const cluster = await KvTestCluster.start(t, { linkProxies: true });
  const run = new PubSubRun(cluster);
  t.after(() => run.close());
  const all = cluster.nodes.map((n) => n.id);
  for (const id of all) for (let i = 0; i < 2; i++) await run.subscribe(id, `s${id}.${i}`);
  for (const id of all) for (let i = 0; i < 2; i++) run.publish(id, `p${id}.${i}`);
  await run.counted(run.subscribers.length, 'at the start');
  const fromStart = [...run.subscribers];

  await withLogs(cluster, async () => {
    try {
      await run.progress('before the partition', Date.now(), all);

      // ---- the leader cut off from the others; its clients stay connected to it -------------
      const isolated = await cluster.waitForLeader();
      const majority = all.filter((id) => id !== isolated);
      const cut = run.marks();
      const cutAt = Date.now();
      cluster.links.isolate(isolated);
      await cluster.waitForLeader(20000, majority);
      await run.progress(`node ${isolated} cut off`, cutAt, majority);
      // Its own publishers get an answer, an error: a write there cannot commit.
      const cutOff = run.publishers.filter((p) => p.nodeId === isolated);
      await eventually(
        () => cutOff.every((p) => p.lastError > cutAt),
        () => `node ${isolated}'s publishers answered while it is cut off\n${run.describe()}`,
      );
      // Nothing published after the cut was acknowledged on the cut-off node, or reached its subscribers.
      for (const p of cutOff) {
        const early = p.acked.filter((n) => n >= cut.get(p.name)!);
        assert.deepEqual(early, [], `${p.name} on node ${isolated} acknowledged while cut off`);
      }
      const minority = run.subscribers.filter((s) => s.nodeId === isolated);
      for (const s of minority) {
        assert.deepEqual(
          run.receivedSince(s, cut),
          [],
          `${s.name} on node ${isolated} received messages published after the cut`,
        );
      }
      const ackedWhileCut = run.ackedSince(cut);

      const healedAt = Date.now();
      cluster.links.heal();
      await cluster.waitForLeader(20000);
      await run.progress('after the heal', healedAt, all);
      // Late, not never: what was acknowledged during the cut reaches the cut-off node's subscribers.
      await eventually(
        () => minority.every((s) => ackedWhileCut.every((m) => s.got.includes(m))),
        () =>
          `the subscribers on node ${isolated} receive the ${ackedWhileCut.length} messages acknowledged while it was cut off\n${run.describe()}`,
      );
      await run.counted(run.subscribers.length, 'after the heal');

      // ---- the leader killed and restarted ---------------------------------------------------
      const killed = await cluster.waitForLeader();
      const survivors = all.filter((id) => id !== killed);
      const killedAt = Date.now();
      await cluster.kill(killed, 'SIGKILL');
      await cluster.waitForLeader(20000, survivors);
      await run.progress(`node ${killed} killed`, killedAt, survivors);
      cluster.launch(cluster.node(killed));
      await cluster.waitForLeader(30000);
      // Its old subscribers' connections ended; new ones subscribe there.
      for (let i = 0; i < 2; i++) await run.subscribe(killed, `s${killed}.late${i}`);
      await run.progress(`node ${killed} restarted`, Date.now(), all);
      for (const s of run.subscribers) {
        const expected = fromStart.includes(s) && s.nodeId === killed;
        assert.equal(s.dropped, expected, `${s.name}: only the killed node's first subscribers lost their connection`);
      }
    } finally {
      await Promise.all(run.publishers.map((p) => p.stop()));
    }
    await run.counted(run.subscribers.filter((s) => !s.dropped).length, 'at the end');
    await run.finish();
    const published = run.check(fromStart.filter((s) => !s.dropped));
    t.diagnostic(`${run.acked()} published acknowledged, ${published.length} delivered; ${run.describe()}`);
  })();
});
