// End to end (issue 16): --maxmemory with Redis's noeviction policy, on a 2-node cluster of real
// `little-raft serve` processes where only node 1 has a limit. Node 1 takes writes until it answers
// Redis's -OOM; then, held over its limit (by what its clients have sent in part: Redis counts
// query buffers in used memory too; garbage collection cannot free those), what its clients get
// (writes, reads, DEL, MULTI, a subscribed client) is compared reply for reply with a real
// redis-server 7.0 over its limit; nothing refused is applied, and node 2 (no limit) keeps taking
// writes: the node that receives a command decides. INFO memory and CONFIG GET report the limit.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { KvTestCluster, withLogs } from '../support/kv-cluster.js';
import { RawClient } from '../support/raw-client.js';
import { eventually } from '../support/eventually.js';
import { startRedisServer } from '../support/redis-server.js';
import { argv, formatValue, RespClient, type RawReply } from '../support/resp-client.js';
import { bytesToHuman } from '../../src/resp/info-memory.js';

const MB = 1024 * 1024;
const MAXMEMORY = 48 * MB;
const OOM = "OOM command not allowed when used memory > 'maxmemory'.";

/** Queued on connections A and B before the server is over its limit; EXEC'd after. */
const QUEUED_BEFORE = { a: ['multi', 'set tx 1', 'get missing'], b: ['multi', 'get missing', 'ping'] };

/** What a client sends once the server is over its limit (on a fresh connection). */
const OVER_LIMIT = [
  'set x 1',
  'set x 1 bogus', // OOM comes before the syntax check, as in Redis
  'set x', // the arity check before OOM
  'mset m:1 1 m:2 2',
  'exists m:1 m:2',
  'get missing',
  'del missing',
  'expire missing 10',
  'incr n',
  'lpush l a',
  'hset h f v',
  'sadd s a',
  'append missing x',
  'setrange missing 0 x',
  'multi',
  'get missing', // inside MULTI every command is refused (queuing takes memory)
  'set x 1',
  'ping',
  'exec',
  'multi',
  'multi',
  'watch x',
  'discard',
  'multi',
  'nosuchcommand',
  'exec',
  'multi',
  'exec', // nothing queued: nothing refused
];

interface Replies {
  overLimit: string[];
  execA: string;
  execB: string;
  subscribed: string[];
}

const show = (r: RawReply): string => formatValue(r.value);

/** Runs the scripts on `port`; `overLimit` brings the server over its limit in between. */
async function script(port: number, overLimit: () => Promise<void>): Promise<Replies> {
  const [a, b, c, s] = await Promise.all([0, 1, 2, 3].map(() => RespClient.connect(port)));
  try {
    for (const r of await a!.call(QUEUED_BEFORE.a.map((l) => argv(l)))) assert.match(show(r), /OK|QUEUED/);
    for (const r of await b!.call(QUEUED_BEFORE.b.map((l) => argv(l)))) assert.match(show(r), /OK|QUEUED/);
    await s!.command('subscribe', 'ch');
    await overLimit();
    return {
      overLimit: (await c!.call(OVER_LIMIT.map((l) => argv(l)))).map(show),
      execA: show(await a!.command('exec')),
      execB: show(await b!.command('exec')),
      subscribed: (await s!.call([argv('set x 1'), argv('ping')])).map(show),
    };
  } finally {
    for (const client of [a, b, c, s]) client!.close();
  }
}

function infoFields(text: string): Map<string, string> {
  return new Map(
    text
      .split('\r\n')
      .filter((l) => l.includes(':'))
      .map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1)]),
  );
}

async function info(client: RespClient, section: string): Promise<Map<string, string>> {
  const r = await client.command('info', section);
  assert.equal(r.value.type, 'bulk');
  return infoFields(r.value.type === 'bulk' ? r.value.data.toString() : '');
}

