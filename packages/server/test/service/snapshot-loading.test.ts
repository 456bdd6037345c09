// Snapshots loaded in slices, through real processes: a restarted node says LOADING (Redis's
// error, INFO loading:1) until its snapshot is in, and answers again after; a follower that
// catches up through a snapshot install while its own clients write answers each write with its
// result or with the error that says it was applied, and every write is applied exactly once.
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';

import { Redis } from 'ioredis';

import { httpStatus, KvTestCluster, sleep, withLogs } from '../support/kv-cluster.js';

const LOADING = 'LOADING Redis is loading the dataset in memory';

async function snapshotIndexOf(cluster: KvTestCluster, id: number): Promise<number> {
  const status = await httpStatus(cluster.node(id).httpPort);
  return Number(status?.['snapshotIndex'] ?? 0);
}

/** Three nodes whose links a test can cut, writes waiting long for a leader; its leader and a follower. */
async function metricsOf(cluster: KvTestCluster, id: number): Promise<string> {
  return (await fetch(`http://127.0.0.1:${cluster.node(id).httpPort}/metrics`)).text();
}

async function partitionableCluster(
  t: TestContext,
): Promise<{ cluster: KvTestCluster; leader: number; follower: number }> {
  const cluster = await KvTestCluster.start(t, {
    snapshotEntries: 20,
    linkProxies: true,
    extraArgs: ['--request-timeout', '60000', '--log-level', 'info'],
  });
  const leader = await cluster.waitForLeader();
  const follower = cluster.nodes.map((n) => n.id).find((id) => id !== leader)!;
  return { cluster, leader, follower };
}

/** Polls `probe` until it returns a value, for at most `ms`. */
async function until<V>(what: string, probe: () => Promise<V | undefined>, ms = 30_000): Promise<V> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const value = await probe();
    if (value !== undefined) return value;
    await sleep(20);
  }
  throw new Error(`${what}: not within ${ms} ms`);
}

test('a restarted node answers LOADING while its snapshot loads, then serves the data it holds', async (t) => {
  const hold = join(await import('node:os').then((os) => os.tmpdir()), `little-raft-hold-${process.pid}-${Date.now()}`);
  t.after(() => rmSync(hold, { force: true }));
  const cluster = await KvTestCluster.start(t, {
    snapshotEntries: 20,
    extraArgs: ['--hold-load-while', hold, '--log-level', 'info'],
  });
  await withLogs(cluster, async () => {
    const leader = await cluster.waitForLeader();
    const follower = cluster.nodes.map((n) => n.id).find((id) => id !== leader)!;
    const writer = cluster.client(leader);
    for (let i = 0; i < 50; i++) {
      const pipeline = writer.pipeline();
      for (let k = 0; k < 200; k++) pipeline.set(`key:${i * 200 + k}`, `value ${i * 200 + k}`);
      await pipeline.exec();
      await writer.incr('entries'); // one more log entry per round: snapshots follow
    }
    await until('the follower takes a snapshot', async () =>
      (await snapshotIndexOf(cluster, follower)) > 0 ? true : undefined,
    );

    await cluster.kill(follower);
    writeFileSync(hold, 'held');
    cluster.launch(cluster.node(follower));
    // Without the ready check: ioredis, as redis-cli --wait would, holds commands back while INFO
    // says loading:1; this test wants to see what the node answers meanwhile.
    const client = new Redis({
      port: cluster.node(follower).redisPort,
      host: '127.0.0.1',
      enableReadyCheck: false,
      maxRetriesPerRequest: 0,
      retryStrategy: () => 50,
    });
    client.on('error', () => undefined);
    t.after(() => client.disconnect());
    const refusal = await until('GET answers LOADING', async () => {
      try {
        await client.get('key:1');
        return undefined;
      } catch (e) {
        const message = (e as Error).message;
        return message.startsWith('LOADING') ? message : undefined;
      }
    });
    assert.equal(refusal, LOADING);
    await assert.rejects(client.set('key:1', 'changed'), (e: Error) => e.message === LOADING, 'writes too');
    await assert.rejects(client.ping(), (e: Error) => e.message === LOADING, 'PING too, as in Redis');
    // In MULTI the refused command spoils the transaction, as in Redis: EXEC runs nothing.
    await assert.rejects(client.multi().set('key:1', 'changed').exec(), (e: Error) => /^EXECABORT/.test(e.message));
    assert.match(await client.info('persistence'), /^loading:1$/m);

    rmSync(hold);
    const value = await until('GET serves again', async () => {
      try {
        return (await client.get('key:9999')) ?? undefined;
      } catch {
        return undefined;
      }
    });
    assert.equal(value, 'value 9999');
    assert.equal(await client.get('entries'), '50');
    assert.match(await client.info('persistence'), /^loading:0$/m);
    const output = cluster.node(follower).output;
    assert.match(output, /loading the snapshot at index \d+/);
    assert.match(output, /snapshot at index \d+ loaded: \d+ keys/);
    // And /metrics says how long: the take on the leader, the load from disk on the restarted node.
    const metrics = (id: number): Promise<string> => metricsOf(cluster, id);
    assert.match(await metrics(follower), /^little_raft_snapshots_total\{phase="load"\} 1$/m);
    assert.match(await metrics(leader), /^little_raft_snapshots_total\{phase="take"\} [1-9]\d*$/m);
    assert.match(await metrics(leader), /^little_raft_snapshot_last_duration_seconds\{phase="take"\} \d/m);
  })();
});

