// A 3-node little-raft cluster of `little-raft serve` processes on 127.0.0.1 for the big key
// space bench (bench/bigkeys.ts): built code (dist/), DiskStorage, a shared secret, /status open;
// each node stopped and started on its own, what it reports read over HTTP, its RSS from /proc.
import { join } from 'node:path';

import { sleep } from '../../little-raft/bench/stats.js';
import { CLI, REPO } from './kv.js';
import { eventLoopMaxMs, nodeStatus, rssBytes, type NodeStatus } from './node-observe.js';
import { ServerProcess } from './processes.js';

export interface BenchNode {
  id: number;
  redisPort: number;
  httpPort: number;
  raftPort: number;
  dataDir: string;
  process: ServerProcess | null;
}

export class Cluster {
  readonly nodes: BenchNode[];

  constructor(
    private readonly root: string,
    ports: number[],
    private readonly secretFile: string,
    private readonly snapshotEntries: number,
    /** The command's main.js: this checkout's build by default, another one to compare with. */
    private readonly cli = CLI,
  ) {
    this.nodes = [1, 2, 3].map((id, i) => ({
      id,
      raftPort: ports[3 * i]!,
      redisPort: ports[3 * i + 1]!,
      httpPort: ports[3 * i + 2]!,
      dataDir: join(root, 'little-raft', String(id)),
      process: null,
    }));
  }

  start(node: BenchNode): void {
    const peers = this.nodes.map((n) => `${n.id}=127.0.0.1:${n.raftPort}`).join(',');
    // LITTLE_RAFT_BENCH_NODE_FLAGS: Node options for the nodes (--trace-gc, --cpu-prof, ...).
    const nodeFlags = process.env.LITTLE_RAFT_BENCH_NODE_FLAGS?.split(' ').filter((f) => f !== '') ?? [];
    const args = [
      ...nodeFlags,
      this.cli, 'serve',
      '--id', String(node.id),
      '--peers', peers,
      '--data', node.dataDir,
      '--redis', `127.0.0.1:${node.redisPort}`,
      '--http', `127.0.0.1:${node.httpPort}`,
      '--secret-file', this.secretFile,
      '--open-status',
      '--snapshot-entries', String(this.snapshotEntries),
    ]; // prettier-ignore
    const log = join(this.root, `node-${node.id}.log`);
    node.process = new ServerProcess(`little-raft node ${node.id}`, process.execPath, args, log, { cwd: REPO });
  }

  async stop(node: BenchNode): Promise<void> {
    const p = node.process;
    node.process = null;
    if (p !== null && !(await p.stop('SIGINT', 30_000)).clean) {
      throw new Error(`${p.name} did not stop within 30 s of SIGINT (killed); its log ends:\n${p.logTail()}`);
    }
  }

  assertRunning(): void {
    for (const n of this.nodes) n.process?.assertRunning();
  }

  async statuses(): Promise<(NodeStatus | null)[]> {
    return Promise.all(this.nodes.map(async (n) => (n.process === null ? null : nodeStatus(n.httpPort))));
  }

  /** Polls until `check` gives a value; past `ms`, fails saying `what` never happened. */
  async until<T>(what: string, ms: number, check: () => Promise<T | null>, everyMs = 100): Promise<T> {
    const deadline = performance.now() + ms;
    for (;;) {
      this.assertRunning();
      const value = await check();
      if (value !== null) return value;
      if (performance.now() > deadline) throw new Error(`${what}: not within ${Math.round(ms / 1000)} s`);
      await sleep(everyMs);
    }
  }

  /** The node every running node names as leader, once that node says it leads. */
  leader(what: string, ms: number): Promise<BenchNode> {
    return this.until(what, ms, async () => {
      const statuses = await this.statuses();
      const lead = statuses.find((s) => s?.role === 'leader');
      if (lead === undefined || lead === null) return null;
      const agreed = statuses.every((s, i) => this.nodes[i]!.process === null || s?.leaderId === lead.leaderId);
      return agreed ? this.nodes.find((n) => n.id === lead.leaderId)! : null;
    });
  }

  /** Each node's event-loop delay max (ms) since the previous call; null: no answer. */
  eventLoopMax(): Promise<(number | null)[]> {
    return Promise.all(this.nodes.map(async (n) => (n.process === null ? null : eventLoopMaxMs(n.httpPort))));
  }

  rss(): Promise<(number | null)[]> {
    return Promise.all(
      this.nodes.map(async (n) => (n.process?.child.pid === undefined ? null : rssBytes(n.process.child.pid))),
    );
  }
}

/** The highest term any node reports, and the leader it names (null: none answered). */
export async function termAndLeader(cluster: Cluster): Promise<{ term: number; leaderId: number | null }> {
  const statuses = (await cluster.statuses()).filter((s) => s !== null);
  const top = statuses.reduce<NodeStatus | null>((a, s) => (a === null || s.term > a.term ? s : a), null);
  return { term: top?.term ?? 0, leaderId: top?.leaderId ?? null };
}

/** Whether any node reports the candidate role, sampled every 200 ms: pre-votes raise no term. */
export class CandidateWatch {
  private seen: number[] = [];
  private timer: NodeJS.Timeout | null = null;
  private busy = false;

  constructor(private readonly cluster: Cluster) {}

  start(): void {
    this.timer = setInterval(() => {
      if (this.busy) return;
      this.busy = true;
      void this.cluster.statuses().then((statuses) => {
        this.busy = false;
        if (statuses.some((s) => s?.role === 'candidate')) this.seen.push(performance.now());
      });
    }, 200);
  }

  /** Samples with a candidate between `from` and `to`. */
  count(from: number, to: number): number {
    return this.seen.filter((t) => t >= from && t < to).length;
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
  }
}
