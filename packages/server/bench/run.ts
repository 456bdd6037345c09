// `npm run bench`: throughput and commit latency of three Replicas in one process.
//
// Closed loop: exactly N transitions are outstanding on the leader; each one applied there
// is replaced by a new one. Latency is submit -> 'applied' on the leader. Two client paths:
// - little_raft's: the state machine's getPendingTransitions queue + notifyTransitions,
//   completion through registerTransitionState(id, 'applied');
// - Replica.propose(): one promise per transition.
//
// Options:
//   --seconds S         measured seconds per row (default 3)
//   --warmup S          warm-up seconds before the first row (default 2)
//   --levels 1,64,1024  transitions in flight per row
//   --snapshot-delta N  snapshot and compact every N entries (default 100000; 0: never,
//                       and every entry stays in memory for the whole run)
//   --propose-all       the propose() path at every level (default: the highest only)
//   --profile[=FILE]    CPU-profile the measured rows, write FILE (default: a temporary
//                       file) and print its top functions by self time (see
//                       bench/profile-summary.ts, which also reads `node --cpu-prof` output:
//                       node --cpu-prof --import tsx bench/run.ts)
//   --only limits|cluster|disk|tcp|kv|bigkeys|big-value  bench/limits.ts (issue 18's ratios to
//                       redis-server and this machine's floors), the rows above alone, or bench/disk.ts,
//                       bench/tcp-cluster.ts (3 processes over TCP + DiskStorage), bench/kv.ts (the
//                       Redis-speaking KV service under redis-benchmark, next to etcd),
//                       bench/bigkeys.ts (a large key space: snapshots, installs, restarts, memory
//                       next to redis-server; --keys N) or bench/big-value.ts (how long large SETs
//                       hold other clients) alone, then with its options
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

import { numberFlag, parseFlags, ROW_FLAGS, rowOptions, usageExit } from '../../little-raft/bench/args.js';
import { startWorld } from '../../little-raft/bench/harness.js';
import { label, measure, type Row } from './library-measure.js';
import { printSummary, type CpuProfile } from './profile-summary.js';
import { fmt, printTable } from '../../little-raft/bench/stats.js';

interface Options {
  seconds: number;
  warmup: number;
  levels: number[];
  proposeAll: boolean;
  snapshotDelta: number;
  profile: string | null;
}

function parseOptions(argv: string[]): Options {
  return parseFlags(
    import.meta.url,
    argv,
    { strings: [...ROW_FLAGS, 'snapshot-delta', 'profile'], booleans: ['propose-all'], bare: ['profile'] },
    (v) => ({
      ...rowOptions(v, [1, 64, 1024]),
      snapshotDelta: numberFlag('snapshot-delta', v['snapshot-delta'], 100_000, { integer: true }),
      proposeAll: v['propose-all'] ?? false,
      profile:
        v.profile === undefined ? null : v.profile || join(tmpdir(), `little-raft-bench-${Date.now()}.cpuprofile`),
    }),
  );
}

function printRows(rows: Row[]): void {
  const header = ['path', 'in flight', 'entries/s', 'p50 ms', 'p99 ms', 'entries', 'CPU µs/entry'];
  const lines = rows.map((r) => {
    const [p50, p99] = r.samples.percentiles(0.5, 0.99) as [number, number];
    const cpuPerEntry = (1000 * r.cpuMs) / r.entries;
    return [
      label[r.path],
      fmt(r.inFlight),
      fmt(r.entries / r.seconds),
      fmt(p50, 3),
      fmt(p99, 3),
      fmt(r.entries),
      fmt(cpuPerEntry, 2),
    ];
  });
  printTable(header, lines);
}

