// Issue 18's bench (`npm run bench -- --only limits`): little-raft against the physical limits of
// this machine, every figure a ratio to a reference measured in the same run.
//
// 1. Floors: a 100-byte append + fdatasync in the data's directory (p50 of 500) and a loopback
//    TCP round trip between two Node processes (p50 of 2,000).
// 2. Two redis-server of their own on free ports, data in the temporary directory: a durable one
//    (appendonly yes, appendfsync always) for SET and a plain one (no persistence) for GET;
//    redis-benchmark -c 64 -P 1 -d 100 against each, and the durable one's CPU time over its
//    SET run from /proc/<pid>/stat (utime + stime).
// 3. Three `little-raft serve` processes (bench/serve-cluster.ts: built code, DiskStorage, fsync
//    on); 3 s of warm-up load, then SET c64 P1 on the leader with each node's CPU time over the
//    run, GET c64 P1 on the leader and on a follower, SET c1 P1 on the leader (p50), SET c64 P16.
//    The client's CPU time (redis-benchmark's) is this process's children's time from
//    /proc/self/stat (cutime + cstime): redis-benchmark is the one child that exits in a run.
// 4. The library in this process (bench/library-measure.ts): 3 replicas, MemoryStorage, 1,024
//    transitions in flight, by getPendingTransitions and by propose().
// 5. etcd, if installed: puts c64 P1 (bench/etcd.ts), next to SET c64 P16; otherwise a note.
// Then one table: each row, its reference, the ratio and the target.
//
// Options:
//   --seconds S     seconds per redis-benchmark run and per library row (default 3)
//   --warmup S      seconds of SET then GET load on the little-raft leader first (default 3)
//   --cli PATH      the main.js of another build to measure (default: this checkout's, built first)
//   --dir PATH      where the temporary directory goes (default os.tmpdir())
//   --timeout S     bound on the whole run (default 600)
import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

import { numberFlag, parseFlags } from '../../little-raft/bench/args.js';
import { boundedRun } from '../../little-raft/bench/bounded-run.js';
import { loopbackRoundTrip, syncFloor } from '../../little-raft/bench/floors.js';
import { startWorld } from '../../little-raft/bench/harness.js';
import { fmt, printTable, sleep } from '../../little-raft/bench/stats.js';
import { freePorts } from '../../little-raft/test/support/tcp.js';
import { etcdVersion, measurePuts, startEtcd } from './etcd.js';
import { benchmarks, buildDist, CLI, redisBenchmark, requestsFor, type BenchRun, type Test } from './kv.js';
import { measure } from './library-measure.js';
import { killAll, ServerProcess } from './processes.js';
import { redisCommand } from './resp.js';
import { Cluster } from './serve-cluster.js';

interface Options {
  seconds: number;
  warmup: number;
  cli: string | null;
  dir: string;
  timeout: number;
}

function parseOptions(argv: string[]): Options {
  return parseFlags(
    import.meta.url,
    argv,
    { strings: ['seconds', 'warmup', 'cli', 'dir', 'timeout'], booleans: [] },
    (v) => ({
      seconds: numberFlag('seconds', v.seconds, 3, { above: true }),
      warmup: numberFlag('warmup', v.warmup, 3),
      cli: v.cli ?? null,
      dir: v.dir ?? tmpdir(),
      timeout: numberFlag('timeout', v.timeout, 600, { above: true }),
    }),
  );
}

// --- CPU time from /proc --------------------------------------------------------------------

const TICKS_PER_SECOND = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());

/** utime + stime (own) and cutime + cstime (waited-for children) of `pid`, in ms. */
async function cpuTimes(pid: number | 'self'): Promise<{ own: number; children: number }> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name, which is in parentheses and may hold spaces: state is [0].
  const f = stat
    .slice(stat.lastIndexOf(')') + 2)
    .split(' ')
    .map(Number);
  const ms = (ticks: number): number => (1000 * ticks) / TICKS_PER_SECOND;
  return { own: ms(f[11]! + f[12]!), children: ms(f[13]! + f[14]!) };
}

interface MeasuredRun extends BenchRun {
  requests: number;
  /** CPU ms of each watched process over the run. */
  cpu: number[];
  /** CPU ms of redis-benchmark. */
  clientCpu: number;
  /** Raft messages the three nodes sent over the run, per request (little-raft only). */
  messagesPerRequest: number | null;
}

/**
 * A redis-benchmark run (N from a probe run of the same kind), with the CPU time `pids` spent in it
 * and the Raft messages `cluster`'s nodes sent.
 */
