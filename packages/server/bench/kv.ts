// KV service bench (`npm run bench -- --only kv`, or `tsx bench/kv.ts`): the replicated
// key-value server that speaks Redis, measured with redis-benchmark, next to etcd.
//
// 1. Floors, before any server runs: one write of 100 bytes + fdatasync in the directory the
//    servers' data goes to (p50 of 500), and one loopback TCP round trip between two Node
//    processes (p50 of 2,000).
// 2. etcd (if `etcd` is on PATH): three members on 127.0.0.1 with default settings, data in the
//    temporary directory; puts of a 100-byte value through etcd's v3 JSON gateway
//    (POST /v3/kv/put) from this process, 1/64/256 workers each with its own keep-alive
//    connection, each put sent when its last one is answered; all to the leader by default
//    (--etcd-target all: worker i to member i mod 3, the followers forwarding to the leader).
//    The JSON gateway is part of what is measured.
// 3. Each server of --server, started as a 3-node cluster on 127.0.0.1 with fsync on:
//    - little-raft: `little-raft local --nodes 3 --data DIR --redis-port B --raft-port B'
//      --http-port B''` (node i on each base + i - 1, DiskStorage in DIR/i), ready once every
//      node answers PING and one reports role:leader in INFO raft; stopped with SIGINT.
//    - redis-server: the baseline (not replicated by consensus): one primary with
//      appendonly yes + appendfsync always and two replicas (asynchronous replication); the
//      primary is "the leader"; writes on a replica fail, so no follower rows.
//    `redis-benchmark -t set|get -c C -P P -d 100 -n N --csv` against the leader (--follower:
//    also against a follower) for C in --clients, P in --pipelines; N such that a run takes
//    about --seconds, from a short probe run of the same kind before it (the warm-up). SET
//    and GET are separate runs, each with its own N; redis-benchmark without -r uses one key.
// 4. little-raft SET ops/s / etcd puts/s per number of clients (P=1, and P=16), and SET p50 at
//    c=1, P=1 against the sum of the two floors (the target: within 1.3x), with the floors
//    measured again right after that run (the disk's latency drifts with the machine's load).
//
// Every process is stopped at the end, on failure, on SIGINT/SIGTERM and when the run exceeds
// --timeout; the temporary directory is removed.
//
// Options:
//   --server S[,S]      little-raft (built to dist/ first) and/or redis-server (default: little-raft)
//   --seconds S         seconds per redis-benchmark run and per etcd row (default 3)
//   --warmup S          seconds of SET then GET load (16 clients) on the leader before the first
//                       measured run, discarded: the nodes' JIT warms up (default 3; 0: none)
//   --clients 1,64,256  concurrent clients (redis-benchmark -c; etcd workers)
//   --pipelines 1,16    redis-benchmark -P
//   --follower          also run redis-benchmark against a follower
//   --no-etcd           leave etcd out
//   --etcd-target T     leader (default) or all
//   --dir PATH          where the temporary directory goes (default os.tmpdir())
//   --timeout S         bound on the whole run (default 900)
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

import { consecutiveFreePorts } from '../../little-raft/test/support/tcp.js';
import { choiceFlag, integerListFlag, numberFlag, parseFlags } from '../../little-raft/bench/args.js';
import { boundedRun } from '../../little-raft/bench/bounded-run.js';
import { etcdVersion, measurePuts, startEtcd, type EtcdCluster, type PutRow } from './etcd.js';
import { loopbackRoundTrip, syncFloor, type Floor } from '../../little-raft/bench/floors.js';
import { killAll, ProcessExited, ServerProcess } from './processes.js';
import { parseInfo, redisCommand } from './resp.js';
import { fmt, printTable, sleep } from '../../little-raft/bench/stats.js';

