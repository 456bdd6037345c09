// End to end with ioredis: every command the KV service speaks, against one 3-node cluster of real
// `little-raft serve` processes, on the leader and on followers; linearizable reads across nodes;
// a 1,000-command pipeline; 50 concurrent clients; RESP3 HELLO, inline commands and QUIT on a raw
// socket.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as net from 'node:net';

import type { Redis } from 'ioredis';

import { KvTestCluster, withLogs } from '../support/kv-cluster.js';
import { eventually } from '../support/eventually.js';
import { prng } from '../../../little-raft/test/support/prng.js';

/** Expects a Redis error reply with exactly `message`. */
async function rejectsWith(p: Promise<unknown>, message: string): Promise<void> {
  await assert.rejects(p, (e: Error) => {
    assert.equal(e.message, message);
    return true;
  });
}

/**
 * Writes `payload` on a new socket to `port` and collects what comes back until `done(text)` holds
 * or the server closes the connection (then `closed` is true). Fails after 5 s.
 */
function raw(
  port: number,
  payload: string | string[],
  done: (text: string) => boolean = () => false,
): Promise<{ text: string; closed: boolean }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let text = '';
    let finished = false;
    const finish = (closed: boolean): void => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ text, closed });
    };
    const timer = setTimeout(() => {
      finished = true;
      socket.destroy();
      reject(new Error(`raw socket: no complete answer within 5 s; got ${JSON.stringify(text)}`));
    }, 5000);
    const parts = Array.isArray(payload) ? [...payload] : [payload];
    socket.on('connect', () => socket.write(parts.shift()!));
    socket.on('data', (chunk) => {
      text += chunk.toString('latin1');
      if (done(text)) finish(false);
    });
    socket.on('close', () => finish(true));
    socket.on('error', () => undefined);
  });
}

/** Every INFO field of `section` as a record. */
function infoFields(info: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of info.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0 && !line.startsWith('#')) out[line.slice(0, colon)] = line.slice(colon + 1);
  }
  return out;
}

/** All keys a SCAN iteration with `args` returns, and how many calls it took. */
async function scanAll(c: Redis, ...args: (string | number)[]): Promise<{ keys: Set<string>; calls: number }> {
  const keys = new Set<string>();
  let cursor = '0';
  let calls = 0;
  do {
    const [next, page] = (await c.call('scan', cursor, ...args)) as [string, string[]];
    assert.match(next, /^[0-9]+$/);
    for (const k of page) keys.add(k);
    cursor = next;
    calls++;
    assert.ok(calls < 10000, 'SCAN terminates');
  } while (cursor !== '0');
  return { keys, calls };
}