test('--maxmemory: -OOM as redis-server 7.0 answers it, nothing half-applied, reads and DEL served', async (t) => {
  const redis = await startRedisServer(t);
  const cluster = await KvTestCluster.start(t, { nodes: 2, nodeArgs: { 1: ['--maxmemory', '48mb'] } });
  const limited = await RespClient.connect(cluster.node(1).redisPort);
  const other = await RespClient.connect(cluster.node(2).redisPort);
  t.after(() => [limited, other].forEach((c) => c.close()));
  await withLogs(cluster, async () => {
    const start = await info(limited, 'memory');
    assert.equal(start.get('maxmemory'), String(MAXMEMORY));
    assert.ok(Number(start.get('used_memory')) < MAXMEMORY, `starts under the limit: ${start.get('used_memory')}`);
    // 48 MB fits the default heap: the node runs in the process that was started.
    const server = await info(limited, 'server');
    assert.equal(server.get('process_id'), String(cluster.node(1).process?.pid));

    const reference = await script(redis.port, async () => {
      const config = await RespClient.connect(redis.port);
      assert.equal(show(await config.command('config', 'set', 'maxmemory', '1')), '+OK');
      config.close();
    });

    const mb = Buffer.alloc(MB, 'v');
    let filled = 0;
    const ours = await script(cluster.node(1).redisPort, async () => {
      // Writes to node 1 until it refuses one, with Redis's exact text.
      let last: string;
      do {
        last = show(await limited.command('set', `fill:${filled}`, mb));
        if (last === '+OK') filled++;
      } while (last === '+OK' && filled < 400);
      assert.equal(last, `-${OOM}`);
      assert.ok(filled > 0, 'node 1 took writes before its limit');
      // Garbage counts as used memory until it is collected, which could bring node 1 back under
      // its limit: 9 clients each leave a SET of 7 MB unfinished, 63 MB held while they are open.
      const value = Buffer.alloc(7 * MB, 'p');
      for (let i = 0; i < 9; i++) {
        const partial = await RawClient.connect(cluster.node(1).redisPort);
        t.after(() => partial.destroy());
        partial.socket.write(`*3\r\n$3\r\nSET\r\n$1\r\np\r\n$${value.length + 1}\r\n`);
        await new Promise((written) => partial.socket.write(value, written));
      }
      await eventually(
        async () => Number((await info(limited, 'memory')).get('used_memory')) > MAXMEMORY,
        'node 1 over its limit',
      );
    });
    assert.deepEqual(ours, reference);
    assert.equal(ours.execA, `-EXECABORT Transaction discarded because of: ${OOM}`);
    assert.equal(ours.overLimit[3], `-${OOM}`); // the MSET

    // Nothing of the refused MSET anywhere; node 2 still takes writes; node 1 reads and deletes.
    assert.equal(show(await other.command('exists', 'm:1', 'm:2', 'x')), ':0');
    assert.equal(show(await other.command('set', 'through-2', 'yes')), '+OK');
    assert.equal(show(await limited.command('get', 'through-2')), '"yes"');
    assert.equal(show(await limited.command('strlen', 'fill:0')), `:${MB}`);
    assert.equal(show(await limited.command('del', 'fill:0')), ':1');
    assert.equal(show(await other.command('exists', 'fill:0')), ':0');
    assert.equal(show(await limited.command('set', 'x', '1')), `-${OOM}`);

    const memory = await info(limited, 'memory');
    const used = Number(memory.get('used_memory'));
    assert.ok(used > MAXMEMORY, `used_memory ${used} is over maxmemory`);
    assert.equal(memory.get('used_memory_human'), bytesToHuman(used));
    assert.ok(Number(memory.get('used_memory_peak')) >= used);
    assert.equal(memory.get('maxmemory'), String(MAXMEMORY));
    assert.equal(memory.get('maxmemory_human'), '48.00M');
    assert.equal(memory.get('maxmemory_policy'), 'noeviction');
    assert.ok(Number(memory.get('node_heap_size_limit')) > MAXMEMORY);
    // INFO's default sections include it; CONFIG GET says the real limit.
    assert.ok((await info(limited, 'default')).has('maxmemory'));
    assert.equal(show(await limited.command('config', 'get', 'maxmemory')), `["maxmemory", "${MAXMEMORY}"]`);
    assert.equal(show(await other.command('config', 'get', 'maxmemory')), '["maxmemory", "0"]');
  })();
});