export const REPO = fileURLToPath(new URL('..', import.meta.url));
/** The compiled command: what users run (tsx's on-the-fly CommonJS makes the hot paths ~1.4x slower at P=1). */
export const CLI = join(REPO, 'dist', 'cli', 'main.js');
const SERVERS = ['little-raft', 'redis-server'] as const;
const ROW_ATTEMPTS = 2;
type ServerName = (typeof SERVERS)[number];

interface Options {
  servers: ServerName[];
  seconds: number;
  warmup: number;
  clients: number[];
  pipelines: number[];
  follower: boolean;
  etcd: boolean;
  etcdTarget: 'leader' | 'all';
  dir: string;
  timeout: number;
}

function parseOptions(argv: string[]): Options {
  return parseFlags(
    import.meta.url,
    argv,
    {
      strings: ['server', 'seconds', 'warmup', 'clients', 'pipelines', 'etcd-target', 'dir', 'timeout'],
      booleans: ['follower', 'no-etcd'],
    },
    (v) => {
      const servers = (v.server?.split(',') ?? ['little-raft']).map((name) =>
        choiceFlag('server', name, 'little-raft', SERVERS),
      );
      return {
        servers,
        seconds: numberFlag('seconds', v.seconds, 3, { above: true }),
        warmup: numberFlag('warmup', v.warmup, 3),
        clients: integerListFlag('clients', v.clients, [1, 64, 256]),
        pipelines: integerListFlag('pipelines', v.pipelines, [1, 16]),
        follower: v.follower ?? false,
        etcd: !(v['no-etcd'] ?? false),
        etcdTarget: choiceFlag('etcd-target', v['etcd-target'], 'leader', ['leader', 'all'] as const),
        dir: v.dir ?? tmpdir(),
        timeout: numberFlag('timeout', v.timeout, 900, { above: true }),
      };
    },
  );
}

// --- the servers --------------------------------------------------------------------------

/** A 3-node server that speaks Redis, on 127.0.0.1. */
interface KvCluster {
  name: ServerName;
  description: string;
  /** Each node's Redis port. */
  ports: number[];
  processes: ServerProcess[];
  /** The INFO section and role that mark the node that leads. */
  leaderMark: { section: string; role: string };
  /** Whether a node that does not lead takes writes. */
  followerWrites: boolean;
}

/** Builds both packages: the bench measures the compiled JavaScript in dist/, built from this checkout. */
export async function buildDist(): Promise<void> {
  const workspace = join(REPO, '..', '..');
  const tsc = join(workspace, 'node_modules', 'typescript', 'bin', 'tsc');
  for (const pkg of ['little-raft', 'server']) {
    const code = await new Promise<number | null>((done) => {
      const config = join(workspace, 'packages', pkg, 'tsconfig.build.json');
      const child = spawn(process.execPath, [tsc, '-p', config], { stdio: 'inherit' });
      child.once('exit', done);
    });
    if (code !== 0) throw new Error(`building ${pkg}'s dist/ failed (tsc exit ${code})`);
  }
}

async function startLittleRaft(root: string): Promise<KvCluster> {
  const data = join(root, 'little-raft');
  await mkdir(data, { recursive: true });
  const base = await consecutiveFreePorts(9);
  const [redisBase, raftBase, httpBase] = [base, base + 3, base + 6];
  await buildDist();
  const args = [
    CLI,
    'local',
    '--nodes',
    '3',
    '--data',
    data,
    '--redis-port',
    String(redisBase),
    '--raft-port',
    String(raftBase),
    '--http-port',
    String(httpBase),
  ];
  const proc = new ServerProcess('little-raft local', process.execPath, args, join(root, 'little-raft.log'), {
    cwd: REPO,
  });
  return {
    name: 'little-raft',
    description:
      `little-raft local --nodes 3 (DiskStorage, fsync on; Redis ports ${redisBase}-${redisBase + 2}, ` +
      `raft ${raftBase}-${raftBase + 2}, HTTP ${httpBase}-${httpBase + 2})`,
    ports: [redisBase, redisBase + 1, redisBase + 2],
    processes: [proc],
    leaderMark: { section: 'raft', role: 'leader' },
    followerWrites: true,
  };
}

