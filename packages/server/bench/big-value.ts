// Large values bench (`npm run bench -- --only big-value`, or `tsx bench/big-value.ts`): how long
// one large SET holds the other clients of a 3-node cluster (`little-raft local --nodes 3`, built
// to dist/ first, DiskStorage, fsync on).
//
// A probe client on every node sends `GET probe` every 10 ms without waiting for answers (so a
// stall delays every GET sent during it, not just one), and each answer's latency is counted from
// the moment its GET was written. Meanwhile another client SETs a value of each --sizes, --count
// times in a row (each SET sent when the previous one is answered), on the leader and then on a
// follower (which forwards it to the leader). Each row: the probes' p99 and max over every node
// (and the node of the max), the SETs' slowest answer, and the nodes' event-loop delay max and p99
// from their /metrics (nodejs_eventloop_lag_*: prom-client resets them at each scrape, so each
// row reads only its own). A first row with no SET is the floor.
//
// Options:
//   --sizes 1,4,8       value sizes in MiB; 8 is taken as just under the 8 MiB command limit
//   --count N           SETs per row (default 5)
//   --profile DIR       the nodes run with `node --cpu-prof --cpu-prof-dir DIR` (read the files
//                       with bench/profile-summary.ts)
//   --dir PATH          where the temporary directory goes (default os.tmpdir())
//   --timeout S         bound on the whole run (default 300)
import { mkdir } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

import { boundedRun } from '../../little-raft/bench/bounded-run.js';
import { integerListFlag, numberFlag, parseFlags } from '../../little-raft/bench/args.js';
import { fmt, printTable, Samples, sleep } from '../../little-raft/bench/stats.js';
import { consecutiveFreePorts } from '../../little-raft/test/support/tcp.js';
import { buildDist } from './kv.js';
import { killAll, ServerProcess } from './processes.js';
import { parseInfo, redisCommand } from './resp.js';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const CLI = join(REPO, 'dist', 'cli', 'main.js');
const MIB = 1024 * 1024;
/** What a command may carry (connection.ts MAX_COMMAND_BYTES); SET and its key take a few of those bytes. */
const COMMAND_LIMIT = 8 * MIB;
const PROBE_EVERY_MS = 10;

interface Options {
  sizes: number[];
  count: number;
  profile: string | null;
  dir: string;
  timeout: number;
}

function parseOptions(argv: string[]): Options {
  return parseFlags(import.meta.url, argv, { strings: ['sizes', 'count', 'profile', 'dir', 'timeout'] }, (v) => ({
    sizes: integerListFlag('sizes', v.sizes, [1, 4, 8]),
    count: numberFlag('count', v.count, 5, { integer: true, above: true }),
    profile: v.profile === undefined ? null : resolve(v.profile),
    dir: v.dir ?? tmpdir(),
    timeout: numberFlag('timeout', v.timeout, 300, { above: true }),
  }));
}

/** The bytes of a multibulk command. */
function command(...args: (string | Buffer)[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const arg of args) {
    const bytes = typeof arg === 'string' ? Buffer.from(arg) : arg;
    parts.push(Buffer.from(`$${bytes.length}\r\n`), bytes, Buffer.from('\r\n'));
  }
  return Buffer.concat(parts);
}

/**
 * A connection whose answers are single lines (`+OK`, `$-1` for a missing key, errors), matched in
 * order with the times their commands were written.
 */
class LineClient {
  private readonly socket: Socket;
  private readonly sentAt: number[] = [];
  private pending = '';
  /** Called with each answer's send time and latency (ms). */
  onAnswer: (sentAt: number, ms: number, line: string) => void = () => undefined;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      const now = performance.now();
      this.pending += chunk.toString('latin1');
      let end: number;
      while ((end = this.pending.indexOf('\r\n')) >= 0) {
        const line = this.pending.slice(0, end);
        this.pending = this.pending.slice(end + 2);
        const sent = this.sentAt.shift();
        if (sent === undefined) throw new Error(`an answer nobody asked for: ${line}`);
        this.onAnswer(sent, now - sent, line);
      }
    });
  }

  static open(port: number): Promise<LineClient> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => resolve(new LineClient(socket)));
      socket.once('error', reject);
    });
  }

  get outstanding(): number {
    return this.sentAt.length;
  }

  send(bytes: Buffer): void {
    this.sentAt.push(performance.now());
    this.socket.write(bytes);
  }

  /** Sends `bytes` and resolves with the answer line. */
  call(bytes: Buffer): Promise<string> {
    return new Promise((resolve) => {
      this.onAnswer = (_sent, _ms, line) => resolve(line);
      this.send(bytes);
    });
  }

  close(): void {
    this.socket.destroy();
  }
}

