// `little-raft local --nodes N`: a whole cluster on this machine, one `serve` process per node,
// data under one directory, a shared secret generated once. Shows where to connect and who leads;
// Ctrl-C stops every node cleanly. Run it again and the data is still there.

import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { StartupError } from '../errors.js';

export interface LocalOptions {
  nodes: number;
  data: string;
  host: string;
  redisPort: number;
  raftPort: number;
  httpPort: number;
  logLevel: string;
  logFormat: 'json' | 'pretty';
}

interface Child {
  id: number;
  process: ChildProcess;
  redis: string;
  http: string;
  exited: Promise<number | null>;
}

async function ensureSecret(dir: string): Promise<string> {
  const path = join(dir, 'cluster-secret');
  try {
    await readFile(path);
    return path;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new StartupError(`cannot read ${path}: ${(e as Error).message}`);
    }
  }
  await writeFile(path, randomBytes(32).toString('hex') + '\n', { mode: 0o600 });
  return path;
}

export async function runLocal(o: LocalOptions): Promise<number> {
  const last = Math.max(o.redisPort, o.raftPort, o.httpPort) + o.nodes - 1;
  if (last > 65535) throw new StartupError(`ports up to ${last} are needed; choose lower base ports`);
  const dataDir = resolve(o.data);
  try {
    await mkdir(dataDir, { recursive: true });
  } catch (e) {
    throw new StartupError(`cannot create data directory ${dataDir}: ${(e as Error).message}`);
  }
  const secretFile = await ensureSecret(dataDir);
  const ids = Array.from({ length: o.nodes }, (_, i) => i + 1);
  const peers = ids.map((id) => `${id}=${o.host}:${o.raftPort + id - 1}`).join(',');
  const script = join(
    fileURLToPath(new URL('.', import.meta.url)),
    `main${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`,
  );
  const children: Child[] = ids.map((id) => {
    const redis = `${o.host}:${o.redisPort + id - 1}`;
    const http = `${o.host}:${o.httpPort + id - 1}`;
    const args = [
      ...process.execArgv,
      script,
      'serve',
      '--id', String(id),
      '--peers', peers,
      '--data', join(dataDir, String(id)),
      '--redis', redis,
      '--http', http,
      '--secret-file', secretFile,
      '--open-status', // a cluster on this machine for its user: /status without credentials
      '--log-level', o.logLevel,
      '--log-format', o.logFormat,
    ]; // prettier-ignore
    // Own process group: Ctrl-C reaches only this parent, which then stops the nodes in order.
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'inherit', 'inherit'], detached: true });
    const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
    return { id, process: child, redis, http, exited };
  });

  console.log(`little-raft: ${o.nodes} nodes, data in ${dataDir}`);
  for (const c of children) {
    console.log(`  node ${c.id}: redis ${c.redis}   status http://${c.http}/status   pid ${c.process.pid}`);
  }
  const [host, port] = [o.host, o.redisPort];
  console.log(`try:  redis-cli -h ${host} -p ${port} set hello world   (any node takes any command)`);
  console.log('Ctrl-C stops the cluster.');

  let stopping = false;
  let lastLeader: string | null = null;
  const watch = setInterval(() => void showLeader(), 500);
  async function showLeader(): Promise<void> {
    const views = await Promise.all(children.map((c) => fetchStatus(c.http)));
    const leader = views.find((v) => v?.role === 'leader');
    const text = leader ? `node ${leader.id} leads (term ${leader.term})` : 'no leader';
    if (text !== lastLeader && !stopping) {
      if (leader || lastLeader !== null) console.log(`little-raft: ${text}`);
      lastLeader = text;
    }
  }

  const stopAll = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    clearInterval(watch);
    console.log('little-raft: stopping the nodes');
    for (const c of children) if (c.process.exitCode === null) c.process.kill('SIGTERM');
    const deadline = setTimeout(() => {
      for (const c of children) if (c.process.exitCode === null) c.process.kill('SIGKILL');
    }, 10000);
    await Promise.all(children.map((c) => c.exited));
    clearTimeout(deadline);
  };
  process.once('SIGINT', () => void stopAll());
  process.once('SIGTERM', () => void stopAll());

  // A node that exits on its own (bad port, bad data directory) takes the others down with it.
  const first = await Promise.race(children.map((c) => c.exited.then((code) => ({ c, code }))));
  if (!stopping) {
    console.error(`little-raft: node ${first.c.id} exited with code ${first.code}; stopping the others`);
    await stopAll();
    return 1;
  }
  await Promise.all(children.map((c) => c.exited));
  return children.every((c) => c.process.exitCode === 0) ? 0 : 1;
}

async function fetchStatus(http: string): Promise<{ id: number; role: string; term: number } | null> {
  try {
    const res = await fetch(`http://${http}/status`, { signal: AbortSignal.timeout(400) });
    return (await res.json()) as { id: number; role: string; term: number };
  } catch {
    return null;
  }
}
