// End to end (issue 15): the Redis port's limits on untrusted clients, against real `little-raft
// serve` processes: Redis's protocol limits with its exact texts, commands too big to replicate
// refused without being buffered, --maxclients, the idle timeout, and the memory of answers left
// unread, per client and in total. In every case another client keeps being served.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import type { Redis } from 'ioredis';

import { KvTestCluster, withLogs, type KvTestNode } from '../support/kv-cluster.js';
import { eventually } from '../support/eventually.js';
import { RawClient, rssBytes } from '../support/raw-client.js';

const MB = 1024 * 1024;

/** A client that must keep getting right answers: a SET then a GET of a value it checks. */
async function roundTrip(client: Redis, tag: string): Promise<void> {
  const value = `${tag}-${Math.random()}`;
  assert.equal(await client.set(`check:${tag}`, value), 'OK');
  assert.equal(await client.get(`check:${tag}`), value);
}

function pidOf(node: KvTestNode): number {
  assert.ok(node.process?.pid !== undefined, `node ${node.id} runs`);
  return node.process.pid;
}

test('protocol limits: Redis texts, the connection closed, other clients served', { timeout: 60_000 }, async (t) => {
  const cluster = await KvTestCluster.start(t, { nodes: 1 });
  const node = cluster.node(1);
  const good = cluster.client(1);
  await withLogs(cluster, async () => {
    await roundTrip(good, 'start');

    // A bulk string announced as 600 MB, over Redis's 512 MB proto-max-bulk-len: refused on its header.
    const bulk = await RawClient.connect(node.redisPort);
    bulk.socket.write('*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$600000000\r\n');
    assert.equal(await bulk.untilClosed(), '-ERR Protocol error: invalid bulk length\r\n');
    await roundTrip(good, 'after-bulk');

    // A multibulk of 1,048,577 arguments, one over the limit.
    const count = await RawClient.connect(node.redisPort);
    count.socket.write('*1048577\r\n');
    assert.equal(await count.untilClosed(), '-ERR Protocol error: invalid multibulk length\r\n');
    await roundTrip(good, 'after-count');

    // 1,048,576 is still a request: its arguments are awaited (a PING inside it is one of them).
    const most = await RawClient.connect(node.redisPort);
    most.socket.write('*1048576\r\n$4\r\nPING\r\n');
    const pinged = await RawClient.connect(node.redisPort);
    pinged.socket.write('PING\r\n');
    await pinged.until((s) => s === '+PONG\r\n', 'PONG on another connection');
    assert.equal(most.text, '');
    assert.equal(most.closed, false);
    most.destroy();
    pinged.destroy();
  })();
});

test('a 20 MB SET is refused with the connection kept, its bytes never held', { timeout: 60_000 }, async (t) => {
  const cluster = await KvTestCluster.start(t, { nodes: 1 });
  const node = cluster.node(1);
  const good = cluster.client(1);
  const value = Buffer.alloc(20_000_000, 'v');
  const head = `*3\r\n$3\r\nSET\r\n$4\r\nhuge\r\n$${value.length}\r\n`;
  const refused = `-ERR command of ${value.length + 7} bytes exceeds the limit of 8388608 bytes\r\n`;
  await withLogs(cluster, async () => {
    // One whole attempt first: what a first big request costs anyway (socket buffers, heap growth).
    const first = await RawClient.connect(node.redisPort);
    first.socket.write(head);
    first.socket.write(value);
    first.socket.write('\r\nPING\r\n');
    assert.equal(await first.until((s) => s.endsWith('+PONG\r\n'), 'the refusal and PONG'), `${refused}+PONG\r\n`);
    first.destroy();
    const before = rssBytes(pidOf(node));

    // Eight at once, all but their last bytes sent: a server keeping them would hold 160 MB now.
    const attempts = await Promise.all(Array.from({ length: 8 }, () => RawClient.connect(node.redisPort)));
    await Promise.all(
      attempts.map(
        (c) =>
          new Promise<void>((resolve, reject) => {
            c.socket.write(head);
            c.socket.write(value.subarray(0, value.length - 1), (e) => (e ? reject(e) : resolve()));
          }),
      ),
    );
    // Each write is done once the kernel took it: the node has read all of it but what the socket
    // buffers hold (a few MB).
    await roundTrip(good, 'during');
    const during = rssBytes(pidOf(node));
    for (const c of attempts) c.socket.write('v\r\nPING\r\n');
    for (const c of attempts) {
      assert.equal(await c.until((s) => s.endsWith('+PONG\r\n'), 'the refusal and PONG'), `${refused}+PONG\r\n`);
      assert.equal(c.closed, false);
      c.destroy();
    }
    const grew = during - before;
    assert.ok(grew < 80 * MB, `the node's RSS grew by ${grew} bytes with 8 x 20 MB in flight`);
    assert.equal(await good.exists('huge'), 0);
    await roundTrip(good, 'after');
  })();
});

