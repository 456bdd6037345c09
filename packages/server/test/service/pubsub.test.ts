// Pub/sub end to end on a 3-node cluster of `little-raft serve` processes, with ioredis, node-redis
// (RESP2 and RESP3) and raw sockets: a message published on any node reaches the subscribers of every node once, in the
// publisher's order (a burst of 1,000; across a leader kill); patterns; PUBLISH's count and
// PUBSUB's answers for the whole cluster; RESP3 pushes; the subscribed RESP2 connection's rules
// and every confirmation byte for byte as redis-server 7.0.15 answers them (checked against a live
// redis-server too when one is installed); a restarted node hands no old message to a new
// subscriber.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as net from 'node:net';

import type { Redis } from 'ioredis';
import { createClient } from 'redis';

import { KvTestCluster, sleep, withLogs } from '../support/kv-cluster.js';
import { eventually } from '../support/eventually.js';
import { freePorts } from '../../../little-raft/test/support/tcp.js';

/** PUBSUB NUMSUB of one channel, asked of `client`. */
async function numsub(client: Redis, channel: string): Promise<number> {
  const reply = (await client.call('PUBSUB', 'NUMSUB', channel)) as [string, number];
  return reply[1];
}

/** A RESP command as bytes. */
function resp(...args: string[]): string {
  return `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a, 'latin1')}\r\n${a}\r\n`).join('')}`;
}

/** A raw connection: what it received so far (latin1), and a way to wait for more. */
class RawClient {
  text = '';
  private readonly socket: net.Socket;
  private waiters: (() => void)[] = [];

  private constructor(socket: net.Socket) {
    this.socket = socket;
    socket.on('data', (d: Buffer) => {
      this.text += d.toString('latin1');
      for (const wake of this.waiters.splice(0)) wake();
    });
    socket.on('error', () => undefined);
  }

  static async open(t: TestContext, port: number): Promise<RawClient> {
    const socket = net.connect(port, '127.0.0.1');
    t.after(() => socket.destroy());
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    return new RawClient(socket);
  }

  close(): void {
    this.socket.destroy();
  }

  send(bytes: string): void {
    this.socket.write(Buffer.from(bytes, 'latin1'));
  }

  /** Waits until what was received ends with `suffix`; returns it all and starts afresh. */
  async until(suffix: string, what: string, ms = 10000): Promise<string> {
    const deadline = Date.now() + ms;
    while (!this.text.endsWith(suffix)) {
      if (Date.now() > deadline)
        throw new Error(`${what}: no ${JSON.stringify(suffix)} in ${JSON.stringify(this.text)}`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
    const text = this.text;
    this.text = '';
    return text;
  }
}

const HELLO3_END = '$7\r\nmodules\r\n*0\r\n';
/** Ends a script: the connection's answers are all in once its answer is. */
const SYNC = ['PING', 'SYNC'];
const SYNC_REPLY = '$4\r\nSYNC\r\n';
const NOT_ALLOWED = 'only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context\r\n';

/**
 * Scripts sent on a fresh connection (after HELLO 3 for RESP3, whose own answer names the server),
 * each part in one write, and redis-server 7.0.15's answer to them (PING SYNC's included). No
 * script unsubscribes from more than one channel at once without naming them: Redis does that in
 * its hash table's order.
 */
const SCRIPTS: { name: string; resp3: boolean; send: (string[] | { waitFor: string })[]; reply: string }[] = [
  {
    name: 'RESP2: confirmations with counts, the subscribed rules, PING, RESET',
    resp3: false,
    send: [
      ['SUBSCRIBE', 'a', 'b', 'a'],
      ['PING'],
      ['PING', 'x'],
      ['GET', 'k'],
      ['CLIENT', 'ID'],
      ['CONFIG', 'GET', 'x'],
      ['MULTI'],
      ['HELLO', '3'],
      ['PUBLISH', 'a', 'm'],
      ['PUBSUB', 'NUMPAT'],
      ['NOSUCH'],
      ['SUBSCRIBE'],
      ['UNSUBSCRIBE', 'x', 'a'],
      ['PSUBSCRIBE', 'h*', ''],
      ['PUNSUBSCRIBE', 'x', 'h*'],
      ['UNSUBSCRIBE', 'b'],
      ['PUNSUBSCRIBE'],
      ['UNSUBSCRIBE'],
      ['PING'],
      ['SUBSCRIBE', 'c'],
      ['RESET'],
      ['PING'],
    ],
    reply:
      '*3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:1\r\n*3\r\n$9\r\nsubscribe\r\n$1\r\nb\r\n:2\r\n' +
      '*3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:2\r\n*2\r\n$4\r\npong\r\n$0\r\n\r\n*2\r\n$4\r\npong\r\n$1\r\nx\r\n' +
      `-ERR Can't execute 'get': ${NOT_ALLOWED}-ERR Can't execute 'client|id': ${NOT_ALLOWED}` +
      `-ERR Can't execute 'config|get': ${NOT_ALLOWED}-ERR Can't execute 'multi': ${NOT_ALLOWED}` +
      `-ERR Can't execute 'hello': ${NOT_ALLOWED}-ERR Can't execute 'publish': ${NOT_ALLOWED}` +
      `-ERR Can't execute 'pubsub|numpat': ${NOT_ALLOWED}` +
      "-ERR unknown command 'NOSUCH', with args beginning with: \r\n" +
      "-ERR wrong number of arguments for 'subscribe' command\r\n" +
      '*3\r\n$11\r\nunsubscribe\r\n$1\r\nx\r\n:2\r\n*3\r\n$11\r\nunsubscribe\r\n$1\r\na\r\n:1\r\n' +
      '*3\r\n$10\r\npsubscribe\r\n$2\r\nh*\r\n:2\r\n*3\r\n$10\r\npsubscribe\r\n$0\r\n\r\n:3\r\n' +
      '*3\r\n$12\r\npunsubscribe\r\n$1\r\nx\r\n:3\r\n*3\r\n$12\r\npunsubscribe\r\n$2\r\nh*\r\n:2\r\n' +
      '*3\r\n$11\r\nunsubscribe\r\n$1\r\nb\r\n:1\r\n*3\r\n$12\r\npunsubscribe\r\n$0\r\n\r\n:0\r\n' +
      '*3\r\n$11\r\nunsubscribe\r\n$-1\r\n:0\r\n+PONG\r\n*3\r\n$9\r\nsubscribe\r\n$1\r\nc\r\n:1\r\n' +
      '+RESET\r\n+PONG\r\n' +
      SYNC_REPLY,
  },
  {
    name: 'RESP2: SUBSCRIBE inside MULTI takes effect in EXEC; PUBSUB outside subscribed mode',
    resp3: false,
    send: [
      ['MULTI'],
      ['SUBSCRIBE', 'a', 'b'],
      ['PING'],
      ['EXEC'],
      // The commands after EXEC are sent once it has answered (see the note in commands/subscribe.ts).
      { waitFor: '*2\r\n$4\r\npong\r\n$0\r\n\r\n' },
      ['GET', 'x'],
      ['RESET'],
      ['PUBSUB', 'HELP'],
      ['PUBSUB', 'NUMSUB', 'nobody-here', 'nor-here'],
      ['PUBSUB', 'CHANNELS', 'nobody-*'],
      ['PUBSUB', 'CHANNELS', 'a', 'b'],
      ['PUBSUB', 'foo'],
      ['PUBSUB', 'NUMPAT', 'x'],
      ['PUBSUB'],
      ['PUBLISH', 'nobody-here', 'x'],
      ['PUBLISH', 'x'],
      ['UNSUBSCRIBE'],
      ['PUNSUBSCRIBE', 'p'],
      ['RESET', 'x'],
    ],
    reply:
      '+OK\r\n+QUEUED\r\n+QUEUED\r\n*2\r\n*3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:1\r\n' +
      '*3\r\n$9\r\nsubscribe\r\n$1\r\nb\r\n:2\r\n*2\r\n$4\r\npong\r\n$0\r\n\r\n' +
      `-ERR Can't execute 'get': ${NOT_ALLOWED}+RESET\r\n` +
      '*14\r\n+PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n+CHANNELS [<pattern>]\r\n' +
      "+    Return the currently active channels matching a <pattern> (default: '*').\r\n+NUMPAT\r\n" +
      '+    Return number of subscriptions to patterns.\r\n+NUMSUB [<channel> ...]\r\n' +
      '+    Return the number of subscribers for the specified channels, excluding\r\n' +
      '+    pattern subscriptions(default: no channels).\r\n+SHARDCHANNELS [<pattern>]\r\n' +
      "+    Return the currently active shard level channels matching a <pattern> (default: '*').\r\n" +
      '+SHARDNUMSUB [<shardchannel> ...]\r\n' +
      '+    Return the number of subscribers for the specified shard level channel(s)\r\n+HELP\r\n' +
      '+    Prints this help.\r\n' +
      '*4\r\n$11\r\nnobody-here\r\n:0\r\n$8\r\nnor-here\r\n:0\r\n*0\r\n' +
      "-ERR unknown subcommand or wrong number of arguments for 'CHANNELS'. Try PUBSUB HELP.\r\n" +
      "-ERR unknown subcommand 'foo'. Try PUBSUB HELP.\r\n" +
      "-ERR wrong number of arguments for 'pubsub|numpat' command\r\n" +
      "-ERR wrong number of arguments for 'pubsub' command\r\n:0\r\n" +
      "-ERR wrong number of arguments for 'publish' command\r\n" +
      '*3\r\n$11\r\nunsubscribe\r\n$-1\r\n:0\r\n*3\r\n$12\r\npunsubscribe\r\n$1\r\np\r\n:0\r\n' +
      "-ERR wrong number of arguments for 'reset' command\r\n" +
      SYNC_REPLY,
  },
  {
    name: 'RESP3: pushes, any command while subscribed, a message to oneself before the reply',
    resp3: true,
    send: [
      ['SUBSCRIBE', 'me'],
      ['PING'],
      ['PING', 'x'],
      ['GET', 'k'],
      ['PUBLISH', 'me', 'hello'],
      ['PSUBSCRIBE', 'm*'],
      ['PUBLISH', 'me', 'm2'],
      ['PUBSUB', 'NUMSUB', 'me'],
      ['UNSUBSCRIBE', 'me'],
      ['PUNSUBSCRIBE'],
      ['UNSUBSCRIBE'],
      ['HELLO', '2'],
      ['SUBSCRIBE', 'c'],
      ['GET', 'k'],
      ['RESET'],
    ],
    reply:
      '>3\r\n$9\r\nsubscribe\r\n$2\r\nme\r\n:1\r\n+PONG\r\n$1\r\nx\r\n_\r\n' +
      '>3\r\n$7\r\nmessage\r\n$2\r\nme\r\n$5\r\nhello\r\n:1\r\n>3\r\n$10\r\npsubscribe\r\n$2\r\nm*\r\n:2\r\n' +
      '>3\r\n$7\r\nmessage\r\n$2\r\nme\r\n$2\r\nm2\r\n>4\r\n$8\r\npmessage\r\n$2\r\nm*\r\n$2\r\nme\r\n$2\r\nm2\r\n:2\r\n' +
      '*2\r\n$2\r\nme\r\n:1\r\n>3\r\n$11\r\nunsubscribe\r\n$2\r\nme\r\n:1\r\n' +
      '>3\r\n$12\r\npunsubscribe\r\n$2\r\nm*\r\n:0\r\n>3\r\n$11\r\nunsubscribe\r\n_\r\n:0\r\n' +
      '*14\r\n$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n', // HELLO 2's answer, cut: it names the server
    // The rest, after HELLO 2's answer, is checked separately (see runScript).
  },
];

