// End to end, on a 3-node cluster of real `little-raft serve` processes: the keys and strings
// commands of Redis 7.0 answer byte for byte as a real redis-server does (the edge cases of
// test/support/strings-keys-cases.ts, on the leader and on a follower, whose writes are forwarded);
// expiry times are the same on every replica; OBJECT ENCODING agrees across nodes; ROLE, TIME;
// WAIT counts the replicas that hold the write, answers at once inside MULTI, and waits out its
// timeout when a replica is gone.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import type { Redis } from 'ioredis';

import { KvTestCluster, withLogs } from '../support/kv-cluster.js';
import { startRedisServer } from '../support/redis-server.js';
import { RespClient } from '../support/resp-client.js';
import { CASES } from '../support/strings-keys-cases.js';

const show = (b: Buffer): string => JSON.stringify(b.toString('latin1'));
const pexpiretime = async (client: Redis, key: string): Promise<number> =>
  (await client.call('pexpiretime', key)) as number;

async function rejectsWith(p: Promise<unknown>, message: string): Promise<void> {
  await assert.rejects(p, (e: Error) => {
    assert.equal(e.message, message);
    return true;
  });
}

test('keys and strings commands on a 3-node cluster', { timeout: 180_000 }, async (t) => {
  const cluster = await KvTestCluster.start(t);
  // One database, as little-raft has: COPY ... DB 1 is out of range on both sides.
  const redisPort = (await startRedisServer(t, ['--databases', '1'])).port;
  const leader = await cluster.waitForLeader();
  const followers = cluster.nodes.map((n) => n.id).filter((id) => id !== leader);
  const clients = new Map<number, Redis>(cluster.nodes.map((n) => [n.id, cluster.client(n.id)]));
  const c = (id: number): Redis => clients.get(id)!;

  await t.test(
    'the edge cases answer as redis-server does, on the leader and on a follower',
    withLogs(cluster, async () => {
      const redis = await RespClient.connect(redisPort);
      t.after(() => redis.close());
      for (const id of [leader, followers[0]!]) {
        const node = await RespClient.connect(cluster.node(id).redisPort);
        try {
          for (const kase of CASES) {
            const hello = kase.resp3 === true ? '3' : '2';
            for (const conn of [redis, node]) {
              await conn.command('FLUSHALL');
              await conn.command('HELLO', hello);
            }
            for (const command of kase.commands) {
              const argv = typeof command === 'string' ? command.split(' ') : command;
              const [expected, actual] = await Promise.all([redis.command(...argv), node.command(...argv)]);
              assert.equal(
                show(actual.bytes),
                show(expected.bytes),
                `node ${id}, ${kase.name}: ${argv.join(' ').slice(0, 80)}`,
              );
            }
          }
        } finally {
          node.close();
        }
      }
    }),
  );

  await t.test(
    'expiry times are absolute, the same on every replica, and move with RENAME and COPY',
    withLogs(cluster, async () => {
      const w = c(followers[1]!);
      await w.set('e', 'v');
      assert.equal(await w.expire('e', 1000), 1);
      const at = await pexpiretime(w, 'e');
      assert.ok(at > 0);
      for (const id of clients.keys()) assert.equal(await pexpiretime(c(id), 'e'), at, `node ${id}`);
      assert.equal(await w.rename('e', 'f'), 'OK');
      assert.equal(await w.call('copy', 'f', 'g'), 1);
      for (const id of clients.keys()) {
        assert.equal(await pexpiretime(c(id), 'f'), at, `RENAME kept the time, node ${id}`);
        assert.equal(await pexpiretime(c(id), 'g'), at, `COPY kept the time, node ${id}`);
        assert.equal(await c(id).exists('e'), 0);
      }
      assert.equal(await w.call('getex', 'g', 'PXAT', String(at + 5)), 'v');
      assert.equal(await w.call('expire', 'f', 3000, 'GT'), 1);
      const later = await pexpiretime(w, 'f');
      assert.ok(later > at);
      for (const id of clients.keys()) {
        assert.equal(await pexpiretime(c(id), 'g'), at + 5, `node ${id}`);
        assert.equal(await pexpiretime(c(id), 'f'), later, `node ${id}`);
      }
      // A time in the past deletes the key everywhere.
      assert.equal(await w.call('getex', 'g', 'EXAT', '1'), 'v');
      assert.equal(await w.pexpireat('f', 1), 1);
      for (const id of clients.keys()) assert.equal(await c(id).exists('f', 'g'), 0, `node ${id}`);
    }),
  );

  await t.test(
    'OBJECT ENCODING, INCRBYFLOAT and LCS agree across nodes',
    withLogs(cluster, async () => {
      const w = c(leader);
      await w.set('n', '123');
      await w.append('n', '4');
      await w.incrbyfloat('fl', '0.1');
      await w.incrbyfloat('fl', '0.2');
      await w.set('lcs1', 'ohmytext');
      await w.set('lcs2', 'mynewtext');
      for (const id of clients.keys()) {
        assert.equal(await c(id).call('object', 'encoding', 'n'), 'raw', `node ${id}`);
        assert.equal(await c(id).get('fl'), '0.3', `node ${id}`);
        assert.equal(await c(id).call('lcs', 'lcs1', 'lcs2'), 'mytext', `node ${id}`);
      }
    }),
  );

  await t.test(
    'TIME and ROLE',
    withLogs(cluster, async () => {
      const [seconds, micros] = (await c(leader).call('time')) as [string, string];
      assert.match(seconds, /^\d+$/);
      assert.match(micros, /^\d+$/);
      assert.ok(Number(micros) < 1_000_000);
      assert.ok(Math.abs(Number(seconds) - Date.now() / 1000) < 3600, 'the server clock, in seconds');
      await c(leader).set('r', '1');
      const role = (await c(leader).call('role')) as [string, number, [string, string, string][]];
      assert.equal(role[0], 'master');
      assert.ok(role[1] > 0);
      const raftPorts = followers.map((id) => String(cluster.node(id).raftPort)).sort();
      assert.deepEqual(role[2].map((r) => r[1]).sort(), raftPorts, 'its followers, by Raft address');
      for (const r of role[2]) assert.equal(r[0], '127.0.0.1');
      for (const id of followers) {
        const [kind, host, port, state, offset] = (await c(id).call('role')) as [
          string,
          string,
          number,
          string,
          number,
        ];
        assert.deepEqual([kind, host, port, state], ['slave', '127.0.0.1', cluster.node(leader).raftPort, 'connected']);
        assert.ok(offset > 0);
      }
    }),
  );

  await t.test(
    'WAIT',
    withLogs(cluster, async () => {
      const l = c(leader);
      await rejectsWith(l.call('wait', 'x', '0'), 'ERR value is not an integer or out of range');
      await rejectsWith(l.call('wait', '1', 'x'), 'ERR timeout is not an integer or out of range');
      await rejectsWith(l.call('wait', '1', '-1'), 'ERR timeout is negative');
      await rejectsWith(l.call('wait', '1', '9223372036854775807'), 'ERR timeout is out of range');
      await rejectsWith(l.call('wait', '1'), "ERR wrong number of arguments for 'wait' command");
      await l.set('w', '1');
      // Both followers acknowledge the write: WAIT without a time limit returns when they have.
      assert.equal(await l.call('wait', '2', '0'), 2);
      assert.equal(await l.call('wait', '0', '0'), 2);
      // A follower cannot see the others' logs: it counts the members a commit needs besides itself.
      const f = c(followers[0]!);
      await f.set('w', '2');
      assert.equal(await f.call('wait', '1', '0'), 1);
      // Inside MULTI, WAIT answers at once (as Redis does) even when it asks for more than there are:
      // the write is committed, so at least one follower has it; the other may not have yet.
      const tx = await l.multi().set('w', '3').call('wait', '5', '0').exec();
      assert.equal(tx![0]![1], 'OK');
      assert.ok(tx![1]![1] === 1 || tx![1]![1] === 2, `WAIT in MULTI: ${String(tx![1]![1])}`);
      // With a follower gone, a new write reaches one replica: WAIT 2 waits out its timeout, then says 1.
      await cluster.kill(followers[1]!);
      await l.set('w', '4');
      assert.equal(await l.call('wait', '2', '300'), 1);
      assert.equal(await l.get('w'), '4');
    }),
  );
});
