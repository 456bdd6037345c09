// TLS on the Redis port, end to end with real `little-raft serve` processes, the real redis-cli
// (--tls) and ioredis (`tls: { ca }`): TLS on --redis itself; TLS on --redis-tls beside a plain
// --redis with client certificates required (--redis-tls-ca), refused without one or with one of
// another CA; a plain client on the TLS port does not disturb the others; pub/sub and blocking
// commands over TLS; bad PEM files refused at start-up with one line naming the flag.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';

import { Redis, type RedisOptions } from 'ioredis';

import { freePorts } from '../../../little-raft/test/support/tcp.js';
import { tempDir } from '../../../little-raft/test/support/temp-dir.js';
import { KvTestCluster, withLogs } from '../support/kv-cluster.js';
import { eventually } from '../support/eventually.js';
import { REDIS_CLI, runProgram } from '../support/redis-cli.js';
import { runCli } from '../support/run-cli.js';
import { makeTestCerts, type TestCerts } from '../support/test-certs.js';

let certs: TestCerts;
before(() => {
  certs = makeTestCerts(tempDir(undefined, 'little-raft-certs-'));
});

/** An ioredis client over TLS that does not reconnect: a refused handshake is its error. */
async function tlsClient(port: number, tls: RedisOptions['tls']): Promise<Redis> {
  const client = new Redis({ host: '127.0.0.1', port, tls, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  client.on('error', () => undefined);
  await client.connect();
  return client;
} // prettier-ignore

/** What happens to a client of ioredis with `tls` on `port`: 'PONG', or its error message. */
async function pingOver(port: number, tls: RedisOptions['tls']): Promise<string> {
  let client: Redis | null = null;
  try {
    client = await tlsClient(port, tls);
    return await client.ping();
  } catch (e) {
    return `refused: ${(e as Error).message}`;
  } finally {
    client?.disconnect();
  }
}

const pem = (file: string): string => readFileSync(file, 'utf8');

describe('TLS on --redis itself (no client certificates)', () => {
  test('redis-cli --tls and ioredis with tls work; pub/sub and BLPOP too; a plain client disturbs no one', async (t) => {
    const cluster = await KvTestCluster.start(t, {
      nodes: 1,
      extraArgs: ['--redis-tls-cert', certs.serverCert, '--redis-tls-key', certs.serverKey],
    });
    await withLogs(cluster, async () => {
      const port = cluster.node(1).redisPort;
      const cli = (...args: string[]): Promise<{ stdout: string; code: number | null }> =>
        runProgram(REDIS_CLI, ['-p', String(port), '--tls', '--cacert', certs.ca, ...args]);
      assert.equal((await cli('set', 'k', 'over tls')).stdout.trim(), 'OK');
      assert.equal((await cli('get', 'k')).stdout.trim(), 'over tls');
      assert.match((await cli('info', 'raft')).stdout, /role:leader/);

      const ca = pem(certs.ca);
      const client = await tlsClient(port, { ca });
      t.after(() => client.disconnect());
      assert.equal(await client.get('k'), 'over tls');
      assert.equal(((await client.call('role')) as unknown[])[0], 'master');

      // Pub/sub and a blocking pop over TLS, on their own connections.
      const subscriber = await tlsClient(port, { ca });
      t.after(() => subscriber.disconnect());
      const messages: string[] = [];
      subscriber.on('message', (_channel: string, message: string) => messages.push(message));
      await subscriber.subscribe('news');
      const blocked = await tlsClient(port, { ca });
      t.after(() => blocked.disconnect());
      const popped = blocked.blpop('queue', 0);

      // A plain client on the TLS port: it gets nothing it can read, and the node serves on.
      const plain = await runProgram(REDIS_CLI, ['-p', String(port), 'ping']);
      assert.notEqual(plain.stdout.trim(), 'PONG');
      const raw = net.connect(port, '127.0.0.1');
      raw.on('error', () => undefined);
      raw.write('*1\r\n$4\r\nPING\r\n');
      await new Promise((resolve) => raw.once('close', resolve));

      assert.equal(await client.publish('news', 'hello'), 1);
      await eventually(() => messages.length === 1, 'the subscriber over TLS receives the message');
      assert.deepEqual(messages, ['hello']);
      await client.rpush('queue', 'job');
      assert.deepEqual(await popped, ['queue', 'job']);

      // The connection that was there before the plain client still answers.
      assert.equal(await client.ping(), 'PONG');
    })();
  });
});

describe('TLS beside a plain --redis, with client certificates required (--redis-tls-ca)', () => {
  test('both ports serve the same data; the TLS port refuses clients without a certificate of the CA', async (t) => {
    const [tlsPort] = (await freePorts(1)) as [number];
    const cluster = await KvTestCluster.start(t, {
      nodes: 1,
      extraArgs: [
        '--redis-tls', `127.0.0.1:${tlsPort}`,
        '--redis-tls-cert', certs.serverCert, '--redis-tls-key', certs.serverKey, '--redis-tls-ca', certs.ca,
      ],
    }); // prettier-ignore
    await withLogs(cluster, async () => {
      const plainPort = cluster.node(1).redisPort;
      const withCert = ['--tls', '--cacert', certs.ca, '--cert', certs.clientCert, '--key', certs.clientKey];
      // The plain port answers plain clients, as before.
      assert.equal((await runProgram(REDIS_CLI, ['-p', String(plainPort), 'set', 'k', 'v'])).stdout.trim(), 'OK');
      const tlsGet = await runProgram(REDIS_CLI, ['-p', String(tlsPort), ...withCert, 'get', 'k']);
      assert.equal(tlsGet.stdout.trim(), 'v', tlsGet.stderr);
      // INFO and ROLE say the same on both.
      const role = await runProgram(REDIS_CLI, ['-p', String(plainPort), 'role']);
      assert.equal((await runProgram(REDIS_CLI, ['-p', String(tlsPort), ...withCert, 'role'])).stdout, role.stdout);

      // No client certificate: refused (redis-cli and ioredis alike).
      const noCert = await runProgram(REDIS_CLI, ['-p', String(tlsPort), '--tls', '--cacert', certs.ca, 'get', 'k']);
      assert.notEqual(noCert.code, 0);
      assert.doesNotMatch(noCert.stdout, /\bv\b/);
      const ca = pem(certs.ca);
      assert.match(await pingOver(tlsPort, { ca }), /^refused/);
      // A certificate of another CA: refused.
      const other = { ca, cert: pem(certs.otherClientCert), key: pem(certs.otherClientKey) };
      assert.match(await pingOver(tlsPort, other), /^refused/);
      // The CA's client certificate: served.
      assert.equal(await pingOver(tlsPort, { ca, cert: pem(certs.clientCert), key: pem(certs.clientKey) }), 'PONG');
      // TLS on the plain port is not spoken there: the plain port stays plain.
      assert.match(await pingOver(plainPort, { ca }), /^refused/);
    })();
  });
});

describe('TLS and passwords together', () => {
  test('a client over TLS must still AUTH', async (t) => {
    const passFile = join(tempDir(t), 'requirepass');
    writeFileSync(passFile, 'tls-and-a-password\n');
    const cluster = await KvTestCluster.start(t, {
      nodes: 1,
      extraArgs: ['--redis-tls-cert', certs.serverCert, '--redis-tls-key', certs.serverKey, '--requirepass-file', passFile],
    }); // prettier-ignore
    await withLogs(cluster, async () => {
      const over = ['-p', String(cluster.node(1).redisPort), '--tls', '--cacert', certs.ca];
      const anonymous = await runProgram(REDIS_CLI, [...over, 'get', 'k']);
      assert.equal(anonymous.stdout.trim(), 'NOAUTH Authentication required.', anonymous.stderr);
      const signedIn = await runProgram(REDIS_CLI, [
        ...over,
        '--no-auth-warning',
        '-a',
        'tls-and-a-password',
        'acl',
        'whoami',
      ]);
      assert.equal(signedIn.stdout.trim(), 'default', signedIn.stderr);
    })();
  });
});

describe('bad TLS files', () => {
  // Every case is in test/tls/serve-tls.test.ts; here, that `serve` stops with the one line.
  test('stop serve at start-up with one line naming the flag', async (t) => {
    const dir = tempDir(t, 'little-raft-tls-bad-');
    const secret = join(dir, 'secret');
    writeFileSync(secret, 'a secret of the bad-files test\n');
    const [raft, redis, http] = (await freePorts(3)) as [number, number, number];
    const serve = (...args: string[]): ReturnType<typeof runCli> =>
      runCli([
        'serve', '--id', '1', '--peers', `1=127.0.0.1:${raft}`, '--data', join(dir, 'data'),
        '--redis', `127.0.0.1:${redis}`, '--http', `127.0.0.1:${http}`, '--secret-file', secret, ...args,
      ]); // prettier-ignore
    const cases: [string[], RegExp][] = [
      [
        ['--redis-tls-cert', join(dir, 'absent.pem'), '--redis-tls-key', certs.serverKey],
        /^little-raft: cannot read --redis-tls-cert .*absent\.pem: ENOENT/,
      ],
      [
        ['--http-tls-cert', certs.serverCert, '--http-tls-key', certs.clientKey],
        /^little-raft: --http-tls-key .*client\.key is not the key of --http-tls-cert .*server\.pem$/,
      ],
    ];
    const runs = await Promise.all(cases.map(([args]) => serve(...args)));
    for (const [i, [args, expected]] of cases.entries()) {
      const r = runs[i]!;
      assert.equal(r.code, 1, `${args.join(' ')}: ${r.stderr}`);
      const lines = r.stderr.trim().split('\n');
      assert.equal(lines.length, 1, r.stderr);
      assert.match(lines[0]!, expected);
    }
  });
});
