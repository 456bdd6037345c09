// End to end with the real `redis-cli` (Debian's redis-tools; CI installs it): every command the KV
// service speaks, against one 3-node cluster of `little-raft serve` processes, on the leader and on
// followers; single commands, --raw / --no-raw output, commands read from stdin, --pipe mass
// insertion, --scan, RESP3 (-3) and an interactive session in a pseudo-terminal.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';

import { KvTestCluster, withLogs } from '../support/kv-cluster.js';
import { eventually } from '../support/eventually.js';
import { REDIS_CLI, redisCli, runProgram } from '../support/redis-cli.js';

/** Fails (never skips) when redis-cli is missing: these tests are part of `npm test`. */
function requireRedisCli(): string {
  const probe = spawnSync(REDIS_CLI, ['--version'], { encoding: 'utf8' });
  if (probe.error !== undefined || probe.status !== 0) {
    throw new Error(
      `redis-cli is required for these tests but '${REDIS_CLI} --version' failed ` +
        `(${probe.error?.message ?? `exit ${probe.status}`}); install it with 'apt-get install redis-tools' ` +
        `or point REDIS_CLI at it`,
    );
  }
  return probe.stdout.trim();
}

/** One command per line for redis-cli's stdin, and what --no-raw prints for it. */
function script(p: string): [command: string, output: string][] {
  return [
    ['ping', 'PONG'],
    ['ping "hi there"', '"hi there"'],
    ['echo "hello world"', '"hello world"'],
    [`get ${p}:s`, '(nil)'],
    [`set ${p}:s v1`, 'OK'],
    [`get ${p}:s`, '"v1"'],
    [`set ${p}:s v2 nx`, '(nil)'],
    [`set ${p}:s v2 xx get`, '"v1"'],
    [`set ${p}:new x xx`, '(nil)'],
    [`exists ${p}:new`, '(integer) 0'],
    [`set ${p}:new x nx`, 'OK'],
    [`set ${p}:s v3 get`, '"v2"'],
    [`getdel ${p}:s`, '"v3"'],
    [`getdel ${p}:s`, '(nil)'],
    [`get ${p}:s`, '(nil)'],
    [`set ${p}:e v ex 1000`, 'OK'],
    [`set ${p}:e w keepttl`, 'OK'],
    [`get ${p}:e`, '"w"'],
    [`set ${p}:e v ex 0`, "(error) ERR invalid expire time in 'set' command"],
    [`set ${p}:e v nx xx`, '(error) ERR syntax error'],
    [`ttl ${p}:new`, '(integer) -1'],
    [`pttl ${p}:none`, '(integer) -2'],
    [`ttl ${p}:none`, '(integer) -2'],
    [`set ${p}:n 10`, 'OK'],
    [`incr ${p}:n`, '(integer) 11'],
    [`incrby ${p}:n 5`, '(integer) 16'],
    [`decr ${p}:n`, '(integer) 15'],
    [`decrby ${p}:n 20`, '(integer) -5'],
    [`get ${p}:n`, '"-5"'],
    [`incr ${p}:new`, '(error) ERR value is not an integer or out of range'],
    [`append ${p}:a hello`, '(integer) 5'],
    [`append ${p}:a " world"`, '(integer) 11'],
    [`strlen ${p}:a`, '(integer) 11'],
    [`get ${p}:a`, '"hello world"'],
    [`mset ${p}:m1 a ${p}:m2 b`, 'OK'],
    [`mget ${p}:m1 ${p}:none ${p}:m2`, '1) "a"\n2) (nil)\n3) "b"'],
    [`exists ${p}:m1 ${p}:m2 ${p}:none ${p}:m1`, '(integer) 3'],
    [`del ${p}:m1 ${p}:none`, '(integer) 1'],
    [`exists ${p}:m1`, '(integer) 0'],
    [`type ${p}:m2`, 'string'],
    [`type ${p}:none`, 'none'],
    [`keys ${p}:m*`, `1) "${p}:m2"`],
    [`keys ${p}:nothing*`, '(empty array)'],
    ['select 0', 'OK'],
    ['select 1', '(error) ERR DB index is out of range'],
    ['client getname', '(nil)'],
    [`client setname cli-${p}`, 'OK'],
    ['client getname', `"cli-${p}"`],
    ['config get maxmemory', '1) "maxmemory"\n2) "0"'],
    ['config get appendonly', '1) "appendonly"\n2) "no"'],
    ['hello 4', '(error) NOPROTO unsupported protocol version'],
    ['foo bar', "(error) ERR unknown command 'foo', with args beginning with: 'bar' "],
    ['get', "(error) ERR wrong number of arguments for 'get' command"],
    [`incrby ${p}:n`, "(error) ERR wrong number of arguments for 'incrby' command"],
    ['config get', "(error) ERR wrong number of arguments for 'config|get' command"],
    [`get ${p}:n`, '"-5"'],
  ];
}

