// The `little-raft` command as users run it: errors for every bad start (exit code 1 and one
// precise line), --help everywhere, options from a --config file and from LITTLE_RAFT_* variables,
// and `little-raft local` (ports and a redis-cli line printed, the leader shown, Ctrl-C stops every
// node cleanly, the data is there on the next run).
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import { join } from 'node:path';
import { describe, test, type TestContext } from 'node:test';

import { Redis } from 'ioredis';

import { eventually } from '../support/eventually.js';
import { httpStatus } from '../support/kv-cluster.js';
import { consecutiveFreePorts, freePorts, sleep } from '../../../little-raft/test/support/tcp.js';
import { tempDir } from '../../../little-raft/test/support/temp-dir.js';

const MAIN = join(import.meta.dirname, '../../src/cli/main.ts');
const SECRET = 'a secret for the command tests\n';
/** What the nodes' /status is signed with (the file's text, trimmed, as serve reads it). */
const STATUS_SECRET = Buffer.from(SECRET.trim());

interface Ran {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** A running `little-raft ...` process whose output is collected. */
class Cli {
  readonly child: ChildProcess;
  stdout = '';
  stderr = '';
  readonly exited: Promise<Ran>;

  constructor(args: string[], env: Record<string, string> = {}) {
    // No LITTLE_RAFT_* variables of the environment running the tests leak in.
    const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('LITTLE_RAFT_')));
    this.child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], {
      env: { ...base, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout!.on('data', (chunk: Buffer) => (this.stdout += chunk.toString()));
    this.child.stderr!.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    const killer = setTimeout(() => this.child.kill('SIGKILL'), 60000);
    this.exited = new Promise((resolve) =>
      this.child.once('close', (code, signal) => {
        clearTimeout(killer);
        resolve({ code, signal, stdout: this.stdout, stderr: this.stderr });
      }),
    );
  }

  async waitFor(what: string, check: () => boolean | Promise<boolean>, ms = 30000): Promise<void> {
    const deadline = Date.now() + ms;
    let exited = false;
    void this.exited.then(() => (exited = true));
    while (!(await check())) {
      if (exited || Date.now() > deadline) {
        throw new Error(`${exited ? 'exited' : `timed out after ${ms} ms`} waiting for ${what}\n${this.output()}`);
      }
      await sleep(20);
    }
  }

  output(): string {
    return `--- stdout:\n${this.stdout}\n--- stderr:\n${this.stderr}`;
  }

  async stop(signal: NodeJS.Signals): Promise<Ran> {
    this.child.kill(signal);
    return this.exited;
  }
}

function run(args: string[], env?: Record<string, string>): Promise<Ran> {
  return new Cli(args, env).exited;
}

/** Asserts a failed start: exit code 1, nothing on stdout, and `line` as the last line of stderr. */
async function assertFails(args: string[], line: string | RegExp, env?: Record<string, string>): Promise<void> {
  const r = await run(args, env);
  const lines = r.stderr.trimEnd().split('\n');
  const last = lines.at(-1) === '(run with --help for usage)' ? lines.at(-2) : lines.at(-1);
  assert.equal(r.code, 1, `exit code of ${args.join(' ')}\n${r.stderr}`);
  if (typeof line === 'string') assert.equal(last, line, r.stderr);
  else assert.match(last ?? '', line, r.stderr);
}

async function listen(port: number): Promise<net.Server> {
  const server = net.createServer((socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port }, () => resolve());
  });
  return server;
}

/** `little-raft local --nodes 3` with its data in `dir` and its ports from `base` on (10 of them). */
function localArgs(dir: string, base: number): string[] {
  return [
    'local',
    '--nodes', '3',
    '--data', join(dir, 'data'),
    '--redis-port', String(base),
    '--raft-port', String(base + 3),
    '--http-port', String(base + 6),
    '--dashboard-port', String(base + 9),
  ]; // prettier-ignore
}