async function main(argv: string[]): Promise<void> {
  const o = parseOptions(argv);
  console.log(
    `little-raft bench: 3 replicas in one process, MemoryStorage, in-memory mailboxes, ` +
      `100-byte transitions, snapshot every ${o.snapshotDelta || 'never'} entries; node ${process.version}; ` +
      `${o.seconds} s per row after ${o.warmup} s warm-up`,
  );
  const world = await startWorld(o.snapshotDelta);
  const leader = world.net.leader;
  const max = Math.max(...o.levels);
  if (o.warmup > 0) {
    await measure(world, 'transitions', max, o.warmup / 2);
    await measure(world, 'propose', max, o.warmup / 2);
  }

  let session: Session | null = null;
  if (o.profile !== null) {
    session = new Session();
    session.connect();
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: 100 });
    await session.post('Profiler.start');
  }

  const rows: Row[] = [];
  for (const n of o.levels) rows.push(await measure(world, 'transitions', n, o.seconds));
  for (const n of o.proposeAll ? o.levels : [max]) rows.push(await measure(world, 'propose', n, o.seconds));

  let profile: CpuProfile | null = null;
  if (session !== null) {
    profile = (await session.post('Profiler.stop')).profile as CpuProfile;
    session.disconnect();
  }

  const applied = world.nodes.map((n) => n.machine.applied);
  await world.stop();
  console.log();
  printRows(rows);
  console.log();
  console.log(
    `leader ${leader}; leader changes after election: ${world.net.leaderChanges - 1}; ` +
      `applied per replica: ${applied.map((a) => fmt(a)).join(' / ')}`,
  );
  if (profile !== null && o.profile !== null) {
    writeFileSync(o.profile, JSON.stringify(profile));
    console.log(`\nCPU profile of the measured rows: ${o.profile}`);
    await printSummary(profile, 25);
  }
}

const BENCHES = ['limits', 'cluster', 'disk', 'tcp', 'kv', 'bigkeys', 'big-value'] as const;

/** Takes `--only NAME` (or `--only=NAME`) out of `argv`; the rest is for the bench it names. */
function splitOnly(argv: string[]): { only: (typeof BENCHES)[number] | undefined; args: string[] } {
  // Not strict: the other flags are the named bench's, which parses them.
  const { tokens } = parseArgs({ args: argv, options: { only: { type: 'string' } }, strict: false, tokens: true });
  const at = tokens.find((t) => t.kind === 'option' && t.name === 'only');
  if (at?.kind !== 'option') return { only: undefined, args: argv };
  const only = BENCHES.find((name) => name === at.value);
  if (only === undefined) {
    const got = at.value === undefined ? 'needs a value' : JSON.stringify(at.value);
    usageExit(import.meta.url, `--only ${got}: one of ${BENCHES.join(', ')}`);
  }
  return { only, args: [...argv.slice(0, at.index), ...argv.slice(at.index + (at.inlineValue ? 1 : 2))] };
}

// `--only limits` runs bench/limits.ts (issue 18's ratios), `--only cluster` the rows above alone, `--only disk` the DiskStorage bench
// (bench/disk.ts), `--only tcp` the 3-process TCP + disk cluster bench (bench/tcp-cluster.ts),
// `--only kv` the KV service bench (bench/kv.ts), `--only bigkeys` the big key space bench
// (bench/bigkeys.ts), `--only big-value` the large values bench (bench/big-value.ts), each then
// with the other options; by default the first four and big-value, disk, tcp, kv and big-value
// with their defaults, after limits (bigkeys loads a million keys into three nodes and redis-server: minutes,
// and gigabytes, so only when asked for).
const { only, args } = splitOnly(process.argv.slice(2));
if (only === undefined || only === 'limits')
  await (await import('./limits.js')).runLimitsBench(only === 'limits' ? args : []);
if (only === undefined || only === 'cluster') await main(args);
if (only === undefined || only === 'disk')
  await (await import('../../little-raft/bench/disk.js')).runDiskBench(only === 'disk' ? args : []);
if (only === undefined || only === 'tcp') {
  await (await import('../../little-raft/bench/tcp-cluster.js')).runTcpClusterBench(only === 'tcp' ? args : []);
}
if (only === undefined || only === 'kv') await (await import('./kv.js')).runKvBench(only === 'kv' ? args : []);
if (only === 'bigkeys') await (await import('./bigkeys.js')).runBigKeysBench(args);
if (only === undefined || only === 'big-value') {
  await (await import('./big-value.js')).runBigValueBench(only === 'big-value' ? args : []);
}
