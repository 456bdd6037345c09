// `little-raft local` as a supervisor (src/cli/local/): it outlives a node killed from outside
// (shown down with the signal's name, restarted after --restart-dead), and its control API kills,
// restarts, pauses, resumes, cuts off and heals real nodes and runs a load (add and remove:
// local-membership.test.ts); a bad control request is refused in one line and changes nothing; a
// second `local` on the same ports stops at the port check, before spawning anything.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Redis } from 'ioredis';

import { LocalRun } from '../support/local-run.js';

const ALL = [1, 2, 3];

function client(port: number): Redis {
  return new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: true });
}

/** SET then GET through node `id`'s Redis port. */
async function writeAndRead(run: LocalRun, id: number, key: string): Promise<void> {
  const c = client(run.redisPort(id));
  try {
    assert.equal(await c.set(key, `value of ${key}`), 'OK');
    assert.equal(await c.get(key), `value of ${key}`);
  } finally {
    c.disconnect();
  }
}

test('local survives a node killed from outside, and its controls act on real nodes', async (t) => {
  const run = await LocalRun.start(t, ['--restart-dead', '1000']);
  const first = await run.waitForLeader(ALL, 'a first leader');
  assert.equal(run.stdout.split('\n')[0], `little-raft: dashboard ${run.dashboard}/`, 'the dashboard URL comes first');

  // A second cluster on the same ports: the port error first, nothing spawned.
  const second = await LocalRun.start(t, [], run.base);
  assert.equal((await second.exited).code, 1);
  assert.equal(
    second.stderr.trim(),
    `little-raft: port 127.0.0.1:${run.base + 12} (the dashboard, --dashboard-port) is held by another process (another cluster running?); stop it or choose other ports`,
  );
  assert.equal(second.stdout, '', 'nothing printed, no node spawned');

  // kill -9 of a follower from outside: the others serve, it is shown down, it comes back.
  const follower = ALL.find((id) => id !== first.id)!;
  const { pid } = await run.node(follower);
  process.kill(pid!, 'SIGKILL');
  await run.until('the down line', () =>
    run.stdout.includes(`little-raft: node ${follower} is down (SIGKILL); restarting it in 1000 ms`),
  );
  await writeAndRead(run, first.id, 'while one is down');
  await run.until('the restart line', () => run.stdout.includes(`little-raft: node ${follower} restarted (pid `));
  assert.notEqual((await run.node(follower)).pid, pid);
  await run.caughtUp(follower, ALL);

  // kill (the button) the leader: it stays down (no auto-restart), another leads.
  await run.ok(`/local/nodes/${first.id}/kill`);
  assert.deepEqual(
    { state: (await run.node(first.id)).state, down: (await run.node(first.id)).down },
    { state: 'down', down: 'SIGKILL' },
  );
  const others = ALL.filter((id) => id !== first.id);
  const second_ = await run.waitForLeader(others, 'a new leader');
  assert.ok(second_.term > first.term);
  await writeAndRead(run, second_.id, 'after the leader was killed');
  assert.equal((await run.node(first.id)).down, 'SIGKILL', 'a killed node waits for its restart button');
  // restart: it rejoins as a follower and catches up.
  await run.ok(`/local/nodes/${first.id}/restart`);
  await run.until(`node ${first.id} to follow`, async () => (await run.status(first.id))?.role === 'follower');
  await run.caughtUp(first.id, ALL);

  // pause / resume: shown paused, the others go on, it catches up once resumed.
  const paused = others.find((id) => id !== second_.id)!;
  await run.ok(`/local/nodes/${paused}/pause`);
  assert.equal((await run.node(paused)).down, 'paused (SIGSTOP)');
  await writeAndRead(run, second_.id, 'while one is paused');
  assert.deepEqual((await run.control(`/local/nodes/${paused}/pause`)).body, {
    error: `node ${paused} is not running (paused (SIGSTOP))`,
  });
  await run.ok(`/local/nodes/${paused}/resume`);
  await run.caughtUp(paused, ALL);

  // cut off the leader: the others elect another and commit without it; heal: it catches up.
  const cut = (await run.waitForLeader(ALL)).id;
  await run.ok(`/local/nodes/${cut}/cut`);
  assert.equal((await run.node(cut)).cut, true);
  const rest = ALL.filter((id) => id !== cut);
  const restLeader = await run.waitForLeader(rest, 'a leader of the others');
  assert.notEqual(restLeader.id, cut);
  await writeAndRead(run, rest[0]!, 'while one is cut off');
  const [cutStatus, committed] = [await run.status(cut), (await run.status(restLeader.id))!.commitIndex];
  assert.ok(cutStatus!.commitIndex < committed, `the cut node has not seen the write: ${cutStatus!.commitIndex}`);
  await run.ok(`/local/nodes/${cut}/heal`);
  await run.caughtUp(cut, ALL);

  // load on: the commit index moves; off: its connections are gone.
  const before = (await run.waitForLeader(ALL)).commitIndex;
  await run.ok('/local/load', '{"on": true}');
  await run.until('the load to commit', async () => ((await run.leader(ALL))?.commitIndex ?? 0) > before + 50);
  await run.ok('/local/load', '{"on": false}');
  await run.until('the load to disconnect', async () => {
    const all = await Promise.all(ALL.map((id) => run.status(id)));
    return all.every((s) => s?.clients === 0);
  });

  // Bad requests: one line, 4xx, nothing changed.
  const view = JSON.stringify(await run.view());
  const bad: [string, string | undefined, number, string][] = [
    ['/local/nodes/9/kill', undefined, 404, 'no node 9 (nodes: 1, 2, 3)'],
    ['/local/nodes/1/explode', undefined, 404, "unknown action 'explode' (one of kill, restart, pause, resume, cut, heal, remove)"],
    ['/local/nodes/one/kill', undefined, 404, "'one' is not a node id"],
    ['/local/load', '{"on": tru', 400, 'the body is not valid JSON (send {"on": true} or {"on": false})'],
    ['/local/load', '{"on": 1}', 400, 'the body must be {"on": true} or {"on": false}'],
    ['/local/nodes/1/heal', undefined, 409, 'node 1 is not cut off'],
    ['/local/nope', undefined, 404, 'no control at /local/nope'],
  ]; // prettier-ignore
  for (const [path, body, status, error] of bad) {
    const r = await run.control(path, body);
    assert.deepEqual(r, { status, body: { error } }, path);
  }
  const get = await fetch(`${run.dashboard}/local/nodes/1/kill`);
  assert.equal(get.status, 405);
  assert.equal(JSON.stringify(await run.view()), view, 'the bad requests changed nothing');
  const stopped = await run.stop();
  assert.equal(stopped.code, 0, run.output());
  for (const v of JSON.parse(view) as { pid: number }[]) {
    assert.throws(() => process.kill(v.pid, 0), { code: 'ESRCH' }, `node process ${v.pid} is gone`);
  }
});
