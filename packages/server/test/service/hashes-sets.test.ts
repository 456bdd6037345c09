// End to end: the hash and set commands on a 3-node cluster of real `little-raft serve` processes,
// compared byte for byte with a real redis-server (Debian's 7.0) on a fixed list of edge cases, in
// RESP2 and RESP3; then what only a cluster can show: every node holds the same hashes and sets
// after SPOPs (a write drawing random numbers), and a large HSCAN / SSCAN iteration by cursor.
//
// Where Redis's own order is arbitrary (a set in a hash table: non-integer members, or more than
// 512), set replies are compared as multisets; wherever Redis's order is defined (an intset:
// ascending; a small hash: insertion order) they must be identical.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { KvTestCluster, withLogs } from '../support/kv-cluster.js';
import { prng } from '../../../little-raft/test/support/prng.js';
import { startRedisServer } from '../support/redis-server.js';
import { formatValue, RespClient, type Argv, type RawReply, type RespValue } from '../support/resp-client.js';

/** Sends `commands` pipelined on a new connection to `port` (HELLO 3 first for RESP3); the replies. */
async function run(port: number, commands: readonly Argv[], resp3: boolean): Promise<RawReply[]> {
  const client = await RespClient.connect(port);
  try {
    if (resp3) await client.command('HELLO', '3');
    return await client.call(commands);
  } finally {
    client.close();
  }
}

/**
 * The edge cases, as written to redis-cli (split at spaces; `''` is an empty argument). Random
 * commands appear only where their reply is determined: a count of 0 or of the whole collection,
 * or a collection of one. Hash h stays within Redis's listpack limits (values up to 64 bytes), so
 * its order is defined.
 */