/** The commands whose replies do not depend on the rest of the key space, run on node `id`. */
async function perNodeCommands(cluster: KvTestCluster, id: number, other: Redis, p: string): Promise<void> {
  const c = cluster.client(id);
  const k = (s: string): string => `${p}:${s}`;

  // PING, ECHO
  assert.equal(await c.ping(), 'PONG');
  assert.equal(await c.ping('hello there'), 'hello there');
  assert.equal(await c.echo('a\r\nbinary\0echo'), 'a\r\nbinary\0echo');
  await rejectsWith(c.call('ping', 'a', 'b'), "ERR wrong number of arguments for 'ping' command");
  await rejectsWith(c.call('echo'), "ERR wrong number of arguments for 'echo' command");

  // SET and GET; a read right after a write on the same connection sees it; another node too.
  assert.equal(await c.get(k('s')), null);
  assert.equal(await c.set(k('s'), 'v1'), 'OK');
  assert.equal(await c.get(k('s')), 'v1');
  assert.equal(await other.get(k('s')), 'v1');
  const binary = Buffer.from([0, 255, 13, 10, 128, 1]);
  await c.set(k('bin'), binary);
  assert.deepEqual(await other.getBuffer(k('bin')), binary);
  // NX / XX
  assert.equal(await c.set(k('s'), 'nx', 'NX'), null);
  assert.equal(await c.get(k('s')), 'v1');
  assert.equal(await c.set(k('nx'), 'fresh', 'NX'), 'OK');
  assert.equal(await c.get(k('nx')), 'fresh');
  assert.equal(await c.set(k('xx'), 'v', 'XX'), null);
  assert.equal(await c.exists(k('xx')), 0);
  assert.equal(await c.set(k('s'), 'v2', 'XX'), 'OK');
  assert.equal(await c.get(k('s')), 'v2');
  // GET option: the old value (nil when there was none); with NX (Redis 7) nothing is set.
  assert.equal(await c.call('set', k('s'), 'v3', 'GET'), 'v2');
  assert.equal(await c.get(k('s')), 'v3');
  assert.equal(await c.call('set', k('g'), 'first', 'GET'), null);
  assert.equal(await c.get(k('g')), 'first');
  assert.equal(await c.call('set', k('s'), 'v4', 'NX', 'GET'), 'v3');
  assert.equal(await c.get(k('s')), 'v3');
  await rejectsWith(c.call('set', k('s'), 'v', 'NX', 'XX'), 'ERR syntax error');
  await rejectsWith(c.call('set', k('s'), 'v', 'BOGUS'), 'ERR syntax error');
  await rejectsWith(c.call('set', k('s'), 'v', 'EX', '0'), "ERR invalid expire time in 'set' command");
  await rejectsWith(c.call('set', k('s'), 'v', 'PX', '-5'), "ERR invalid expire time in 'set' command");
  await rejectsWith(c.call('set', k('s'), 'v', 'EX', 'ten'), 'ERR value is not an integer or out of range');
  await rejectsWith(c.call('set', k('s'), 'v', 'EX', '10', 'PX', '10'), 'ERR syntax error');
  await rejectsWith(c.call('set', k('s')), "ERR wrong number of arguments for 'set' command");
  assert.equal(await c.get(k('s')), 'v3', 'failed SETs change nothing');

  // EX / PX, TTL / PTTL, KEEPTTL
  assert.equal(await c.ttl(k('nope')), -2);
  assert.equal(await c.pttl(k('nope')), -2);
  assert.equal(await c.ttl(k('s')), -1);
  assert.equal(await c.pttl(k('s')), -1);
  assert.equal(await c.set(k('ex'), 'v', 'EX', 100), 'OK');
  const ttl = await other.ttl(k('ex'));
  assert.ok(ttl > 90 && ttl <= 100, `TTL ${ttl}`);
  assert.equal(await c.set(k('px'), 'v', 'PX', 100000), 'OK');
  const pttl = await other.pttl(k('px'));
  assert.ok(pttl > 90000 && pttl <= 100000, `PTTL ${pttl}`);
  assert.equal(await c.call('set', k('px'), 'kept', 'KEEPTTL'), 'OK');
  const kept = await c.pttl(k('px'));
  assert.ok(kept > 90000 && kept <= 100000, `KEEPTTL keeps the TTL: ${kept}`);
  assert.equal(await c.get(k('px')), 'kept');
  assert.equal(await c.set(k('px'), 'plain'), 'OK');
  assert.equal(await c.pttl(k('px')), -1, 'a SET without KEEPTTL clears the TTL');
  await rejectsWith(c.call('set', k('px'), 'v', 'EX', '10', 'KEEPTTL'), 'ERR syntax error');
  await rejectsWith(c.call('ttl'), "ERR wrong number of arguments for 'ttl' command");

  // Expiry actually happens, on every node: the key exists right after the SET, then goes.
  const [setReply, getReply, pttlReply] = (await c
    .pipeline()
    .set(k('short'), 'soon gone', 'PX', 700)
    .get(k('short'))
    .pttl(k('short'))
    .exec())!;
  assert.deepEqual(setReply, [null, 'OK']);
  assert.deepEqual(getReply, [null, 'soon gone'], 'the key exists before its expiry');
  assert.ok((pttlReply![1] as number) > 0 && (pttlReply![1] as number) <= 700, `PTTL ${String(pttlReply![1])}`);
  await eventually(async () => (await c.exists(k('short'))) === 0, 'the key to expire', 5000);
  for (const n of cluster.nodes) {
    const r = cluster.client(n.id);
    assert.equal(await r.get(k('short')), null, `expired on node ${n.id}`);
    assert.equal(await r.pttl(k('short')), -2);
    r.disconnect();
  }
  assert.equal(await c.set(k('ex1'), 'v', 'EX', 1), 'OK');
  const ttl1 = await c.ttl(k('ex1'));
  assert.ok(ttl1 === 1 || ttl1 === 0, `TTL right after EX 1: ${ttl1}`); // seconds, rounded
  await eventually(async () => (await other.get(k('ex1'))) === null, 'EX 1 to expire', 5000);

  // DEL, EXISTS
  await c.mset(k('d1'), 'a', k('d2'), 'b');
  assert.equal(await c.exists(k('d1'), k('d2'), k('d1'), k('none')), 3);
  assert.equal(await c.del(k('d1'), k('d2'), k('none')), 2);
  assert.equal(await other.exists(k('d1'), k('d2')), 0);
  assert.equal(await c.del(k('d1')), 0);
  await rejectsWith(c.call('del'), "ERR wrong number of arguments for 'del' command");
  await rejectsWith(c.call('exists'), "ERR wrong number of arguments for 'exists' command");

  // INCR, INCRBY, DECR, DECRBY
  assert.equal(await c.incr(k('n')), 1);
  assert.equal(await c.incr(k('n')), 2);
  assert.equal(await c.incrby(k('n'), 40), 42);
  assert.equal(await c.decr(k('n')), 41);
  assert.equal(await c.decrby(k('n'), 50), -9);
  assert.equal(await other.get(k('n')), '-9');
  assert.equal(await c.incrby(k('n'), -1), -10);
  await rejectsWith(c.incr(k('s')), 'ERR value is not an integer or out of range');
  await rejectsWith(c.call('incrby', k('n'), '1.5'), 'ERR value is not an integer or out of range');
  await c.set(k('big'), '9223372036854775807');
  await rejectsWith(c.incr(k('big')), 'ERR increment or decrement would overflow');
  assert.equal(await c.get(k('big')), '9223372036854775807');
  await c.set(k('small'), '-9223372036854775808');
  await rejectsWith(c.decr(k('small')), 'ERR increment or decrement would overflow');
  await rejectsWith(c.call('incr'), "ERR wrong number of arguments for 'incr' command");
  await rejectsWith(c.call('incrby', k('n')), "ERR wrong number of arguments for 'incrby' command");
  await rejectsWith(c.call('decr', k('n'), '1'), "ERR wrong number of arguments for 'decr' command");
  await rejectsWith(c.call('decrby', k('n')), "ERR wrong number of arguments for 'decrby' command");

  // APPEND, STRLEN
  assert.equal(await c.append(k('a'), 'hello'), 5);
  assert.equal(await c.append(k('a'), ' world'), 11);
  assert.equal(await other.get(k('a')), 'hello world');
  assert.equal(await c.strlen(k('a')), 11);
  assert.equal(await c.strlen(k('none')), 0);
  await rejectsWith(c.call('append', k('a')), "ERR wrong number of arguments for 'append' command");
  await rejectsWith(c.call('strlen'), "ERR wrong number of arguments for 'strlen' command");

  // MSET, MGET
  assert.equal(await c.mset(k('m1'), 'x', k('m2'), 'y', k('m1'), 'z'), 'OK');
  assert.deepEqual(await other.mget(k('m1'), k('none'), k('m2')), ['z', null, 'y']);
  await rejectsWith(c.call('mset', k('m1'), 'x', k('m2')), "ERR wrong number of arguments for 'mset' command");
  await rejectsWith(c.call('mget'), "ERR wrong number of arguments for 'mget' command");

  // GETDEL
  assert.equal(await c.getdel(k('m1')), 'z');
  assert.equal(await other.exists(k('m1')), 0);
  assert.equal(await c.getdel(k('m1')), null);
  await rejectsWith(c.call('getdel'), "ERR wrong number of arguments for 'getdel' command");

  // TYPE
  assert.equal(await c.type(k('m2')), 'string');
  assert.equal(await c.type(k('none')), 'none');
  await rejectsWith(c.call('type'), "ERR wrong number of arguments for 'type' command");

  // CLIENT SETNAME / GETNAME / ID
  const id1 = (await c.call('client', 'id')) as number;
  assert.equal(typeof id1, 'number');
  assert.equal(await c.call('client', 'id'), id1, 'CLIENT ID is stable on a connection');
  const second = cluster.client(id);
  const id2 = (await second.call('client', 'id')) as number;
  assert.notEqual(id2, id1, 'every connection has its own id');
  assert.equal(await c.call('client', 'getname'), null);
  assert.equal(await c.call('client', 'setname', `conn-${p}`), 'OK');
  assert.equal(await c.call('client', 'getname'), `conn-${p}`);
  assert.equal(await second.call('client', 'getname'), null, 'the name belongs to one connection');
  second.disconnect();
  await rejectsWith(
    c.call('client', 'setname', 'has space'),
    'ERR Client names cannot contain spaces, newlines or special characters.',
  );
  await rejectsWith(c.call('client', 'setname'), "ERR wrong number of arguments for 'client|setname' command");
  await rejectsWith(c.call('client', 'bogus'), "ERR unknown subcommand 'bogus'. Try CLIENT HELP.");
  await rejectsWith(c.call('client'), "ERR wrong number of arguments for 'client' command");

  // SELECT
  assert.equal(await c.call('select', '0'), 'OK');
  await rejectsWith(c.call('select', '1'), 'ERR DB index is out of range');
  await rejectsWith(c.call('select', 'x'), 'ERR value is not an integer or out of range');
  await rejectsWith(c.call('select'), "ERR wrong number of arguments for 'select' command");
  assert.equal(await c.get(k('m2')), 'y', 'still on database 0');

  // COMMAND, COMMAND COUNT, COMMAND INFO
  const count = (await c.call('command', 'count')) as number;
  const all = (await c.call('command')) as unknown[][];
  assert.equal(all.length, count);
  const names = all.map((e) => e[0]);
  for (const name of ['get', 'set', 'mset', 'scan', 'info', 'command', 'config', 'hello', 'quit', 'client']) {
    assert.ok(names.includes(name), `COMMAND lists ${name}`);
  }
  const get = all.find((e) => e[0] === 'get')!;
  assert.deepEqual(get.slice(1, 6), [2, ['readonly', 'fast'], 1, 1, 1]);
  const mset = (await c.call('command', 'info', 'mset', 'nosuch')) as unknown[][];
  assert.deepEqual(mset[0]!.slice(0, 6), ['mset', -3, ['write', 'denyoom'], 1, -1, 2]);
  assert.equal(mset[1], null);
  await rejectsWith(c.call('command', 'bogus'), "ERR unknown subcommand 'bogus'. Try COMMAND HELP.");

  // CONFIG GET
  assert.deepEqual(await c.call('config', 'get', 'maxmemory'), ['maxmemory', '0']);
  const config = (await c.call('config', 'get', 'save', 'appendonly')) as string[];
  assert.deepEqual(config, ['save', '', 'appendonly', 'no']);
  const globbed = (await c.call('config', 'get', 'MAXMEMORY*')) as string[];
  assert.deepEqual(globbed, ['maxmemory', '0', 'maxmemory-policy', 'noeviction']);
  assert.deepEqual(await c.call('config', 'get', 'no-such-parameter'), []);
  await rejectsWith(c.call('config', 'get'), "ERR wrong number of arguments for 'config|get' command");
  await rejectsWith(c.call('config'), "ERR wrong number of arguments for 'config' command");

  // HELLO 2 through ioredis (RESP2): the server's description as a flat key/value array.
  const hello = (await c.call('hello', '2')) as unknown[];
  const fields = new Map<unknown, unknown>();
  for (let i = 0; i < hello.length; i += 2) fields.set(hello[i], hello[i + 1]);
  assert.equal(fields.get('server'), 'redis');
  assert.equal(fields.get('proto'), 2);
  assert.equal(fields.get('id'), id1);
  assert.equal(fields.get('mode'), 'standalone');
  await rejectsWith(c.call('hello', '4'), 'NOPROTO unsupported protocol version');
  assert.equal(await c.ping(), 'PONG', 'still RESP2 after HELLO 2');

  // Unknown commands and wrong arity: Redis's exact texts, and the connection carries on.
  await rejectsWith(c.call('nosuchcommand'), "ERR unknown command 'nosuchcommand', with args beginning with: ");
  await rejectsWith(c.call('FOO', 'bar', 'baz'), "ERR unknown command 'FOO', with args beginning with: 'bar' 'baz' ");
  await rejectsWith(c.call('get'), "ERR wrong number of arguments for 'get' command");
  await rejectsWith(c.call('get', 'a', 'b'), "ERR wrong number of arguments for 'get' command");
  await rejectsWith(c.call('GET'), "ERR wrong number of arguments for 'get' command");
  await rejectsWith(c.call('dbsize', 'x'), "ERR wrong number of arguments for 'dbsize' command");
  await rejectsWith(c.call('keys'), "ERR wrong number of arguments for 'keys' command");
  await rejectsWith(c.call('scan'), "ERR wrong number of arguments for 'scan' command");
  await rejectsWith(c.call('flushdb', 'a', 'b'), 'ERR syntax error');
  assert.equal(await c.get(k('m2')), 'y');

  // QUIT: OK, then the server closes the connection.
  assert.equal(await c.quit(), 'OK');
  await eventually(() => c.status === 'end', 'the connection to close after QUIT');
}

