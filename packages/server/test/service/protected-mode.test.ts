// Protected mode, as Redis's, on real nodes whose Redis port is bound to 0.0.0.0: with no password
// a client from another address (this machine's non-loopback interface address) gets the DENIED
// text and is disconnected, a loopback client is served; --no-protected-mode serves both; a node
// with a password asks for it instead. Also: the flags' startup errors, one line each.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as net from 'node:net';
import { networkInterfaces } from 'node:os';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { tempDir } from '../../../little-raft/test/support/temp-dir.js';
import { freePorts } from '../../../little-raft/test/support/tcp.js';
import { KvTestCluster, withLogs } from '../support/kv-cluster.js';
import { RespClient } from '../support/resp-client.js';
import { runCli } from '../support/run-cli.js';

/** An IPv4 address of this machine that is not loopback: clients connecting to it come from it. */
function outsideAddress(): string {
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  throw new Error(
    'this test needs a non-loopback IPv4 address on this machine (none in os.networkInterfaces()): ' +
      'add one (ip addr add 192.0.2.10/32 dev lo) to run it',
  );
}

/** Everything the server sends on a connection from `host` (sending PING) until it closes it. */
function untilClosed(host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    let text = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`the connection from ${host} was not closed; got ${JSON.stringify(text)}`));
    }, 20_000);
    socket.on('connect', () => socket.write('*1\r\n$4\r\nPING\r\n'));
    socket.on('data', (d: Buffer) => (text += d.toString('latin1')));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(text);
    });
  });
}

async function ping(host: string, port: number): Promise<string> {
  const c = await RespClient.connect(port, host);
  try {
    return (await c.command('PING')).bytes.toString('latin1');
  } finally {
    c.close();
  }
}

/** One node whose Redis port listens on every address, with `args`. */
function wideNode(t: Parameters<typeof KvTestCluster.start>[0], args: string[]): Promise<KvTestCluster> {
  const nodeArgs: Record<number, string[]> = {};
  // Its port is known once chosen: the flags are filled in before the node starts.
  const prepare = (c: KvTestCluster): Promise<void> => {
    nodeArgs[1] = ['--redis', `0.0.0.0:${c.node(1).redisPort}`, ...args];
    return Promise.resolve();
  };
  return KvTestCluster.start(t, { nodes: 1, nodeArgs, prepare });
}

test('protected mode', { timeout: 120_000 }, async (t) => {
  const outside = outsideAddress();
  const dir = tempDir(t, 'little-raft-protected-');
  const passFile = join(dir, 'pass');
  writeFileSync(passFile, 'pw-of-the-test\n');
  const [open, unprotected, locked] = await Promise.all([
    wideNode(t, []),
    wideNode(t, ['--no-protected-mode']),
    wideNode(t, ['--requirepass-file', passFile]),
  ]);

  await t.test(
    'no password: another address is DENIED and disconnected, loopback is served',
    withLogs(open, async () => {
      const port = open.node(1).redisPort;
      const text = await untilClosed(outside, port);
      assert.match(
        text,
        /^-DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user\. /,
      );
      assert.match(text, /--requirepass-file/);
      assert.match(text, /'--no-protected-mode'/);
      assert.ok(text.endsWith('\r\n') && text.indexOf('\r\n') === text.length - 2, 'one error line, then closed');
      assert.equal(await ping('127.0.0.1', port), '+PONG\r\n');
    }),
  );

  await t.test(
    '--no-protected-mode serves another address',
    withLogs(unprotected, async () => {
      assert.equal(await ping(outside, unprotected.node(1).redisPort), '+PONG\r\n');
    }),
  );

  await t.test(
    'with a password, another address is asked for it',
    withLogs(locked, async () => {
      const c = await RespClient.connect(locked.node(1).redisPort, outside);
      try {
        assert.equal((await c.command('PING')).bytes.toString(), '-NOAUTH Authentication required.\r\n');
        assert.equal((await c.command('AUTH', 'pw-of-the-test')).bytes.toString(), '+OK\r\n');
        assert.equal((await c.command('PING')).bytes.toString(), '+PONG\r\n');
      } finally {
        c.close();
      }
    }),
  );
});

test('bad --requirepass-file and --users-file: one line, exit 1', { timeout: 120_000 }, async (t) => {
  const dir = tempDir(t, 'little-raft-auth-files-');
  const empty = join(dir, 'empty');
  writeFileSync(empty, '\n');
  const bad = join(dir, 'users.acl');
  writeFileSync(bad, `user a on #${'ab'.repeat(32)} +@read\nuser b on #${'ab'.repeat(32)} +@raed\n`);
  const [raft, redis, http] = (await freePorts(3)) as [number, number, number];
  const serve = (i: number, args: string[], env: Record<string, string> = {}) =>
    runCli(
      [
        'serve', '--id', '1', '--peers', `1=127.0.0.1:${raft}`, '--data', join(dir, `data${i}`), '--insecure',
        '--redis', `127.0.0.1:${redis}`, '--http', `127.0.0.1:${http}`, ...args,
      ],
      { env },
    ); // prettier-ignore
  const cases: [string[], Record<string, string>, string][] = [
    [['--requirepass-file', empty], {}, `little-raft: --requirepass-file ${empty} is empty: it must hold the password`],
    [
      [],
      { LITTLE_RAFT_REQUIREPASS_FILE: empty },
      `little-raft: --requirepass-file ${empty} is empty: it must hold the password`,
    ],
    [
      ['--requirepass-file', join(dir, 'none')],
      {},
      `little-raft: cannot read --requirepass-file ${join(dir, 'none')}: ENOENT`,
    ],
    [['--users-file', bad], {}, `little-raft: --users-file ${bad} line 2: unknown command category '@raed'`],
  ];
  // One at a time: they share the ports (no node ever listens).
  for (let i = 0; i < cases.length; i++) {
    const [args, env, expected] = cases[i]!;
    const run = await serve(i, args, env);
    assert.equal(run.code, 1, run.stderr);
    assert.equal(run.stderr.trim().split('\n').length, 1, run.stderr);
    assert.ok(run.stderr.startsWith(expected), `${run.stderr} should start with ${expected}`);
  }
});