const CASES = `
HSET h a 1 b 2 c 3
HSET h a 10 d 4
HSET h
HSET h a
HSET h a 1 b
HMSET h a 1 b
HMSET h e 5
HSETNX h a 2
HSETNX h f 6
HGET h a
HGET h nope
HGET none a
HMGET h a nope b
HMGET none a b
HLEN h
HLEN none
HSTRLEN h a
HSTRLEN h nope
HEXISTS h b
HEXISTS none b
HKEYS h
HVALS h
HGETALL h
HGETALL none
HKEYS none
HDEL h a x b
HDEL none a
HGETALL h
HSET h '' '' bin \\x00\\xff\\r\\n
HGETALL h
HINCRBY h n 5
HINCRBY h n -7
HINCRBY h big 9223372036854775807
HINCRBY h big 1
HINCRBY h n x
HINCRBY h n 1.5
HINCRBY h n 9223372036854775808
HINCRBY h c 1
HSET h s abc f 1.5 lz 01
HINCRBY h s 1
HINCRBY h f 1
HINCRBY h lz 1
HINCRBYFLOAT h fl 0.1
HINCRBYFLOAT h fl 0.2
HINCRBYFLOAT h p 123456789.123456789
HINCRBYFLOAT h t 0.000003814697265625
HINCRBYFLOAT h e 1e17
HINCRBYFLOAT h e 0.3
HINCRBYFLOAT h g 12345678901234567890.5
HINCRBYFLOAT h m -1e-30
HINCRBYFLOAT h x 0x1.8p1
HINCRBYFLOAT long w 1e308
HINCRBYFLOAT long w 1e308
HINCRBYFLOAT long ld 1e400
HGET long w
HGET long ld
HINCRBYFLOAT h f abc
HINCRBYFLOAT h f nan
HINCRBYFLOAT h f inf
HINCRBYFLOAT h f -Infinity
HINCRBYFLOAT h f 1e4933
HINCRBYFLOAT h f 1e-4951
HINCRBYFLOAT h s 1
HSET h inf inf
HINCRBYFLOAT h inf 1
HINCRBYFLOAT h f 2.5
HGETALL h
HRANDFIELD none
HRANDFIELD none 3
HRANDFIELD none 3 WITHVALUES
HRANDFIELD h 0
HRANDFIELD h 0 WITHVALUES
HRANDFIELD h 100
HRANDFIELD h 100 withvalues
HRANDFIELD h x
HRANDFIELD h -9223372036854775808
HRANDFIELD h 1 withvalue
HRANDFIELD h 1 WITHVALUES x
HRANDFIELD h -4611686018427387904 WITHVALUES
HRANDFIELD h 4611686018427387904 WITHVALUES
HSET one k v
HRANDFIELD one
HRANDFIELD one 1 WITHVALUES
HRANDFIELD one -3 WITHVALUES
HRANDFIELD one -2
HSCAN h 0
HSCAN h 12345
HSCAN h 0 MATCH *e*
HSCAN h 0 COUNT 1 MATCH ?
HSCAN h x
HSCAN none x
HSCAN none 0 COUNT x BOGUS
HSCAN h 0 COUNT 0
HSCAN h 0 COUNT x
HSCAN h 0 MATCH
HSCAN h 0 NOVALUES
HSCAN h -1
HSCAN h 18446744073709551616
SET str v
HGET str a
HSET str a 1
HGETALL str
HRANDFIELD str 1
HRANDFIELD str x
HSCAN str 0
HSCAN str x
HINCRBY str a x
HINCRBYFLOAT str a inf
SADD i 10 -3 2 9223372036854775807 -9223372036854775808 0
SADD i 2
SMEMBERS i
SADD w b a c
SADD w a
SREM w a x
SMEMBERS w
SREM none a
SCARD w
SCARD none
SISMEMBER i 2
SISMEMBER i 02
SISMEMBER none 2
SMISMEMBER i 2 02 x
SMISMEMBER none a b
SADD lz 5 01 1
SMEMBERS lz
SADD a 1 2 3 4 x
SADD b 2 3 4 5 x
SADD c 3 4 x y
SINTER a b c
SINTER a b
SINTER a none
SINTER none
SUNION a b c none
SUNION none
SDIFF a b
SDIFF b a c
SDIFF a none
SDIFF none a
SDIFF a b a
SINTERCARD 2 a b
SINTERCARD 1 a LIMIT 2
SINTERCARD 2 a b LIMIT 0
SINTERCARD 2 a none
SINTERCARD 0 a
SINTERCARD x a
SINTERCARD 3 a b
SINTERCARD 1 a LIMIT
SINTERCARD 1 a LIMIT -1
SINTERCARD 1 a LIMIT x
SINTERCARD 1 a FOO 2
SINTERCARD 1 a LIMIT 1 LIMIT 0
SET d v
SINTERSTORE d a b
SMEMBERS d
TTL d
SUNIONSTORE d a b
SDIFFSTORE d a b
SMEMBERS d
SINTERSTORE d a none
EXISTS d
SUNIONSTORE d none
SDIFFSTORE a2 a
SMEMBERS a2
SDIFFSTORE a2 a2
SDIFFSTORE d b b
SINTER str a
SINTER none str
SUNION a str
SDIFF none str
SINTERSTORE d a str
SINTERCARD 2 none str
SINTERSTORE str a
TYPE str
SET str v
SMOVE none str 1
SMOVE str a 1
SMOVE a str 1
SMOVE a a 1
SMOVE a a 9
SMOVE a dst 9
SMOVE a dst 1
SMOVE a dst x
SMEMBERS dst
SMEMBERS a
SADD solo only
SPOP solo
SPOP solo
SPOP none
SPOP none 3
SPOP i 0
SPOP i 1 2
SPOP i -1
SPOP i x
SPOP str 0
SPOP str
SADD p 3 1 2
SPOP p 3
EXISTS p
SADD p z y x
SPOP p 100
SRANDMEMBER none
SRANDMEMBER none 5
SRANDMEMBER none -5
SRANDMEMBER i 0
SRANDMEMBER i 100
SRANDMEMBER i 9223372036854775807
SRANDMEMBER i x
SRANDMEMBER i -9223372036854775808
SRANDMEMBER i 9223372036854775808
SRANDMEMBER i 1 2
SRANDMEMBER str
SRANDMEMBER str 1
SADD solo only
SRANDMEMBER solo
SRANDMEMBER solo -3
SRANDMEMBER solo 1
SSCAN i 0
SSCAN i 77 COUNT 1
SSCAN i 0 MATCH *0*
SSCAN w 0
SSCAN x x
SSCAN none x
SSCAN none 0 COUNT x
SSCAN i 0 COUNT 0
SSCAN i 0 COUNT x
SSCAN i 0 MATCH
SSCAN i 0 TYPE string
SSCAN i 18446744073709551615
SSCAN i 18446744073709551616
SSCAN str 0
SADD str x
SMEMBERS str
`;