/** A single-node serve's arguments on fresh ports. */
async function single(t: TestContext, id = 1): Promise<{ args: string[]; dir: string; ports: number[] }> {
  const dir = tempDir(t, 'little-raft-cli-');
  writeFileSync(join(dir, 'secret'), SECRET);
  const ports = await freePorts(3);
  const args = [
    'serve',
    '--id', String(id),
    '--peers', `${id}=127.0.0.1:${ports[0]}`,
    '--data', join(dir, 'data'),
    '--redis', `127.0.0.1:${ports[1]}`,
    '--http', `127.0.0.1:${ports[2]}`,
    '--secret-file', join(dir, 'secret'),
    '--heartbeat', '50',
    '--election-timeout', '200-400',
    '--log-level', 'warn',
  ]; // prettier-ignore
  return { args, dir, ports: ports };
}

/** Replaces the value of `flag` in `args` (or appends it). */
function withFlag(args: string[], flag: string, value: string | null): string[] {
  const out = [...args];
  const i = out.indexOf(flag);
  if (i >= 0) out.splice(i, 2);
  if (value !== null) out.push(flag, value);
  return out;
}

describe('little-raft: errors', { concurrency: 4 }, () => {
  test('an unknown flag, command or value', async () => {
    await assertFails(['serve', '--bogus'], "error: unknown option '--bogus'");
    await assertFails(['--bogus'], "error: unknown option '--bogus'");
    await assertFails(['bogus'], "error: unknown command 'bogus'");
    await assertFails(['local', '--nodes', '0'], /^error: option '--nodes <n>' argument '0' is invalid\./);
    await assertFails(
      ['serve', '--id', '1', '--peers', '1=127.0.0.1:7001', '--election-timeout', '5-2'],
      "error: option '--election-timeout <min-max>' argument '5-2' is invalid. expected MIN-MAX in ms, e.g. 1000-2000.",
    );
  });

  test('bad --peers, --id not in --peers, a missing required option', async () => {
    await assertFails(
      ['serve', '--id', '1', '--peers', '1=127.0.0.1:7001,2:127.0.0.1:7002', '--data', 'x'],
      "error: option '--peers <list>' argument '1=127.0.0.1:7001,2:127.0.0.1:7002' is invalid. '2:127.0.0.1:7002' is not id=host:port.",
    );
    await assertFails(
      ['serve', '--id', '1', '--peers', '1=nohost', '--data', 'x'],
      "error: option '--peers <list>' argument '1=nohost' is invalid. 'nohost' is not a 'host:port' address (port 1-65535)",
    );
    await assertFails(
      ['serve', '--id', '1', '--peers', '1=a:1,1=b:2', '--data', 'x'],
      "error: option '--peers <list>' argument '1=a:1,1=b:2' is invalid. node 1 is listed twice.",
    );
    await assertFails(
      ['serve', '--id', '4', '--peers', '1=127.0.0.1:7001,2=127.0.0.1:7002', '--data', 'x', '--insecure'],
      'little-raft: --id 4 is not in --peers (1, 2)',
    );
    await assertFails(
      ['serve', '--peers', '1=127.0.0.1:7001', '--data', 'x'],
      "error: required option '--id' not given",
    );
  });

  test('no peer authentication, an unreadable or short secret file', async (t) => {
    const { args, dir } = await single(t);
    await assertFails(
      withFlag(args, '--secret-file', null),
      'little-raft: peers must authenticate: give --secret-file (or --tls-key/--tls-cert/--tls-ca, or --insecure)',
    );
    const missing = join(dir, 'missing');
    await assertFails(
      withFlag(args, '--secret-file', missing),
      `little-raft: cannot read --secret-file ${missing}: ENOENT: no such file or directory, open '${missing}'`,
    );
    await assertFails(
      withFlag(args, '--secret-file', dir),
      `little-raft: cannot read --secret-file ${dir}: EISDIR: illegal operation on a directory, read`,
    );
    writeFileSync(join(dir, 'short'), 'too short\n');
    await assertFails(
      withFlag(args, '--secret-file', join(dir, 'short')),
      `little-raft: --secret-file ${join(dir, 'short')}: the secret must be at least 16 bytes`,
    );
  });

  test('a Redis, HTTP or Raft port in use', async (t) => {
    const { args } = await single(t);
    const [busy] = await freePorts(1);
    const server = await listen(busy!);
    t.after(() => server.close());
    await assertFails(
      withFlag(args, '--redis', `127.0.0.1:${busy}`),
      `little-raft: the Redis address 127.0.0.1:${busy} is in use`,
    );
    await assertFails(
      withFlag(args, '--http', `127.0.0.1:${busy}`),
      `little-raft: the HTTP address 127.0.0.1:${busy} is in use`,
    );
    await assertFails(
      withFlag(args, '--peers', `1=127.0.0.1:${busy}`),
      `little-raft: the Raft port 127.0.0.1:${busy} is in use`,
    );
  });

  test('a data directory of another node or cluster, or one that cannot be used', async (t) => {
    const { args, dir, ports } = await single(t);
    const data = join(dir, 'data');
    // Node 1 of cluster 'little-raft' owns the directory once it has started there.
    const first = new Cli(args);
    await first.waitFor(
      'node 1 serving',
      async () => (await httpStatus(ports[2]!, STATUS_SECRET))?.['role'] === 'leader',
    );
    assert.equal((await first.stop('SIGTERM')).code, 0, first.output());

    const two = withFlag(withFlag(args, '--id', '2'), '--peers', `2=127.0.0.1:${ports[0]}`);
    await assertFails(two, `little-raft: data directory ${data} belongs to node 1, not node 2`);
    await assertFails(
      withFlag(args, '--cluster', 'other'),
      `little-raft: data directory ${data} belongs to cluster 'little-raft', not 'other'`,
    );
    await assertFails(args, `little-raft: data directory ${data} belongs to cluster 'little-raft', not 'env'`, {
      LITTLE_RAFT_CLUSTER: 'env',
    });

    const file = join(dir, 'secret'); // a file where the directory should be
    await assertFails(withFlag(args, '--data', file), `little-raft: data directory ${file} is a file, not a directory`);
    await assertFails(
      withFlag(args, '--data', join(file, 'sub')),
      `little-raft: cannot create data directory ${join(file, 'sub')}: a part of its path is a file, not a directory`,
    );
    const odd = join(dir, 'odd');
    mkdirSync(join(odd, 'node.json'), { recursive: true }); // its identity file cannot be read
    await assertFails(
      withFlag(args, '--data', odd),
      `little-raft: cannot read ${join(odd, 'node.json')}: EISDIR: illegal operation on a directory, read`,
    );
    const foreign = join(dir, 'foreign');
    mkdirSync(foreign);
    writeFileSync(join(foreign, 'node.json'), 'not json');
    await assertFails(
      withFlag(args, '--data', foreign),
      `little-raft: ${join(foreign, 'node.json')} is not valid JSON: is this a little-raft data directory?`,
    );
  });

  test(
    'a data directory this user cannot read',
    { skip: process.getuid?.() === 0 && 'root reads any directory' },
    async (t) => {
      const { args, dir } = await single(t);
      const locked = join(dir, 'locked');
      mkdirSync(locked, { mode: 0o000 });
      t.after(() => chmodSync(locked, 0o700));
      await assertFails(
        withFlag(args, '--data', locked),
        `little-raft: cannot read ${join(locked, 'node.json')}: EACCES: permission denied, open '${join(locked, 'node.json')}'`,
      );
    },
  );

  test('bad --config files', async (t) => {
    const dir = tempDir(t, 'little-raft-cli-');
    const config = (text: string): string[] => {
      writeFileSync(join(dir, 'config.json'), text);
      return ['serve', '--config', join(dir, 'config.json')];
    };
    const path = join(dir, 'config.json');
    await assertFails(config('{"id": 1, "bogus": 2}'), `error: --config ${path}: unknown option 'bogus'`);
    await assertFails(
      config('{"id": "x"}'),
      `error: --config ${path}: 'id': a node id is a whole number from 1 to 2147483647.`,
    );
    await assertFails(config('[1]'), `error: --config ${path} must hold a JSON object`);
    await assertFails(config('{"id": 1'), new RegExp(`^error: cannot read --config ${path}: .*JSON`));
    await assertFails(
      ['serve', '--config', join(dir, 'none.json')],
      `error: cannot read --config ${join(dir, 'none.json')}: ENOENT: no such file or directory, open '${join(dir, 'none.json')}'`,
    );
  });
});

