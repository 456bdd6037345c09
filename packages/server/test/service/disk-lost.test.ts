// A node whose data directory was lost comes back under its old id: the cluster must not count it
// (issue: a wiped node voted a stale node into office and 50 acknowledged writes vanished), it must
// say so, and its clients must not wait for writes it can never make. Real processes, real disks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

import { KvTestCluster, httpStatus, sleep, withLogs } from '../support/kv-cluster.js';

interface Identity {
  uid: number;
  peers: Record<string, number>;
  excluded: { by: number; uid: number } | null;
}

async function identityOf(cluster: KvTestCluster, id: number): Promise<Identity | null> {
  const status = await cluster.status(id);
  return (status?.['identity'] as Identity | undefined) ?? null;
}

/** Polls `check` until it returns a value (not undefined), for at most `ms`. */
async function until<V>(what: string, check: () => V | undefined | Promise<V | undefined>, ms = 30000): Promise<V> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms: ${what}`);
    await sleep(50);
  }
}

async function health(port: number): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(2000) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

test('a node back with an empty data directory under its old id is refused; no acknowledged write is lost', async (t) => {
  const cluster = await KvTestCluster.start(t);
  await withLogs(cluster, async () => {
    const leader = await cluster.waitForLeader();
    const [stale, wiped] = cluster.nodes.map((n) => n.id).filter((id) => id !== leader);
    // Every member knows every other's identity (the leader tells its followers).
    const wipedUid = (await identityOf(cluster, wiped!))!.uid;
    await until('the stale node knows the soon-wiped node', async () =>
      (await identityOf(cluster, stale!))?.peers[String(wiped)] === wipedUid ? true : undefined,
    );
    // ... and has it on disk: what a replica only heard of is lost with it if it is killed first
    // (CI once killed it while it wrote identity.json; restarted without the uid, it could not
    // tell the wiped node from the one it knew, and the wiped node was never told it is out).
    const identityFile = join(cluster.node(stale!).dataDir, 'raft', 'identity.json');
    await until('the stale node has the soon-wiped node in its identity file', () => {
      const peers = (JSON.parse(readFileSync(identityFile, 'utf8')) as { peers: [number, number][] }).peers;
      return peers.some(([id, uid]) => id === wiped && uid === wipedUid) ? true : undefined;
    });

    // 1. The stale node goes down; 2. 50 writes through the leader, all acknowledged.
    await cluster.kill(stale!);
    const client = cluster.client(leader);
    for (let i = 0; i < 50; i++) assert.equal(await client.set(`key${i}`, `value${i}`), 'OK');
    // 3. The other follower dies, its data directory is deleted, and it starts again as itself.
    await cluster.kill(wiped!);
    rmSync(cluster.node(wiped!).dataDir, { recursive: true, force: true });
    cluster.launch(cluster.node(wiped!));
    // 4. The leader dies and the stale node comes back: the wiped node's vote must not elect it.
    await cluster.kill(leader);
    cluster.launch(cluster.node(stale!));

    // The wiped node learns it is excluded from the first member that knew it: the leader's
    // heartbeat, if it came before the leader died, or the stale node's request for a vote.
    const excluded = await until('the wiped node reports its exclusion', async () => {
      const id = await identityOf(cluster, wiped!);
      return id?.excluded ?? undefined;
    });
    assert.ok(excluded.by === leader || excluded.by === stale, `excluded by ${excluded.by}`);
    assert.equal(excluded.uid, wipedUid);
    const wipedHealth = await health(cluster.node(wiped!).httpPort);
    assert.equal(wipedHealth.status, 503);
    assert.match(String(wipedHealth.body['excluded']), /excluded from the cluster.*add this server under a new id/);
    // The log line travels through the child's stdout pipe: wait for it to arrive.
    await until('the wiped node logs what happened and what to do', () =>
      /this data directory .* is not the one the cluster knew.*add this server under a new id/.test(
        cluster.node(wiped!).output,
      )
        ? true
        : undefined,
    );

    // Without the leader there is no quorum: the stale node serves no stale read.
    const staleStatus = await cluster.status(stale!);
    assert.notEqual(staleStatus?.['role'], 'leader');
    await assert.rejects(cluster.client(stale!).get('key0'), /TRYAGAIN|TIMEOUT/);
    // The wiped node answers at once that it is out, for reads and writes alike.
    const onWiped = cluster.client(wiped!);
    await assert.rejects(onWiped.get('key0'), /excluded from the cluster/);
    await assert.rejects(onWiped.set('new', 'x'), /excluded from the cluster/);

    // The old leader returns: it and the stale node form a quorum with every acknowledged write.
    cluster.launch(cluster.node(leader));
    const newLeader = await until('a leader among the two intact nodes', async () => {
      const views = await Promise.all([leader, stale!].map((id) => httpStatus(cluster.node(id).httpPort)));
      const lead = views.find((v) => v?.['role'] === 'leader');
      if (lead && views.every((v) => v?.['leaderId'] === lead['id'])) return lead['id'] as number;
      return undefined;
    });
    assert.notEqual(newLeader, wiped);
    for (const id of [leader, stale!]) {
      const c = cluster.client(id);
      for (let i = 0; i < 50; i++) assert.equal(await c.get(`key${i}`), `value${i}`, `key${i} on node ${id}`);
    }
    // The wiped node stays out after the cluster recovers, and across its own restart.
    await cluster.kill(wiped!);
    cluster.launch(cluster.node(wiped!));
    await until('the restarted wiped node still reports its exclusion', async () =>
      (await identityOf(cluster, wiped!))?.excluded ? true : undefined,
    );
    await assert.rejects(cluster.client(wiped!).get('key0'), /excluded from the cluster/);
    assert.equal(await cluster.client(newLeader).set('after', 'yes'), 'OK');
  })();
});

test('a node whose node.json was lost numbers its batches above the incarnation the cluster knows', async (t) => {
  const cluster = await KvTestCluster.start(t);
  await withLogs(cluster, async () => {
    const leader = await cluster.waitForLeader();
    const follower = cluster.nodes.map((n) => n.id).find((id) => id !== leader)!;
    // Three starts of the follower, each applying writes: the cluster's dedupe table knows
    // incarnation 3 of it.
    for (let start = 1; start <= 3; start++) {
      if (start > 1) {
        await cluster.kill(follower);
        cluster.launch(cluster.node(follower));
        await cluster.waitForLeader();
      }
      assert.equal(await cluster.client(follower).incr('counter'), start);
    }
    // node.json goes; the Raft data stays (the node is still the member the cluster knows).
    await cluster.kill(follower);
    rmSync(join(cluster.node(follower).dataDir, 'node.json'));
    cluster.launch(cluster.node(follower));
    await cluster.waitForLeader();
    const client = cluster.client(follower);
    // Its first batch reuses a seq the cluster has seen: skipped, and answered at once as not
    // applied (TRYAGAIN), never left to time out; the next one goes through.
    let answer: number | null = null;
    let refusals = 0;
    while (answer === null) {
      try {
        answer = await client.incr('counter');
      } catch (e) {
        assert.match((e as Error).message, /^TRYAGAIN/);
        refusals++;
        assert.ok(refusals <= 5, 'still refused after five tries');
      }
    }
    // The first own batch after the restart is the one refused: the client's INCR, or the node's
    // own write of its addresses when that came first (then the INCR is numbered anew already).
    assert.ok(refusals <= 1, `${refusals} batches of the forgotten incarnation refused`);
    assert.match(cluster.node(follower).output, /numbering batches from 4/);
    assert.equal(answer, 4, 'applied once');
    assert.equal(await cluster.client(leader).get('counter'), '4');
  })();
});