function parseCases(text: string): Buffer[][] {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) =>
      l
        .split(' ')
        .map((a) =>
          Buffer.from(
            a === "''"
              ? ''
              : a.replace(/\\x([0-9a-f]{2})|\\r|\\n/g, (m, h: string | undefined) =>
                  h ? String.fromCharCode(parseInt(h, 16)) : m === '\\r' ? '\r' : '\n',
                ),
            'latin1',
          ),
        ),
    );
}

/**
 * HINCRBYFLOAT with random increments (seeded): decimal and hexadecimal, up to 40 digits, exponents
 * up to +-5000, so the sums run through a long double's whole range and precision.
 */
function randomFloatCases(seed: number, n: number): Buffer[][] {
  const rnd = prng(seed);
  const digits = (k: number, alphabet = '0123456789'): string =>
    Array.from({ length: k }, () => alphabet[Math.floor(rnd() * alphabet.length)]).join('');
  const out: Buffer[][] = [];
  for (let i = 0; i < n; i++) {
    const sign = rnd() < 0.4 ? '-' : '';
    const big = rnd() < 0.1;
    const incr =
      rnd() < 0.1
        ? `${sign}0x${digits(1 + Math.floor(rnd() * 16), '0123456789abcdef')}p${Math.floor(rnd() * 200) - 100}`
        : `${sign}${digits(Math.floor(rnd() * 20))}.${digits(1 + Math.floor(rnd() * 20))}` +
          (rnd() < 0.5 ? `e${Math.floor(rnd() * (big ? 10_000 : 80)) - (big ? 5000 : 40)}` : '');
    out.push(['HINCRBYFLOAT', 'rf', `f${i % 7}`, incr].map((a) => Buffer.from(a)));
  }
  return out;
}

/** Set replies whose order Redis leaves to its hash table. */
const SET_REPLIES = /^(smembers|sinter|sunion|sdiff|spop|srandmember|sscan)$/i;

/** The bulk strings of an array or set reply (SSCAN: of its page), with the reply's kind; else null. */
function elements(v: RespValue, isScan: boolean): [string, string[]] | null {
  let list: RespValue = v;
  let head = '';
  if (isScan) {
    if (v.type !== 'array' || v.items.length !== 2 || v.items[0]!.type !== 'bulk') return null;
    head = v.items[0]!.data.toString('latin1');
    list = v.items[1]!;
  }
  if (list.type !== 'array' && list.type !== 'set') return null;
  const out: string[] = [];
  for (const item of list.items) {
    if (item.type !== 'bulk') return null;
    out.push(item.data.toString('latin1'));
  }
  return [`${head} ${list.type}`, out];
}

function ascendingIntegers(xs: string[]): boolean {
  return xs.every((x, i) => /^-?\d+$/.test(x) && (i === 0 || BigInt(xs[i - 1]!) < BigInt(x)));
}

/** Same bytes; or, for a set Redis holds as a hash table (not an intset), the same members. */
function sameReply(argv: Argv, ours: RespValue, theirs: RespValue): boolean {
  const name = Buffer.from(argv[0]!).toString();
  if (!SET_REPLIES.test(name)) return false;
  const a = elements(ours, /^sscan$/i.test(name));
  const b = elements(theirs, /^sscan$/i.test(name));
  if (a === null || b === null || a[0] !== b[0] || ascendingIntegers(b[1])) return false;
  return JSON.stringify([...a[1]].sort()) === JSON.stringify([...b[1]].sort());
}

