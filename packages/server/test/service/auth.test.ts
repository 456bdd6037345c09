// Clients' authentication end to end, on one `little-raft serve` node with --requirepass-file and
// --users-file: the replies of a scripted session compared byte for byte with the real
// redis-server 7.0 configured with the same password and ACL users; then real clients (redis-cli,
// ioredis and node-redis, both opening with HELLO 3 AUTH); passwords absent from the node's debug log;
// and the HTTP port's rule (/status needs the cluster secret or an admin user).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import * as net from 'node:net';
import { join } from 'node:path';

import { Redis } from 'ioredis';
import { createClient } from 'redis';

import { tempDir } from '../../../little-raft/test/support/temp-dir.js';
import { httpStatus, KvTestCluster, TEST_CLUSTER_SECRET, withLogs } from '../support/kv-cluster.js';
import { argv, RespClient } from '../support/resp-client.js';
import { startRedisServer } from '../support/redis-server.js';
import { REDIS_CLI, runProgram } from '../support/redis-cli.js';
import { signAdminRequest } from '../../src/ops/admin-auth.js';

const DEFAULT_PASSWORD = 'default-pw-7f3a';
const USER_PASSWORD = 'user-pw-c41d';
const ADMIN_PASSWORD = 'admin-pw-9b2e';
const sha = (s: string): string => createHash('sha256').update(s).digest('hex');

/** The users, as ACL rules both servers take. */
const USERS: Record<string, string[]> = {
  ro: ['on', `#${sha(USER_PASSWORD)}`, '~*', '&*', '+@read'],
  tx: ['on', `#${sha(USER_PASSWORD)}`, '~*', '&*', '+@read', '+@transaction'],
  rw: ['on', `#${sha(USER_PASSWORD)}`, '~*', '&*', '+@read', '+@write', '+@connection'],
  ops: ['on', `#${sha(ADMIN_PASSWORD)}`, '~*', '&*', '+@all', '-flushall'],
  gone: ['off', `#${sha(USER_PASSWORD)}`, '+@all'],
};

/** A session whose every reply redis-server 7.0 and little-raft must send alike. */
const SESSION: string[] = [
  'GET k',
  'PING',
  'FOO',
  'GET',
  'HELLO 3',
  'HELLO',
  'HELLO 3 AUTH default',
  'AUTH',
  'AUTH a b c',
  `AUTH wrong`,
  'AUTH default wrong',
  `AUTH nouser ${USER_PASSWORD}`,
  `AUTH gone ${USER_PASSWORD}`,
  'HELLO 3 AUTH default wrong',
  'HELLO 2 AUTH ro wrong',
  'CLIENT LIST',
  'MULTI',
  `AUTH ro ${USER_PASSWORD}`,
  'GET k',
  'SET k v',
  'PING',
  'CONFIG GET maxmemory',
  'ACL WHOAMI',
  'MULTI',
  'EXEC',
  'AUTH ro wrong', // a failed AUTH keeps the user it had
  'GET k',
  'RESET',
  'GET k',
  `AUTH tx ${USER_PASSWORD}`,
  'MULTI',
  'GET k',
  'SET k v',
  'GET k',
  'EXEC',
  'GET k',
  `AUTH rw ${USER_PASSWORD}`,
  'SET k v1',
  'PING',
  'ACL WHOAMI',
  'CONFIG SET maxmemory 0',
  `AUTH ops ${ADMIN_PASSWORD}`,
  'ACL WHOAMI',
  'FLUSHALL',
  'CONFIG GET maxmemory',
  `AUTH ${DEFAULT_PASSWORD}`,
  'ACL WHOAMI',
  'GET k',
  'QUIT',
];

/** What a server answers a fresh connection that sends `bytes`, until it closes it (10 s at most). */
function rawAnswer(port: number, bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const deadline = setTimeout(() => socket.destroy(), 10_000);
    let text = '';
    socket.on('data', (d: Buffer) => (text += d.toString('latin1')));
    socket.on('close', () => {
      clearTimeout(deadline);
      resolve(text);
    });
    socket.on('error', reject);
    socket.write(bytes);
  });
}

async function session(port: number): Promise<string[]> {
  const client = await RespClient.connect(port);
  try {
    const out: string[] = [];
    for (const command of SESSION) out.push((await client.command(...argv(command))).bytes.toString('latin1'));
    return out;
  } finally {
    client.close();
  }
}