async function run(
  port: number,
  test: Test,
  c: number,
  p: number,
  seconds: number,
  pids: number[] = [],
  cluster: Cluster | null = null,
): Promise<MeasuredRun> {
  const requests = await requestsFor(port, test, c, p, seconds);
  const messagesBefore = cluster === null ? 0 : await messagesSent(cluster);
  const before = await Promise.all(pids.map((pid) => cpuTimes(pid)));
  const clientBefore = await cpuTimes('self');
  const result = await redisBenchmark(port, test, c, p, requests);
  const after = await Promise.all(pids.map((pid) => cpuTimes(pid)));
  const clientAfter = await cpuTimes('self');
  const cpu = after.map((a, i) => a.own - before[i]!.own);
  const messagesPerRequest = cluster === null ? null : ((await messagesSent(cluster)) - messagesBefore) / requests;
  return { ...result, requests, cpu, clientCpu: clientAfter.children - clientBefore.children, messagesPerRequest };
}

/** Raft messages sent by the three nodes so far, from their /status. */
async function messagesSent(cluster: Cluster): Promise<number> {
  const statuses = await cluster.statuses();
  return statuses.reduce((sum, s) => sum + (s?.transport?.messagesSent ?? NaN), 0);
}

function log(what: string, r: MeasuredRun): void {
  console.log(
    `  ${what} -n ${fmt(r.requests)}: ${fmt(r.rps)} ops/s, p50 ${fmt(r.p50, 3)} ms, p99 ${fmt(r.p99, 3)} ms` +
      (r.cpu.length > 0 ? `; CPU ms ${r.cpu.map((c) => fmt(c)).join(' / ')}, client ${fmt(r.clientCpu)}` : '') +
      (r.messagesPerRequest === null ? '' : `; ${fmt(r.messagesPerRequest, 2)} Raft messages per request`),
  );
}

// --- the references --------------------------------------------------------------------------

async function startRedis(
  root: string,
  name: string,
  durable: boolean,
): Promise<{ proc: ServerProcess; port: number }> {
  const [port] = (await freePorts(1)) as [number];
  const dir = join(root, name);
  await mkdir(dir, { recursive: true });
  const persistence = durable ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no'];
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', ...persistence];
  const proc = new ServerProcess(name, 'redis-server', args, join(dir, 'log'));
  const deadline = performance.now() + 20_000;
  for (;;) {
    try {
      if ((await redisCommand(port, ['PING'], 1000)) === 'PONG') return { proc, port };
    } catch {
      // not listening yet
    }
    proc.assertRunning();
    if (performance.now() > deadline) throw new Error(`${name}: no PONG on port ${port} within 20 s`);
    await sleep(50);
  }
}

interface Results {
  fsyncP50: number;
  rttP50: number;
  redisSet: MeasuredRun;
  redisGet: MeasuredRun;
  set64: MeasuredRun;
  get64: MeasuredRun;
  get64Follower: MeasuredRun;
  set1: MeasuredRun;
  set64P16: MeasuredRun;
  libraryTransitions: number;
  libraryPropose: number;
}

async function littleRaft(
  o: Options,
  root: string,
  remaining: () => number,
): Promise<Pick<Results, 'set64' | 'get64' | 'get64Follower' | 'set1' | 'set64P16'>> {
  const secretFile = join(root, 'secret');
  await writeFile(secretFile, `${randomBytes(24).toString('hex')}\n`);
  const cluster = new Cluster(root, await freePorts(9), secretFile, 10_000, o.cli ?? CLI);
  for (const node of cluster.nodes) cluster.start(node);
  try {
    const leader = await cluster.leader('a leader', Math.min(60_000, remaining()));
    const follower = cluster.nodes.find((n) => n !== leader)!;
    const pids = [leader, ...cluster.nodes.filter((n) => n !== leader)].map((n) => n.process!.child.pid!);
    console.log(`little-raft: 3 serve processes (${o.cli ?? 'this build'}); node ${leader.id} leads`);
    // A follower forwards writes only once it knows the leader; the warm-up is discarded.
    await redisCommand(follower.redisPort, ['SET', 'bench:ready', '1'], 10_000);
    if (o.warmup > 0) {
      for (const test of ['SET', 'GET'] as const) {
        const n = await requestsFor(leader.redisPort, test, 16, 1, o.warmup / 2);
        await redisBenchmark(leader.redisPort, test, 16, 1, n);
      }
    }
    const set64 = await run(leader.redisPort, 'SET', 64, 1, o.seconds, pids, cluster);
    log('leader SET -c 64 -P 1', set64);
    const get64 = await run(leader.redisPort, 'GET', 64, 1, o.seconds, pids, cluster);
    log('leader GET -c 64 -P 1', get64);
    const get64Follower = await run(follower.redisPort, 'GET', 64, 1, o.seconds, pids, cluster);
    log(`follower (node ${follower.id}) GET -c 64 -P 1`, get64Follower);
    const set1 = await run(leader.redisPort, 'SET', 1, 1, o.seconds, pids, cluster);
    log('leader SET -c 1 -P 1', set1);
    const set64P16 = await run(leader.redisPort, 'SET', 64, 16, o.seconds, pids, cluster);
    log('leader SET -c 64 -P 16', set64P16);
    cluster.assertRunning();
    const now = await cluster.leader('the leader at the end', 10_000);
    if (now !== leader) console.log(`  the leader changed from node ${leader.id} to node ${now.id} during the run`);
    return { set64, get64, get64Follower, set1, set64P16 };
  } finally {
    for (const node of cluster.nodes) await cluster.stop(node);
  }
}