/** What follows HELLO 2's answer in the RESP3 script. */
const AFTER_HELLO2 = `*3\r\n$9\r\nsubscribe\r\n$1\r\nc\r\n:1\r\n-ERR Can't execute 'get': ${NOT_ALLOWED}+RESET\r\n${SYNC_REPLY}`;

/**
 * Runs a script on a fresh connection to `port`, one write per part (a part ends where the script
 * waits for an answer; a last PING SYNC ends it); its answer, HELLO 2's own answer cut short.
 */
async function runScript(t: TestContext, port: number, script: (typeof SCRIPTS)[number]): Promise<string> {
  const c = await RawClient.open(t, port);
  if (script.resp3) {
    c.send(resp('HELLO', '3'));
    await c.until(HELLO3_END, 'HELLO 3');
  }
  let text = '';
  let part = '';
  for (const step of [...script.send, SYNC, { waitFor: SYNC_REPLY }]) {
    if (Array.isArray(step)) {
      part += resp(...step);
      continue;
    }
    c.send(part);
    part = '';
    text += await c.until(step.waitFor, script.name);
  }
  const hello2 = text.indexOf('*14\r\n$6\r\nserver\r\n');
  if (hello2 < 0) return text;
  const rest = text.slice(text.indexOf('$7\r\nmodules\r\n*0\r\n', hello2) + '$7\r\nmodules\r\n*0\r\n'.length);
  assert.equal(rest, AFTER_HELLO2, `${script.name}: after HELLO 2`);
  return text.slice(0, hello2 + '*14\r\n$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n'.length);
}