test('authentication and ACL users as Redis 7.0', { timeout: 120_000 }, async (t) => {
  const dir = tempDir(t, 'little-raft-auth-');
  const passFile = join(dir, 'requirepass');
  writeFileSync(passFile, `${DEFAULT_PASSWORD}\n`);
  const usersFile = join(dir, 'users.acl');
  writeFileSync(
    usersFile,
    '# users of the test\n' +
      Object.entries(USERS)
        .map(([name, rules]) => `user ${name} ${rules.join(' ')}\n`)
        .join(''),
  );
  const [cluster, redis] = await Promise.all([
    KvTestCluster.start(t, {
      nodes: 1,
      extraArgs: ['--requirepass-file', passFile, '--users-file', usersFile, '--log-level', 'debug'],
    }),
    startRedisServer(t),
  ]);
  const admin = await RespClient.connect(redis.port);
  for (const [name, rules] of Object.entries(USERS)) {
    assert.equal((await admin.command('ACL', 'SETUSER', name, ...rules)).bytes.toString(), '+OK\r\n');
  }
  assert.equal((await admin.command('CONFIG', 'SET', 'requirepass', DEFAULT_PASSWORD)).bytes.toString(), '+OK\r\n');
  admin.close();
  const node = cluster.node(1);
  const port = node.redisPort;

  await t.test(
    'a session answers byte for byte as redis-server',
    withLogs(cluster, async () => {
      const [expected, actual] = await Promise.all([session(redis.port), session(port)]);
      for (let i = 0; i < SESSION.length; i++) {
        assert.equal(actual[i], expected[i], `reply ${i} to '${SESSION[i]}'`);
      }
    }),
  );

  await t.test(
    "an unauthenticated client's request of over 10 arguments or 16 KiB is refused as by redis-server",
    withLogs(cluster, async () => {
      for (const bytes of ['*11\r\n', '*1\r\n$16385\r\n']) {
        const [expected, actual] = await Promise.all([rawAnswer(redis.port, bytes), rawAnswer(port, bytes)]);
        assert.match(expected, /^-ERR Protocol error: unauthenticated /);
        assert.equal(actual, expected, JSON.stringify(bytes));
      }
    }),
  );

  await t.test(
    'HELLO AUTH switches the protocol only when the password is right; CLIENT LIST shows the user',
    withLogs(cluster, async () => {
      const c = await RespClient.connect(port);
      try {
        const failed = await c.command('HELLO', '3', 'AUTH', 'rw', 'wrong');
        assert.equal(failed.value.type, 'error');
        const hello = await c.command('HELLO', '3', 'AUTH', 'rw', USER_PASSWORD, 'SETNAME', 'app');
        assert.equal(hello.value.type, 'map', 'HELLO 3 answers a RESP3 map');
        const info = (await c.command('CLIENT', 'INFO')).bytes.toString('latin1');
        assert.match(info, / name=app .* user=rw /);
        const hello2 = await c.command('HELLO', '2', 'AUTH', 'default', DEFAULT_PASSWORD);
        assert.equal(hello2.value.type, 'array', 'HELLO 2 answers a RESP2 array');
        assert.match((await c.command('CLIENT', 'LIST')).bytes.toString('latin1'), / user=default resp=2/);
      } finally {
        c.close();
      }
    }),
  );

  await t.test(
    'redis-cli with and without credentials',
    withLogs(cluster, async () => {
      const cli = (...args: string[]) => runProgram(REDIS_CLI, ['-p', String(port), '--no-auth-warning', ...args]);
      assert.equal((await cli('get', 'k')).stdout.trim(), 'NOAUTH Authentication required.');
      assert.equal(
        (await cli('-a', 'nope', 'ping')).stderr.trim().split('\n')[0],
        'AUTH failed: WRONGPASS invalid username-password pair or user is disabled.',
      );
      assert.equal((await cli('-a', DEFAULT_PASSWORD, 'set', 'cli', 'v')).stdout.trim(), 'OK');
      assert.equal((await cli('--user', 'ro', '--pass', USER_PASSWORD, 'get', 'cli')).stdout.trim(), 'v');
      assert.equal(
        (await cli('--user', 'ro', '--pass', USER_PASSWORD, 'set', 'cli', 'w')).stdout.trim(),
        "NOPERM this user has no permissions to run the 'set' command",
      );
      assert.equal((await cli('-3', '--user', 'rw', '--pass', USER_PASSWORD, 'set', 'cli', 'w')).stdout.trim(), 'OK');
    }),
  );

  await t.test(
    'ioredis and node-redis (RESP3, HELLO 3 AUTH)',
    withLogs(cluster, async () => {
      const make = (options: { username?: string; password?: string }): Redis => {
        const r = new Redis({
          port,
          host: '127.0.0.1',
          maxRetriesPerRequest: 0,
          retryStrategy: () => null,
          ...options,
        });
        r.on('error', () => undefined);
        t.after(() => r.disconnect());
        return r;
      };
      // ioredis 6 opens with HELLO 3 (AUTH default <password> when given one), as Redis answers it.
      await assert.rejects(make({}).get('k'), /NOAUTH HELLO must be called with the client already authenticated/);
      await assert.rejects(make({ password: 'wrong' }).get('k'), /WRONGPASS/);
      const app = make({ password: DEFAULT_PASSWORD });
      assert.equal(await app.set('io', '1'), 'OK');
      const reader = make({ username: 'ro', password: USER_PASSWORD });
      assert.equal(await reader.get('io'), '1');
      await assert.rejects(reader.set('io', '2'), /NOPERM this user has no permissions to run the 'set' command/);
      const tx = make({ username: 'tx', password: USER_PASSWORD });
      await assert.rejects(tx.multi().get('io').set('io', '3').exec(), /EXECABORT/);
      assert.equal(await app.get('io'), '1', 'the refused transaction changed nothing');

      const resp3 = createClient({
        socket: { port, host: '127.0.0.1', reconnectStrategy: false },
        RESP: 3,
        username: 'rw',
        password: USER_PASSWORD,
      });
      resp3.on('error', () => undefined);
      await resp3.connect();
      try {
        assert.equal(await resp3.set('n', 'x'), 'OK');
        await assert.rejects(resp3.aclWhoAmI(), /NOPERM this user has no permissions to run the 'acl\|whoami' command/);
      } finally {
        resp3.destroy();
      }
    }),
  );

  await t.test(
    'the HTTP port: /status needs the cluster secret or an admin user',
    withLogs(cluster, async () => {
      const base = `http://127.0.0.1:${node.httpPort}`;
      const get = (path: string, authorization?: string) =>
        fetch(base + path, authorization === undefined ? {} : { headers: { authorization } });
      const basic = (user: string, pw: string) => `Basic ${Buffer.from(`${user}:${pw}`).toString('base64')}`;
      const open = await get('/status');
      assert.equal(open.status, 401);
      assert.match(open.headers.get('www-authenticate') ?? '', /^Basic realm=/);
      assert.doesNotMatch(await open.text(), /leader|term|members/, 'a refusal discloses nothing');
      assert.equal((await get('/status', basic('ops', 'wrong'))).status, 401);
      assert.equal((await get('/status', basic('ro', USER_PASSWORD))).status, 403, 'ro has no @admin');
      assert.equal((await get('/status', basic('ops', ADMIN_PASSWORD))).status, 200);
      assert.equal((await get('/status', basic('default', DEFAULT_PASSWORD))).status, 200);
      const signed = signAdminRequest(TEST_CLUSTER_SECRET, 'GET', '/status', new Uint8Array(0));
      assert.equal((await get('/status', signed)).status, 200);
      assert.equal((await get('/status', signed)).status, 401, 'a signed request is not accepted twice');
      assert.equal((await httpStatus(node.httpPort))?.['role'], 'leader');
      assert.equal((await get('/metrics')).status, 200);
      assert.equal((await get('/health')).status, 200);
      assert.equal((await get('/admin/members')).status, 401);
      assert.equal((await get('/admin/members', basic('ro', USER_PASSWORD))).status, 401);
      assert.equal((await get('/admin/members', basic('ops', ADMIN_PASSWORD))).status, 200);
    }),
  );

  await t.test('no password reaches the log', () => {
    assert.match(node.output, /serving Redis on/, 'the log was captured');
    for (const secret of [DEFAULT_PASSWORD, USER_PASSWORD, ADMIN_PASSWORD]) {
      assert.ok(!node.output.includes(secret), `the log holds ${secret}`);
    }
  });
});
