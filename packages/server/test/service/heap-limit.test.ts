// End to end (issue 16): a node whose --maxmemory its default V8 heap cannot hold runs itself again
// with a heap that can (cli/heap-limit.ts), and the process that was started stays its handle: it
// relays SIGTERM and exits as the node does, and a SIGKILL of it ends the node too. Its heap grows
// by 30% between full collections unless node was told otherwise (node/heap-growth.ts).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { getHeapStatistics } from 'node:v8';

import { KvTestCluster, withLogs } from '../support/kv-cluster.js';
import { eventually } from '../support/eventually.js';
import { RespClient } from '../support/resp-client.js';
import { heapNeeded } from '../../src/cli/heap-limit.js';

const MiB = 1024 * 1024;

/** Field `name` of INFO `section` on `port`. */
async function infoField(port: number, section: string, name: string): Promise<string | undefined> {
  const client = await RespClient.connect(port);
  try {
    const r = await client.command('info', section);
    const text = r.value.type === 'bulk' ? r.value.data.toString() : '';
    return new RegExp(`^${name}:(.*)\r$`, 'm').exec(text)?.[1];
  } finally {
    client.close();
  }
}

/** Whether process `pid` has ended (gone, or a zombie nobody has reaped yet). */
function ended(pid: number): boolean {
  try {
    return /^\d+ \(.*\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true;
  }
}

test('--maxmemory above the default heap: the node gets a heap that fits, behind a relaying parent', async (t) => {
  // The same node binary and defaults as the test's own process.
  const maxmemory = (Math.ceil(getHeapStatistics().heap_size_limit / MiB) + 1024) * MiB;
  const cluster = await KvTestCluster.start(t, { nodes: 1, extraArgs: ['--maxmemory', String(maxmemory)] });
  const node = cluster.node(1);
  await withLogs(cluster, async () => {
    const nodePid = async (): Promise<number> => Number(await infoField(node.redisPort, 'server', 'process_id'));
    assert.equal(await infoField(node.redisPort, 'memory', 'maxmemory'), String(maxmemory));
    const heap = Number(await infoField(node.redisPort, 'memory', 'node_heap_size_limit'));
    assert.ok(heap >= heapNeeded(maxmemory), `heap limit ${heap} fits ${maxmemory}`);

    // The node is a child of the process started; it serves.
    const child = await nodePid();
    assert.notEqual(child, node.process?.pid);
    assert.match(readFileSync(`/proc/${child}/status`, 'utf8'), new RegExp(`^PPid:\\s+${node.process?.pid}$`, 'm'));
    const client = await RespClient.connect(node.redisPort);
    assert.equal((await client.command('set', 'k', 'v')).value.type, 'simple');
    client.close();

    // SIGTERM to the parent stops the node cleanly, and the parent exits as it did.
    assert.deepEqual(await cluster.kill(1, 'SIGTERM'), { code: 0, signal: null });
    assert.ok(ended(child), 'the node has exited with its parent');

    // SIGKILL of the parent: the node dies too (it would keep the data directory and ports).
    cluster.launch(node);
    await cluster.waitForLeader();
    const second = await nodePid();
    assert.deepEqual(await cluster.kill(1, 'SIGKILL'), { code: null, signal: 'SIGKILL' });
    await eventually(() => ended(second), `node process ${second} to end after its parent's SIGKILL`);
  })();
});

test("the heap grows 30% between full collections, or as much as node's own flag says", async (t) => {
  const ours = await KvTestCluster.start(t, { nodes: 1 });
  assert.equal(await infoField(ours.node(1).redisPort, 'memory', 'node_heap_growing_percent'), '30');
  const given = await KvTestCluster.start(t, { nodes: 1, nodeFlags: ['--heap-growing-percent=60'] });
  assert.equal(await infoField(given.node(1).redisPort, 'memory', 'node_heap_growing_percent'), '60');
});