/** One probe per node: a GET every 10 ms, latencies kept by the time they were sent. */
class Probes {
  private readonly samples: { sentAt: number; ms: number; node: number }[] = [];
  private readonly timer: NodeJS.Timeout;
  errors = 0;

  constructor(private readonly clients: LineClient[]) {
    const get = command('GET', 'probe');
    clients.forEach((client, node) => {
      client.onAnswer = (sentAt, ms, line) => {
        if (line.startsWith('-')) this.errors++;
        this.samples.push({ sentAt, ms, node });
      };
    });
    this.timer = setInterval(() => {
      for (const client of clients) client.send(get);
    }, PROBE_EVERY_MS);
  }

  /** Waits until every GET sent so far is answered (at most `ms`). */
  async settle(ms: number): Promise<void> {
    const deadline = performance.now() + ms;
    const sentBy = performance.now();
    while (performance.now() < deadline) {
      const unanswered = this.samples.length === 0 || this.clients.some((c) => c.outstanding > 2);
      if (!unanswered && this.samples.some((s) => s.sentAt >= sentBy)) return;
      await sleep(PROBE_EVERY_MS);
    }
  }

  /** p99 and max (ms) of the GETs sent in [from, to), and the node (1-based) of the max. */
  between(from: number, to: number): { p99: number; max: number; maxNode: number; count: number } {
    const window = new Samples();
    let max = 0;
    let maxNode = 0;
    for (const s of this.samples) {
      if (s.sentAt < from || s.sentAt >= to) continue;
      window.push(s.ms);
      if (s.ms >= max) [max, maxNode] = [s.ms, s.node + 1];
    }
    const [p99] = window.percentiles(0.99) as [number];
    return { p99, max, maxNode, count: window.length };
  }

  stop(): void {
    clearInterval(this.timer);
    for (const client of this.clients) client.close();
  }
}

interface LoopDelay {
  max: number;
  p99: number;
  maxNode: number;
}

/** The nodes' event-loop delay since their last scrape (ms): the worst max and the worst p99. */
async function loopDelay(httpPorts: number[]): Promise<LoopDelay> {
  const result: LoopDelay = { max: 0, p99: 0, maxNode: 0 };
  for (const [i, port] of httpPorts.entries()) {
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    const value = (name: string): number => {
      const line = text.split('\n').find((l) => l.startsWith(`${name} `));
      if (line === undefined) throw new Error(`node ${i + 1}'s /metrics has no ${name}`);
      return 1000 * Number(line.slice(name.length + 1));
    };
    const max = value('nodejs_eventloop_lag_max_seconds');
    if (max >= result.max) [result.max, result.maxNode] = [max, i + 1];
    result.p99 = Math.max(result.p99, value('nodejs_eventloop_lag_p99_seconds'));
  }
  return result;
}

interface Cluster {
  process: ServerProcess;
  redisPorts: number[];
  httpPorts: number[];
}

async function startCluster(root: string, profile: string | null): Promise<Cluster> {
  const data = join(root, 'little-raft');
  await mkdir(data, { recursive: true });
  const base = await consecutiveFreePorts(9);
  await buildDist();
  // `local` starts the nodes with its own node flags, so they are profiled too.
  const args = [...(profile === null ? [] : ['--cpu-prof', `--cpu-prof-dir=${profile}`]), CLI, 'local'];
  args.push('--nodes', '3', '--data', data);
  args.push('--redis-port', String(base), '--raft-port', String(base + 3), '--http-port', String(base + 6));
  const proc = new ServerProcess('little-raft local', process.execPath, args, join(root, 'little-raft.log'), {
    cwd: REPO,
  });
  return { process: proc, redisPorts: [base, base + 1, base + 2], httpPorts: [base + 6, base + 7, base + 8] };
}