test('hashes and sets: a 3-node cluster answers as redis-server does', async (t) => {
  const [cluster, redis] = await Promise.all([KvTestCluster.start(t), startRedisServer(t)]);
  const cases = [...parseCases(CASES), ...randomFloatCases(13, 300)];

  await t.test(
    'the edge cases, byte for byte, in RESP2 and RESP3, on a follower and on the leader',
    withLogs(cluster, async () => {
      const leader = await cluster.waitForLeader();
      const follower = cluster.nodes.find((n) => n.id !== leader)!.id;
      for (const [resp3, nodeId] of [
        [false, follower],
        [true, leader],
      ] as const) {
        const commands = [[Buffer.from('FLUSHDB')], ...cases];
        const ours = (await run(cluster.node(nodeId).redisPort, commands, resp3)).slice(1);
        const theirs = (await run(redis.port, commands, resp3)).slice(1);
        const diffs: string[] = [];
        cases.forEach((argv, i) => {
          const [a, b] = [ours[i]!, theirs[i]!];
          if (!a.bytes.equals(b.bytes) && !sameReply(argv, a.value, b.value)) {
            diffs.push(
              `${argv.map((x) => x.toString('latin1')).join(' ')}\n  redis: ${formatValue(b.value)}\n  ours:  ${formatValue(a.value)}`,
            );
          }
        });
        assert.deepEqual(diffs, [], `RESP${resp3 ? 3 : 2} on node ${nodeId}`);
      }
    }),
  );

  await t.test(
    'every node holds the same hashes and sets after SPOPs, HINCRBYFLOATs and set algebra',
    withLogs(cluster, async () => {
      const c = cluster.client(1);
      const members = Array.from({ length: 2000 }, (_, i) => `m${i}`);
      await c.sadd('pop:big', ...members);
      await c.sadd('pop:small', 'a', 'b', 'c', ...members.slice(0, 50));
      await c.hset('pop:h', 'f', '0');
      const popped: string[] = [];
      for (let i = 0; i < 30; i++) {
        const client = cluster.client(1 + (i % 3));
        popped.push(...((await client.call('spop', 'pop:big', String(1 + (i % 5)))) as string[]));
        await client.spop('pop:small');
        await client.hincrbyfloat('pop:h', 'f', '0.1');
        await client.sinterstore('pop:inter', 'pop:big', 'pop:small');
        await client.sadd('pop:small', `x${i}`);
        client.disconnect();
      }
      assert.equal(new Set(popped).size, popped.length, 'nothing popped twice');
      assert.equal(popped.length, 6 * (1 + 2 + 3 + 4 + 5));
      const views = await Promise.all(
        cluster.nodes.map(async (n) => {
          const r = cluster.client(n.id);
          const view = {
            big: (await r.smembers('pop:big')).sort(),
            small: (await r.smembers('pop:small')).sort(),
            h: await r.hgetall('pop:h'),
            inter: (await r.smembers('pop:inter')).sort(),
          };
          r.disconnect();
          return view;
        }),
      );
      assert.equal(views[0]!.big.length + popped.length, 2000);
      assert.equal(views[0]!.small.length, 53 - 30 + 30);
      assert.ok(views[0]!.inter.length > 0);
      assert.deepEqual(views[0]!.h, { f: '3' }, '30 times 0.1 is 3 in long double arithmetic');
      assert.deepEqual(views[1], views[0]);
      assert.deepEqual(views[2], views[0]);
    }),
  );

  await t.test(
    'HSCAN and SSCAN of large collections by cursor, through changes made between the calls',
    withLogs(cluster, async () => {
      const c = cluster.client(2);
      const n = 1500;
      await c.hset('scan:h', Object.fromEntries(Array.from({ length: n }, (_, i) => [`f${i}`, `v${i}`])));
      await c.sadd('scan:s', ...Array.from({ length: n }, (_, i) => `m${i}`));
      for (const [key, command] of [
        ['scan:h', 'hscan'],
        ['scan:s', 'sscan'],
      ] as const) {
        const returned = new Set<string>();
        let cursor = '0';
        let calls = 0;
        do {
          const [next, page] = (await c.call(command, key, cursor, 'COUNT', '50')) as [string, string[]];
          const step = command === 'hscan' ? 2 : 1;
          for (let i = 0; i < page.length; i += step) returned.add(page[i]!);
          cursor = next;
          calls++;
          // Between calls: new members, and one old one deleted (so not present throughout).
          if (command === 'hscan') {
            await c.hset(key, `new${calls}`, 'x');
            await c.hdel(key, `f${calls}`);
          } else {
            await c.sadd(key, `new${calls}`);
            await c.srem(key, `m${calls}`);
          }
        } while (cursor !== '0' && calls < 1000);
        assert.ok(calls > 10 && calls < 100, `${command}: ${calls} calls`);
        const prefix = command === 'hscan' ? 'f' : 'm';
        for (let i = calls + 1; i < n; i++)
          assert.ok(returned.has(`${prefix}${i}`), `${command}: ${prefix}${i} missed`);
      }
    }),
  );
});
