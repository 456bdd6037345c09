// `little-raft local`'s add and remove controls (src/cli/local/): an added node is a member that
// serves, a removed one leaves the cluster and its process exits; with --no-restart-dead, a node
// killed from outside stays down while the others serve.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Redis } from 'ioredis';

import { LocalRun } from '../support/local-run.js';

const ALL = [1, 2, 3];

/** SET then GET through node `id`'s Redis port. */
async function writeAndRead(run: LocalRun, id: number, key: string): Promise<void> {
  const c = new Redis({ port: run.redisPort(id), host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0 });
  try {
    assert.equal(await c.set(key, `value of ${key}`), 'OK');
    assert.equal(await c.get(key), `value of ${key}`);
  } finally {
    c.disconnect();
  }
}

test('local adds a member that serves, and removes it', async (t) => {
  const run = await LocalRun.start(t, ['--no-restart-dead']);
  await run.waitForLeader(ALL);
  assert.deepEqual(await run.ok('/local/nodes'), { id: 4 });
  await run.until('node 4 to be a voter', async () => (await run.leader(ALL))?.voters.includes(4) === true);
  await writeAndRead(run, 4, 'through the added node');
  await run.caughtUp(4, [...ALL, 4]);
  // Paused, killed and cut-off states of an added node work as of the others but cut (no proxy).
  assert.deepEqual((await run.control('/local/nodes/4/cut')).body, {
    error: 'node 4 was added while running: its links do not go through the proxies',
  });
  const { pid } = await run.node(4);
  await run.ok('/local/nodes/4/remove');
  assert.deepEqual(
    (await run.view()).map((v) => v.id),
    ALL,
  );
  assert.throws(() => process.kill(pid!, 0), { code: 'ESRCH' }, 'the removed node exited');
  const leader = await run.waitForLeader(ALL);
  assert.deepEqual([...leader.voters, ...leader.learners].sort(), ALL);
  assert.ok(run.stdout.includes('little-raft: node 4 left the cluster'), run.output());
  // --no-restart-dead: a node killed from outside stays down.
  const { pid: pid1 } = await run.node(1);
  process.kill(pid1!, 'SIGKILL');
  await run.until('the down line', () =>
    run.stdout.includes('little-raft: node 1 is down (SIGKILL); the others go on'),
  );
  assert.equal((await run.node(1)).down, 'SIGKILL');
  await writeAndRead(run, 2, 'with node 1 down');
  // Ctrl-C with a node paused: it is woken (SIGCONT) to stop cleanly like the others.
  await run.ok('/local/nodes/3/pause');
  const pids = (await run.view()).map((v) => v.pid).filter((pid) => pid !== null);
  const stopped = await run.stop();
  assert.equal(stopped.code, 0, run.output());
  for (const p of pids) assert.throws(() => process.kill(p, 0), { code: 'ESRCH' }, `node process ${p} is gone`);
});
