// Real clients against one 3-node cluster of `little-raft serve` processes, on the leader and on
// followers: ioredis and node-redis (`redis`, RESP2 and its default RESP3) with pipelines, multi() /
// exec, auto-pipelined concurrent commands and SCAN iteration; a lock as applications build it
// without Lua (SET key token NX PX 30000 to take it, GET then DEL inside MULTI to give it back)
// taken by workers of both libraries on every node, guarding a read-modify-write counter; and
// redis-cli, through child_process, sharing that lock with them.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import type { Redis } from 'ioredis';
import { createClient, MultiErrorReply } from 'redis';

import { KvTestCluster, withLogs } from '../support/kv-cluster.js';
import { redisCli } from '../support/redis-cli.js';

function nodeRedisClient(port: number, resp: 2 | 3) {
  return createClient({ socket: { host: '127.0.0.1', port, reconnectStrategy: false }, RESP: resp });
}
type NodeRedis = ReturnType<typeof nodeRedisClient>;

/** A connected node-redis client of `port` speaking RESP `resp`, closed after the test. */
async function nodeRedis(
  t: { after: (fn: () => Promise<void>) => void },
  port: number,
  resp: 2 | 3,
): Promise<NodeRedis> {
  const client = nodeRedisClient(port, resp);
  client.on('error', () => undefined); // a failed command rejects on its own
  await client.connect();
  t.after(async () => {
    if (client.isOpen) await client.close();
  });
  return client;
}

/** What a lock holder needs to give the lock back: its key and its own token. */
interface Held {
  key: string;
  token: string;
}

/**
 * A lock over one of the two libraries: acquire is SET key token NX PX 30000; release is MULTI, GET
 * key, DEL key, EXEC, answering the value the lock had when it was deleted (the holder's token if
 * nobody else took it meanwhile) and how many keys the DEL removed.
 */
interface LockClient {
  readonly name: string;
  acquire(key: string, token: string): Promise<Held | null>;
  release(held: Held): Promise<[value: string | null, deleted: number]>;
  get(key: string): Promise<string | null>;
  set(key: string, value: string): Promise<void>;
}

function ioredisLock(name: string, client: Redis): LockClient {
  return {
    name,
    acquire: async (key, token) =>
      (await client.set(key, token, 'PX', 30_000, 'NX')) === 'OK' ? { key, token } : null,
    release: async ({ key }) => {
      const replies = await client.multi().get(key).del(key).exec();
      assert.ok(replies !== null, `${name}: EXEC was not aborted`);
      const [[getError, value], [delError, deleted]] = replies as [[Error | null, unknown], [Error | null, unknown]];
      assert.equal(getError, null);
      assert.equal(delError, null);
      return [value as string | null, deleted as number];
    },
    get: (key) => client.get(key),
    set: async (key, value) => {
      assert.equal(await client.set(key, value), 'OK');
    },
  };
}

function nodeRedisLock(name: string, client: NodeRedis): LockClient {
  return {
    name,
    acquire: async (key, token) => {
      const reply = await client.set(key, token, { condition: 'NX', expiration: { type: 'PX', value: 30_000 } });
      return reply === 'OK' ? { key, token } : null;
    },
    release: async ({ key }) => {
      const [value, deleted] = await client.multi().get(key).del(key).execTyped();
      return [value, deleted];
    },
    get: (key) => client.get(key),
    set: async (key, value) => {
      assert.equal(await client.set(key, value), 'OK');
    },
  };
}

/**
 * Takes the lock `rounds` times (retrying at once while another worker holds it); each time, with
 * the lock held, reads the counter and writes it back plus one, then gives the lock back and checks
 * that it got its own token back. Returns how many times SET NX found the lock taken.
 */
async function lockWorker(lock: LockClient, key: string, counter: string, rounds: number): Promise<number> {
  let contended = 0;
  for (let round = 0; round < rounds; round++) {
    const token = `${lock.name}:${round}:${Math.random().toString(36).slice(2)}`;
    let held: Held | null = null;
    while ((held = await lock.acquire(key, token)) === null) contended++;
    const n = Number((await lock.get(counter)) ?? '0');
    await lock.set(counter, String(n + 1));
    const [value, deleted] = await lock.release(held);
    assert.equal(value, token, `${lock.name}: the lock still held its own token when it gave it back`);
    assert.equal(deleted, 1, `${lock.name}: its DEL removed the lock`);
  }
  return contended;
}

