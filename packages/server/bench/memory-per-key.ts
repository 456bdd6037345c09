// Memory per key (docs/server.md, "Memory"): loads N keys of 100-byte values into a fresh redis-server
// and a fresh one-node little-raft cluster (built code: `npm run build` first), and prints how much
// each one's used_memory (INFO memory) and resident memory grew, per key. Run from packages/server:
//   npx tsx bench/memory-per-key.ts [keys=200000]
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { Redis } from 'ioredis';

import { freePorts } from '../../little-raft/test/support/tcp.js';
import { sleep } from '../../little-raft/bench/stats.js';
import { killAll, ServerProcess } from './processes.js';
import { parseInfo, redisCommand } from './resp.js';

const KEYS = Number(process.argv[2] ?? 200_000);
const VALUE = 'v'.repeat(100);
/** After loading, INFO memory is read this often for this long; the smallest used_memory is kept (garbage collected). */
const SETTLE_SAMPLES = 10;

interface Sample {
  used: number;
  rss: number;
}

async function memory(port: number, pid: number): Promise<Sample> {
  const info = parseInfo(String(await redisCommand(port, ['info', 'memory'])));
  const rss = Number(/^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]) * 1024;
  return { used: Number(info.get('used_memory')), rss };
}

async function until(check: () => Promise<unknown>, what: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (await check().then(Boolean, () => false)) return;
    await sleep(100);
  }
  throw new Error(`${what}: not ready after 30 s`);
}

/** Loads the keys in pipelines of 1,000 SETs over one connection. */
async function load(port: number): Promise<void> {
  const client = new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: 0 });
  for (let i = 0; i < KEYS; i += 1000) {
    const pipeline = client.pipeline();
    for (let j = i; j < Math.min(KEYS, i + 1000); j++) pipeline.set(`key:${String(j).padStart(9, '0')}`, VALUE);
    await pipeline.exec();
  }
  if ((await client.dbsize()) !== KEYS) throw new Error(`port ${port}: DBSIZE is not ${KEYS}`);
  client.disconnect();
}

async function measure(name: string, server: ServerProcess, port: number): Promise<string> {
  await until(() => redisCommand(port, ['set', 'ready', '1']), name);
  await redisCommand(port, ['del', 'ready']); // a write was served: the node has a leader
  const pid = Number(parseInfo(String(await redisCommand(port, ['info', 'server']))).get('process_id'));
  const before = await memory(port, pid);
  await load(port);
  let after = await memory(port, pid);
  for (let i = 0; i < SETTLE_SAMPLES; i++) {
    await sleep(1000);
    const now = await memory(port, pid);
    after = { used: Math.min(after.used, now.used), rss: now.rss };
  }
  server.assertRunning();
  await server.stop('SIGTERM');
  const perKey = (a: number, b: number): string => ((b - a) / KEYS).toFixed(0);
  return `| ${name} | ${perKey(before.used, after.used)} | ${perKey(before.rss, after.rss)} |`;
}

const dir = mkdtempSync(join(tmpdir(), 'little-raft-memory-'));
process.on('exit', () => {
  killAll();
  rmSync(dir, { recursive: true, force: true });
});
const main = join(import.meta.dirname, '../dist/cli/main.js');

/** A fresh one-node cluster with `flags`, measured. */
async function node(name: string, flags: string[]): Promise<string> {
  const [raft, redis, http] = (await freePorts(3)) as [number, number, number];
  const data = join(dir, `node-${raft}`);
  const args = [main, 'serve', '--id', '1', '--peers', `1=127.0.0.1:${raft}`, '--data', data, '--insecure'];
  args.push('--redis', `127.0.0.1:${redis}`, '--http', `127.0.0.1:${http}`, '--log-level', 'warn', ...flags);
  return measure(name, new ServerProcess(name, process.execPath, args, `${data}.log`), redis);
}

const [redisPort] = (await freePorts(1)) as [number];
const redisArgs = ['--port', String(redisPort), '--save', '', '--appendonly', 'no', '--dir', dir];
const rows = [
  await measure(
    'redis-server 7.0',
    new ServerProcess('redis', 'redis-server', redisArgs, join(dir, 'redis.log')),
    redisPort,
  ),
  await node('little-raft, 1 node', []),
  // Its Raft log compacted into a snapshot every 100 entries: the key space, less the log.
  await node('little-raft, 1 node, --snapshot-entries 100', ['--snapshot-entries', '100']),
];
console.log(`${KEYS} keys of 13 bytes (key:000000001), values of ${VALUE.length} bytes; bytes per key:`);
console.log('| server | used_memory | RSS |');
console.log('| --- | --- | --- |');
for (const row of rows) console.log(row);
