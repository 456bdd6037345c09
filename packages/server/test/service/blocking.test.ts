// End to end: the blocking list commands (BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP) on a 3-node
// cluster of real `little-raft serve` processes. A client blocks on the node it is connected to
// and is woken by writes on any node; this node's clients are served first come, first served;
// timeouts answer nil (RESP2 and RESP3 bytes as Redis 7.0); a blocked connection runs nothing after
// its blocking command; a client that disconnects while blocked takes nothing; and under leader
// kills, with producers and consumers on every node, no element is popped twice or lost.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import type { Redis } from 'ioredis';

import { KvTestCluster, sleep, withLogs } from '../support/kv-cluster.js';
import { encodeCommand, RawClient } from '../support/resp-raw.js';

/** Polls `check` until it returns true; fails with `what` after `ms`. */
async function eventually(check: () => boolean | Promise<boolean>, what: string, ms = 10000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for: ${what}`);
    await sleep(20);
  }
}

/** INFO's blocked_clients of a node. */
async function blockedClients(admin: Redis): Promise<number> {
  const match = /blocked_clients:(\d+)/.exec(await admin.info('clients'));
  assert.ok(match, 'INFO clients has blocked_clients');
  return Number(match[1]);
}

test('blocking commands on a 3-node cluster', async (t) => {
  const cluster = await KvTestCluster.start(t);
  const leader = await cluster.waitForLeader();
  const [a, b] = cluster.nodes.filter((n) => n.id !== leader).map((n) => n.id) as [number, number];
  const admin = new Map(cluster.nodes.map((n) => [n.id, cluster.client(n.id)]));
  const on = (id: number): Redis => admin.get(id)!;
  const untilBlocked = (id: number, n: number): Promise<void> =>
    eventually(async () => (await blockedClients(on(id))) === n, `${n} clients blocked on node ${id}`);
  /** Every node answers `key`'s whole list with `expected` (reads are linearizable). */
  const listEverywhere = async (key: string, expected: string[]): Promise<void> => {
    for (const n of cluster.nodes) assert.deepEqual(await on(n.id).lrange(key, 0, -1), expected, `node ${n.id}`);
  };

  await t.test(
    'a BLPOP on a follower is woken by a push on another follower, and by one on the leader',
    withLogs(cluster, async () => {
      const waiter = cluster.client(a);
      const popped = waiter.blpop('q1', 0);
      await untilBlocked(a, 1);
      assert.equal(await on(b).lpush('q1', 'x'), 1);
      assert.deepEqual(await popped, ['q1', 'x']);
      await untilBlocked(a, 0);
      await listEverywhere('q1', []);

      const again = waiter.brpop('q1', 0);
      await untilBlocked(a, 1);
      assert.equal(await on(leader).rpush('q1', 'y', 'z'), 2);
      assert.deepEqual(await again, ['q1', 'z']);
      await listEverywhere('q1', ['y']);
    }),
  );

  await t.test(
    "two clients blocked on one node are served in the order they blocked (Redis's order)",
    withLogs(cluster, async () => {
      const [c1, c2] = [cluster.client(a), cluster.client(a)];
      const p1 = c1.blpop('q2', 0);
      await untilBlocked(a, 1);
      const p2 = c2.blpop('q2', 0);
      await untilBlocked(a, 2);
      await on(b).rpush('q2', 'first', 'second'); // both woken at once: the first blocked pops first
      assert.deepEqual(await p1, ['q2', 'first']);
      assert.deepEqual(await p2, ['q2', 'second']);

      // One element at a time: only the first waiter is served; the second keeps waiting.
      const p3 = c1.blpop('q2', 0);
      await untilBlocked(a, 1);
      const p4 = c2.blpop('q2', 0);
      await untilBlocked(a, 2);
      await on(leader).rpush('q2', 'one');
      assert.deepEqual(await p3, ['q2', 'one']);
      await untilBlocked(a, 1);
      await on(b).rpush('q2', 'two');
      assert.deepEqual(await p4, ['q2', 'two']);
      await listEverywhere('q2', []);
    }),
  );

  await t.test(
    'timeouts answer nil: *-1 in RESP2 and _ in RESP3, for every blocking list command',
    withLogs(cluster, async () => {
      assert.equal(await cluster.client(a).blpop('nothing', 0.05), null);
      for (const resp3 of [false, true]) {
        const raw = await RawClient.connect(cluster.node(a).redisPort, resp3);
        const nil = resp3 ? '_\r\n' : '*-1\r\n';
        assert.equal(await raw.send(['BLPOP', 'nothing', 'other', '0.05']), nil);
        assert.equal(await raw.send(['BRPOP', 'nothing', '0.01']), nil);
        assert.equal(await raw.send(['BLMOVE', 'nothing', 'dst', 'LEFT', 'RIGHT', '0.01']), nil);
        assert.equal(await raw.send(['BRPOPLPUSH', 'nothing', 'dst', '0.01']), nil);
        assert.equal(await raw.send(['BLMPOP', '0.01', '2', 'nothing', 'other', 'LEFT', 'COUNT', '3']), nil);
        raw.close();
      }
      await untilBlocked(a, 0);
      // A timed-out client took nothing: a later element stays.
      await on(b).rpush('nothing', 'stays');
      await on(a).set('barrier', '1'); // after anything node a would have started on that push
      await listEverywhere('nothing', ['stays']);
      await on(leader).del('nothing');
    }),
  );

  await t.test(
    'errors come at once: bad timeouts, wrong types; inside MULTI a blocking command answers nil at once',
    withLogs(cluster, async () => {
      const raw = await RawClient.connect(cluster.node(a).redisPort);
      assert.equal(await raw.send(['BLPOP', 'q', 'abc']), '-ERR timeout is not a float or out of range\r\n');
      assert.equal(await raw.send(['BLPOP', 'q', '-1']), '-ERR timeout is negative\r\n');
      assert.equal(await raw.send(['BLMPOP', '0', '0', 'q', 'LEFT']), '-ERR numkeys should be greater than 0\r\n');
      await on(b).set('str', 'x');
      const wrongType = '-WRONGTYPE Operation against a key holding the wrong kind of value\r\n';
      assert.equal(await raw.send(['BLPOP', 'empty', 'str', '0']), wrongType);
      assert.equal(await raw.send(['BLMOVE', 'str', 'd', 'LEFT', 'LEFT', '0']), wrongType);
      assert.equal(await raw.send(['MULTI']), '+OK\r\n');
      assert.equal(await raw.send(['BLPOP', 'empty', '0']), '+QUEUED\r\n');
      assert.equal(await raw.send(['BLMOVE', 'empty', 'd', 'LEFT', 'LEFT', '0']), '+QUEUED\r\n');
      assert.equal(await raw.send(['BLMPOP', '0', '1', 'empty', 'RIGHT']), '+QUEUED\r\n');
      assert.equal(await raw.send(['EXEC']), '*3\r\n*-1\r\n$-1\r\n*-1\r\n');
      raw.close();
      assert.equal(await blockedClients(on(a)), 0);
    }),
  );

  await t.test(
    'a blocked connection runs nothing after its blocking command until it is served',
    withLogs(cluster, async () => {
      const raw = await RawClient.connect(cluster.node(a).redisPort);
      // Pipelined: the RPUSH must wait for the BLPOP, or the BLPOP would pop its own element.
      const popped = raw.sendRaw(
        Buffer.concat([encodeCommand(['BLPOP', 'q4', '0']), encodeCommand(['RPUSH', 'q4', 'self'])]),
      );
      const pushed = raw.next();
      await untilBlocked(a, 1);
      await on(b).rpush('q4', 'other');
      assert.equal(await popped, '*2\r\n$2\r\nq4\r\n$5\r\nother\r\n');
      assert.equal(await pushed, ':1\r\n');
      await listEverywhere('q4', ['self']);
      raw.close();
    }),
  );

  await t.test(
    'a client that disconnects while blocked takes nothing',
    withLogs(cluster, async () => {
      const gone = cluster.client(a);
      gone.blpop('q5', 0).catch(() => undefined);
      await untilBlocked(a, 1);
      gone.disconnect();
      await untilBlocked(a, 0);
      await on(b).rpush('q5', 'kept');
      // Node a has applied the push once it answers this read, and sends anything it started on it
      // before this write of its own.
      assert.equal(await on(a).llen('q5'), 1);
      await on(a).set('barrier', '2');
      await listEverywhere('q5', ['kept']);
    }),
  );

  await t.test(
    'BLMOVE and BRPOPLPUSH move atomically when woken; BLMPOP pops up to COUNT',
    withLogs(cluster, async () => {
      const c = cluster.client(a);
      const moved = c.call('BLMOVE', 'src6', 'dst6', 'LEFT', 'RIGHT', '0');
      await untilBlocked(a, 1);
      await on(b).rpush('src6', 'a', 'b');
      assert.equal(await moved, 'a');
      await listEverywhere('src6', ['b']);
      await listEverywhere('dst6', ['a']);

      const moved2 = c.brpoplpush('src6b', 'dst6', 0);
      await untilBlocked(a, 1);
      await on(leader).lpush('src6b', 'z');
      assert.equal(await moved2, 'z');
      await listEverywhere('dst6', ['z', 'a']);
      assert.equal(await on(b).exists('src6b'), 0);

      const many = c.call('BLMPOP', '0', '2', 'm1', 'm2', 'RIGHT', 'COUNT', '5');
      await untilBlocked(a, 1);
      await on(b).rpush('m2', '1', '2', '3');
      assert.deepEqual(await many, ['m2', ['3', '2', '1']]);
      assert.equal(await on(leader).exists('m2'), 0);
    }),
  );

  await t.test(
    'a woken client pops from the key that became ready, as Redis 7.0 serves it',
    withLogs(cluster, async () => {
      const c = cluster.client(a);
      // Its first key turns into a string meanwhile: Redis serves it from the second, no WRONGTYPE.
      const popped = c.blpop('k8a', 'k8b', 0);
      await untilBlocked(a, 1);
      await on(b).set('k8a', 'now a string');
      await on(b).rpush('k8b', 'x');
      assert.deepEqual(await popped, ['k8b', 'x']);

      // Both keys become ready in one transaction: the one pushed first serves it.
      const popped2 = c.blpop('k9a', 'k9b', 0);
      await untilBlocked(a, 1);
      const tx = on(b).multi();
      tx.rpush('k9b', '1');
      tx.rpush('k9a', '2');
      await tx.exec();
      assert.deepEqual(await popped2, ['k9b', '1']);
      await listEverywhere('k9a', ['2']);
    }),
  );
});
