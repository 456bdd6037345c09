// Backups end to end: `little-raft backup` of a cluster under write load, `little-raft restore` of
// every member of a NEW 3-node cluster from that one file. Every write acknowledged before the
// backup was asked for is in the new cluster; the new cluster has an identity of its own (its
// peers cannot talk to the old cluster's, which has none); a damaged backup is refused whole.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

import { KvTestCluster, sleep, withLogs } from '../support/kv-cluster.js';
import { eventually } from '../support/eventually.js';

test('a backup taken under load restores into a new cluster with every write acknowledged before it', async (t) => {
  const old = await KvTestCluster.start(t);
  const file = join(old.dir, 'cluster.backup');
  // Two writers on different nodes, each SETting its own keys once: w<writer>:<n> = n.
  const acked: { key: string; value: string; at: number }[] = [];
  let writing = true;
  const writers = [1, 2].map(async (id) => {
    const client = old.client(id);
    for (let n = 0; writing; n++) {
      const key = `w${id}:${n}`;
      try {
        await client.set(key, String(n));
        acked.push({ key, value: String(n), at: performance.now() });
      } catch {
        await sleep(20); // a write that failed is not counted either way
      }
    }
  });
  await withLogs(old, async () => {
    // Enough writes first (counted, not timed: the machine may be slow).
    await eventually(() => acked.length >= 100, '100 writes acknowledged', 60_000);
    const askedAt = performance.now();
    const r = await old.cli(['backup', '--node', `127.0.0.1:${old.node(3).httpPort}`, '--secret-file', old.secretFile, '--out', file]); // prettier-ignore
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^backup of cluster little-raft at index \d+: \d+ bytes -> /);
    await sleep(500); // writes go on after the backup: those need not be in it
    writing = false;
    await Promise.all(writers);
    const before = acked.filter((w) => w.at < askedAt);
    assert.ok(before.length >= 100, `${before.length} writes before the backup`);
    t.diagnostic(`${before.length} writes acknowledged before the backup, ${acked.length - before.length} after`);

    // A damaged copy is refused whole: no data directory is made.
    const bytes = readFileSync(file);
    const damaged = Buffer.from(bytes);
    damaged[Math.floor(bytes.length / 2)]! ^= 0x40;
    writeFileSync(join(old.dir, 'damaged.backup'), damaged);
    const bad = await old.cli(['restore', '--from', join(old.dir, 'damaged.backup'), '--id', '1', '--peers', '1=127.0.0.1:1', '--data', join(old.dir, 'never')]); // prettier-ignore
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /checksum mismatch: the file is damaged/);
    assert.equal(bad.stderr.trim().split('\n').length, 1, bad.stderr);
    assert.equal(existsSync(join(old.dir, 'never')), false);

    // Every member of the new cluster is restored from the same file.
    const restored = await KvTestCluster.start(t, {
      snapshotEntries: 20,
      prepare: async (c) => {
        for (const node of c.nodes) {
          const peers = c.peersOf(node);
          const rr = await c.cli(['restore', '--from', file, '--id', String(node.id), '--peers', peers, '--data', node.dataDir]); // prettier-ignore
          assert.equal(rr.code, 0, rr.stderr);
        }
      },
    });
    await withLogs(restored, async () => {
      for (const id of [1, 2, 3]) {
        const client = restored.client(id);
        const values = await client.mget(before.map((w) => w.key));
        const missing = before.filter((w, i) => values[i] !== w.value);
        assert.deepEqual(missing.slice(0, 5), [], `node ${id}: ${missing.length} acknowledged writes missing`);
      }
      // The new cluster takes writes, and its identity is its own.
      assert.equal(await restored.client(1).set('after-restore', 'yes'), 'OK');
      const ids = await Promise.all(
        [old, restored].map(async (c) => {
          const r = await c.cli(['member', 'list', '--json', '--node', `127.0.0.1:${c.node(1).httpPort}`, '--secret-file', c.secretFile]); // prettier-ignore
          assert.equal(r.code, 0, r.stderr);
          const s = (await c.status(1))!;
          const id = s['clusterId'];
          return typeof id === 'string' ? id : null;
        }),
      );
      assert.equal(ids[0], null, 'the old cluster has no cluster id');
      assert.match(ids[1] ?? '', /^[0-9a-f]{32}$/, 'the restored cluster has one');

      // Once a member has a snapshot of its own, a restart retires the restored backup (it is not
      // read again), and the member still has every write.
      const backupIndex = Number(/at index (\d+)/.exec(r.stdout)![1]);
      for (let n = 0; n < 60; n++) await restored.client(1).set(`later:${n}`, String(n));
      const node2 = restored.node(2);
      await eventually(
        async () => Number((await restored.status(2))?.['snapshotIndex'] ?? 0) > backupIndex,
        'node 2 takes a snapshot of its own',
      );
      assert.ok(
        existsSync(join(node2.dataDir, 'restore.backup')),
        'the backup is kept until a start finds it superseded',
      );
      for (let restart = 0; restart < 2; restart++) {
        await restored.kill(2, 'SIGTERM');
        restored.launch(node2);
        await restored.waitForLeader();
        await eventually(async () => (await restored.status(2)) !== null, 'node 2 serves again');
      }
      assert.equal(existsSync(join(node2.dataDir, 'restore.backup')), false, 'the superseded backup is removed');
      const plan = JSON.parse(readFileSync(join(node2.dataDir, 'restore.json'), 'utf8')) as { done?: boolean };
      assert.equal(plan.done, true);
      const two = restored.client(2);
      assert.equal(await two.get('later:59'), '59');
      const values = await two.mget(before.map((w) => w.key));
      assert.equal(values.filter((v, i) => v !== before[i]!.value).length, 0, 'node 2 lost restored writes');
    })();
  })();
});
