// End to end: WATCH / UNWATCH on a 3-node cluster of real `little-raft serve` processes. A key
// watched through one node and changed through another (written, expired, flushed) makes EXEC
// answer nil, on the leader and on followers, for transactions that write and for read-only ones;
// an optimistic-locking counter incremented by 8 clients spread over the nodes loses no update; and
// scripts over two connections answer byte for byte as a real redis-server 7.0 does, in RESP2 and
// RESP3.
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';

import type { Redis } from 'ioredis';

import { KvTestCluster, withLogs } from '../support/kv-cluster.js';
import { eventually } from '../support/eventually.js';
import { startRedisServer } from '../support/redis-server.js';
import { RespClient } from '../support/resp-client.js';

test('WATCH on a 3-node cluster: changes through other nodes abort EXEC; no update is lost', async (t) => {
  const cluster = await KvTestCluster.start(t);
  const leader = await cluster.waitForLeader();
  const followers = cluster.nodes.filter((n) => n.id !== leader).map((n) => n.id);

  // The watching client on each node in turn; the changes come through another node.
  for (const [a, b] of [
    [followers[0]!, leader],
    [leader, followers[1]!],
    [followers[1]!, followers[0]!],
  ] as const) {
    const watcher = cluster.client(a);
    const other = cluster.client(b);
    const p = `n${a}`;

    await t.test(
      `node ${a} watches, node ${b} writes: EXEC answers nil and nothing of it is applied`,
      withLogs(cluster, async () => {
        await other.set(`${p}:k`, 'v');
        assert.equal(await watcher.watch(`${p}:k`), 'OK');
        assert.equal(await other.set(`${p}:k`, 'v'), 'OK'); // the same value: still a change
        assert.equal(await watcher.multi().set(`${p}:k`, 'mine').incr(`${p}:n`).exec(), null);
        assert.deepEqual(await other.mget(`${p}:k`, `${p}:n`), ['v', null]);
        // Read-only: checked on the watcher's node after a read barrier.
        assert.equal(await watcher.watch(`${p}:k`), 'OK');
        assert.equal(await other.del(`${p}:k`), 1);
        assert.equal(await watcher.multi().get(`${p}:k`).exec(), null);
      }),
    );

    await t.test(
      `node ${a} watches, node ${b} changes other keys only: EXEC applies`,
      withLogs(cluster, async () => {
        assert.equal(await watcher.watch(`${p}:w1`, `${p}:w2`), 'OK');
        await other.set(`${p}:unrelated`, '1');
        await other.del(`${p}:w1`); // deletes nothing: no change
        assert.deepEqual(await watcher.multi().set(`${p}:w1`, 'a').get(`${p}:w2`).exec(), [
          [null, 'OK'],
          [null, null],
        ]);
        assert.equal(await other.get(`${p}:w1`), 'a');
        assert.equal(await watcher.watch(`${p}:w1`), 'OK');
        assert.deepEqual(await watcher.multi().get(`${p}:w1`).exec(), [[null, 'a']]);
        // UNWATCH forgets: a change after it does not abort.
        assert.equal(await watcher.watch(`${p}:w1`), 'OK');
        assert.equal(await watcher.unwatch(), 'OK');
        await other.set(`${p}:w1`, 'b');
        assert.deepEqual(await watcher.multi().set(`${p}:w1`, 'c').exec(), [[null, 'OK']]);
      }),
    );

    await t.test(
      `node ${a} watches a key that expires (PX) before EXEC: nil`,
      withLogs(cluster, async () => {
        for (const [i, readOnly] of [
          [1, false],
          [2, true],
        ] as const) {
          const key = `${p}:e${i}`;
          // Long enough that the WATCH sees the key, which GET after it confirms.
          await other.set(key, 'v', 'PX', 1500);
          assert.equal(await watcher.watch(key), 'OK');
          assert.equal(await watcher.get(key), 'v', 'the key expired before the WATCH: machine too slow');
          await eventually(async () => (await other.exists(key)) === 0, `${key} expired on node ${b}`, 10000);
          const tx = readOnly ? watcher.multi().get(key) : watcher.multi().set(key, 'late');
          assert.equal(await tx.exec(), null, readOnly ? 'read-only' : 'writing');
          assert.equal(await other.exists(key), 0);
        }
      }),
    );
  }

  await t.test(
    'an optimistic-locking counter incremented by 8 clients on the 3 nodes ends at the total',
    withLogs(cluster, async () => {
      const PER_CLIENT = 25;
      let aborted = 0;
      const clients = Array.from({ length: 8 }, (_, i) => cluster.client(cluster.nodes[i % 3]!.id));
      const increment = async (c: Redis): Promise<void> => {
        for (let done = 0; done < PER_CLIENT;) {
          await c.watch('counter');
          const v = Number((await c.get('counter')) ?? '0');
          const replies = await c
            .multi()
            .set('counter', String(v + 1))
            .exec();
          if (replies === null) aborted++;
          else done++;
        }
      };
      await Promise.all(clients.map(increment));
      for (const node of cluster.nodes) {
        assert.equal(await cluster.client(node.id).get('counter'), String(8 * PER_CLIENT), `node ${node.id}`);
      }
      // Concurrent read-modify-writes of one key do collide; every collision was an abort.
      assert.ok(aborted > 0, 'no EXEC was aborted: the clients never raced');
      t.diagnostic(`${8 * PER_CLIENT} increments, ${aborted} EXECs aborted and retried`);
    }),
  );
});

