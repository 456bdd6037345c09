// Big key space bench (`npm run bench -- --only bigkeys`, or `tsx bench/bigkeys.ts`): a 3-node
// little-raft cluster holding --keys keys of 100 bytes, with light writes going on, measured
// while its key space is snapshotted, sent to a follower and loaded at a restart (issue 16).
//
// 1. redis-server (if on PATH), the reference: one instance with persistence off (--save ''
//    --appendonly no: no fork during the measure), loaded the way little-raft is (below); its
//    RSS (/proc/PID/status VmRSS) and INFO memory used_memory, then it is stopped.
// 2. little-raft: built to dist/ first; three `little-raft serve` processes on 127.0.0.1
//    (DiskStorage, a shared secret, --open-status, --snapshot-entries E, defaults otherwise).
//    --keys keys `key:000000000000`.. of 100 bytes are SET through the leader, pipelined on one
//    connection (bench/bulk-load.ts), then every node applies them; RSS of each node, and each
//    node's event-loop delay max over the load next to an idle process's (bench/idle-witness.ts:
//    the machine's scheduling floor, measured in every phase too).
// 3. Light load on the leader from then on: SET of a random loaded key at --write-rate per
//    second, and a probe GETting a random loaded key every 10 ms; both open loop (each command
//    sent on schedule, latency from the scheduled time: bench/open-loop.ts).
// 4. Phases, each a window of the probe's answers, each node's event-loop delay max (its
//    /metrics nodejs_eventloop_lag_max_seconds, which prom-client resets at every scrape: it is
//    scraped at the start of the window and read at its end), and term/leader from /status
//    before and after:
//    (a) leader snapshot: from when the leader's log is within 300 entries of its next
//        snapshot (E entries after the last) until 3 s after its /status snapshotIndex moved;
//    (b) follower install: a follower is stopped (SIGINT); once the leader's snapshotIndex is
//        past everything that follower has, it is started again; the window runs from its start
//        until 3 s after its snapshotIndex and applied index reach the leader's snapshot (its
//        event-loop max from its first /status answer on: what it did before, loading its own
//        older snapshot, is printed apart);
//    (c) whole-cluster restart: every node stopped (SIGINT), then all started at once; the
//        window runs until every node has answered a GET of a known key with its value
//        (`-LOADING` and other errors count as not serving) plus 3 s; time from the start of
//        the processes to that first right answer, per node; RSS again after it. The probe and
//        the writes keep going to the port of the node that led before, then move to the
//        leader after the restart.
//    Every phase has a deadline: a phase that never completes ends the run with an error
//    naming it.
// 5. The tables: per phase the probe's GETs, errors, p99 and max latency, the event-loop delay
//    max of the leader (the restarted or installing node for (b) and (c)), of the others and of
//    the idle process, the writes' max latency and errors, the terms started; RSS per node against redis-server's
//    RSS for the same data (right after the load, in service after (a), after the restart); load time against redis-server's; restart to serving.
//
// Options:
//   --keys N             keys to load (default 1000000)
//   --write-rate R       SETs per second during the phases (default 200)
//   --snapshot-entries E passed to every node (default 2000: at 200 writes/s a snapshot every
//                        10 s or so, so that phases (a) and (b) do not wait long)
//   --dir PATH           where the temporary directory goes (default os.tmpdir())
//   --timeout S          bound on the whole run (default 3600)
import { execFileSync } from 'node:child_process';
import { writeFile, mkdir } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { randomBytes } from 'node:crypto';
import { pathToFileURL } from 'node:url';

import { numberFlag, parseFlags } from '../../little-raft/bench/args.js';
import { boundedRun } from '../../little-raft/bench/bounded-run.js';
import { fmt, printTable, sleep } from '../../little-raft/bench/stats.js';
import { freePorts } from '../../little-raft/test/support/tcp.js';
import { bulkLoad, keyName, VALUE } from './bulk-load.js';
import { buildDist, CLI, REPO } from './kv.js';
import { eventLoopMaxMs, nodeStatus, rssBytes } from './node-observe.js';
import { IdleWitness } from './idle-witness.js';
import { CandidateWatch, Cluster, termAndLeader, type BenchNode } from './serve-cluster.js';
import { OpenLoop, type WindowStats } from './open-loop.js';
import { killAll, ServerProcess } from './processes.js';
import { parseInfo, redisCommand } from './resp.js';