async function startRedisServer(root: string): Promise<KvCluster> {
  const base = await consecutiveFreePorts(3);
  const ports = [base, base + 1, base + 2];
  const processes: ServerProcess[] = [];
  for (const [i, port] of ports.entries()) {
    const dir = join(root, 'redis-server', String(i + 1));
    await mkdir(dir, { recursive: true });
    const args = [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--dir',
      dir,
      '--save',
      '',
      '--appendonly',
      'yes',
      '--appendfsync',
      'always',
      ...(i === 0 ? [] : ['--replicaof', '127.0.0.1', String(base)]),
    ];
    processes.push(new ServerProcess(`redis-server ${i + 1}`, 'redis-server', args, join(dir, 'log')));
  }
  return {
    name: 'redis-server',
    description:
      `redis-server (baseline): a primary with appendfsync always + 2 asynchronous replicas ` +
      `(ports ${base}-${base + 2})`,
    ports,
    processes,
    leaderMark: { section: 'replication', role: 'master' },
    followerWrites: false,
  };
}

const starters: Record<ServerName, (root: string) => Promise<KvCluster>> = {
  'little-raft': startLittleRaft,
  'redis-server': startRedisServer,
};

function assertRunning(cluster: KvCluster): void {
  for (const p of cluster.processes) p.assertRunning();
}

/** Each node's role by INFO (null: no answer). */
async function roles(cluster: KvCluster): Promise<(string | null)[]> {
  return Promise.all(
    cluster.ports.map(async (port) => {
      try {
        const info = await redisCommand(port, ['INFO', cluster.leaderMark.section], 1000);
        return parseInfo(String(info)).get('role') ?? null;
      } catch {
        return null;
      }
    }),
  );
}

/** Waits until every node answers PING, then until one leads; returns its index in ports. */
async function waitReady(cluster: KvCluster, ms: number): Promise<number> {
  const deadline = performance.now() + ms;
  const check = (what: string): void => {
    assertRunning(cluster);
    if (performance.now() > deadline) throw new Error(`${cluster.name}: ${what} within ${Math.round(ms)} ms`);
  };
  for (const port of cluster.ports) {
    for (;;) {
      try {
        if ((await redisCommand(port, ['PING'], 1000)) === 'PONG') break;
      } catch {
        // not listening yet
      }
      check(`no PONG on port ${port}`);
      await sleep(100);
    }
  }
  for (;;) {
    const leaders = (await roles(cluster)).flatMap((r, i) => (r === cluster.leaderMark.role ? [i] : []));
    if (leaders.length === 1) return leaders[0]!;
    check(`no node reported role:${cluster.leaderMark.role} in INFO ${cluster.leaderMark.section}`);
    await sleep(100);
  }
}

/** Retries SET on `port` until it succeeds (a follower may need to learn the leader first). */
async function waitWritable(cluster: KvCluster, port: number, ms: number): Promise<void> {
  const deadline = performance.now() + ms;
  for (;;) {
    try {
      await redisCommand(port, ['SET', 'bench:ready', '1'], 2000);
      return;
    } catch (error) {
      assertRunning(cluster);
      if (performance.now() > deadline) throw error;
      await sleep(100);
    }
  }
}

/** One fsync (100 B write + fdatasync in `dir`, p50 of 500) and one loopback round trip. */
async function measureFloors(dir: string): Promise<{ fsync: Floor; rtt: Floor }> {
  return { fsync: await syncFloor(dir, 100, { count: 500, seconds: 10 }), rtt: await loopbackRoundTrip(2000) };
}

// --- redis-benchmark ----------------------------------------------------------------------

export type Test = 'SET' | 'GET';

export interface BenchRun {
  rps: number;
  p50: number;
  p99: number;
  wallMs: number;
}

