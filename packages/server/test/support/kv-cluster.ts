// A KV cluster of real `little-raft serve` processes on loopback for end-to-end tests: free ports,
// data in a temp directory, start / SIGKILL / restart single nodes, find the leader, ioredis clients;
// with `linkProxies`, the nodes reach each other through proxies that can cut the network.
import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestContext } from 'node:test';

import { Redis } from 'ioredis';

import { tempDir } from '../../../little-raft/test/support/temp-dir.js';
import { freePorts, sleep } from '../../../little-raft/test/support/tcp.js';
import { LinkProxies } from '../../src/cli/local/link-proxies.js';
import { runCli, type CliRun } from './run-cli.js';
import { signAdminRequest } from '../../src/ops/admin-auth.js';

const MAIN = join(import.meta.dirname, '../../src/cli/main.ts');

export interface KvTestNode {
  id: number;
  redisPort: number;
  httpPort: number;
  raftPort: number;
  dataDir: string;
  /** Started with --join through this HTTP port (a node added to the running cluster), else --peers. */
  joinVia?: number;
  process: ChildProcess | null;
  /** How its last process ended; null while none has. */
  exit: KvNodeExit | null;
  /** Everything the process wrote to stderr (and stdout), for failure messages. */
  output: string;
}

export interface KvNodeExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface KvClusterOptions {
  nodes?: number;
  snapshotEntries?: number;
  extraArgs?: string[];
  /** More flags for single nodes, by id (after extraArgs, so they win). */
  nodeArgs?: Record<number, string[]>;
  /** Node's own options for every node process (before the script: --heap-growing-percent=60). */
  nodeFlags?: string[];
  /** The nodes reach each other through LinkProxies (see `links`), for network partitions. */
  linkProxies?: boolean;
  /** Runs after the ports and data directories are chosen, before any node starts (a restore). */
  prepare?: (cluster: KvTestCluster) => Promise<void>;
}

/** The secret every test cluster shares (its --secret-file holds it, with a newline). */
export const TEST_CLUSTER_SECRET = Buffer.from('an end-to-end test cluster secret');

/**
 * The /status JSON of the node whose HTTP port is `port`, or null when it does not answer. Signed
 * with the cluster secret, which a node with one asks for.
 */
export async function httpStatus(
  port: number,
  secret: Uint8Array = TEST_CLUSTER_SECRET,
): Promise<Record<string, unknown> | null> {
  try {
    const authorization = signAdminRequest(secret, 'GET', '/status', new Uint8Array(0));
    const res = await fetch(`http://127.0.0.1:${port}/status`, {
      headers: { authorization },
      signal: AbortSignal.timeout(1000),
    });
    return (await res.json()) as Record<string, unknown>;
  } catch {
    return null;
  }
}

export class KvTestCluster {
  readonly nodes: KvTestNode[] = [];
  readonly dir: string;
  private readonly clients: Redis[] = [];
  readonly secretFile: string;
  private readonly options: KvClusterOptions;
  private proxies: LinkProxies | null = null;

  private constructor(dir: string, options: KvClusterOptions) {
    this.dir = dir;
    this.options = options;
    this.secretFile = join(dir, 'secret');
    writeFileSync(this.secretFile, `${TEST_CLUSTER_SECRET.toString()}\n`);
  }