test('a follower installing a snapshot while its clients write answers every write, each applied once', async (t) => {
  const { cluster, leader, follower } = await partitionableCluster(t);
  await withLogs(cluster, async () => {
    // The follower's log holds at most what the leader's holds now.
    const last = Number((await httpStatus(cluster.node(leader).httpPort))?.['lastLogIndex']);
    cluster.links.isolate(follower);
    // Its clients write while it is cut off: the writes wait for a leader.
    const clients = [cluster.client(follower), cluster.client(follower), cluster.client(follower)];
    const answers = Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        clients[i % 3]!.incr(`counter:${i % 5}`).then(
          (n) => ({ ok: true as const, n }),
          (e: Error) => ({ ok: false as const, message: e.message }),
        ),
      ),
    );
    // The others go on far enough that the leader's log no longer holds what the follower lacks.
    const writer = cluster.client(leader);
    for (let i = 0; i < 100; i++) await writer.set(`other:${i}`, String(i));
    await until('the leader compacts its log', async () =>
      (await snapshotIndexOf(cluster, leader)) > last ? true : undefined,
    );
    cluster.links.heal();

    const results = await answers;
    for (const r of results) {
      if (!r.ok) assert.match(r.message, /^ERR the write was applied; /, 'a write is answered, never TIMEOUT');
    }
    // Every INCR was applied once: the counters add up to the writes made.
    let total = 0;
    for (let c = 0; c < 5; c++) total += Number(await writer.get(`counter:${c}`));
    assert.equal(total, 30);
    assert.match(
      cluster.node(follower).output,
      /loading the snapshot at index \d+/,
      'the follower caught up by a snapshot',
    );
    assert.equal(await cluster.client(follower).get('other:99'), '99');
    // Each phase of the snapshot's way is timed and logged: taken and written by the leader, sent to
    // the follower, installed and written there.
    const leaderMetrics = await metricsOf(cluster, leader);
    for (const phase of ['take', 'write', 'send'])
      assert.match(
        leaderMetrics,
        new RegExp(`^little_raft_snapshot_last_duration_seconds\\{phase="${phase}"\\} \\d`, 'm'),
      );
    const followerMetrics = await metricsOf(cluster, follower);
    for (const phase of ['install', 'write'])
      assert.match(followerMetrics, new RegExp(`^little_raft_snapshots_total\\{phase="${phase}"\\} [1-9]`, 'm'));
    assert.match(cluster.node(leader).output, new RegExp(`sending the snapshot at index \\d+ to node ${follower}`));
    assert.match(
      cluster.node(leader).output,
      new RegExp(`snapshot at index \\d+ sent to node ${follower}: \\d+ bytes`),
    );
  })();
});