describe('little-raft: help, config file, environment', { concurrency: 3 }, () => {
  test('--help for the command, serve and local', async () => {
    const [root, serve, local, help] = await Promise.all([
      run(['--help']),
      run(['serve', '--help']),
      run(['local', '--help']),
      run(['help', 'serve']),
    ]);
    for (const r of [root, serve, local, help]) assert.equal(r.code, 0, r.stderr);
    assert.match(root.stdout, /^Usage: little-raft \[options\] \[command\]/);
    assert.match(root.stdout, /\n {2}serve \[options\] +run one node of a cluster/);
    assert.match(root.stdout, /\n {2}local \[options\] +run a cluster of N nodes on this machine/);
    assert.match(serve.stdout, /^Usage: little-raft serve \[options\]/);
    for (const flag of ['--config <file>', '--id <n>', '--peers <list>', '--data <dir>', '--secret-file <file>']) {
      assert.ok(serve.stdout.includes(flag), `serve --help shows ${flag}`);
    }
    assert.ok(serve.stdout.replace(/\s+/g, ' ').includes('env: LITTLE_RAFT_ID')); // however the help wraps
    assert.equal(help.stdout, serve.stdout);
    assert.match(local.stdout, /^Usage: little-raft local \[options\]/);
    for (const flag of ['--nodes <n>', '--redis-port <port>', '--http-port', '--dashboard-port', '--no-restart-dead']) {
      assert.ok(local.stdout.includes(flag), `local --help shows ${flag}`);
    }
  });

  test('serve from a --config file alone; flags and the environment win over it', async (t) => {
    const { args, dir, ports } = await single(t);
    const value = (flag: string): string => args[args.indexOf(flag) + 1]!;
    const config = {
      id: 1,
      peers: value('--peers'),
      data: value('--data'),
      redis: value('--redis'),
      http: '127.0.0.1:1', // overridden by the flag below
      secretFile: value('--secret-file'),
      heartbeat: 50,
      electionTimeout: '200-400',
      snapshotEntries: 5,
      logLevel: 'warn',
      cluster: 'from-file', // overridden by the environment
    };
    writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
    const cli = new Cli(['serve', '--config', join(dir, 'config.json'), '--http', `127.0.0.1:${ports[2]}`], {
      LITTLE_RAFT_CLUSTER: 'from-env',
    });
    t.after(() => cli.child.kill('SIGKILL'));
    await cli.waitFor(
      'the node leads',
      async () => (await httpStatus(ports[2]!, STATUS_SECRET))?.['role'] === 'leader',
    );
    const s = (await httpStatus(ports[2]!, STATUS_SECRET))!;
    assert.equal(s['id'], 1);
    assert.equal(s['cluster'], 'from-env');
    assert.equal(s['redis'], `127.0.0.1:${ports[1]}`);
    assert.equal(s['http'], `127.0.0.1:${ports[2]}`);
    const client = new Redis({ port: ports[1]!, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0 });
    t.after(() => client.disconnect());
    for (let i = 0; i < 12; i++) assert.equal(await client.set(`k${i}`, `v${i}`), 'OK');
    assert.equal(await client.get('k11'), 'v11');
    // snapshotEntries: 5 from the file took effect.
    await cli.waitFor(
      'a snapshot',
      async () => ((await httpStatus(ports[2]!, STATUS_SECRET))?.['snapshotIndex'] as number) > 0,
    );
    client.disconnect();
    assert.deepEqual(await cli.stop('SIGTERM'), { code: 0, signal: null, stdout: cli.stdout, stderr: cli.stderr });
  });

  test('serve from LITTLE_RAFT_* variables alone', async (t) => {
    const { args, ports } = await single(t, 7);
    const value = (flag: string): string => args[args.indexOf(flag) + 1]!;
    const env = {
      LITTLE_RAFT_ID: '7',
      LITTLE_RAFT_PEERS: value('--peers'),
      LITTLE_RAFT_DATA: value('--data'),
      LITTLE_RAFT_REDIS: value('--redis'),
      LITTLE_RAFT_HTTP: value('--http'),
      LITTLE_RAFT_SECRET_FILE: value('--secret-file'),
      LITTLE_RAFT_CLUSTER: 'env-cluster',
      LITTLE_RAFT_HEARTBEAT: '50',
      LITTLE_RAFT_ELECTION_TIMEOUT: '200-400',
      LITTLE_RAFT_LOG_LEVEL: 'warn',
    };
    const cli = new Cli(['serve'], env);
    t.after(() => cli.child.kill('SIGKILL'));
    await cli.waitFor(
      'the node leads',
      async () => (await httpStatus(ports[2]!, STATUS_SECRET))?.['role'] === 'leader',
    );
    const s = (await httpStatus(ports[2]!, STATUS_SECRET))!;
    assert.equal(s['id'], 7);
    assert.equal(s['cluster'], 'env-cluster');
    assert.deepEqual(s['voters'], [7]);
    assert.equal((await cli.stop('SIGTERM')).code, 0, cli.output());
    // A bad value in the environment is reported like a bad flag.
    await assertFails(
      ['serve'],
      "error: option '--id <n>' value 'seven' from env 'LITTLE_RAFT_ID' is invalid. a node id is a whole number from 1 to 2147483647.",
      { ...env, LITTLE_RAFT_ID: 'seven' },
    );
  });
});

