// TCP + disk cluster bench (`npm run bench -- --only tcp`, or `tsx bench/tcp-cluster.ts`):
// three replicas in three processes (bench/tcp-node.ts) on 127.0.0.1, each with TcpCluster
// (HMAC authentication, a random secret per run) and DiskStorage in a temporary directory.
//
// Closed loop in the leader's process: exactly N proposals (100-byte transitions) are
// outstanding; each one applied there is replaced by a new one. Latency is propose() ->
// applied on the leader, which needs the entry durable (write + fdatasync) on the leader and
// on one follower, over real sockets. After one warm-up at the highest level, each row runs
// for a few seconds. Next to it, the disk's floor in the same run: a plain write + datasync
// of 256 bytes (about what a one-entry write with its hard state appends), one at a time,
// before the cluster starts. All three processes share that disk.
//
// Columns: entries/s and p50/p99 latency on the leader; entries per leader storage write (a
// Replica keeps one write in flight; each is one write + fdatasync, except a write of a new
// commit index alone, which DiskStorage does not sync but puts in the next write's frame; it
// counts here all the same); CPU of all three processes per entry.
//
// Children are stopped at the end (SIGKILL after 3 s), on any error, on SIGINT/SIGTERM and
// when the whole run exceeds --timeout; they also exit by themselves if this process dies.
//
// Options:
//   --seconds S     measured seconds per row (default 3)
//   --warmup S      warm-up seconds before the first row (default 2)
//   --levels 1,64   proposals in flight per row
//   --dir PATH      where to put the stores (default os.tmpdir())
//   --timeout S     bound on the whole run, start-up included (default 120)
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

import type { ReplicaStatus } from 'little-raft';
import { freePorts } from '../test/support/tcp.js';
import { numberFlag, parseFlags, ROW_FLAGS, rowOptions } from './args.js';
import { boundedRun } from './bounded-run.js';
import { syncFloor } from './floors.js';
import { fmt, printTable, sleep } from './stats.js';
import type { FromTcpNode, MeasuredRow, TcpNodeConfig, ToTcpNode } from './tcp-node.js';

const NODE_SCRIPT = fileURLToPath(new URL('./tcp-node.ts', import.meta.url));
const IDS = [1, 2, 3];
const START_ATTEMPTS = 3;
const ROW_ATTEMPTS = 3;

interface Options {
  seconds: number;
  warmup: number;
  levels: number[];
  dir: string;
  timeout: number;
}

function parseOptions(argv: string[]): Options {
  return parseFlags(import.meta.url, argv, { strings: [...ROW_FLAGS, 'dir', 'timeout'] }, (v) => ({
    ...rowOptions(v, [1, 64]),
    dir: v.dir ?? tmpdir(),
    timeout: numberFlag('timeout', v.timeout, 120, { above: true }),
  }));
}

interface Child {
  id: number;
  process: ChildProcess;
  status: ReplicaStatus | null;
  statusAt: number;
  exit: { code: number | null; signal: NodeJS.Signals | null } | null;
  requests: Map<number, { resolve: (m: FromTcpNode & { type: 'reply' }) => void; reject: (e: Error) => void }>;
}

/** Three bench replicas in child processes. */
class Processes {
  readonly children: Child[] = [];
  private nextReq = 1;

  constructor(configs: TcpNodeConfig[], secret: string) {
    for (const config of configs) {
      const child: Child = {
        id: config.id,
        process: spawn(process.execPath, ['--import', 'tsx', NODE_SCRIPT, JSON.stringify(config)], {
          stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
          env: { ...process.env, LITTLE_RAFT_BENCH_SECRET: secret },
        }),
        status: null,
        statusAt: 0,
        exit: null,
        requests: new Map(),
      };
      child.process.on('message', (m: FromTcpNode) => {
        if (m.type === 'status') {
          child.status = m.status;
          child.statusAt = performance.now();
        } else {
          const request = child.requests.get(m.req);
          child.requests.delete(m.req);
          request?.resolve(m);
        }
      });
      child.process.on('exit', (code, signal) => {
        child.exit = { code, signal };
        for (const request of child.requests.values()) {
          request.reject(new Error(`replica ${child.id} exited (${code ?? signal}) before answering`));
        }
        child.requests.clear();
      });
      child.process.on('error', () => {}); // a failed spawn also emits 'exit'
      this.children.push(child);
    }
  }