// ---- byte for byte against redis-server ----------------------------------------------------------

/**
 * Steps over two connections, A and B: `A watch k` runs a command and records its reply; `-A hello 3`
 * runs one whose reply is not compared (it names the server); `B exists k => :0` repeats a command
 * until it answers that (how often differs between servers), recording nothing.
 */
const SCRIPT = [
  // Changed by the other connection, even to the value it had: nil, nothing runs.
  'B set s1:k v',
  'A watch s1:k',
  'B set s1:k v',
  'A multi',
  'A set s1:k mine',
  'A incr s1:n',
  'A exec',
  'B mget s1:k s1:n',
  // Read-only, and a change before MULTI by the watcher itself.
  'A watch s2:k',
  'A set s2:k 1',
  'A multi',
  'A get s2:k',
  'A exec',
  // Commands that change nothing; other keys.
  'A watch s3:k s3:j',
  'B del s3:k',
  'B getdel s3:j',
  'B set s3:other 1',
  'B set s3:k x nx',
  'B set s3:k y nx',
  'A multi',
  'A get s3:k',
  'A exec',
  // Expired between WATCH and EXEC; created and expired since WATCH.
  'B set s4:e v px 1500',
  'A watch s4:e s4:m',
  'A get s4:e',
  'B exists s4:e => :0',
  'A multi',
  'A get s4:e',
  'A exec',
  'A watch s4:m',
  'B set s4:m v px 1',
  'B exists s4:m => :0',
  'A multi',
  'A get s4:m',
  'A exec',
  // FLUSHDB: watchers of present keys abort, of absent ones do not.
  'B set s5:k v',
  'A watch s5:k',
  'B flushdb',
  'A multi',
  'A get s5:k',
  'A exec',
  'A watch s5:absent',
  'B flushdb',
  'A multi',
  'A get s5:absent',
  'A exec',
  // UNWATCH, EXEC without MULTI (keeps the watches), DISCARD (drops them).
  'A watch s6:k',
  'B set s6:k 1',
  'A unwatch',
  'A multi',
  'A incr s6:k',
  'A exec',
  'A watch s6:k',
  'B incr s6:k',
  'A exec',
  'A multi',
  'A incr s6:k',
  'A exec',
  'A watch s6:k',
  'B incr s6:k',
  'A multi',
  'A discard',
  'A multi',
  'A incr s6:k',
  'A exec',
  // Errors: arity, WATCH inside MULTI (the transaction goes on), UNWATCH queued.
  'A watch',
  'A unwatch x',
  'A multi',
  'A watch s7:k',
  'A unwatch',
  'A set s7:k 1',
  'A exec',
  // RESP3: the aborted EXEC is a null.
  '-A hello 3',
  'A watch s8:k',
  'B set s8:k 1',
  'A multi',
  'A get s8:k',
  'A exec',
  'A watch s8:k',
  'A multi',
  'A get s8:k',
  'A get s8:none',
  'A exec',
  'A watch',
  'A multi',
  'A watch s8:k',
  'A exec',
  '-A hello 2',
  'A watch s8:k',
  'B del s8:k',
  'A multi',
  'A exec',
];

/** Runs SCRIPT against the server on `ports` (A's, B's); every recorded reply, with its step. */
async function runScript(t: TestContext, ports: [number, number]): Promise<string[]> {
  const conns = { A: await RespClient.connect(ports[0]), B: await RespClient.connect(ports[1]) };
  t.after(() => {
    conns.A.close();
    conns.B.close();
  });
  const run = async (conn: RespClient, words: string[]): Promise<string> =>
    (await conn.command(...words)).bytes.toString('latin1');
  const out: string[] = [];
  for (const step of SCRIPT) {
    const quiet = step.startsWith('-');
    const [line, wanted] = (quiet ? step.slice(1) : step).split(' => ');
    const [who, ...words] = line!.split(' ');
    const conn = conns[who as 'A' | 'B'];
    if (wanted !== undefined) {
      await eventually(async () => (await run(conn, words)) === `${wanted}\r\n`, step, 10000);
      continue;
    }
    const reply = await run(conn, words);
    if (!quiet) out.push(`${line} -> ${JSON.stringify(reply)}`);
  }
  return out;
}

test('WATCH scripts over two connections answer byte for byte as redis-server 7.0 (RESP2 and RESP3)', async (t) => {
  const redis = await startRedisServer(t);
  const expected = await runScript(t, [redis.port, redis.port]);
  assert.ok(expected.some((l) => l.endsWith('"*-1\\r\\n"')) && expected.some((l) => l.endsWith('"_\\r\\n"')));
  const cluster = await KvTestCluster.start(t);
  const leader = await cluster.waitForLeader();
  const follower = cluster.nodes.find((n) => n.id !== leader)!.id;
  // A on a follower, B on the leader.
  const actual = await runScript(t, [cluster.node(follower).redisPort, cluster.node(leader).redisPort]);
  assert.deepEqual(actual, expected);
});