test(
  '--maxclients 5: a sixth client gets Redis error and is closed; the five go on',
  { timeout: 60_000 },
  async (t) => {
    const cluster = await KvTestCluster.start(t, { nodes: 1, extraArgs: ['--maxclients', '5'] });
    const node = cluster.node(1);
    await withLogs(cluster, async () => {
      const five = await Promise.all(Array.from({ length: 5 }, () => RawClient.connect(node.redisPort)));
      for (const c of five) c.socket.write('PING\r\n');
      for (const c of five) await c.until((s) => s === '+PONG\r\n', 'PONG');
      const sixth = await RawClient.connect(node.redisPort);
      sixth.socket.write('PING\r\n');
      assert.equal(await sixth.untilClosed(), '-ERR max number of clients reached\r\n');
      // The five are unaffected.
      for (const c of five) c.socket.write('ECHO still\r\n');
      for (const c of five) {
        await c.until((s) => s === '+PONG\r\n$5\r\nstill\r\n', 'the echo');
        assert.equal(c.closed, false);
      }
      // One leaves: a new client gets in (once the server has seen it go).
      five[0]!.destroy();
      let admitted: RawClient | null = null;
      await eventually(async () => {
        const c = await RawClient.connect(node.redisPort);
        c.socket.write('INFO stats\r\n');
        await c.until((s) => s.startsWith('-ERR max') || s.includes('rejected_connections:'), 'an answer');
        if (c.text.startsWith('-ERR max')) return false;
        admitted = c;
        return true;
      }, 'a client admitted after one left');
      const stats = (admitted as RawClient | null)!.text;
      assert.match(stats, /rejected_connections:[1-9]/);
    })();
  },
);

test(
  '--client-idle-timeout: an idle client is closed; blocked and subscribed ones are not',
  { timeout: 60_000 },
  async (t) => {
    const cluster = await KvTestCluster.start(t, { nodes: 1, extraArgs: ['--client-idle-timeout', '1'] });
    const node = cluster.node(1);
    await withLogs(cluster, async () => {
      const blocked = await RawClient.connect(node.redisPort);
      blocked.socket.write('BLPOP idle:list 0\r\n');
      const subscriber = await RawClient.connect(node.redisPort);
      subscriber.socket.write('SUBSCRIBE idle:channel\r\n');
      await subscriber.until((s) => s.includes('idle:channel'), 'the subscription confirmed');
      // Idle clients connected after them are closed, silently, as Redis does; two in a row, so the
      // blocked and subscribed clients have been idle past the timeout at two checks at least.
      for (let i = 0; i < 2; i++) {
        const idle = await RawClient.connect(node.redisPort);
        idle.socket.write('PING\r\n');
        assert.equal(await idle.untilClosed(), '+PONG\r\n');
      }
      assert.equal(blocked.closed, false, 'the blocked client is still connected');
      assert.equal(subscriber.closed, false, 'the subscriber is still connected');
      // Both are still served. (A client of this test that waits is idle too: this one sends its
      // commands at once.)
      const pusher = await RawClient.connect(node.redisPort);
      pusher.socket.write('RPUSH idle:list served\r\nPUBLISH idle:channel hello\r\n');
      assert.equal(await pusher.until((s) => s.length >= 8, 'two answers'), ':1\r\n:1\r\n');
      await blocked.until((s) => s === '*2\r\n$9\r\nidle:list\r\n$6\r\nserved\r\n', 'BLPOP served');
      await subscriber.until((s) => s.endsWith('$5\r\nhello\r\n'), 'the message');
      for (const c of [blocked, subscriber, pusher]) c.destroy();
    })();
  },
);

