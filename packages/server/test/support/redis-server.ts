// The real redis-server (Debian's package `redis-server`, 7.0 here; scripts/ensure-tools.mjs installs
// it for `npm test`) as the reference for differential tests: one process per test on a free
// loopback port, persistence off, its working directory a temp directory, stopped after the test.
import { spawn, spawnSync } from 'node:child_process';
import type { TestContext } from 'node:test';

import { tempDir } from '../../../little-raft/test/support/temp-dir.js';
import { freePorts, sleep } from '../../../little-raft/test/support/tcp.js';
import { RespClient } from './resp-client.js';

const REDIS_SERVER = process.env['REDIS_SERVER'] ?? 'redis-server';

export interface RedisServer {
  readonly port: number;
  /** What `redis-server --version` printed, e.g. "Redis server v=7.0.15 sha=...". */
  readonly version: string;
  /** Everything the process wrote (its log goes to stdout), for failure messages. */
  output(): string;
}

/** Fails (never skips) when redis-server is missing: the differential tests are part of `npm test`. */
function requireRedisServer(): string {
  const probe = spawnSync(REDIS_SERVER, ['--version'], { encoding: 'utf8' });
  if (probe.error !== undefined || probe.status !== 0) {
    throw new Error(
      `redis-server is required for this test but '${REDIS_SERVER} --version' failed ` +
        `(${probe.error?.message ?? `exit ${probe.status}`}); install it with 'apt-get install redis-server' ` +
        `(node scripts/ensure-tools.mjs does) or point REDIS_SERVER at it`,
    );
  }
  return probe.stdout.trim();
}

/**
 * Starts redis-server on a free port with `--save '' --appendonly no` in a temp directory and waits
 * until it answers PING; it is killed after `t`. A port taken between choosing it and binding it
 * (another process won the race) is retried on another port.
 */
export async function startRedisServer(t: TestContext, extraArgs: readonly string[] = []): Promise<RedisServer> {
  const version = requireRedisServer();
  const dir = tempDir(t, 'little-raft-redis-');
  for (let attempt = 1; ; attempt++) {
    const [port] = (await freePorts(1)) as [number];
    const args = [
      '--port', String(port),
      '--bind', '127.0.0.1',
      '--save', '',
      '--appendonly', 'no',
      '--dir', dir,
      '--daemonize', 'no',
      '--logfile', '',
    ]; // prettier-ignore
    const child = spawn(REDIS_SERVER, [...args, ...extraArgs], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const keep = (chunk: Buffer): void => {
      output = (output + chunk.toString()).slice(-20000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    let exited = false;
    const exit = new Promise<void>((resolve) =>
      child.once('exit', () => {
        exited = true;
        resolve();
      }),
    );
    t.after(async () => {
      if (!exited) child.kill('SIGKILL');
      await exit;
    });
    if (await answersPing(port, () => exited)) return { port, version, output: () => output };
    if (!exited) {
      child.kill('SIGKILL');
      await exit;
    }
    if (attempt >= 3 || !/Address already in use/.test(output)) {
      throw new Error(`redis-server did not start on port ${port}:\n${output}`);
    }
  }
}

/** Polls PING until +PONG (true), the process exits (false) or 10 s pass (false). */
async function answersPing(port: number, exited: () => boolean): Promise<boolean> {
  const deadline = Date.now() + 10_000;
  while (!exited() && Date.now() < deadline) {
    try {
      const client = await RespClient.connect(port);
      try {
        const reply = await client.command('PING');
        if (reply.bytes.toString('latin1') === '+PONG\r\n') return true;
      } finally {
        client.close();
      }
    } catch {
      // not listening yet (or just closed); try again
    }
    await sleep(20);
  }
  return false;
}
