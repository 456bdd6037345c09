// `little-raft local --nodes N`: a whole cluster on this machine, one `serve` process per node,
// data under one directory, a shared secret generated once, and a supervisor (this process) that
// outlives its nodes (local/supervisor.ts) and serves the dashboard with its fault and load
// controls (local/control-api.ts). Shows where to connect and who leads; Ctrl-C stops every node
// cleanly. Run it again and the data is still there.

import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import * as http from 'node:http';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { ClusterWatcher } from '../dashboard/cluster-watcher.js';
import { serveDashboard } from '../dashboard/dashboard-http.js';
import { statusRequester } from '../dashboard/node-sources.js';
import { StartupError } from '../errors.js';
import { serveControls } from './local/control-api.js';
import { LinkProxies } from './local/link-proxies.js';
import { LoadGenerator } from './local/load.js';
import { holdPorts, type WantedPort } from './local/port-check.js';
import { Supervisor } from './local/supervisor.js';
import { readSecretFile } from './secret-file.js';

export interface LocalOptions {
  nodes: number;
  data: string;
  host: string;
  redisPort: number;
  raftPort: number;
  httpPort: number;
  dashboardPort: number;
  /** false: --no-restart-dead. */
  restartDead: number | false;
  logLevel: string;
  logFormat: 'json' | 'pretty';
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

/** Every port the cluster's nodes and the dashboard need, named for the error that says one is taken. */
function wantedPorts(o: LocalOptions): WantedPort[] {
  const ports: WantedPort[] = [{ port: o.dashboardPort, use: 'the dashboard, --dashboard-port' }];
  for (let id = 1; id <= o.nodes; id++) {
    ports.push(
      { port: o.redisPort + id - 1, use: `node ${id}'s Redis port` },
      { port: o.raftPort + id - 1, use: `node ${id}'s Raft port` },
      { port: o.httpPort + id - 1, use: `node ${id}'s HTTP port` },
    );
  }
  return ports;
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
  const secret = await readSecretFile(secretFile);

  // Every port is tried before anything starts, and held while the proxies pick theirs (the system
  // would otherwise be free to hand one of the nodes' ports to a proxy).
  const held = await holdPorts(o.host, wantedPorts(o));
  let proxies: LinkProxies;
  try {
    const raftPorts = new Map(Array.from({ length: o.nodes }, (_, i) => [i + 1, o.raftPort + i] as const));
    proxies = await LinkProxies.start(raftPorts, undefined, o.host);
  } finally {
    await held.release();
  }

  const script = join(
    fileURLToPath(new URL('.', import.meta.url)),
    `main${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`,
  );
  const supervisor = new Supervisor({
    script,
    dataDir,
    secretFile,
    secret,
    host: o.host,
    redisPort: o.redisPort,
    raftPort: o.raftPort,
    httpPort: o.httpPort,
    logLevel: o.logLevel,
    logFormat: o.logFormat,
    restartDeadMs: o.restartDead === false ? null : o.restartDead,
    proxies,
    say: (line) => console.log(line),
  });
  const load = new LoadGenerator(() => supervisor.runningRedis());
  // The supervisor knows which of its nodes are down and why; the nodes say the rest.
  const watcher = new ClusterWatcher({
    sources: () => supervisor.sources(),
    request: statusRequester(secret),
    controls: true,
    load: () => load.running,
  });
  const server = http.createServer((req, res) => {
    if (serveControls(req, res, supervisor, load)) return;
    if (serveDashboard(req, res, watcher)) return;
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: the dashboard is at /\n');
  });
  const dashboard = `${o.host}:${o.dashboardPort}`;
  try {
    await new Promise<void>((done, fail) => {
      server.once('error', fail);
      server.listen({ host: o.host, port: o.dashboardPort }, () => done());
    });
  } catch (e) {
    await proxies.close();
    throw new StartupError(`cannot listen on the dashboard address ${dashboard}: ${(e as Error).message}`);
  }

  console.log(`little-raft: dashboard http://${dashboard}/`);
  supervisor.startNodes(o.nodes);
  watcher.start();
  console.log(`little-raft: ${o.nodes} nodes, data in ${dataDir}`);
  for (const v of supervisor.view()) {
    console.log(`  node ${v.id}: redis ${v.redis}   status http://${v.http}/status   pid ${v.pid}`);
  }
  console.log(`try:  redis-cli -h ${o.host} -p ${o.redisPort} set hello world   (any node takes any command)`);
  console.log('Ctrl-C stops the cluster.');

  let stopping = false;
  let lastLeader: string | null = null;
  const watch = setInterval(() => void showLeader(), 500);
  async function showLeader(): Promise<void> {
    const views = await Promise.all(
      supervisor.view().map((v) => (v.state === 'running' ? fetchStatus(v.http) : Promise.resolve(null))),
    );
    const leader = views.find((v) => v?.role === 'leader');
    const text = leader ? `node ${leader.id} leads (term ${leader.term})` : 'no leader';
    if (text !== lastLeader && !stopping) {
      if (leader || lastLeader !== null) console.log(`little-raft: ${text}`);
      lastLeader = text;
    }
  }

  let stopped = (_code: number): void => undefined;
  const done = new Promise<number>((resolve) => (stopped = resolve));
  const stopAll = async (code: number): Promise<void> => {
    if (stopping) return;
    stopping = true;
    clearInterval(watch);
    watcher.stop();
    load.stop();
    console.log('little-raft: stopping the nodes');
    const clean = await supervisor.stopAll();
    server.closeAllConnections();
    server.close();
    await proxies.close();
    stopped(clean ? code : 1);
  };
  process.once('SIGINT', () => void stopAll(0));
  process.once('SIGTERM', () => void stopAll(0));
  // Nodes that all failed on their own (a bad data directory) leave nothing to supervise.
  supervisor.onExit = () => {
    if (!supervisor.allFailed()) return;
    console.error('little-raft: every node has exited; stopping');
    void stopAll(1);
  };
  return done;
}

async function fetchStatus(http: string): Promise<{ id: number; role: string; term: number } | null> {
  try {
    const res = await fetch(`http://${http}/status`, { signal: AbortSignal.timeout(400) });
    return (await res.json()) as { id: number; role: string; term: number };
  } catch {
    return null;
  }
}