/** Parses redis-benchmark --csv output: a header line naming the columns, one line per test. */
export function parseCsv(text: string): Map<string, Record<string, string>> {
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.startsWith('"'));
  const cells = (line: string): string[] => line.split(',').map((c) => c.replace(/^"|"$/g, ''));
  if (lines.length === 0) return new Map();
  const header = cells(lines[0]!);
  const rows = new Map<string, Record<string, string>>();
  for (const line of lines.slice(1)) {
    const values = cells(line);
    const row: Record<string, string> = {};
    header.forEach((h, i) => (row[h] = values[i] ?? ''));
    rows.set(row['test'] ?? '', row);
  }
  return rows;
}

/** redis-benchmark processes running, killed with the servers on exit. */
export const benchmarks = new Set<ChildProcess>();

export function redisBenchmark(
  port: number,
  test: Test,
  clients: number,
  pipeline: number,
  n: number,
): Promise<BenchRun> {
  const args = ['-h', '127.0.0.1', '-p', String(port), '-t', test.toLowerCase()];
  args.push('-c', String(clients), '-P', String(pipeline), '-d', '100', '-n', String(n), '--csv');
  const command = `redis-benchmark ${args.join(' ')}`;
  if (!(Number.isSafeInteger(n) && n > 0))
    return Promise.reject(new Error(`${command}: -n must be a positive integer`));
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn('redis-benchmark', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    benchmarks.add(child);
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    // Generous: a probe has no estimate yet, a run's N is for `seconds`.
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      benchmarks.delete(child);
      const wallMs = performance.now() - started;
      const row = parseCsv(out).get(test);
      const number = (column: string): number => {
        const v = row?.[column];
        if (v === undefined) throw new Error(`${command}: no ${column} column in its output:\n${out}`);
        return Number(v);
      };
      if (code !== 0 || row === undefined) {
        return reject(new Error(`${command}: exit ${code ?? signal}:\n${out.trim().slice(-2000)}`));
      }
      try {
        resolve({ rps: number('rps'), p50: number('p50_latency_ms'), p99: number('p99_latency_ms'), wallMs });
      } catch (error) {
        // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- number() throws only Errors
        reject(error);
      }
    });
  });
}

/** Two significant digits. */
function round2(n: number): number {
  const scale = 10 ** Math.max(0, Math.floor(Math.log10(n)) - 1);
  return Math.round(n / scale) * scale;
}

/**
 * Probe runs of the same kind (the warm-up): a small one, then, if it was over too soon to
 * tell, one of about half a second; then the N that makes a run take about `seconds`.
 */
export async function requestsFor(port: number, test: Test, c: number, p: number, seconds: number): Promise<number> {
  // redis-benchmark's rps is "inf" for a run under a millisecond: then the wall time's rate
  // (process start included, so lower).
  const rate = (n: number, r: BenchRun): number =>
    Number.isFinite(r.rps) && r.rps > 0 ? r.rps : n / (r.wallMs / 1000);
  let n = wholePipelines(Math.max(50, 2 * c * p), c, p);
  let probe = await redisBenchmark(port, test, c, p, n);
  if (probe.wallMs < 300) {
    n = wholePipelines(Math.max(n, Math.round(rate(n, probe) * 0.5)), c, p);
    probe = await redisBenchmark(port, test, c, p, n);
  }
  return wholePipelines(Math.max(round2(rate(n, probe) * seconds), 4 * c * p), c, p);
}

/**
 * `n` rounded up to whole pipelines of every client. Otherwise redis-benchmark's last pipelines
 * overshoot -n, and its 250 ms timer, if it fires after the last client finished, takes the
 * count mismatch for "All clients disconnected... aborting." and exits 1 (seen at -c 1 -P 16).
 */
function wholePipelines(n: number, c: number, p: number): number {
  return Math.ceil(n / (c * p)) * c * p;
}