/**
 * A client that sends `count` GETs of `key` and never reads an answer; what the server must do
 * with them is hold them, or let the client go.
 */
async function slowReader(port: number, key: string, count: number): Promise<RawClient> {
  const c = await RawClient.connect(port);
  c.socket.pause();
  c.socket.write(`*2\r\n$3\r\nGET\r\n$${key.length}\r\n${key}\r\n`.repeat(count));
  return c;
}

/** The node's log lines (warn and up, JSON) whose message says a client was disconnected. */
function disconnections(node: KvTestNode): string[] {
  return node.output
    .split('\n')
    .filter((l) => l.includes('disconnected'))
    .map((l) => (JSON.parse(l) as { msg: string }).msg);
}

test(
  'slow readers: cut off at the per-client limit, then by the total; others served',
  { timeout: 60_000 },
  async (t) => {
    const cluster = await KvTestCluster.start(t, {
      nodes: 1,
      extraArgs: ['--client-output-limit', '32mb', '--clients-memory-limit', '40mb'],
    });
    const node = cluster.node(1);
    const good = cluster.client(1);
    await withLogs(cluster, async () => {
      assert.equal(await good.set('big', Buffer.alloc(MB, 'b')), 'OK');
      await roundTrip(good, 'warm');
      const before = rssBytes(pidOf(node));
      let peak = before;
      let served = 0;
      let stop = false;
      // A well-behaved client all along, and the node's memory sampled as it goes.
      const steady = (async () => {
        while (!stop) {
          await roundTrip(good, `steady${served++}`);
          peak = Math.max(peak, rssBytes(pidOf(node)));
        }
      })();

      // One client alone: over 32 MB unread, it goes (200 MB of answers asked).
      const one = await slowReader(node.redisPort, 'big', 200);
      await eventually(() => disconnections(node).length === 1, 'the slow reader disconnected');
      assert.match(
        disconnections(node)[0]!,
        /^client \d+ disconnected: \d+ bytes of answers unread \(limit 33554432\)$/,
      );

      // Four asking 30 MB each, under their own limit, 120 MB together (the kernel's socket buffers
      // take a few MB of each): past 40 MB, the biggest goes first, then the next, until under.
      const four = await Promise.all(Array.from({ length: 4 }, () => slowReader(node.redisPort, 'big', 30)));
      await eventually(
        () => disconnections(node).length >= 3,
        () => `evictions: ${disconnections(node).join('; ')}`,
      );
      const evictions = disconnections(node).slice(1);
      for (const line of evictions) {
        assert.match(
          line,
          /^client \d+ disconnected: clients' memory over its limit: it held \d+ bytes, the most of all clients, which held \d+ \(limit 41943040\)$/,
        );
      }
      stop = true;
      await steady;
      const grew = peak - before;
      assert.ok(served > 0);
      // Less than the 320 MB of answers asked for: they were cut off before all were held. What the
      // limits let clients hold (32 MB, then 40 MB) comes to 156-247 MB of RSS measured here, as the
      // answers are copied out of the key space and into the socket's buffers and the copies go
      // only at V8's next collections, whose timing varies (a bound of 200 MB failed 1 run in 5).
      assert.ok(grew < 320 * MB, `the node's RSS grew by ${grew} bytes`);
      for (const c of [one, ...four]) c.destroy();
      await roundTrip(good, 'end');
    })();
  },
);