interface Options {
  keys: number;
  writeRate: number;
  snapshotEntries: number;
  dir: string;
  timeout: number;
}

function parseOptions(argv: string[]): Options {
  return parseFlags(
    import.meta.url,
    argv,
    { strings: ['keys', 'write-rate', 'snapshot-entries', 'dir', 'timeout'] },
    (v) => ({
      keys: numberFlag('keys', v.keys, 1_000_000, { min: 1000, integer: true }),
      writeRate: numberFlag('write-rate', v['write-rate'], 200, { above: true }),
      snapshotEntries: numberFlag('snapshot-entries', v['snapshot-entries'], 2000, { min: 1, integer: true }),
      dir: v.dir ?? tmpdir(),
      timeout: numberFlag('timeout', v.timeout, 3600, { above: true }),
    }),
  );
}

const PROBE_INTERVAL_MS = 10;
/** How long a window goes on after what it waits for, for the answers and elections it causes. */
const TAIL_MS = 3000;
const MB = 1024 * 1024;

/** The phase deadlines, generous for a loaded 2-core machine: a phase past it never completes. */
function deadlines(keys: number): { loadMs: number; phaseMs: number } {
  return { loadMs: 120_000 + keys / 2, phaseMs: 300_000 + keys / 5 };
}

// --- the measures -------------------------------------------------------------------------

interface PhaseRow {
  name: string;
  seconds: number;
  probe: WindowStats;
  writes: WindowStats;
  /** Event-loop delay max (ms) of the node concerned, and the largest of the others'. */
  concernedLabel: string;
  eventLoopConcerned: number | null;
  eventLoopOthers: number | null;
  termsStarted: number;
  leaderBefore: number | null;
  leaderAfter: number | null;
  candidateSamples: number;
  /** This process's own event-loop delay max (ms): the probe's latencies include it. */
  benchEventLoop: number;
  /** An idle process's event-loop delay max (ms): the machine's scheduling floor. */
  idleEventLoop: number;
  note: string;
}

interface RedisReference {
  rss: number;
  usedMemory: number;
  loadMs: number;
}

/** redis-server with the keys loaded as little-raft gets them; null when it is not on PATH. */
async function redisReference(root: string, keys: number, loadMs: number): Promise<RedisReference | null> {
  try {
    execFileSync('redis-server', ['--version'], { stdio: 'ignore' });
  } catch {
    return null;
  }
  const [port] = (await freePorts(1)) as [number];
  const dir = join(root, 'redis-server');
  await mkdir(dir, { recursive: true });
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no'];
  const redis = new ServerProcess('redis-server', 'redis-server', args, join(dir, 'log'));
  try {
    const deadline = performance.now() + 30_000;
    for (;;) {
      try {
        if ((await redisCommand(port, ['PING'], 1000)) === 'PONG') break;
      } catch (error) {
        redis.assertRunning();
        if (performance.now() > deadline) throw error;
        await sleep(100);
      }
    }
    const t0 = performance.now();
    const load = await bulkLoad(port, keys, loadMs);
    if (load.errors.size > 0) throw new Error(`redis-server answered errors to SET: ${errorsOf(load.errors)}`);
    const took = performance.now() - t0;
    const memory = parseInfo(String(await redisCommand(port, ['INFO', 'memory'])));
    const rss = await rssBytes(redis.child.pid!);
    if (rss === null) throw new Error('redis-server: no VmRSS in /proc');
    return { rss, usedMemory: Number(memory.get('used_memory')), loadMs: took };
  } finally {
    await redis.stop('SIGTERM', 15_000);
  }
}

function mb(bytes: number | null): string {
  return bytes === null ? '-' : fmt(bytes / MB);
}

function ms(value: number | null, digits = 0): string {
  return value === null || Number.isNaN(value) ? '-' : fmt(value, digits);
}

function errorsOf(errors: Map<string, number>): string {
  return [...errors].map(([message, n]) => `${n}x ${message}`).join('; ');
}

function errorsText(stats: WindowStats): string {
  const parts = stats.errors.size === 0 ? [] : [errorsOf(stats.errors)];
  if (stats.unanswered > 0) parts.push(`${stats.unanswered} unanswered`);
  return parts.join('; ');
}

function errorCount(stats: WindowStats): number {
  return [...stats.errors.values()].reduce((a, b) => a + b, 0) + stats.unanswered;
}