interface KvRow {
  server: ServerName;
  node: 'leader' | 'follower';
  test: Test;
  clients: number;
  pipeline: number;
  requests: number;
  run: BenchRun;
  /** For SET at c=1, P=1 on the leader: the floors measured right after the run (the disk's
   * latency drifts with the machine's other work). */
  floors?: { fsync: Floor; rtt: Floor };
}

async function benchServer(
  o: Options,
  root: string,
  name: ServerName,
  remaining: () => number,
): Promise<{ rows: KvRow[]; notes: string[] }> {
  const cluster = await starters[name](root);
  const notes: string[] = [];
  try {
    const t0 = performance.now();
    const first = await waitReady(cluster, Math.min(60_000, remaining()));
    console.log(`${cluster.description}: ready in ${fmt(performance.now() - t0)} ms; node ${first + 1} leads`);
    let leader = first;
    if (o.warmup > 0) {
      // The first measured run (1 client) would otherwise meet code the JIT has not optimized yet.
      try {
        for (const test of ['SET', 'GET'] as const) {
          const port = cluster.ports[leader]!;
          await redisBenchmark(port, test, 16, 1, await requestsFor(port, test, 16, 1, o.warmup / 2));
        }
        console.log(`  warm-up: ${o.warmup} s of SET and GET with 16 clients on the leader, not counted`);
      } catch (error) {
        // Not measured, so not repeated: the rows start once a leader is back.
        assertRunning(cluster);
        console.log(`  (warm-up: ${(error as Error).message.split('\n')[0]}; cut short)`);
        leader = await waitReady(cluster, Math.min(30_000, remaining()));
      }
    }
    let retried = 0;
    const follower = (): number => (leader + 1) % cluster.ports.length;
    const nodes: ('leader' | 'follower')[] = ['leader'];
    if (o.follower) {
      if (cluster.followerWrites) {
        await waitWritable(cluster, cluster.ports[follower()]!, Math.min(30_000, remaining()));
        nodes.push('follower');
      } else {
        notes.push(`${name}: no follower rows (its replicas take no writes)`);
      }
    }
    const rows: KvRow[] = [];
    for (const node of nodes) {
      for (const clients of o.clients) {
        for (const pipeline of o.pipelines) {
          for (const test of ['SET', 'GET'] as const) {
            for (let attempt = 1; ; attempt++) {
              // The node to run against is chosen again for each attempt: the leader may change.
              const port = cluster.ports[node === 'leader' ? leader : follower()]!;
              try {
                const requests = await requestsFor(port, test, clients, pipeline, o.seconds);
                const run = await redisBenchmark(port, test, clients, pipeline, requests);
                assertRunning(cluster);
                const floors =
                  node === 'leader' && test === 'SET' && clients === 1 && pipeline === 1
                    ? await measureFloors(join(root, name))
                    : undefined;
                rows.push({ server: name, node, test, clients, pipeline, requests, run, ...(floors && { floors }) });
                console.log(
                  `  ${node} ${test} -c ${clients} -P ${pipeline} -n ${requests}: ` +
                    `${fmt(run.rps)} ops/s, p50 ${fmt(run.p50, 3)} ms, p99 ${fmt(run.p99, 3)} ms`,
                );
                break;
              } catch (error) {
                // A server that exited ends the bench; an error reply (such as one during an
                // election) makes redis-benchmark exit: the row runs again, once.
                assertRunning(cluster);
                if (attempt === ROW_ATTEMPTS) throw error;
                console.log(`  (${node} ${test} -c ${clients} -P ${pipeline}: ${(error as Error).message}; again)`);
                const now = await waitReady(cluster, Math.min(30_000, remaining()));
                if (now !== leader)
                  notes.push(`${name}: the leader changed from node ${leader + 1} to node ${now + 1}`);
                leader = now;
                retried++;
              }
            }
          }
        }
      }
    }
    if (retried > 0) notes.push(`${name}: ${retried} run(s) retried`);
    const after = await roles(cluster);
    if (after[leader] !== cluster.leaderMark.role) {
      notes.push(`${name}: node ${leader + 1} no longer leads at the end (roles: ${after.join(', ')})`);
    }
    return { rows, notes };
  } catch (error) {
    // An exit carries its log already; otherwise the logs may tell why.
    if (!(error instanceof ProcessExited)) {
      for (const p of cluster.processes) console.error(`${p.name}'s log ends:\n${p.logTail()}`);
    }
    throw error;
  } finally {
    const stopped = await Promise.all(cluster.processes.map((p) => p.stop('SIGINT', 15_000)));
    if (stopped.some((s) => !s.clean)) notes.push(`${name}: did not stop within 15 s of SIGINT; killed`);
  }
}

