// KvNode's membership wiring with real nodes in this process: a node that joins as a learner, and
// what it says when no member answers it any more.
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { test, type TestContext } from 'node:test';

import { pino } from 'pino';

import { KvNode } from '../../src/node/node.js';
import { createHttpServer } from '../../src/ops/http.js';
import type { KvMetrics } from '../../src/ops/metrics.js';
import { freePorts, until } from '../../../little-raft/test/support/tcp.js';
import { tempDir } from '../../../little-raft/test/support/temp-dir.js';

const silent = pino({ level: 'silent' });
const ELECTION: [number, number] = [100, 200];

/** GET /health of `n`: the status code and the body. */
async function health(t: TestContext, n: KvNode): Promise<[number, Record<string, unknown>]> {
  const server = createHttpServer(n, null as unknown as KvMetrics, () => ({ redis: '', http: '', connections: 0 }), {
    authenticate: null,
    backup: () => Promise.resolve(),
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => server.close());
  const r = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/health`);
  return [r.status, (await r.json()) as Record<string, unknown>];
}

/**
 * A started node, stopped after `t`. Its data directory (tempDir() without `t`) goes at exit: a
 * test's after-hooks run in the order registered, so it would go before the node stopped.
 */
async function node(t: TestContext, o: ConstructorParameters<typeof KvNode>[0]): Promise<KvNode> {
  const n = new KvNode(o);
  t.after(() => n.stop());
  await n.start();
  return n;
}

test('a learner whose leader is gone says that no member answers it (it never campaigns, so it keeps the old leader id)', async (t) => {
  const [p1, p2] = (await freePorts(2)) as [number, number];
  const leader = await node(t, {
    id: 1,
    peers: { 1: `127.0.0.1:${p1}` },
    dataDir: tempDir(),
    logger: silent,
    insecure: true,
    electionTimeoutRange: ELECTION,
    // Node 2 must stay a learner: promoted, it would campaign once the leader is gone.
    autoPromote: false,
  });
  await until(() => leader.leaderId === 1, 'node 1 leads');
  const learner = await node(t, {
    id: 2,
    peers: { 1: `127.0.0.1:${p1}` },
    raft: `127.0.0.1:${p2}`,
    join: true,
    dataDir: tempDir(),
    logger: silent,
    insecure: true,
    electionTimeoutRange: ELECTION,
  });
  await leader.membership!.add(2, { raft: `127.0.0.1:${p2}`, redis: null, http: null });
  await until(() => learner.isMember() && learner.leaderId === 1, 'node 2 is a learner that knows its leader', 20_000);
  assert.equal(learner.problem, null);
  assert.deepEqual(await health(t, learner), [200, { ok: true, role: 'learner', leaderId: 1 }]);

  await leader.stop();
  await until(() => learner.problem !== null, 'node 2 says no member answers', 20_000);
  assert.match(
    learner.problem!,
    /^no member answers: none of 1 \(127\.0\.0\.1:\d+\) accepts a connection from this node/,
  );
  assert.equal(learner.status()!.role, 'learner', 'a learner, not a candidate');
  assert.deepEqual(await health(t, learner), [
    503,
    { ok: false, role: 'learner', leaderId: 1, problem: learner.problem },
  ]);
});