/** HEAD, and the last commit that changed the code measured (both packages' src/). */
function commitOfCheckout(): string {
  try {
    const git = (...args: string[]): string => execFileSync('git', args, { cwd: REPO, encoding: 'utf8' }).trim();
    const head = git('rev-parse', '--short', 'HEAD');
    const code = git('log', '-1', '--format=%h', '--', 'src', '../little-raft/src');
    const dirty = git('status', '--porcelain', '--', 'src', '../little-raft/src') !== '';
    return `commit ${head} (src/ as of ${code}${dirty ? ' + uncommitted changes' : ''})`;
  } catch {
    return 'unknown commit';
  }
}

export async function runBigKeysBench(argv: string[]): Promise<void> {
  const o = parseOptions(argv);
  const limits = deadlines(o.keys);
  let probe: OpenLoop | null = null;
  let writer: OpenLoop | null = null;
  const run = {
    name: 'big key space bench',
    dir: o.dir,
    prefix: 'little-raft-bigkeys-',
    timeoutSeconds: o.timeout,
    kill: () => {
      probe?.stop();
      writer?.stop();
      killAll();
    },
  };
  await boundedRun(run, async ({ root }) => {
    const helpText = execFileSync(process.execPath, [CLI, 'serve', '--help'], { encoding: 'utf8' });
    console.log(
      `big key space bench: ${fmt(o.keys)} keys of ${VALUE.length} bytes, 3 little-raft serve nodes on ` +
        `127.0.0.1 (DiskStorage, --snapshot-entries ${o.snapshotEntries}` +
        `${helpText.includes('--snapshot-bytes') ? ', --snapshot-bytes at its default' : ''}); ` +
        `${o.writeRate} SET/s and a GET every ${PROBE_INTERVAL_MS} ms on the leader; ${commitOfCheckout()}; ` +
        `node ${process.version}; load average ${loadavg()
          .map((l) => l.toFixed(2))
          .join(' ')}; data in ${root}`,
    );

    const reference = await redisReference(root, o.keys, limits.loadMs);
    if (reference === null)
      console.log('redis-server: not on PATH, no reference (Debian: apt-get install redis-server)');
    else {
      console.log(
        `redis-server: ${fmt(o.keys)} keys loaded in ${fmt(reference.loadMs / 1000, 1)} s; RSS ${mb(reference.rss)} MB, ` +
          `used_memory ${mb(reference.usedMemory)} MB`,
      );
    }

    await buildDist();
    const secretFile = join(root, 'secret');
    await writeFile(secretFile, `${randomBytes(24).toString('hex')}\n`);
    const cluster = new Cluster(root, await freePorts(9), secretFile, o.snapshotEntries);
    for (const node of cluster.nodes) cluster.start(node);
    let leader = await cluster.leader('a leader elected at the start', 60_000);
    const witness = await IdleWitness.start();

    const termBeforeLoad = await termAndLeader(cluster);
    await cluster.eventLoopMax();
    witness.reset();
    const tLoad = performance.now();
    const load = await bulkLoad(leader.redisPort, o.keys, limits.loadMs, (n) =>
      console.log(`  loading: ${fmt(n)} SETs answered in ${fmt((performance.now() - tLoad) / 1000)} s`),
    );
    const loadMs = performance.now() - tLoad;
    const loadErrors = load.errors.size === 0 ? 'none' : `${errorsOf(load.errors)} (sent again: ${load.passes} passes)`;
    const loadedAt = (await nodeStatus(leader.httpPort, 10_000))?.commitIndex ?? 0;
    await cluster.until('every node applying the loaded keys', limits.phaseMs, async () => {
      const statuses = await cluster.statuses();
      return statuses.every((s) => s !== null && s.lastApplied >= loadedAt) ? true : null;
    });
    const appliedMs = performance.now() - tLoad;
    const loadLoops = await cluster.eventLoopMax();
    const loadIdle = await witness.max();
    await sleep(2000); // whatever the load set off (a snapshot) ends
    const rssLoaded = await cluster.rss();
    const termsInLoad = (await termAndLeader(cluster)).term - termBeforeLoad.term;
    console.log(
      `little-raft: ${fmt(o.keys)} keys loaded through node ${leader.id} in ${fmt(loadMs / 1000, 1)} s, ` +
        `applied everywhere after ${fmt(appliedMs / 1000, 1)} s; RSS ${rssLoaded.map(mb).join(' / ')} MB; ` +
        `error answers: ${loadErrors}; terms started: ${termsInLoad}; event-loop max ` +
        `${loadLoops.map((l) => ms(l)).join(' / ')} ms (an idle process: ${ms(loadIdle)} ms)`,
    );

    const random = (): string => keyName(Math.floor(Math.random() * o.keys));
    const value = VALUE.toString();
    probe = new OpenLoop(
      PROBE_INTERVAL_MS,
      () => ['GET', random()],
      (reply) => (reply === value ? null : `GET answered ${JSON.stringify(reply)?.slice(0, 40)}`),
    );
    writer = new OpenLoop(1000 / o.writeRate, () => ['SET', random(), value]);
    probe.target(leader.redisPort);
    writer.target(leader.redisPort);
    const candidates = new CandidateWatch(cluster);
    candidates.start();
    const own = monitorEventLoopDelay({ resolution: 10 });
    own.enable();

    const rows: PhaseRow[] = [];
    /** Closes a window: the stats of the probe and the writes in it, terms and candidates. */
    const row = async (
      name: string,
      from: number,
      before: { term: number; leaderId: number | null },
      eventLoop: { label: string; concerned: number | null; others: (number | null)[] },
      note: string,
    ): Promise<PhaseRow> => {
      const to = performance.now();
      // The answers to the window's last commands arrive.
      await sleep(1000);
      const after = await termAndLeader(cluster);
      const others = eventLoop.others.filter((v) => v !== null);
      const r: PhaseRow = {
        name,
        seconds: (to - from) / 1000,
        probe: probe!.window(from, to),
        writes: writer!.window(from, to),
        concernedLabel: eventLoop.label,
        eventLoopConcerned: eventLoop.concerned,
        eventLoopOthers: others.length === 0 ? null : Math.max(...others),
        termsStarted: after.term - before.term,
        leaderBefore: before.leaderId,
        leaderAfter: after.leaderId,
        candidateSamples: candidates.count(from, to),
        benchEventLoop: own.max / 1e6,
        idleEventLoop: await witness.max(),
        note,
      };
      const [p99, max] = r.probe.latencies.percentiles(0.99, 1) as [number, number];
      console.log(
        `  ${name}: ${fmt(r.seconds, 1)} s, probe p99 ${ms(p99, 1)} ms max ${ms(max, 1)} ms, ` +
          `event-loop max ${r.concernedLabel} ${ms(r.eventLoopConcerned)} ms others ${ms(r.eventLoopOthers)} ms, ` +
          `terms +${r.termsStarted}${errorCount(r.probe) > 0 ? `; probe errors: ${errorsText(r.probe)}` : ''}` +
          `${errorCount(r.writes) > 0 ? `; write errors: ${errorsText(r.writes)}` : ''}; ${note}`,
      );
      rows.push(r);
      return r;
    };
    const othersThan = (node: BenchNode, values: (number | null)[]): (number | null)[] =>
      values.filter((_, i) => cluster.nodes[i] !== node);

    // (a) the leader takes a snapshot.
    await sleep(2000); // the connections are up, the JIT warm
    const termAtStart = await termAndLeader(cluster);
    const s0 = (await nodeStatus(leader.httpPort, 10_000))!;
    const due = s0.snapshotIndex + o.snapshotEntries;
    await cluster.until(`(a) the leader's log nearing its next snapshot (index ${due})`, limits.phaseMs, async () => {
      const s = await nodeStatus(leader.httpPort);
      return s !== null && s.lastApplied >= due - 300 ? true : null;
    });
    await cluster.eventLoopMax();
    own.reset();
    witness.reset();
    let from = performance.now();
    const snapped = await cluster.until(
      `(a) the leader's snapshotIndex moving past ${s0.snapshotIndex}`,
      limits.phaseMs,
      async () => {
        const s = await nodeStatus(leader.httpPort);
        return s !== null && s.snapshotIndex > s0.snapshotIndex ? s.snapshotIndex : null;
      },
    );
    const snapMs = performance.now() - from;
    await sleep(TAIL_MS);
    let loops = await cluster.eventLoopMax();
    await row(
      '(a) leader snapshot',
      from,
      termAtStart,
      { label: 'leader', concerned: loops[cluster.nodes.indexOf(leader)]!, others: othersThan(leader, loops) },
      `snapshot at ${snapped} seen ${fmt(snapMs / 1000, 1)} s into the window`,
    );
    // In service: every node has run since the load, through a snapshot, with the probe and the
    // writes going (what the load left behind has had time to be collected, or is kept).
    const rssServing = await cluster.rss();

    // (b) a follower installs a snapshot.
    const leaderNow = await cluster.leader('a leader after (a)', limits.phaseMs);
    if (leaderNow !== leader) {
      leader = leaderNow;
      probe.target(leader.redisPort);
      writer.target(leader.redisPort);
    }
    const follower = cluster.nodes.find((n) => n !== leader)!;
    const beforeB = await termAndLeader(cluster);
    await cluster.stop(follower);
    const followerHas = (await nodeStatus(leader.httpPort, 10_000))!.commitIndex;
    await cluster.until(
      `(b) the leader's snapshotIndex passing index ${followerHas} (all node ${follower.id} has)`,
      limits.phaseMs,
      async () => {
        const s = await nodeStatus(leader.httpPort);
        return s !== null && s.snapshotIndex > followerHas ? true : null;
      },
    );
    const target = (await nodeStatus(leader.httpPort, 10_000))!.snapshotIndex;
    await cluster.eventLoopMax();
    own.reset();
    witness.reset();
    from = performance.now();
    cluster.start(follower);
    // Its first /status answer and the metrics read right then split its event-loop delay into
    // starting (loading its own, older snapshot) and the install that follows.
    await cluster.until(`(b) node ${follower.id} answering /status`, limits.phaseMs, () =>
      nodeStatus(follower.httpPort),
    );
    const answeredMs = performance.now() - from;
    const startingLoop = await eventLoopMaxMs(follower.httpPort);
    await cluster.until(
      `(b) node ${follower.id} installing the leader's snapshot at ${target}`,
      limits.phaseMs,
      async () => {
        const s = await nodeStatus(follower.httpPort);
        return s !== null && s.snapshotIndex >= target && s.lastApplied >= target ? true : null;
      },
    );
    const installMs = performance.now() - from;
    await sleep(TAIL_MS);
    loops = await cluster.eventLoopMax();
    await row(
      '(b) follower install',
      from,
      beforeB,
      {
        label: `node ${follower.id}`,
        concerned: loops[cluster.nodes.indexOf(follower)]!,
        others: othersThan(follower, loops),
      },
      `node ${follower.id} started, answered /status after ${fmt(answeredMs / 1000, 1)} s (event-loop max ` +
        `until then ${ms(startingLoop)} ms, not in the row), had the snapshot at ${target} applied after ` +
        `${fmt(installMs / 1000, 1)} s; leader's event-loop max ${ms(loops[cluster.nodes.indexOf(leader)]!)} ms`,
    );
    const termBeforeRestart = await termAndLeader(cluster);

    // (c) the whole cluster restarts.
    const knownKey = keyName(o.keys - 1);
    own.reset();
    witness.reset();
    from = performance.now();
    await Promise.all(cluster.nodes.map((n) => cluster.stop(n)));
    const stopMs = performance.now() - from;
    const started = performance.now();
    for (const node of cluster.nodes) cluster.start(node);
    const serving = await Promise.all(
      cluster.nodes.map((node) =>
        cluster.until(
          `(c) node ${node.id} serving a GET after the restart`,
          limits.phaseMs,
          async () => {
            try {
              const reply = await redisCommand(node.redisPort, ['GET', knownKey], 1000);
              return reply === value ? performance.now() - started : null;
            } catch {
              return null;
            }
          },
          20,
        ),
      ),
    );
    await sleep(TAIL_MS);
    loops = await cluster.eventLoopMax();
    const rssRestarted = await cluster.rss();
    const worst = loops.reduce<number | null>((a, v) => (v === null ? a : Math.max(a ?? 0, v)), null);
    await row(
      '(c) cluster restart',
      from,
      termBeforeRestart,
      { label: 'max of 3', concerned: worst, others: [] },
      `stopped in ${fmt(stopMs / 1000, 1)} s; serving again after ${serving.map((t) => fmt(t / 1000, 2)).join(' / ')} s`,
    );
    leader = await cluster.leader('a leader after the restart', limits.phaseMs);
    probe.target(leader.redisPort);
    writer.target(leader.redisPort);

    // After the restart: the cluster keeps its leader under the same load.
    const afterRestart = await termAndLeader(cluster);
    await sleep(5000);
    const termAtEnd = await termAndLeader(cluster);
    candidates.stop();
    probe.stop();
    writer.stop();
    own.disable();
    witness.stop();
    await Promise.all(cluster.nodes.map((n) => cluster.stop(n)));

    // --- the tables --------------------------------------------------------------------------
    console.log();
    printTable(
      [
        'phase',
        'window s',
        'GETs',
        'GET errors',
        'p99 ms',
        'max ms',
        'event loop max ms',
        'others ms',
        'idle process ms',
        'SET max ms',
        'SET errors',
        'terms +',
        'candidate seen',
      ],
      rows.map((r) => {
        const [p99, max] = r.probe.latencies.percentiles(0.99, 1) as [number, number];
        const setMax = r.writes.latencies.percentiles(1)[0]!;
        return [
          r.name,
          fmt(r.seconds, 1),
          fmt(r.probe.scheduled),
          fmt(errorCount(r.probe)),
          ms(p99, 1),
          ms(max, 1),
          `${ms(r.eventLoopConcerned)} (${r.concernedLabel})`,
          ms(r.eventLoopOthers),
          ms(r.idleEventLoop),
          ms(setMax, 1),
          fmt(errorCount(r.writes)),
          `+${r.termsStarted}`,
          r.candidateSamples > 0 ? `${r.candidateSamples}x` : 'no',
        ];
      }),
      1,
    );
    console.log();
    const ratio = (a: number | null, b: number | undefined): string =>
      a === null || b === undefined ? '-' : `${fmt(a / b, 2)}x`;
    printTable(
      ['memory', 'node 1 MB', 'node 2 MB', 'node 3 MB', 'redis-server RSS MB', 'ratio (largest node)'],
      [
        [
          'RSS after loading',
          ...rssLoaded.map(mb),
          mb(reference?.rss ?? null),
          ratio(Math.max(...rssLoaded.map((r) => r ?? 0)), reference?.rss),
        ],
        [
          'RSS in service, after (a)',
          ...rssServing.map(mb),
          mb(reference?.rss ?? null),
          ratio(Math.max(...rssServing.map((r) => r ?? 0)), reference?.rss),
        ],
        [
          'RSS after restart',
          ...rssRestarted.map(mb),
          mb(reference?.rss ?? null),
          ratio(Math.max(...rssRestarted.map((r) => r ?? 0)), reference?.rss),
        ],
      ],
      1,
    );
    if (reference !== null) console.log(`redis-server used_memory ${mb(reference.usedMemory)} MB (INFO memory)`);
    console.log();
    console.log(
      `load of ${fmt(o.keys)} keys (pipelined SET, one connection): little-raft ${fmt(loadMs / 1000, 1)} s ` +
        `(applied on every node after ${fmt(appliedMs / 1000, 1)} s)` +
        (reference === null
          ? ''
          : `, redis-server ${fmt(reference.loadMs / 1000, 1)} s: ${fmt(loadMs / reference.loadMs, 1)}x`) +
        `; little-raft's error answers: ${loadErrors}; terms started during the load: ${termsInLoad}`,
    );
    console.log(
      `restart to serving (first right GET of a known key, from the processes' start): ` +
        `${serving.map((t, i) => `node ${i + 1} ${fmt(t / 1000, 2)} s`).join(', ')} (target: within 3 s at 1,000,000 keys)`,
    );
    const leaderChanges = termBeforeRestart.term - termAtStart.term;
    console.log(
      `terms started outside the restart: ${leaderChanges} (from the first window to the restart; target 0)` +
        `${termAtStart.leaderId !== termBeforeRestart.leaderId ? `; the leader moved from node ${termAtStart.leaderId} to node ${termBeforeRestart.leaderId}` : ''}; ` +
        `${termAtEnd.term - afterRestart.term} term(s) started in the 5 s after the restart`,
    );
    console.log(
      `this process's own event-loop max per window: ${rows.map((r) => `${fmt(r.benchEventLoop)} ms`).join(' / ')} ` +
        `(the probe's latencies include it); load average after ${loadavg()
          .map((l) => l.toFixed(2))
          .join(' ')}`,
    );
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await runBigKeysBench(process.argv.slice(2));