async function benchEtcd(o: Options, root: string, remaining: () => number): Promise<PutRow[]> {
  let etcd: EtcdCluster | null = null;
  try {
    const t0 = performance.now();
    etcd = await startEtcd(root, Math.min(60_000, remaining()));
    const leader = await etcd.leader(10_000);
    console.log(`etcd: 3 members ready in ${fmt(performance.now() - t0)} ms; member ${leader + 1} leads`);
    const urls = o.etcdTarget === 'leader' ? [etcd.clientUrls[leader]!] : etcd.clientUrls;
    const rows: PutRow[] = [];
    for (const clients of o.clients) {
      const row = await measurePuts(urls, clients, o.seconds, 1);
      for (const m of etcd.members) m.assertRunning();
      rows.push(row);
      console.log(
        `  etcd put, ${clients} client(s): ${fmt(row.puts / row.seconds)} puts/s, ` +
          `p50 ${fmt(row.p50, 3)} ms, p99 ${fmt(row.p99, 3)} ms`,
      );
    }
    return rows;
  } catch (error) {
    if (!(error instanceof ProcessExited)) {
      for (const m of etcd?.members ?? []) console.error(`${m.name}'s log ends:\n${m.logTail()}`);
    }
    throw error;
  } finally {
    await etcd?.stop();
  }
}