test('ioredis, node-redis and redis-cli against a 3-node cluster, on the leader and on followers', async (t) => {
  const cluster = await KvTestCluster.start(t);
  const leader = await cluster.waitForLeader();
  const ids = [leader, ...cluster.nodes.map((n) => n.id).filter((id) => id !== leader)];
  const port = (id: number): number => cluster.node(id).redisPort;

  for (const id of ids) {
    const role = id === leader ? 'leader' : `follower ${id}`;
    const p = `n${id}`;

    await t.test(
      `ioredis on the ${role}: a pipeline's replies in order, binary values, read on every node`,
      withLogs(cluster, async () => {
        const client = cluster.client(id);
        const binary = Buffer.from([0, 255, 13, 10, 32, 128]);
        const replies = await client
          .pipeline()
          .set(`${p}:a`, '10')
          .incrby(`${p}:a`, 5)
          .decr(`${p}:a`)
          .append(`${p}:s`, 'hello')
          .append(`${p}:s`, ' world')
          .strlen(`${p}:s`)
          .set(`${p}:bin`, binary)
          .mget(`${p}:a`, `${p}:none`, `${p}:s`)
          .incr(`${p}:s`)
          .set(`${p}:e`, 'v', 'EX', 1000)
          .ttl(`${p}:e`)
          .getdel(`${p}:s`)
          .exists(`${p}:a`, `${p}:s`, `${p}:bin`)
          .type(`${p}:a`)
          .exec();
        assert.ok(replies !== null);
        const errors = replies.map(([e]) => (e === null ? null : String(e)));
        assert.match(errors[8]!, /ERR value is not an integer or out of range/);
        assert.deepEqual(errors.filter((e) => e !== null).length, 1, JSON.stringify(errors));
        const values = replies.map(([, v]) => v);
        assert.deepEqual(values.slice(0, 8), ['OK', 15, 14, 5, 11, 11, 'OK', ['14', null, 'hello world']]);
        assert.equal(values[9], 'OK');
        assert.ok(typeof values[10] === 'number' && values[10] > 0 && values[10] <= 1000, `TTL ${String(values[10])}`);
        assert.deepEqual(values.slice(11), ['hello world', 2, 'string']);
        for (const other of ids) {
          const c = cluster.client(other);
          assert.deepEqual(await c.getBuffer(`${p}:bin`), binary, `binary value on node ${other}`);
          assert.deepEqual(await c.mget(`${p}:a`, `${p}:s`), ['14', null], `node ${other}`);
        }
      }),
    );

    for (const resp of [2, 3] as const) {
      await t.test(
        `node-redis (RESP${resp}) on the ${role}: commands, multi() / exec, execAsPipeline, concurrent commands, SCAN`,
        withLogs(cluster, async () => {
          const client = await nodeRedis(t, port(id), resp);
          const q = `${p}:r${resp}`;
          assert.equal(await client.ping(), 'PONG');
          assert.equal(await client.set(`${q}:a`, '1'), 'OK');
          assert.equal(await client.incrBy(`${q}:a`, 41), 42);
          assert.deepEqual(await client.mGet([`${q}:a`, `${q}:none`]), ['42', null]);
          assert.equal(await client.set(`${q}:a`, 'x', { condition: 'NX' }), null);
          assert.equal(await client.set(`${q}:a`, '7', { GET: true }), '42');
          assert.equal(await client.getDel(`${q}:a`), '7');
          assert.equal(await client.exists([`${q}:a`]), 0);
          assert.equal(await client.pTTL(`${q}:a`), -2);

          // multi(): one MULTI ... EXEC, its reads seeing its writes; a runtime error is one reply.
          await assert.rejects(client.multi().set(`${q}:t`, 'str').incr(`${q}:t`).get(`${q}:t`).exec(), (e) => {
            // node-redis rejects a transaction with an error reply in it, with every reply.
            assert.ok(e instanceof MultiErrorReply, String(e));
            assert.deepEqual(e.errorIndexes, [1]);
            const replies: unknown[] = e.replies;
            assert.equal(replies[0], 'OK');
            assert.match(String(replies[1]), /ERR value is not an integer or out of range/);
            assert.equal(replies[2], 'str');
            return true;
          });
          assert.equal(await client.get(`${q}:t`), 'str', 'the transaction applied around its failed INCR');
          assert.deepEqual(
            await client
              .multi()
              .set(`${q}:m`, '5')
              .incr(`${q}:m`)
              .get(`${q}:m`)
              .mSet([`${q}:x`, 'a', `${q}:y`, 'b'])
              .exec(),
            ['OK', 6, '6', 'OK'],
          );
          // execAsPipeline(): the same commands without MULTI.
          assert.deepEqual(
            await client.multi().incr(`${q}:m`).decrBy(`${q}:m`, 10).strLen(`${q}:x`).execAsPipeline(),
            [7, -3, 1],
          );

          // Commands issued together go out pipelined, and each gets its own answer.
          const n = 200;
          const incrs = await Promise.all(Array.from({ length: n }, () => client.incr(`${q}:c`)));
          assert.deepEqual(
            incrs,
            Array.from({ length: n }, (_, i) => i + 1),
            'INCRs answered in order',
          );
          const writes = await Promise.all(Array.from({ length: 50 }, (_, i) => client.set(`${q}:k:${i}`, String(i))));
          assert.ok(writes.every((w) => w === 'OK'));

          // SCAN to the end with node-redis's iterator: every key, from every other node too.
          const expected = Array.from({ length: 50 }, (_, i) => `${q}:k:${i}`).sort();
          for (const other of ids) {
            const reader = other === id ? client : await nodeRedis(t, port(other), resp);
            const seen = new Set<string>();
            for await (const keys of reader.scanIterator({ MATCH: `${q}:k:*`, COUNT: 7 })) {
              for (const k of keys) seen.add(k);
            }
            assert.deepEqual([...seen].sort(), expected, `SCAN on node ${other}`);
            assert.deepEqual((await reader.keys(`${q}:k:*`)).sort(), expected, `KEYS on node ${other}`);
          }
        }),
      );
    }
  }

  await t.test(
    'a lock (SET NX PX, then GET and DEL in MULTI) guards a read-modify-write counter: workers of both libraries on every node',
    withLogs(cluster, async () => {
      const key = 'lock:counter';
      const counter = 'counter:guarded';
      const rounds = 6;
      const locks: LockClient[] = [];
      for (const id of ids) {
        locks.push(ioredisLock(`ioredis@${id}`, cluster.client(id)));
        locks.push(nodeRedisLock(`node-redis@${id}`, await nodeRedis(t, port(id), id === leader ? 2 : 3)));
      }
      const contended = await Promise.all(locks.map((lock) => lockWorker(lock, key, counter, rounds)));
      // Without the lock, concurrent GET-then-SET increments would be lost.
      for (const id of ids) {
        assert.equal(await cluster.client(id).get(counter), String(locks.length * rounds), `the counter on node ${id}`);
        assert.equal(await cluster.client(id).exists(key), 0, `the lock is free on node ${id}`);
      }
      t.diagnostic(`SET NX found the lock taken ${contended.reduce((a, b) => a + b, 0)} times`);
    }),
  );

  await t.test(
    'the same lock from redis-cli: taken on a follower, refused to the others, given back in MULTI',
    withLogs(cluster, async () => {
      const [f1, f2] = ids.slice(1) as [number, number];
      const key = 'lock:cli';
      const cli = (id: number, input: string): Promise<string> => redisCli(['-p', String(port(id))], input);
      assert.equal(await cli(f1, `set ${key} cli-token nx px 30000\n`), 'OK\n');
      const pttl = Number(await cli(f2, `pttl ${key}\n`));
      assert.ok(pttl > 0 && pttl <= 30_000, `PTTL ${pttl}`);
      const ioredis = ioredisLock('ioredis', cluster.client(leader));
      const nodeRedisClient = nodeRedisLock('node-redis', await nodeRedis(t, port(f2), 3));
      assert.equal(await ioredis.acquire(key, 'io-token'), null, 'ioredis is refused the lock redis-cli holds');
      assert.equal(await nodeRedisClient.acquire(key, 'nr-token'), null, 'so is node-redis');
      assert.equal(await cli(leader, `set ${key} other nx px 30000\n`), '\n', 'and redis-cli on another node');
      assert.equal(await nodeRedisClient.get(key), 'cli-token');
      // redis-cli gives it back: GET then DEL inside MULTI, as one script on stdin.
      assert.equal(
        await redisCli(['-p', String(port(f2)), '--no-raw'], `multi\nget ${key}\ndel ${key}\nexec\n`),
        'OK\nQUEUED\nQUEUED\n1) "cli-token"\n2) (integer) 1\n',
      );
      const held = await nodeRedisClient.acquire(key, 'nr-token');
      assert.deepEqual(held, { key, token: 'nr-token' }, 'node-redis takes the freed lock');
      assert.equal(await cli(f1, `get ${key}\n`), 'nr-token\n');
      assert.deepEqual(await ioredis.release(held), ['nr-token', 1], 'ioredis gives it back for node-redis');
      assert.equal(await cli(leader, `exists ${key}\n`), '0\n');
    }),
  );
});