  /** Starts every node and waits for a leader. Stopped after `t`. */
  static async start(t: TestContext, options: KvClusterOptions = {}): Promise<KvTestCluster> {
    // The data directories go once the nodes are stopped (after-hooks run in the order registered:
    // removed while a node still wrote there, ENOTEMPTY), or at exit.
    const cluster = new KvTestCluster(tempDir(undefined, 'little-raft-kv-'), options);
    t.after(async () => {
      await cluster.stopAll('SIGKILL');
      rmSync(cluster.dir, { recursive: true, force: true });
    });
    const n = options.nodes ?? 3;
    // The proxies' ports are chosen with the nodes': ports the system picked for them later could
    // be ones just chosen (and released) for a node, which would then fail to start.
    const ports = await freePorts(3 * n + (options.linkProxies ? n * (n - 1) : 0));
    for (let i = 0; i < n; i++) {
      cluster.nodes.push({
        id: i + 1,
        raftPort: ports[3 * i]!,
        redisPort: ports[3 * i + 1]!,
        httpPort: ports[3 * i + 2]!,
        dataDir: join(cluster.dir, String(i + 1)),
        process: null,
        exit: null,
        output: '',
      });
    }
    if (options.linkProxies) {
      const raftPorts = new Map(cluster.nodes.map((x) => [x.id, x.raftPort]));
      const proxies = await LinkProxies.start(raftPorts, ports.slice(3 * n));
      cluster.proxies = proxies;
      t.after(() => proxies.close());
    }
    await options.prepare?.(cluster);
    for (const node of cluster.nodes) cluster.launch(node);
    await cluster.waitForLeader();
    // A node that failed to start is not waited for: the others elect a leader without it.
    for (const node of cluster.nodes) cluster.expectRunning(node.id);
    return cluster;
  }

  node(id: number): KvTestNode {
    const node = this.nodes.find((n) => n.id === id);
    if (node === undefined) throw new Error(`no node ${id} in this test cluster`);
    return node;
  }

  /** The links between the nodes, to cut and heal (a cluster started with `linkProxies`). */
  get links(): LinkProxies {
    if (this.proxies === null) throw new Error('the cluster was started without linkProxies');
    return this.proxies;
  }

  /** `--peers` of `node`: its own Raft address, and where it reaches each other node. */
  peersOf(node: KvTestNode): string {
    const proxies = this.proxies;
    const address = (x: KvTestNode): number =>
      x.id === node.id || proxies === null ? x.raftPort : proxies.port(node.id, x.id);
    // Nodes that joined later are found through the member table.
    const seeds = this.nodes.filter((x) => x.joinVia === undefined);
    return seeds.map((x) => `${x.id}=127.0.0.1:${address(x)}`).join(',');
  }

  /**
   * A new node, started empty with --join through node `via`'s HTTP port (it is not in `links`).
   * Resolves once its process runs; the caller waits for what it expects of it.
   */
  async addNode(via: number, id = Math.max(...this.nodes.map((n) => n.id)) + 1): Promise<KvTestNode> {
    const [raftPort, redisPort, httpPort] = (await freePorts(3)) as [number, number, number];
    const node: KvTestNode = {
      id,
      raftPort,
      redisPort,
      httpPort,
      dataDir: join(this.dir, String(id)),
      joinVia: this.node(via).httpPort,
      process: null,
      exit: null,
      output: '',
    };
    this.nodes.push(node);
    this.launch(node);
    return node;
  }

  /** Runs `little-raft <args>` to its end: exit code and output. */
  cli(args: readonly string[], timeoutMs = 60_000): Promise<CliRun> {
    return runCli(args, { timeoutMs });
  }

