// etcd beside the KV bench: three members on 127.0.0.1 with default settings (fsync on), data
// under the bench's temporary directory, and a closed-loop put load through etcd's v3 JSON
// gateway (POST /v3/kv/put, base64 key and value) from this process.
import { spawnSync } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { join } from 'node:path';

import { freePorts } from '../../little-raft/test/support/tcp.js';
import { ProcessExited, ServerProcess } from './processes.js';
import { Samples, sleep } from '../../little-raft/bench/stats.js';

/** `etcd --version`'s first line, or null if there is no etcd on PATH. */
export function etcdVersion(): string | null {
  const r = spawnSync('etcd', ['--version'], { encoding: 'utf8' });
  if (r.error !== undefined || r.status !== 0) return null;
  const version = /etcd Version:\s*(\S+)/.exec(r.stdout)?.[1];
  return version === undefined ? r.stdout.split('\n')[0]!.trim() : `etcd ${version}`;
}

export interface EtcdCluster {
  clientUrls: string[];
  members: ServerProcess[];
  /** The index (in clientUrls) of the member that leads, by the members' own status. */
  leader(timeoutMs: number): Promise<number>;
  stop(): Promise<void>;
}

/** POSTs `body` to `url`; resolves with the response body, rejects on a status other than 200. */
function post(url: string, path: string, body: string, agent?: Agent, timeoutMs = 10_000): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: hostname,
        port,
        path,
        method: 'POST',
        agent,
        timeout: timeoutMs,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString();
          if (res.statusCode === 200) resolve(text);
          else reject(new Error(`${url}${path}: HTTP ${res.statusCode}: ${text.slice(0, 200)}`));
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${url}${path}: no answer in ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}

/** Starts three members; resolves once all three are healthy. */
export async function startEtcd(root: string, timeoutMs: number): Promise<EtcdCluster> {
  const ports = await freePorts(6);
  const names = ['m1', 'm2', 'm3'];
  const clientUrls = names.map((_, i) => `http://127.0.0.1:${ports[i]!}`);
  const peerUrls = names.map((_, i) => `http://127.0.0.1:${ports[3 + i]!}`);
  const initialCluster = names.map((n, i) => `${n}=${peerUrls[i]!}`).join(',');
  const token = `little-raft-bench-${process.pid}-${Date.now()}`;
  const members: ServerProcess[] = [];
  for (const [i, name] of names.entries()) {
    const dir = join(root, 'etcd', name);
    await mkdir(dir, { recursive: true });
    members.push(
      new ServerProcess(
        `etcd ${name}`,
        'etcd',
        [
          `--name=${name}`,
          `--data-dir=${join(dir, 'data')}`,
          `--listen-client-urls=${clientUrls[i]!}`,
          `--advertise-client-urls=${clientUrls[i]!}`,
          `--listen-peer-urls=${peerUrls[i]!}`,
          `--initial-advertise-peer-urls=${peerUrls[i]!}`,
          `--initial-cluster=${initialCluster}`,
          '--initial-cluster-state=new',
          `--initial-cluster-token=${token}`,
        ],
        join(dir, 'log'),
      ),
    );
  }
  const stop = async (): Promise<void> => {
    await Promise.all(members.map((m) => m.stop('SIGTERM', 5000)));
  };
  const cluster: EtcdCluster = {
    clientUrls,
    members,
    async leader(ms) {
      const deadline = performance.now() + ms;
      for (;;) {
        for (const m of members) m.assertRunning();
        try {
          const statuses = await Promise.all(
            clientUrls.map(async (url) => {
              const s = JSON.parse(await post(url, '/v3/maintenance/status', '{}', undefined, 1000)) as {
                header: { member_id: string };
                leader: string;
              };
              return s;
            }),
          );
          const leaderId = statuses[0]!.leader;
          const at = statuses.findIndex((s) => s.header.member_id === leaderId);
          if (at >= 0 && statuses.every((s) => s.leader === leaderId)) return at;
        } catch {
          // not up yet
        }
        if (performance.now() > deadline) throw new Error(`etcd: no leader the members agree on within ${ms} ms`);
        await sleep(100);
      }
    },
    stop,
  };
  try {
    const deadline = performance.now() + timeoutMs;
    await cluster.leader(timeoutMs);
    // The first put also waits for the cluster version to be set.
    for (;;) {
      try {
        await post(clientUrls[0]!, '/v3/kv/put', JSON.stringify({ key: b64('warm'), value: b64('up') }));
        break;
      } catch (error) {
        if (performance.now() > deadline) throw error;
        await sleep(100);
      }
    }
    return cluster;
  } catch (error) {
    if (!(error instanceof ProcessExited)) {
      for (const m of members) console.error(`${m.name}'s log ends:\n${m.logTail()}`);
    }
    await stop();
    throw error;
  }
}

const b64 = (s: string): string => Buffer.from(s).toString('base64');

export interface PutRow {
  clients: number;
  puts: number;
  seconds: number;
  p50: number;
  p99: number;
}

/**
 * `clients` workers, each with its own keep-alive connection, put a 100-byte value back to
 * back; worker i talks to urls[i % urls.length]. After `warmup` seconds, the puts completed in
 * the next `seconds` count, with their latencies; then the workers finish their last put.
 */
export async function measurePuts(urls: string[], clients: number, seconds: number, warmup: number): Promise<PutRow> {
  const agent = new Agent({ keepAlive: true, maxSockets: clients });
  const body = JSON.stringify({ key: b64('key:__rand_int__'), value: b64('x'.repeat(100)) });
  const samples = new Samples();
  let measuring = false;
  let stopping = false;
  let startedAt = 0;
  let endedAt = 0;
  const worker = async (i: number): Promise<void> => {
    const url = urls[i % urls.length]!;
    while (!stopping) {
      const t0 = performance.now();
      await post(url, '/v3/kv/put', body, agent);
      if (measuring) samples.push(performance.now() - t0);
    }
  };
  const window = (async () => {
    await sleep(warmup * 1000);
    startedAt = performance.now();
    measuring = true;
    await sleep(seconds * 1000);
    measuring = false;
    endedAt = performance.now();
    stopping = true;
  })();
  try {
    const workers = Array.from({ length: clients }, (_, i) => worker(i));
    await Promise.all(workers);
    await window;
  } finally {
    stopping = true;
    agent.destroy();
  }
  const [p50, p99] = samples.percentiles(0.5, 0.99) as [number, number];
  return { clients, puts: samples.length, seconds: (endedAt - startedAt) / 1000, p50, p99 };
}