test('every command end to end with ioredis on a 3-node cluster, leader and followers', async (t) => {
  const cluster = await KvTestCluster.start(t);
  const leader = await cluster.waitForLeader();
  const followers = cluster.nodes.map((n) => n.id).filter((id) => id !== leader);
  const [f1, f2] = followers as [number, number];

  await t.test(
    'key and connection commands on the leader',
    withLogs(cluster, async () => {
      await perNodeCommands(cluster, leader, cluster.client(f1), 'leader');
    }),
  );

  await t.test(
    'key and connection commands on a follower',
    withLogs(cluster, async () => {
      await perNodeCommands(cluster, f1, cluster.client(f2), 'follower');
    }),
  );

  await t.test(
    'a write on one follower is seen by a read on the other, every time',
    withLogs(cluster, async () => {
      const a = cluster.client(f1);
      const b = cluster.client(f2);
      const l = cluster.client(leader);
      for (let i = 0; i < 30; i++) {
        const [writer, reader] = i % 3 === 0 ? [a, b] : i % 3 === 1 ? [b, a] : [l, a];
        assert.equal(await writer.set('lin', `v${i}`), 'OK');
        assert.equal(await reader.get('lin'), `v${i}`, `round ${i}`);
        assert.equal(await writer.incr('lin-n'), i + 1);
        assert.equal(await reader.get('lin-n'), String(i + 1));
      }
    }),
  );

  await t.test(
    'FLUSHDB, DBSIZE, KEYS, SCAN (MATCH, COUNT) across nodes',
    withLogs(cluster, async () => {
      const c = cluster.client(f1);
      const l = cluster.client(leader);
      assert.equal(await c.flushdb(), 'OK');
      for (const n of cluster.nodes) {
        const r = cluster.client(n.id);
        assert.equal(await r.dbsize(), 0, `node ${n.id} empty after FLUSHDB`);
        r.disconnect();
      }
      assert.deepEqual(await c.keys('*'), []);
      assert.deepEqual(await c.call('scan', '0'), ['0', []]);

      const expected = new Set<string>();
      const args: string[] = [];
      for (let i = 0; i < 250; i++) {
        const key = `scan:${i}`;
        expected.add(key);
        args.push(key, String(i));
      }
      await l.mset(...args);
      await c.set('other:1', 'x');
      await c.set('other:2', 'y', 'PX', 100000);
      assert.equal(await c.dbsize(), 252);
      assert.equal(await cluster.client(f2).dbsize(), 252);

      assert.deepEqual(new Set(await c.keys('scan:*')), expected);
      assert.deepEqual((await c.keys('other:*')).sort(), ['other:1', 'other:2']);
      assert.deepEqual(
        (await l.keys('scan:1?')).sort(),
        Array.from({ length: 10 }, (_, i) => `scan:1${i}`),
      );
      assert.equal((await c.keys('*')).length, 252);
      assert.deepEqual(await c.keys('nothing*'), []);

      const everything = await scanAll(c);
      assert.equal(everything.keys.size, 252);
      const matched = await scanAll(c, 'MATCH', 'scan:*', 'COUNT', 10);
      assert.deepEqual(matched.keys, expected, 'SCAN MATCH collects every matching key');
      assert.ok(matched.calls > 5, `COUNT 10 over 252 keys takes several calls (took ${matched.calls})`);
      const few = await scanAll(l, 'MATCH', 'scan:2?', 'COUNT', 1000);
      assert.deepEqual(
        [...few.keys].sort(),
        Array.from({ length: 10 }, (_, i) => `scan:2${i}`),
      );
      const big = await scanAll(c, 'COUNT', 1000);
      assert.equal(big.keys.size, 252);
      assert.ok(big.calls < everything.calls, 'a larger COUNT takes fewer calls');
      await rejectsWith(c.call('scan', 'abc'), 'ERR invalid cursor');
      await rejectsWith(c.call('scan', '0', 'COUNT', '0'), 'ERR syntax error');
      await rejectsWith(c.call('scan', '0', 'MATCH'), 'ERR syntax error');

      assert.equal(await l.flushdb(), 'OK');
      assert.equal(await c.dbsize(), 0);
      assert.equal(await c.get('scan:7'), null);
      assert.equal(await c.exists('other:2'), 0);
      assert.deepEqual(await c.call('scan', '0'), ['0', []]);
    }),
  );

  await t.test(
    'INFO raft: role, term, leader_id, commit_index, last_applied, members on every node',
    withLogs(cluster, async () => {
      await cluster.client(f2).set('info-probe', '1');
      await eventually(async () => {
        const infos = await Promise.all(
          cluster.nodes.map(async (n) => infoFields(await cluster.client(n.id).info('raft'))),
        );
        const leaders = infos.filter((f) => f['role'] === 'leader');
        if (leaders.length !== 1) return false;
        const leaderId = leaders[0]!['node_id']!;
        const term = leaders[0]!['term'];
        if (!infos.every((f) => f['leader_id'] === leaderId && f['term'] === term)) return false;
        for (const [i, f] of infos.entries()) {
          assert.equal(f['node_id'], String(i + 1));
          assert.equal(f['role'], f['node_id'] === leaderId ? 'leader' : 'follower');
          assert.match(f['term']!, /^[1-9][0-9]*$/);
          assert.match(f['commit_index']!, /^[0-9]+$/);
          assert.match(f['last_applied']!, /^[0-9]+$/);
          assert.ok(Number(f['commit_index']) >= 2, 'the no-op and the probe write are committed');
          assert.ok(Number(f['last_applied']) <= Number(f['commit_index']));
          assert.equal(f['members'], '1,2,3');
        }
        return true;
      }, 'every node to agree on one leader in INFO raft');
      // The raft section is also in the default INFO; a section not asked for is not.
      const l = cluster.client(leader);
      const info = await l.info();
      assert.match(info, /^# Raft\r$/m);
      assert.match(info, /^role:leader\r$/m);
      const keyspaceOnly = await l.info('keyspace');
      assert.doesNotMatch(keyspaceOnly, /# Raft/);
      assert.match(keyspaceOnly, /^db0:keys=1,/m);
    }),
  );

  await t.test(
    'a pipeline of 1,000 mixed commands answers in order, as sequential execution would',
    withLogs(cluster, async () => {
      const c = cluster.client(f2);
      await c.del('pipe:0', 'pipe:1', 'pipe:2', 'pipe:3');
      const random = prng(6);
      const model = new Map<string, string>();
      const pipeline = c.pipeline();
      const expected: [string | null, string | number | null][] = [];
      for (let i = 0; i < 1000; i++) {
        const key = `pipe:${Math.floor(random() * 4)}`;
        const r = random();
        if (r < 0.3) {
          const value = random() < 0.1 ? `text${i}` : String(Math.floor(random() * 1000));
          pipeline.set(key, value);
          model.set(key, value);
          expected.push([null, 'OK']);
        } else if (r < 0.65) {
          pipeline.incr(key);
          const current = model.get(key) ?? '0';
          if (!/^-?[0-9]+$/.test(current)) {
            expected.push(['ERR value is not an integer or out of range', null]);
          } else {
            model.set(key, String(Number(current) + 1));
            expected.push([null, Number(current) + 1]);
          }
        } else {
          pipeline.get(key);
          expected.push([null, model.get(key) ?? null]);
        }
      }
      const results = (await pipeline.exec())!;
      assert.equal(results.length, 1000);
      const actual = results.map(([e, v]) => [e === null ? null : e.message, e === null ? v : null]);
      assert.deepEqual(actual, expected);
      assert.ok(
        expected.some(([e]) => e !== null),
        'the sequence includes failing INCRs',
      );
      const other = cluster.client(leader);
      for (const [key, value] of model) assert.equal(await other.get(key), value);
    }),
  );

  await t.test(
    '50 concurrent clients on all nodes INCR one key 20 times each: exactly 1,000',
    withLogs(cluster, async () => {
      const clients = Array.from({ length: 50 }, (_, i) => cluster.client(cluster.nodes[i % 3]!.id));
      await clients[0]!.del('counter');
      const replies = await Promise.all(
        clients.map(async (client) => {
          const got: number[] = [];
          for (let i = 0; i < 20; i++) got.push(await client.incr('counter'));
          return got;
        }),
      );
      for (const got of replies) for (let i = 1; i < got.length; i++) assert.ok(got[i]! > got[i - 1]!);
      const all = replies.flat().sort((a, b) => a - b);
      assert.deepEqual(
        all,
        Array.from({ length: 1000 }, (_, i) => i + 1),
        'every INCR got its own value',
      );
      for (const n of cluster.nodes) assert.equal(await clients[n.id - 1]!.get('counter'), '1000');
      for (const client of clients) client.disconnect();
    }),
  );

  await t.test(
    'raw socket: inline commands, HELLO 3 (RESP3), QUIT',
    withLogs(cluster, async () => {
      for (const id of [leader, f1]) {
        const port = cluster.node(id).redisPort;
        // Inline commands, as typed into telnet.
        const inline = await raw(port, 'PING\r\nECHO hi\r\nSET inline:k v1\r\nGET inline:k\r\nget\r\n', (s) =>
          s.endsWith('command\r\n'),
        );
        assert.equal(
          inline.text,
          "+PONG\r\n$2\r\nhi\r\n+OK\r\n$2\r\nv1\r\n-ERR wrong number of arguments for 'get' command\r\n",
        );
        // Inline and multibulk requests in one write.
        const mixed = await raw(
          port,
          'PING\r\n*2\r\n$4\r\nECHO\r\n$2\r\nyo\r\nPING x\r\n',
          (s) => s.split('\r\n').length > 4,
        );
        assert.equal(mixed.text, '+PONG\r\n$2\r\nyo\r\n$1\r\nx\r\n');
        // A malformed request: the commands before it are answered, then one error, then the server hangs up.
        const bad = await raw(port, 'PING\r\nSET inline:p 1\r\n*2\r\n$3\r\nGET\r\n?\r\nPING\r\n');
        assert.equal(bad.closed, true);
        assert.match(bad.text, /^\+PONG\r\n\+OK\r\n-ERR Protocol error: [^\r\n]+\r\n$/);
        // HELLO 3 answers with a RESP3 map; then nil is '_' and HELLO 2 goes back to RESP2.
        const resp3 = await raw(
          port,
          'HELLO 3\r\nGET inline:none\r\nGET inline:k\r\nHELLO 2\r\nGET inline:none\r\n',
          (s) => s.endsWith('$-1\r\n'),
        );
        assert.ok(resp3.text.startsWith('%7\r\n$6\r\nserver\r\n$5\r\nredis\r\n'), JSON.stringify(resp3.text));
        assert.match(resp3.text, /\$5\r\nproto\r\n:3\r\n/);
        const rest = resp3.text.slice(resp3.text.indexOf('$7\r\nmodules\r\n*0\r\n') + 17);
        assert.ok(rest.startsWith('_\r\n$2\r\nv1\r\n*14\r\n$6\r\nserver\r\n'), JSON.stringify(rest));
        assert.match(rest, /\$5\r\nproto\r\n:2\r\n/);
        assert.ok(rest.endsWith('$7\r\nmodules\r\n*0\r\n$-1\r\n'), JSON.stringify(rest));
        // Answers that report the connection's state see the commands before them in the pipeline:
        // a HELLO without a version after HELLO 3 stays in RESP3, and CLIENT INFO says so.
        const state = await raw(port, 'HELLO 3\r\nHELLO\r\nCLIENT SETNAME piped\r\nCLIENT INFO\r\n', (s) =>
          /resp=\d/.test(s),
        );
        const helloAgain = state.text.slice(state.text.indexOf('*0\r\n') + 4);
        assert.ok(helloAgain.startsWith('%7\r\n'), `HELLO without a version in RESP3: ${JSON.stringify(helloAgain)}`);
        assert.match(helloAgain, /\$5\r\nproto\r\n:3\r\n/);
        assert.match(state.text, /name=piped .*resp=3/);
        // QUIT: +OK, the connection closes, and what came after QUIT is not run.
        const quit = await raw(port, 'SET inline:q before\r\nQUIT\r\nSET inline:q after\r\n');
        assert.deepEqual(quit, { text: '+OK\r\n+OK\r\n', closed: true });
        assert.equal(await cluster.client(f2).get('inline:q'), 'before');
      }
    }),
  );
});