  child(id: number): Child {
    return this.children.find((c) => c.id === id)!;
  }

  /** Sends a request; rejects if the child exits first or does not answer within `ms`. */
  request(
    id: number,
    message: { type: 'measure'; inFlight: number; seconds: number } | { type: 'cpu' },
    ms: number,
  ): Promise<FromTcpNode & { type: 'reply' }> {
    const child = this.child(id);
    const req = this.nextReq++;
    return new Promise((resolve, reject) => {
      if (child.exit !== null || !child.process.connected) {
        return reject(new Error(`replica ${id} is not running`));
      }
      const timer = setTimeout(() => {
        child.requests.delete(req);
        reject(new RequestTimeout(`replica ${id} did not answer ${message.type} within ${ms} ms`));
      }, ms);
      child.requests.set(req, {
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      child.process.send({ ...message, req } satisfies ToTcpNode, (error) => {
        if (error) child.requests.get(req)?.reject(error);
      });
    });
  }

  async cpuMs(): Promise<number> {
    const replies = await Promise.all(this.children.map((c) => this.request(c.id, { type: 'cpu' }, 5000)));
    return replies.reduce((sum, r) => ('cpu' in r ? sum + (r.cpu.user + r.cpu.system) / 1000 : sum), 0);
  }

  /** The leader all three replicas agree on, by statuses of the last second; null if none. */
  leader(): number | null {
    const now = performance.now();
    const statuses = this.children.map((c) => (c.exit === null && now - c.statusAt < 1000 ? c.status : null));
    const leaders = statuses.filter((s) => s?.role === 'leader');
    if (leaders.length !== 1) return null;
    const id = leaders[0]!.id;
    return statuses.every((s) => s?.leaderId === id) ? id : null;
  }

  /** Throws if a child has exited. */
  assertRunning(): void {
    const exited = this.children.find((c) => c.exit !== null);
    if (exited) throw new ChildExited(exited.id, exited.exit!.code, exited.exit!.signal);
  }

  /** Waits for an agreed leader; throws if a child has exited (no longer three) or `ms` pass. */
  async waitForLeader(ms: number): Promise<number> {
    const deadline = performance.now() + ms;
    for (;;) {
      this.assertRunning();
      const leader = this.leader();
      if (leader !== null) return leader;
      if (performance.now() > deadline) throw new Error(`no leader the replicas agree on within ${Math.round(ms)} ms`);
      await sleep(20);
    }
  }

  /** Asks each child to stop, SIGKILLs those still running after `graceMs`. Never throws. */
  async stop(graceMs = 3000): Promise<void> {
    await Promise.all(
      this.children.map(async (c) => {
        if (c.exit !== null) return;
        const exited = new Promise<void>((resolve) => c.process.once('exit', () => resolve()));
        if (c.process.connected) c.process.send({ type: 'stop' } satisfies ToTcpNode, () => {});
        const timer = setTimeout(() => c.process.kill('SIGKILL'), graceMs);
        await exited;
        clearTimeout(timer);
      }),
    );
  }

  /** Synchronous, for exit and signal handlers. */
  killAll(): void {
    for (const c of this.children) if (c.exit === null) c.process.kill('SIGKILL');
  }
}

class RequestTimeout extends Error {}

class ChildExited extends Error {
  constructor(
    readonly id: number,
    readonly code: number | null,
    readonly signal: NodeJS.Signals | null,
  ) {
    super(`replica ${id} exited (${code ?? signal})`);
  }
}

interface Row {
  measured: MeasuredRow;
  cpuMs: number;
  attempts: number;
}

export async function runTcpClusterBench(argv: string[]): Promise<void> {
  const o = parseOptions(argv);
  let procs: Processes | null = null;
  const run = {
    name: 'TCP cluster bench',
    dir: o.dir,
    prefix: 'little-raft-tcp-bench-',
    timeoutSeconds: o.timeout,
    kill: () => procs?.killAll(), // every pending request rejects
    stop: async () => procs?.stop(),
  };
  await boundedRun(run, async ({ root, remaining, timedOut }) => {
    const load = loadavg();
    console.log(
      `TCP + disk cluster bench: 3 processes on 127.0.0.1, TcpCluster (HMAC auth) + DiskStorage in ${root}; ` +
        `100-byte transitions, propose() in the leader's process; ${o.seconds} s per row after ${o.warmup} s warm-up; ` +
        `node ${process.version}; load average ${load.map((l) => l.toFixed(2)).join(' ')}`,
    );
    const floor = await syncFloor(root, 256, { seconds: Math.min(o.seconds, 2) });

    const secret = randomBytes(32).toString('hex');
    let leader = 0;
    let portRetries = 0;
    for (let attempt = 1; ; attempt++) {
      const ports = await freePorts(IDS.length);
      const peers: Record<number, string> = {};
      IDS.forEach((id, i) => (peers[id] = `127.0.0.1:${ports[i]!}`));
      const configs: TcpNodeConfig[] = [];
      for (const id of IDS) {
        const dir = join(root, `attempt-${attempt}`, `replica-${id}`);
        await mkdir(dir, { recursive: true });
        configs.push({
          id,
          dir,
          peers,
          lifetimeMs: remaining() + 10_000,
          heartbeatTimeout: 50,
          electionTimeoutRange: [500, 1000],
          snapshotDelta: 100_000,
        });
      }
      procs = new Processes(configs, secret);
      try {
        leader = await procs.waitForLeader(Math.min(30_000, remaining()));
        break;
      } catch (error) {
        await procs.stop(0);
        // Exit code 3: a port was taken between freePorts() and listen(); try new ones.
        if (!(error instanceof ChildExited && error.code === 3) || attempt === START_ATTEMPTS) throw error;
        portRetries++;
      }
    }

    const measure = async (inFlight: number, seconds: number): Promise<Row> => {
      for (let attempt = 1; ; attempt++) {
        // A replica that exited (no longer a 3-process cluster) ends the bench here.
        leader = await procs!.waitForLeader(Math.min(30_000, remaining()));
        let error: string;
        try {
          const cpuBefore = await procs!.cpuMs();
          const reply = await procs!.request(leader, { type: 'measure', inFlight, seconds }, seconds * 1000 + 20_000);
          const cpuAfter = await procs!.cpuMs();
          procs!.assertRunning(); // a row measured while a replica died is not one of three processes
          if ('row' in reply) return { measured: reply.row, cpuMs: cpuAfter - cpuBefore, attempts: attempt };
          error = 'error' in reply ? reply.error : 'no row';
        } catch (e) {
          if (timedOut() || e instanceof RequestTimeout) throw e; // a closed loop may still run there
          error = e instanceof Error ? e.message : String(e);
        }
        procs!.assertRunning();
        if (attempt === ROW_ATTEMPTS) throw new Error(`${inFlight} in flight: ${error} (${attempt} attempts)`);
        console.log(`(${inFlight} in flight on replica ${leader}: ${error}; again)`);
      }
    };

    const max = Math.max(...o.levels);
    if (o.warmup > 0) await measure(max, o.warmup);
    const rows: Row[] = [];
    for (const n of o.levels) rows.push(await measure(n, o.seconds));
    const loadAfter = loadavg();

    console.log();
    const header = ['in flight', 'entries/s', 'p50 ms', 'p99 ms', 'entries', 'entries/leader write', 'CPU µs/entry'];
    const lines = rows.map(({ measured: r, cpuMs }) => [
      fmt(r.inFlight),
      fmt(r.entries / r.seconds),
      fmt(r.p50, 2),
      fmt(r.p99, 2),
      fmt(r.entries),
      r.writes === 0 ? '-' : fmt(r.writtenEntries / r.writes, 1),
      fmt((1000 * cpuMs) / r.entries),
    ]);
    printTable(header, lines, 0);
    console.log();
    console.log(
      `disk floor (raw 256 B write + datasync, one at a time, before the cluster started): ` +
        `${fmt(floor.perSecond)} syncs/s, p50 ${fmt(floor.p50, 2)} ms, p99 ${fmt(floor.p99, 2)} ms`,
    );
    const retried = rows.filter((r) => r.attempts > 1).length;
    console.log(
      `leader ${leader}; CPU: all three processes, user + system; load average after ` +
        `${loadAfter.map((l) => l.toFixed(2)).join(' ')}` +
        (retried > 0 ? `; ${retried} row(s) retried after a leader change` : '') +
        (portRetries > 0 ? `; ${portRetries} start-up(s) retried for a busy port` : ''),
    );
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await runTcpClusterBench(process.argv.slice(2));