  launch(node: KvTestNode): void {
    const membership =
      node.joinVia === undefined
        ? ['--peers', this.peersOf(node)]
        : ['--join', `127.0.0.1:${node.joinVia}`, '--raft', `127.0.0.1:${node.raftPort}`];
    const args = [
      ...(this.options.nodeFlags ?? []),
      '--import', 'tsx', MAIN, 'serve',
      '--id', String(node.id),
      ...membership,
      '--data', node.dataDir,
      '--redis', `127.0.0.1:${node.redisPort}`,
      '--http', `127.0.0.1:${node.httpPort}`,
      '--secret-file', this.secretFile,
      '--heartbeat', '50',
      '--election-timeout', '500-1000',
      '--log-level', 'warn',
      ...(this.options.snapshotEntries ? ['--snapshot-entries', String(this.options.snapshotEntries)] : []),
      ...(this.options.extraArgs ?? []),
      ...(this.options.nodeArgs?.[node.id] ?? []),
    ]; // prettier-ignore
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    node.process = child;
    node.exit = null;
    node.output = '';
    const keep = (chunk: Buffer): void => {
      node.output = (node.output + chunk.toString()).slice(-20000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.once('exit', (code, signal) => {
      if (node.process !== child) return;
      node.process = null;
      node.exit = { code, signal };
    });
  }

  /**
   * Throws, with its output, if node `id`'s process is not running: waitForLeader counts only
   * running nodes, so a node that failed to start (or died) does not hold it up.
   */
  expectRunning(id: number): void {
    const node = this.node(id);
    if (node.process !== null) return;
    throw new Error(`node ${id} is not running (${describeExit(node.exit)}):\n${node.output}`);
  }

  /** Kills a node's process with `signal` and waits for it to exit; resolves with how it ended. */
  async kill(id: number, signal: NodeJS.Signals = 'SIGKILL'): Promise<KvNodeExit | null> {
    const child = this.node(id).process;
    if (child === null) return null;
    const exited = new Promise<KvNodeExit>((resolve) =>
      child.once('exit', (code, sig) => resolve({ code, signal: sig })),
    );
    child.kill(signal);
    return exited;
  }

  /** Disconnects the clients and kills every running node; how each ended (null: was not running). */
  async stopAll(signal: NodeJS.Signals = 'SIGTERM'): Promise<(KvNodeExit | null)[]> {
    for (const c of this.clients.splice(0)) c.disconnect();
    return Promise.all(this.nodes.map((n) => this.kill(n.id, signal)));
  }

  /** Status JSON of a node, or null when it does not answer. */
  status(id: number): Promise<Record<string, unknown> | null> {
    return httpStatus(this.node(id).httpPort);
  }

  /**
   * Waits until a running node leads and every running node follows it; returns its id. With
   * `among`, only those nodes count (the side of a partition that can elect a leader).
   */
  async waitForLeader(ms = 30000, among?: readonly number[]): Promise<number> {
    const deadline = Date.now() + ms;
    while (Date.now() < deadline) {
      const running = this.nodes.filter((n) => n.process !== null && (among === undefined || among.includes(n.id)));
      const views = await Promise.all(running.map((n) => this.status(n.id)));
      const leader = views.find((v) => v?.['role'] === 'leader');
      if (leader && views.every((v) => v !== null && v['leaderId'] === leader['id'])) return leader['id'] as number;
      await sleep(50);
    }
    const outputs = this.nodes.map((n) => `--- node ${n.id}:\n${n.output}`).join('\n');
    throw new Error(`no leader within ${ms} ms\n${outputs}`);
  }

  /** An ioredis client of node `id` (disconnected when the cluster stops). */
  client(id: number): Redis {
    const client = new Redis({
      port: this.node(id).redisPort,
      host: '127.0.0.1',
      lazyConnect: false,
      maxRetriesPerRequest: 0,
      enableOfflineQueue: true,
      retryStrategy: () => 50,
    });
    client.on('error', () => undefined); // reconnects; failed commands reject on their own
    this.clients.push(client);
    return client;
  }
}

export { sleep };

/** Runs a subtest's body; on failure the nodes' output is added to the error, for CI logs. */
export function withLogs(cluster: KvTestCluster, body: () => Promise<void>): () => Promise<void> {
  return async () => {
    try {
      await body();
    } catch (e) {
      const outputs = cluster.nodes.map(
        (n) => `--- node ${n.id} (${n.process ? 'running' : describeExit(n.exit)}):\n${n.output}`,
      );
      if (e instanceof Error) e.message += `\n${outputs.join('\n')}`;
      throw e;
    }
  };
}

/** How a node's process ended, for failure messages. */
function describeExit(exit: KvNodeExit | null): string {
  if (exit === null) return 'never started';
  return exit.signal !== null ? `killed by ${exit.signal}` : `exited with code ${exit.code}`;
}