async function library(seconds: number): Promise<{ transitions: number; propose: number }> {
  const world = await startWorld(100_000);
  try {
    await measure(world, 'transitions', 1024, 1);
    await measure(world, 'propose', 1024, 1);
    const t = await measure(world, 'transitions', 1024, seconds);
    const p = await measure(world, 'propose', 1024, seconds);
    return { transitions: t.entries / t.seconds, propose: p.entries / p.seconds };
  } finally {
    await world.stop();
  }
}

async function etcdRow(
  root: string,
  seconds: number,
  remaining: () => number,
): Promise<{ note: string; perSecond: number | null }> {
  const version = etcdVersion();
  if (version === null) return { note: 'etcd: not installed here (not on PATH), its row left out', perSecond: null };
  const etcd = await startEtcd(join(root, 'etcd'), Math.min(60_000, remaining()));
  try {
    const leader = await etcd.leader(10_000);
    const row = await measurePuts([etcd.clientUrls[leader]!], 64, seconds, 1);
    return { note: `${version}: put c64 P1 ${fmt(row.puts / row.seconds)}/s`, perSecond: row.puts / row.seconds };
  } finally {
    await etcd.stop();
  }
}

// --- the table --------------------------------------------------------------------------------

function printResults(r: Results, etcdPerSecond: number | null): void {
  const ratio = (n: number): string => (Number.isNaN(n) ? '-' : `${fmt(n, 2)}x`);
  const check = (ok: boolean): string => (ok ? 'met' : 'NOT met');
  const perSet = (ms: number, run: MeasuredRun): number => (1000 * ms) / run.requests;
  const [leaderCpu, f1Cpu, f2Cpu] = r.set64.cpu.map((ms) => perSet(ms, r.set64)) as [number, number, number];
  const nodesCpu = leaderCpu + f1Cpu + f2Cpu;
  const redisCpu = perSet(r.redisSet.cpu[0]!, r.redisSet);
  const floor = r.fsyncP50 + 2 * r.rttP50;
  const rows: [string, string, string, number, string, boolean][] = [
    ['SET c64 P1, leader', `${fmt(r.set64.rps)}/s`, `durable Redis ${fmt(r.redisSet.rps)}/s`, r.set64.rps / r.redisSet.rps, '>= 0.5x', r.set64.rps / r.redisSet.rps >= 0.5],
    ['GET c64 P1, leader', `${fmt(r.get64.rps)}/s`, `Redis GET ${fmt(r.redisGet.rps)}/s`, r.get64.rps / r.redisGet.rps, '>= 0.8x', r.get64.rps / r.redisGet.rps >= 0.8],
    ['GET c64 P1, follower', `${fmt(r.get64Follower.rps)}/s`, `Redis GET ${fmt(r.redisGet.rps)}/s`, r.get64Follower.rps / r.redisGet.rps, '>= 0.6x', r.get64Follower.rps / r.redisGet.rps >= 0.6],
    [
      'CPU per SET c64 P1, 3 nodes',
      `${fmt(nodesCpu, 1)} µs (leader ${fmt(leaderCpu, 1)}, followers ${fmt(f1Cpu, 1)} + ${fmt(f2Cpu, 1)}; client ${fmt(perSet(r.set64.clientCpu, r.set64), 1)})`,
      `durable Redis ${fmt(redisCpu, 1)} µs (client ${fmt(perSet(r.redisSet.clientCpu, r.redisSet), 1)})`,
      nodesCpu / redisCpu,
      '<= 2x',
      nodesCpu / redisCpu <= 2,
    ],
    ['SET c1 P1 p50', `${fmt(r.set1.p50, 3)} ms`, `fsync ${fmt(r.fsyncP50, 3)} + 2 x RTT ${fmt(r.rttP50, 3)} = ${fmt(floor, 3)} ms`, r.set1.p50 / floor, '<= 2x', r.set1.p50 / floor <= 2],
    ['library, 1,024 in flight', `${fmt(r.libraryTransitions)} entries/s`, '1,500,000/s', r.libraryTransitions / 1.5e6, '>= 1x', r.libraryTransitions >= 1.5e6],
    ['library, propose()', `${fmt(r.libraryPropose)} entries/s`, '1,000,000/s', r.libraryPropose / 1e6, '>= 1x', r.libraryPropose >= 1e6],
  ]; // prettier-ignore
  if (etcdPerSecond !== null) {
    const x = r.set64P16.rps / etcdPerSecond;
    rows.push([
      'SET c64 P16, leader',
      `${fmt(r.set64P16.rps)}/s`,
      `etcd put c64 ${fmt(etcdPerSecond)}/s`,
      x,
      '-',
      true,
    ]);
  }
  printTable(
    ['issue 18 row', 'little-raft', 'reference, same run', 'ratio', 'target', ''],
    rows.map(([name, ours, reference, x, target, ok]) => [
      name,
      ours,
      reference,
      ratio(x),
      target,
      target === '-' ? '' : Number.isNaN(x) ? 'not measured' : check(ok),
    ]),
    3,
  );
}