test('little-raft local: a port in use stops it before any node starts (exit 1)', async (t) => {
  const dir = tempDir(t, 'little-raft-local-');
  const base = await consecutiveFreePorts(10);
  const busy = await listen(base + 1); // node 2's Redis port
  t.after(() => busy.close());
  const cli = new Cli(localArgs(dir, base));
  t.after(() => cli.child.kill('SIGKILL'));
  const ran = await cli.exited;
  assert.equal(ran.code, 1, cli.output());
  assert.equal(
    ran.stderr,
    `little-raft: port 127.0.0.1:${base + 1} (node 2's Redis port) is held by another process (another cluster running?); stop it or choose other ports\n`,
  );
  assert.equal(ran.stdout, '', 'no node started');
});

test('little-raft local --nodes 3: ports, a redis-cli line, the leader, Ctrl-C, the data on the next run', async (t) => {
  const dir = tempDir(t, 'little-raft-local-');
  const base = await consecutiveFreePorts(10);
  const args = localArgs(dir, base);
  const redisCli = spawnSync('redis-cli', ['--version']).status === 0;

  for (const round of [1, 2]) {
    const cli = new Cli(args);
    t.after(() => cli.child.kill('SIGKILL'));
    await cli.waitFor('a leader line', () => /little-raft: node \d leads \(term \d+\)/.test(cli.stdout));
    const lines = cli.stdout.split('\n');
    assert.equal(lines.shift(), `little-raft: dashboard http://127.0.0.1:${base + 9}/`, 'the dashboard comes first');
    assert.equal(lines[0], `little-raft: 3 nodes, data in ${join(dir, 'data')}`);
    const pids: number[] = [];
    for (let i = 0; i < 3; i++) {
      const m = new RegExp(
        `^ {2}node ${i + 1}: redis 127\\.0\\.0\\.1:${base + i} +status http://127\\.0\\.0\\.1:${base + 6 + i}/status +pid (\\d+)$`,
      ).exec(lines[1 + i]!);
      assert.ok(m, `node ${i + 1}'s line: ${lines[1 + i]}`);
      pids.push(Number(m[1]));
    }
    const tryLine = lines.find((l) => l.startsWith('try:'));
    assert.match(tryLine ?? '', new RegExp(`^try: +redis-cli -h 127\\.0\\.0\\.1 -p ${base} set hello world`));

    const client = new Redis({ port: base + 1, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0 });
    t.after(() => client.disconnect());
    if (round === 1) {
      if (redisCli) {
        // The line it prints works as it stands.
        const command = /redis-cli .*world/.exec(tryLine!)![0].split(/ +/);
        const r = spawnSync(command[0]!, command.slice(1), { encoding: 'utf8', timeout: 15000 });
        assert.equal(r.stdout.trim(), 'OK', r.stderr);
      } else {
        assert.equal(await client.set('hello', 'world'), 'OK');
      }
      assert.equal(await client.set('kept', 'across runs'), 'OK');
    } else {
      assert.equal(await client.get('hello'), 'world');
      assert.equal(await client.get('kept'), 'across runs');
      // The leader line needs only two nodes; the third may still be starting on a loaded machine.
      for (let i = 0; i < 3; i++) {
        let status = null as Record<string, unknown> | null;
        await eventually(async () => (status = await httpStatus(base + 6 + i)) !== null, `node ${i + 1}'s /status`);
        assert.equal(status!['incarnation'], 2, `node ${i + 1}`);
      }
      // Its nodes serve /status without credentials (--open-status), unlike a node given a secret.
      assert.equal((await fetch(`http://127.0.0.1:${base + 6}/status`)).status, 200);
    }
    client.disconnect();

    const ran = await cli.stop('SIGINT');
    assert.equal(ran.code, 0, cli.output());
    assert.ok(ran.stdout.includes('little-raft: stopping the nodes'));
    assert.equal(ran.stderr, '', 'nothing on stderr');
    for (const pid of pids) assert.throws(() => process.kill(pid, 0), { code: 'ESRCH' }, `node process ${pid} is gone`);
  }
});