test('pub/sub on a 3-node cluster', async (t) => {
  const cluster = await KvTestCluster.start(t);
  const leader = await cluster.waitForLeader();
  const [a, c] = cluster.nodes.map((n) => n.id).filter((id) => id !== leader) as [number, number];
  const b = leader;
  const port = (id: number): number => cluster.node(id).redisPort;

  await t.test(
    'a burst of 1,000 published on one node reaches a subscriber on another once each, in order',
    withLogs(cluster, async () => {
      const sub = cluster.client(a);
      const got: string[] = [];
      sub.on('message', (channel: string, message: string) => got.push(`${channel}:${message}`));
      assert.equal(await sub.subscribe('burst'), 1);
      const pub = cluster.client(c);
      await eventually(async () => (await numsub(pub, 'burst')) === 1, 'node C to count the subscriber');
      const replies = await Promise.all(Array.from({ length: 1000 }, (_, i) => pub.publish('burst', String(i))));
      assert.deepEqual(new Set(replies), new Set([1]), 'each reached one receiver');
      assert.equal(await pub.publish('burst', 'end'), 1);
      await eventually(() => got.includes('burst:end'), 'the last message');
      assert.deepEqual(got, [...Array.from({ length: 1000 }, (_, i) => `burst:${i}`), 'burst:end']);
      await sub.quit();
      await eventually(async () => (await numsub(pub, 'burst')) === 0, 'the subscriber gone, on node C too');
      assert.equal(await pub.publish('burst', 'nobody'), 0);
    }),
  );

  await t.test(
    "patterns, PUBLISH's count and PUBSUB's answers for the whole cluster",
    withLogs(cluster, async () => {
      const onA = cluster.client(a);
      const onB1 = cluster.client(b);
      const onB2 = cluster.client(b);
      const pmessages: string[][] = [];
      const messages: string[][] = [];
      onA.on('pmessage', (...m: string[]) => pmessages.push(['A', ...m]));
      onB2.on('pmessage', (...m: string[]) => pmessages.push(['B', ...m]));
      onB1.on('message', (...m: string[]) => messages.push(['B', ...m]));
      await onA.psubscribe('news.*');
      await onB1.subscribe('news.art', 'other');
      await onB2.psubscribe('news.[ab]*', 'n*');
      const onC = cluster.client(c);
      await eventually(async () => (await onC.call('PUBSUB', 'NUMPAT')) === 3, 'three patterns on the cluster');
      await eventually(async () => (await numsub(onC, 'other')) === 1, 'both channels counted on node C');
      assert.deepEqual(await onC.call('PUBSUB', 'NUMSUB', 'news.art', 'other', 'none'), [
        'news.art',
        1,
        'other',
        1,
        'none',
        0,
      ]);
      assert.deepEqual(((await onC.call('PUBSUB', 'CHANNELS')) as string[]).sort(), ['news.art', 'other']);
      assert.deepEqual(await onC.call('PUBSUB', 'CHANNELS', 'news.*'), ['news.art']);

      assert.equal(await onC.publish('news.art', 'x'), 4, 'news.* on A, news.art, news.[ab]* and n* on B');
      assert.equal(await onC.publish('news.cars', 'y'), 2, 'news.* on A, n* on B');
      assert.equal(await onC.publish('nothing', 'z'), 1, 'n* on B');
      await eventually(() => pmessages.length === 6 && messages.length === 1, 'every message');
      assert.deepEqual(messages, [['B', 'news.art', 'x']]);
      assert.deepEqual(
        pmessages.filter((m) => m[0] === 'A'),
        [
          ['A', 'news.*', 'news.art', 'x'],
          ['A', 'news.*', 'news.cars', 'y'],
        ],
      );
      assert.deepEqual(
        pmessages.filter((m) => m[0] === 'B'),
        [
          ['B', 'news.[ab]*', 'news.art', 'x'],
          ['B', 'n*', 'news.art', 'x'],
          ['B', 'n*', 'news.cars', 'y'],
          ['B', 'n*', 'nothing', 'z'],
        ],
      );

      onB2.disconnect();
      await onA.punsubscribe('news.*');
      await eventually(async () => (await onC.call('PUBSUB', 'NUMPAT')) === 0, 'no pattern left');
      assert.equal(await onC.publish('news.art', 'x2'), 1);
      await onB1.unsubscribe();
      await eventually(
        async () => ((await onC.call('PUBSUB', 'CHANNELS')) as string[]).length === 0,
        'no channel left',
      );
      assert.equal(await onC.publish('news.art', 'x3'), 0);
    }),
  );

  for (const protocol of [2, 3] as const) {
    await t.test(
      `node-redis (RESP${protocol}): channel and pattern subscribers get every message, in order`,
      withLogs(cluster, async () => {
        const connect = async (id: number) => {
          const client = createClient({
            socket: { host: '127.0.0.1', port: port(id), reconnectStrategy: false },
            RESP: protocol,
          });
          client.on('error', () => undefined);
          await client.connect();
          t.after(async () => {
            if (client.isOpen) await client.close();
          });
          return client;
        };
        const channel = `nr${protocol}`;
        const sub = await connect(a);
        const got: string[] = [];
        await sub.subscribe(channel, (message, ch) => got.push(`${ch}:${message}`));
        await sub.pSubscribe(`${channel}*`, (message, ch) => got.push(`p ${ch}:${message}`));
        const pub = await connect(c);
        const numsub = async (): Promise<number | undefined> => (await pub.pubSubNumSub(channel))[channel];
        await eventually(async () => (await numsub()) === 1, 'the subscriber counted on node C');
        await eventually(async () => (await pub.pubSubNumPat()) === 1, 'the pattern too');
        const replies = await Promise.all(Array.from({ length: 100 }, (_, i) => pub.publish(channel, String(i))));
        assert.deepEqual(new Set(replies), new Set([2]));
        await eventually(() => got.length === 200, 'every message twice: by channel and by pattern');
        const expected = Array.from({ length: 100 }, (_, i) => [`${channel}:${i}`, `p ${channel}:${i}`]).flat();
        assert.deepEqual(got, expected);
        await sub.unsubscribe(channel);
        await sub.pUnsubscribe();
        await eventually(async () => (await numsub()) === 0, 'unsubscribed on node C');
        await eventually(async () => (await pub.pubSubNumPat()) === 0, 'the pattern too');
      }),
    );
  }

  await t.test(
    'RESP3: a message from another node is a push; the subscribed connection runs any command',
    withLogs(cluster, async () => {
      const sub = await RawClient.open(t, port(a));
      sub.send(resp('HELLO', '3'));
      await sub.until(HELLO3_END, 'HELLO 3');
      sub.send(resp('SUBSCRIBE', 'r3') + resp('PSUBSCRIBE', 'r*'));
      assert.equal(
        await sub.until('$2\r\nr*\r\n:2\r\n', 'confirmations'),
        '>3\r\n$9\r\nsubscribe\r\n$2\r\nr3\r\n:1\r\n>3\r\n$10\r\npsubscribe\r\n$2\r\nr*\r\n:2\r\n',
      );
      const pub = cluster.client(c);
      await eventually(async () => (await pub.call('PUBSUB', 'NUMPAT')) === 1, 'the pattern counted on node C');
      assert.equal(await pub.publish('r3', 'hi\r\n'), 2);
      assert.equal(
        await sub.until('$4\r\nhi\r\n\r\n', 'the messages'),
        '>3\r\n$7\r\nmessage\r\n$2\r\nr3\r\n$4\r\nhi\r\n\r\n>4\r\n$8\r\npmessage\r\n$2\r\nr*\r\n$2\r\nr3\r\n$4\r\nhi\r\n\r\n',
      );
      sub.send(resp('SET', 'r3-key', 'v') + resp('GET', 'r3-key'));
      assert.equal(await sub.until('$1\r\nv\r\n', 'SET and GET'), '+OK\r\n$1\r\nv\r\n');
      sub.close();
    }),
  );

  const hasRedisServer = spawnSync('redis-server', ['--version']).status === 0;
  await t.test(
    'confirmations, errors and the subscribed rules byte for byte as redis-server 7.0.15',
    withLogs(cluster, async () => {
      const probe = cluster.client(c);
      for (const script of SCRIPTS) {
        for (const id of [a, b]) {
          // The scripts count subscribers: the earlier ones' must be gone from every node's count.
          await eventually(
            async () => (await numsub(probe, 'me')) === 0 && (await probe.call('PUBSUB', 'NUMPAT')) === 0,
            'no subscriber left from an earlier script',
          );
          assert.equal(await runScript(t, port(id), script), script.reply, `${script.name} on node ${id}`);
        }
      }
    }),
  );

  await t.test(
    'the same scripts against redis-server itself',
    { skip: hasRedisServer ? false : 'redis-server is not installed' },
    async (st) => {
      const redisPort = await startRedisServer(st);
      for (const script of SCRIPTS) assert.equal(await runScript(st, redisPort, script), script.reply, script.name);
    },
  );

  await t.test(
    'a restarted node replays PUBLISHes in its log to nobody; a new subscriber gets only new messages',
    withLogs(cluster, async () => {
      const onB = cluster.client(b);
      await cluster.kill(c);
      // Entries node C will apply when it is back, some of them after a client could subscribe.
      await Promise.all(Array.from({ length: 2000 }, (_, i) => onB.publish('replayed', String(i))));
      cluster.launch(cluster.node(c));
      // Subscribe as soon as node C takes connections.
      const deadline = Date.now() + 30000;
      let sub = await RawClient.open(t, port(c)).catch(() => null);
      while (sub === null && Date.now() < deadline) {
        await sleep(5);
        sub = await RawClient.open(t, port(c)).catch(() => null);
      }
      assert.ok(sub !== null, 'node C takes connections again');
      sub.send(resp('SUBSCRIBE', 'replayed'));
      await sub.until('$8\r\nreplayed\r\n:1\r\n', 'SUBSCRIBE on the restarted node');
      await eventually(async () => (await numsub(onB, 'replayed')) === 1, 'the subscriber counted');
      assert.equal(await onB.publish('replayed', 'new'), 1);
      assert.equal(
        await sub.until('$3\r\nnew\r\n', 'the new message'),
        '*3\r\n$7\r\nmessage\r\n$8\r\nreplayed\r\n$3\r\nnew\r\n',
        'nothing published before the subscription',
      );
      await cluster.waitForLeader();
    }),
  );

  await t.test(
    'across a leader kill: at most once per subscriber, in order; every acknowledged message arrives',
    withLogs(cluster, async () => {
      const killed = await cluster.waitForLeader();
      const [subNode, pubNode] = cluster.nodes.map((n) => n.id).filter((id) => id !== killed) as [number, number];
      const sub = cluster.client(subNode);
      const got: number[] = [];
      sub.on('message', (_channel: string, message: string) => got.push(Number(message)));
      await sub.subscribe('failover');
      const pub = cluster.client(pubNode);
      await eventually(async () => (await numsub(pub, 'failover')) === 1, 'the subscriber counted');

      const acked: number[] = [];
      let next = 0;
      let killedAt = -1;
      const errors = new Map<string, number>();
      // One publisher, one message at a time: its order is the order of the numbers.
      while (acked.filter((n) => n > killedAt).length < 100 || killedAt < 0) {
        if (acked.length === 100 && killedAt < 0) {
          killedAt = next - 1;
          await cluster.kill(killed, 'SIGKILL');
        }
        const n = next++;
        try {
          await pub.publish('failover', String(n));
          acked.push(n);
        } catch (e) {
          const kind = (e as Error).message.split(' ')[0]!;
          errors.set(kind, (errors.get(kind) ?? 0) + 1);
        }
        if (next > 100000) throw new Error(`no progress after the kill: ${JSON.stringify([...errors])}`);
      }
      await eventually(() => got.length > 0 && got[got.length - 1]! >= acked[acked.length - 1]!, 'the last ack');
      for (let i = 1; i < got.length; i++) {
        assert.ok(got[i]! > got[i - 1]!, `message ${got[i]} after ${got[i - 1]}: out of order or twice`);
      }
      const received = new Set(got);
      const missing = acked.filter((n) => !received.has(n));
      assert.deepEqual(missing, [], 'acknowledged messages that never arrived');
      assert.ok(got.every((n) => n < next));
    }),
  );
});

/** A redis-server on a free port for the test's duration; its port. */
async function startRedisServer(t: TestContext): Promise<number> {
  const [redisPort] = await freePorts(1);
  const redis = spawn(
    'redis-server',
    ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  t.after(() => redis.kill('SIGKILL'));
  await new Promise<void>((resolve, reject) => {
    let out = '';
    redis.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('Ready to accept connections')) resolve();
    });
    redis.once('exit', (code) => reject(new Error(`redis-server exited (${code}): ${out}`)));
  });
  return redisPort!;
}