export async function runKvBench(argv: string[]): Promise<void> {
  const o = parseOptions(argv);
  const run = {
    name: 'KV bench',
    dir: o.dir,
    prefix: 'little-raft-kv-bench-',
    timeoutSeconds: o.timeout,
    // Whatever waits on a server or on redis-benchmark fails.
    kill: () => {
      for (const b of benchmarks) b.kill('SIGKILL');
      killAll();
    },
  };
  await boundedRun(run, async ({ root, remaining, timedOut }) => {
    const load = loadavg();
    console.log(
      `KV service bench: ${o.servers.join(' and ')}${o.etcd ? ' and etcd' : ''}, 3 nodes each on 127.0.0.1, ` +
        `data in ${root}; 100-byte values; about ${o.seconds} s per run; node ${process.version}; ` +
        `load average ${load.map((l) => l.toFixed(2)).join(' ')}`,
    );

    const { fsync, rtt } = await measureFloors(root);
    console.log(
      `floors: 100 B write + fdatasync p50 ${fmt(fsync.p50, 3)} ms (p99 ${fmt(fsync.p99, 3)}, ${fsync.count} syncs); ` +
        `loopback TCP round trip p50 ${fmt(rtt.p50, 3)} ms (p99 ${fmt(rtt.p99, 3)}, ${rtt.count} trips)`,
    );

    let etcdRows: PutRow[] | null = null;
    let etcdNote: string;
    const version = o.etcd ? etcdVersion() : null;
    if (!o.etcd) etcdNote = 'etcd left out (--no-etcd)';
    else if (version === null) etcdNote = 'etcd: not on PATH, skipped (Debian: apt-get install etcd-server)';
    else {
      etcdNote =
        `${version}: 3 members, default settings; puts through the v3 JSON gateway, ` +
        (o.etcdTarget === 'leader' ? 'all to the leader' : "spread over the 3 members' client URLs");
      console.log(etcdNote);
      try {
        etcdRows = await benchEtcd(o, root, remaining);
      } catch (error) {
        // The comparison is lost, not the bench.
        if (timedOut()) throw error;
        etcdNote = `etcd failed, left out: ${(error as Error).message}`;
      }
    }
    if (etcdRows === null) console.log(etcdNote);

    const rows: KvRow[] = [];
    const notes: string[] = [];
    for (const name of o.servers) {
      const r = await benchServer(o, root, name, remaining);
      rows.push(...r.rows);
      notes.push(...r.notes);
    }

    console.log();
    printTable(
      ['server', 'node', 'test', 'clients', 'pipeline', 'requests', 'ops/s', 'p50 ms', 'p99 ms'],
      rows.map((r) => [
        r.server,
        r.node,
        r.test,
        fmt(r.clients),
        fmt(r.pipeline),
        fmt(r.requests),
        fmt(r.run.rps),
        fmt(r.run.p50, 3),
        fmt(r.run.p99, 3),
      ]),
      3,
    );
    if (etcdRows !== null) {
      console.log();
      printTable(
        ['etcd put', 'clients', 'puts', 'puts/s', 'p50 ms', 'p99 ms'],
        etcdRows.map((r) => [
          o.etcdTarget === 'leader' ? 'to the leader' : 'spread',
          fmt(r.clients),
          fmt(r.puts),
          fmt(r.puts / r.seconds),
          fmt(r.p50, 3),
          fmt(r.p99, 3),
        ]),
      );
    }

    for (const server of o.servers) {
      const set = (clients: number, pipeline: number): KvRow | undefined =>
        rows.find(
          (r) =>
            r.server === server &&
            r.node === 'leader' &&
            r.test === 'SET' &&
            r.clients === clients &&
            r.pipeline === pipeline,
        );
      if (etcdRows !== null) {
        console.log();
        console.log(`${server} SET ops/s on the leader / etcd puts/s, same number of clients (target >= 10x):`);
        const ratio = (row: KvRow | undefined, etcd: PutRow): string =>
          row === undefined ? '-' : `${fmt(row.run.rps / (etcd.puts / etcd.seconds), 1)}x`;
        printTable(
          ['clients', 'etcd puts/s', 'SET P=1 ops/s', 'ratio P=1', 'SET P=16 ops/s', 'ratio P=16'],
          etcdRows.map((e) => [
            fmt(e.clients),
            fmt(e.puts / e.seconds),
            set(e.clients, 1) === undefined ? '-' : fmt(set(e.clients, 1)!.run.rps),
            ratio(set(e.clients, 1), e),
            set(e.clients, 16) === undefined ? '-' : fmt(set(e.clients, 16)!.run.rps),
            ratio(set(e.clients, 16), e),
          ]),
          0,
        );
      }
      const single = set(1, 1);
      if (single !== undefined) {
        console.log();
        console.log(`${server} 1-client SET latency (c=1, P=1, on the leader) vs one fsync + one loopback round trip:`);
        const line = (when: string, f: { fsync: Floor; rtt: Floor }): void => {
          const floor = f.fsync.p50 + f.rtt.p50;
          console.log(
            `  SET p50 ${fmt(single.run.p50, 3)} ms vs ${fmt(f.fsync.p50, 3)} + ${fmt(f.rtt.p50, 3)} = ${fmt(floor, 3)} ms ` +
              `(floors ${when}): ${fmt(single.run.p50 / floor, 2)}x (target <= 1.3x)`,
          );
        };
        if (single.floors !== undefined) line('right after the SET run', single.floors);
        line('at the start', { fsync, rtt });
      }
    }
    const loadAfter = loadavg();
    console.log();
    for (const note of notes) console.log(note);
    console.log(
      `redis-benchmark latencies are its own (ms, from its histogram); load average after ` +
        loadAfter.map((l) => l.toFixed(2)).join(' '),
    );
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await runKvBench(process.argv.slice(2));