/** The index (in redisPorts) of the node that leads, once one does and every node takes writes. */
async function waitReady(cluster: Cluster, ms: number): Promise<number> {
  const deadline = performance.now() + ms;
  for (;;) {
    cluster.process.assertRunning();
    try {
      const roles = await Promise.all(
        cluster.redisPorts.map(async (port) =>
          parseInfo(String(await redisCommand(port, ['INFO', 'raft']))).get('role'),
        ),
      );
      const leader = roles.indexOf('leader');
      if (leader >= 0) {
        for (const port of cluster.redisPorts) await redisCommand(port, ['SET', 'bench:ready', '1']);
        return leader;
      }
    } catch (error) {
      if (performance.now() > deadline) throw error;
    }
    if (performance.now() > deadline) throw new Error(`no leader within ${ms} ms`);
    await sleep(200);
  }
}

interface Row {
  what: string;
  probe: ReturnType<Probes['between']>;
  loop: LoopDelay;
  setMax: number;
}

export async function runBigValueBench(argv: string[]): Promise<void> {
  const o = parseOptions(argv);
  await boundedRun(
    { name: 'big-value bench', dir: o.dir, prefix: 'little-raft-big-value-', timeoutSeconds: o.timeout, kill: killAll },
    async (run) => {
      const cluster = await startCluster(run.root, o.profile);
      try {
        const leader = await waitReady(cluster, Math.min(60_000, run.remaining()));
        const follower = (leader + 1) % 3;
        console.log(`little-raft local --nodes 3 (dist/, DiskStorage, fsync on): node ${leader + 1} leads`);
        const probes = new Probes(await Promise.all(cluster.redisPorts.map((port) => LineClient.open(port))));
        const rows: Row[] = [];
        const measure = async (what: string, body: () => Promise<number>): Promise<void> => {
          await probes.settle(5000);
          await loopDelay(cluster.httpPorts); // resets the nodes' event-loop histograms
          const from = performance.now();
          const setMax = await body();
          const to = performance.now();
          await probes.settle(5000);
          rows.push({ what, probe: probes.between(from, to), loop: await loopDelay(cluster.httpPorts), setMax });
        };
        await measure('no SET (floor)', async () => {
          await sleep(1000);
          return 0;
        });
        for (const mib of o.sizes) {
          const size = Math.min(mib * MIB, COMMAND_LIMIT - 64);
          const set = command('SET', 'big', Buffer.alloc(size, 'v'));
          for (const [where, node] of [
            ['leader', leader],
            ['follower', follower],
          ] as const) {
            const writer = await LineClient.open(cluster.redisPorts[node]!);
            await measure(`${fmt(size / MIB, size % MIB === 0 ? 0 : 3)} MiB on the ${where}`, async () => {
              let slowest = 0;
              for (let i = 0; i < o.count; i++) {
                const started = performance.now();
                const answer = await writer.call(set);
                if (answer !== '+OK') throw new Error(`SET of ${size} bytes on node ${node + 1}: ${answer}`);
                slowest = Math.max(slowest, performance.now() - started);
              }
              return slowest;
            });
            writer.close();
          }
        }
        probes.stop();
        console.log(
          `\nA probe GET every ${PROBE_EVERY_MS} ms on each node while ${o.count} SETs in a row run; ` +
            `event-loop delay from the nodes' /metrics (ms)`,
        );
        printTable(
          ['SETs of', 'probe GETs', 'p99', 'max', 'on node', 'loop p99', 'loop max', 'on node', 'slowest SET'],
          rows.map((r) => [
            r.what,
            fmt(r.probe.count),
            fmt(r.probe.p99, 1),
            fmt(r.probe.max, 1),
            String(r.probe.maxNode),
            fmt(r.loop.p99, 1),
            fmt(r.loop.max, 1),
            String(r.loop.maxNode),
            fmt(r.setMax, 1),
          ]),
        );
        if (probes.errors > 0) console.log(`(${probes.errors} probe GETs were answered with an error)`);
      } finally {
        await cluster.process.stop('SIGINT');
      }
    },
  );
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await runBigValueBench(process.argv.slice(2));