export async function runLimitsBench(argv: string[]): Promise<void> {
  const o = parseOptions(argv);
  const bounds = {
    name: 'limits bench',
    dir: o.dir,
    prefix: 'little-raft-limits-bench-',
    timeoutSeconds: o.timeout,
    kill: () => {
      for (const b of benchmarks) b.kill('SIGKILL');
      killAll();
    },
  };
  await boundedRun(bounds, async ({ root, remaining }) => {
    console.log(
      `limits bench (issue 18): little-raft next to redis-server and this machine's floors, data in ${root}; ` +
        `node ${process.version}; load average ${loadavg()
          .map((l) => l.toFixed(2))
          .join(' ')}`,
    );
    if (o.cli === null) await buildDist();
    const fsync = await syncFloor(root, 100, { count: 500, seconds: 10 });
    const rtt = await loopbackRoundTrip(2000);
    console.log(
      `floors: 100 B append + fdatasync p50 ${fmt(fsync.p50, 3)} ms; loopback round trip p50 ${fmt(rtt.p50, 3)} ms`,
    );

    const durable = await startRedis(root, 'redis-durable', true);
    const plain = await startRedis(root, 'redis-plain', false);
    let redisSet: MeasuredRun;
    let redisGet: MeasuredRun;
    try {
      redisSet = await run(durable.port, 'SET', 64, 1, o.seconds, [durable.proc.child.pid!]);
      log('durable redis-server (appendfsync always) SET -c 64 -P 1', redisSet);
      await redisCommand(plain.port, ['SET', 'key:__rand_int__', 'x'.repeat(100)], 5000);
      redisGet = await run(plain.port, 'GET', 64, 1, o.seconds);
      log('plain redis-server GET -c 64 -P 1', redisGet);
    } finally {
      await durable.proc.stop('SIGINT', 15_000);
      await plain.proc.stop('SIGINT', 15_000);
    }

    const ours = await littleRaft(o, root, remaining);
    let lib = { transitions: NaN, propose: NaN };
    try {
      lib = await library(o.seconds);
      console.log(
        `library: ${fmt(lib.transitions)} entries/s (getPendingTransitions), ${fmt(lib.propose)} with propose()`,
      );
    } catch (error) {
      // A loaded machine can stall the event loop past an election timeout: its rows are lost, not the run's.
      console.log(`library: failed, its rows left out: ${(error as Error).message}`);
    }
    let etcd: { note: string; perSecond: number | null };
    try {
      etcd = await etcdRow(root, o.seconds, remaining);
    } catch (error) {
      etcd = { note: `etcd failed, left out: ${(error as Error).message.split('\n')[0]}`, perSecond: null };
    }
    console.log(etcd.note);
    console.log();
    printResults(
      {
        fsyncP50: fsync.p50,
        rttP50: rtt.p50,
        redisSet,
        redisGet,
        ...ours,
        libraryTransitions: lib.transitions,
        libraryPropose: lib.propose,
      },
      etcd.perSecond,
    );
    console.log(
      `\nSET c64 P16 on the leader ${fmt(ours.set64P16.rps)}/s; ${etcd.note}; load average after ` +
        loadavg()
          .map((l) => l.toFixed(2))
          .join(' '),
    );
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await runLimitsBench(process.argv.slice(2));