test('little-raft local killed with SIGKILL: its nodes stop on their own, leaving nothing running', async (t) => {
  const dir = tempDir(t, 'little-raft-local-');
  const base = await consecutiveFreePorts(10);
  const cli = new Cli([...localArgs(dir, base), '--log-level', 'info', '--log-format', 'json']);
  t.after(() => cli.child.kill('SIGKILL'));
  await cli.waitFor('a leader line', () => /little-raft: node \d leads \(term \d+\)/.test(cli.stdout));
  // A node that has exited is gone, or a zombie until whoever inherited it reaps it.
  const running = (pid: number): boolean => {
    try {
      return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
    } catch {
      return false;
    }
  };
  const pids = [...cli.stdout.matchAll(/ pid (\d+)$/gm)].map((m) => Number(m[1]));
  assert.equal(pids.length, 3, cli.stdout);
  t.after(() => pids.forEach((pid) => running(pid) && process.kill(pid, 'SIGKILL')));
  const killed = once(cli.child, 'exit');
  cli.child.kill('SIGKILL');
  await killed;
  await eventually(
    () => pids.every((pid) => !running(pid)),
    () => `nodes still running: ${pids.filter(running).join(', ')}`,
  );
  const { stdout } = await cli.exited; // nothing holds its output open any more
  // Each stopped as on SIGTERM (its log's last words are on the supervisor's output it inherited).
  assert.equal(stdout.match(/"msg":"stopped"/g)?.length, 3, stdout);
  // They stopped as on SIGTERM, giving their ports back: a new cluster starts on the same ones.
  const again = new Cli(localArgs(dir, base));
  t.after(() => again.child.kill('SIGKILL'));
  await again.waitFor('a leader line', () => /little-raft: node \d leads \(term \d+\)/.test(again.stdout));
  assert.equal((await again.stop('SIGINT')).code, 0, again.output());
});

test('little-raft --version prints the package version and exits 0', async () => {
  const { version } = JSON.parse(readFileSync(join(import.meta.dirname, '../../package.json'), 'utf8')) as {
    version: string;
  };
  for (const flag of ['--version', '-V']) {
    const ran = await run([flag]);
    assert.equal(ran.code, 0);
    assert.equal(ran.stdout.trim(), version);
  }
});