test('every command end to end with redis-cli on a 3-node cluster, leader and followers', async (t) => {
  const version = requireRedisCli();
  const cluster = await KvTestCluster.start(t);
  const leader = await cluster.waitForLeader();
  const [f1, f2] = cluster.nodes.map((n) => n.id).filter((id) => id !== leader) as [number, number];
  const port = (id: number): string => String(cluster.node(id).redisPort);
  const cli = (id: number, ...args: string[]): Promise<string> => redisCli(['-p', port(id), ...args]);

  await t.test(
    `single commands (${version}): set on one node, get on the others, --raw and --no-raw`,
    withLogs(cluster, async () => {
      assert.equal(await cli(f1, 'set', 'k', 'v'), 'OK\n');
      assert.equal(await cli(f2, 'get', 'k'), 'v\n', 'a write on one follower is read on the other');
      assert.equal(await cli(leader, '--no-raw', 'get', 'k'), '"v"\n');
      assert.equal(await cli(leader, 'set', 'k', 'line one\nline two'), 'OK\n');
      assert.equal(await cli(f1, '--raw', 'get', 'k'), 'line one\nline two\n');
      assert.equal(await cli(f2, '--no-raw', 'get', 'k'), '"line one\\nline two"\n');
      assert.equal(await cli(f1, '--raw', 'get', 'missing'), '\n');
      assert.equal(await cli(f1, '--no-raw', 'get', 'missing'), '(nil)\n');
      assert.equal(await cli(f2, '--raw', 'incr', 'cli:counter'), '1\n');
      assert.equal(await cli(leader, '--no-raw', 'incr', 'cli:counter'), '(integer) 2\n');
      assert.equal(await cli(f1, '--raw', 'mset', 'ma', '1', 'mb', '2', 'mc', '3'), 'OK\n');
      assert.equal(await cli(f2, '--raw', 'mget', 'ma', 'mb', 'nope', 'mc'), '1\n2\n\n3\n');
      assert.equal(await cli(leader, '--no-raw', 'mget', 'ma', 'mc'), '1) "1"\n2) "3"\n');
      assert.equal(await cli(f1, 'get', 'a', 'b'), "ERR wrong number of arguments for 'get' command\n\n");
      assert.match(await cli(f2, '--raw', 'client', 'id'), /^[1-9][0-9]*\n$/);
      const count = Number(await cli(f1, '--raw', 'command', 'count'));
      assert.ok(count >= 29, `COMMAND COUNT ${count}`);
      const commands = (await cli(f1, '--raw', 'command', 'list')).trim().split('\n');
      assert.equal(commands.length, count);
      // RESP3 with redis-cli -3: HELLO 3 at connect, maps shown as maps, nil as (nil).
      assert.equal(await cli(f2, '-3', '--no-raw', 'get', 'missing'), '(nil)\n');
      const hello = await cli(leader, '-3', '--no-raw', 'hello', '3');
      assert.match(hello, /^1# "server" => "redis"\n/);
      assert.match(hello, /\n3# "proto" => \(integer\) 3\n/);
      assert.match(hello, /"role" => "master"\n/);
      assert.match(await cli(f1, '-3', '--no-raw', 'hello', '3'), /"role" => "replica"\n/);
    }),
  );

  for (const [name, id] of [
    ['leader', leader],
    ['a follower', f1],
  ] as const) {
    await t.test(
      `every key and connection command through redis-cli's stdin on ${name}`,
      withLogs(cluster, async () => {
        const lines = script(`cli${id}`);
        const r = await runProgram(REDIS_CLI, ['-p', port(id), '--no-raw'], lines.map(([c]) => c + '\n').join(''));
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.stdout, lines.map(([, out]) => out + '\n').join(''));
        // The writes are there for every other node.
        for (const other of cluster.nodes.filter((n) => n.id !== id)) {
          assert.equal(await cli(other.id, 'mget', `cli${id}:n`, `cli${id}:a`, `cli${id}:m2`), '-5\nhello world\nb\n');
        }
        const ttl = Number(await cli(f2, 'ttl', `cli${id}:e`));
        assert.ok(ttl > 990 && ttl <= 1000, `EX 1000 then KEEPTTL: TTL ${ttl}`);
        const pttl = Number(await cli(f2, 'pttl', `cli${id}:e`));
        assert.ok(pttl > 990000 && pttl <= 1000000, `PTTL ${pttl}`);
      }),
    );
  }

  await t.test(
    'expiry happens on every node',
    withLogs(cluster, async () => {
      // SET then GET and PTTL on one connection, before the key can be gone.
      const first = await runProgram(
        REDIS_CLI,
        ['-p', port(f1)],
        'set cli:short v px 700\nget cli:short\npttl cli:short\n',
      );
      const [ok, value, pttl] = first.stdout.trim().split('\n');
      assert.deepEqual([ok, value], ['OK', 'v'], 'the key exists before it expires');
      assert.ok(Number(pttl) > 0 && Number(pttl) <= 700, `PTTL ${pttl}`);
      await eventually(async () => (await cli(f2, 'exists', 'cli:short')) === '0\n', 'the key to expire');
      for (const n of cluster.nodes) assert.equal(await cli(n.id, '--no-raw', 'get', 'cli:short'), '(nil)\n');
    }),
  );

  await t.test(
    'FLUSHDB, DBSIZE, KEYS, SCAN (--scan with a pattern; SCAN calls with MATCH and COUNT)',
    withLogs(cluster, async () => {
      assert.equal(await cli(f1, 'flushdb'), 'OK\n');
      for (const n of cluster.nodes) assert.equal(await cli(n.id, 'dbsize'), '0\n');
      assert.equal(await cli(leader, 'keys', '*'), '\n', 'an empty array');
      const args: string[] = [];
      const expected: string[] = [];
      for (let i = 0; i < 120; i++) {
        args.push(`scan:${i}`, String(i));
        expected.push(`scan:${i}`);
      }
      expected.sort();
      assert.equal(await cli(f2, 'mset', ...args, 'other', 'x'), 'OK\n');
      for (const n of cluster.nodes) assert.equal(await cli(n.id, 'dbsize'), '121\n');
      const keys = (await cli(f1, 'keys', 'scan:*')).trim().split('\n').sort();
      assert.deepEqual(keys, expected);
      // redis-cli --scan iterates SCAN cursors until 0.
      const scanned = (await cli(f2, '--scan', '--pattern', 'scan:*')).trim().split('\n').sort();
      assert.deepEqual([...new Set(scanned)], expected);
      // The same by hand, with COUNT: every key, over several calls.
      const collected = new Set<string>();
      let cursor = '0';
      let calls = 0;
      do {
        const [next, ...page] = (await cli(f1, 'scan', cursor, 'match', 'scan:*', 'count', '15')).trim().split('\n');
        assert.match(next!, /^[0-9]+$/);
        for (const key of page) if (key !== '') collected.add(key);
        cursor = next!;
        assert.ok(++calls < 1000, 'SCAN terminates');
      } while (cursor !== '0');
      assert.deepEqual([...collected].sort(), expected);
      assert.ok(calls > 3, `COUNT 15 over 121 keys takes several calls (took ${calls})`);
      const all = (await cli(leader, '--scan')).trim().split('\n');
      assert.equal(new Set(all).size, 121);
      // One SCAN call by hand: the cursor, then the page.
      const page = (await cli(f1, 'scan', '0', 'match', 'scan:1?', 'count', '1000')).trim().split('\n');
      assert.equal(page[0], '0', 'COUNT 1000 covers 121 keys in one call');
      assert.deepEqual(
        page.slice(1).sort(),
        Array.from({ length: 10 }, (_, i) => `scan:1${i}`),
      );
      const small = (await cli(f1, 'scan', '0', 'count', '5')).trim().split('\n');
      assert.notEqual(small[0], '0', 'COUNT 5 over 121 keys leaves a cursor to continue from');
      assert.ok(small.length - 1 >= 1, 'the first page has keys');
      assert.equal(await cli(leader, 'flushdb'), 'OK\n');
      for (const n of cluster.nodes) assert.equal(await cli(n.id, 'dbsize'), '0\n');
      assert.equal(await cli(f2, 'get', 'scan:5'), '\n');
    }),
  );

  await t.test(
    'INFO raft through redis-cli on every node',
    withLogs(cluster, async () => {
      await cli(f1, 'set', 'info-probe', '1');
      await eventually(async () => {
        const infos = await Promise.all(
          cluster.nodes.map(async (n) => {
            const text = await cli(n.id, 'info', 'raft');
            assert.match(text, /^# Raft\r?\n/);
            return Object.fromEntries(
              text
                .split(/\r?\n/)
                .filter((l) => l.includes(':'))
                .map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1)]),
            );
          }),
        );
        const leaders = infos.filter((f) => f['role'] === 'leader');
        if (leaders.length !== 1) return false;
        const leaderId = leaders[0]!['node_id'];
        if (!infos.every((f) => f['leader_id'] === leaderId && f['term'] === leaders[0]!['term'])) return false;
        for (const [i, f] of infos.entries()) {
          assert.equal(f['node_id'], String(i + 1));
          assert.equal(f['role'], f['node_id'] === leaderId ? 'leader' : 'follower');
          assert.match(f['term']!, /^[1-9][0-9]*$/);
          assert.ok(Number(f['commit_index']) >= 2, `commit_index ${f['commit_index']}`);
          assert.ok(Number(f['last_applied']) >= 1 && Number(f['last_applied']) <= Number(f['commit_index']));
          assert.equal(f['members'], '1,2,3');
        }
        return true;
      }, 'every node to agree on one leader in INFO raft');
    }),
  );

  await t.test(
    'redis-cli --pipe: mass insertion through a follower',
    withLogs(cluster, async () => {
      const resp = (args: string[]): string =>
        `*${args.length}\r\n` + args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('');
      let input = '';
      for (let i = 0; i < 500; i++) input += resp(['SET', `pipe:${i}`, `value ${i}`]);
      input += resp(['MSET', 'pipe:a', 'A', 'pipe:b', 'B']);
      input += resp(['INCRBY', 'pipe:n', '7']);
      input += resp(['GET']); // one error reply
      const r = await runProgram(REDIS_CLI, ['-p', port(f2), '--pipe'], input);
      assert.match(r.stdout, /errors: 1, replies: 503/, r.stdout + r.stderr);
      assert.equal(await cli(leader, 'get', 'pipe:499'), 'value 499\n');
      assert.equal(await cli(f1, 'mget', 'pipe:0', 'pipe:a', 'pipe:b', 'pipe:n'), 'value 0\nA\nB\n7\n');
      assert.equal((await cli(f1, 'keys', 'pipe:*')).trim().split('\n').length, 503);
    }),
  );

  await t.test(
    'an interactive redis-cli session in a terminal starts and runs commands',
    withLogs(cluster, async () => {
      // `script` gives redis-cli a terminal, so it runs its interactive mode; TERM=dumb keeps its line
      // editor from asking the terminal for the cursor position.
      const r = await runProgram(
        'script',
        ['-qec', `stty cols 200 rows 24; ${REDIS_CLI} -p ${port(f1)}`, '/dev/null'],
        'ping\rset interactive yes\rget interactive\rselect 1\rquit\r',
        { ...process.env, TERM: 'dumb' },
      );
      assert.equal(r.code, 0, r.stdout + r.stderr);
      const out = r.stdout.replace(/\r/g, '');
      const prompt = `127.0.0.1:${port(f1)}> `;
      assert.ok(out.includes(`${prompt}PONG\n${prompt}OK\n${prompt}"yes"\n`), JSON.stringify(out));
      assert.ok(out.includes(`${prompt}(error) ERR DB index is out of range\n`), JSON.stringify(out));
      assert.equal(await cli(f2, 'get', 'interactive'), 'yes\n');
    }),
  );

  await t.test(
    'QUIT',
    withLogs(cluster, async () => {
      const r = await runProgram(REDIS_CLI, ['-p', port(leader)], 'set quit:k before\nquit\n');
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout.split('\n')[0], 'OK');
      assert.equal(await cli(f1, 'get', 'quit:k'), 'before\n');
    }),
  );
});
