// Helpers for TcpCluster tests: free loopback ports, waiting on conditions, a logger that records.
import * as net from 'node:net';

import { Replica } from '../../src/driver/replica.js';
import { MemoryStorage } from '../../src/storage/memory.js';
import { TcpCluster, type TcpClusterOptions, type TcpLogger } from '../../src/transport/tcp/index.js';
import { Calculator, NOOP, type Op } from './replica-net.js';

/**
 * Ports that were free a moment ago on 127.0.0.1, picked at random below the kernel's range for
 * outgoing connections (Linux's starts at 32768): a port 0 gives is from that range, and an
 * outgoing connection of another test could take it before the server meant for it binds it.
 */
export async function freePorts(n: number): Promise<number[]> {
  const servers: net.Server[] = [];
  try {
    const ports: number[] = [];
    while (ports.length < n) {
      const port = 10_000 + Math.floor(Math.random() * 22_000);
      if (ports.includes(port)) continue;
      const server = net.createServer();
      const bound = await new Promise<boolean>((resolve) => {
        server.once('error', () => resolve(false));
        server.listen({ host: '127.0.0.1', port }, () => resolve(true));
      });
      if (!bound) continue;
      servers.push(server);
      ports.push(port);
    }
    return ports;
  } finally {
    await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  }
}

/** `n` consecutive ports that were all free a moment ago on 127.0.0.1; returns the first. */
export async function consecutiveFreePorts(n: number): Promise<number> {
  const listenOn = (port: number): Promise<net.Server | null> =>
    new Promise((resolve) => {
      const server = net.createServer();
      server.once('error', () => resolve(null));
      server.listen({ host: '127.0.0.1', port }, () => resolve(server));
    });
  for (let attempt = 0; attempt < 100; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * 30_000);
    const servers: net.Server[] = [];
    try {
      for (let p = base; p < base + n; p++) {
        const server = await listenOn(p);
        if (server === null) break; // taken; try another base
        servers.push(server);
      }
      if (servers.length === n) return base;
    } finally {
      await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    }
  }
  throw new Error(`no ${n} consecutive free ports found`);
}

/** Polls `check` every 10 ms until it returns true; fails after `ms` with `what`. */
export async function until(check: () => boolean, what: string, ms = 10000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for: ${what}`);
    await sleep(10);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A logger that keeps every line (and prints nothing). */
export class RecordingLogger implements TcpLogger {
  readonly warnings: string[] = [];
  readonly infos: string[] = [];
  warn(message: string): void {
    this.warnings.push(message);
  }
  info(message: string): void {
    this.infos.push(message);
  }
}

export type TcpOptions = Partial<Omit<TcpClusterOptions<Op, Uint8Array>, 'id' | 'listen' | 'peers'>>;

/** One replica of a TcpNet: its cluster, replica and state machine (storage outlives restarts). */
export interface TcpNode {
  cluster: TcpCluster<Op, Uint8Array>;
  replica: Replica<Op, Uint8Array>;
  machine: Calculator;
  run: Promise<void>;
  logger: RecordingLogger;
}

/** Replicas in this process over real loopback TCP, on wall-clock time. */
export class TcpNet {
  readonly nodes = new Map<number, TcpNode>();
  readonly storages = new Map<number, MemoryStorage<Op, Uint8Array>>();
  readonly peers: Record<number, string> = {};

  constructor(
    readonly ids: number[],
    ports: number[],
    readonly options: TcpOptions = { secret: 'a shared secret of the test cluster' },
  ) {
    ids.forEach((id, i) => {
      this.peers[id] = `127.0.0.1:${ports[i]!}`;
      this.storages.set(id, new MemoryStorage());
    });
  }

  static async create(ids: number[], options?: TcpOptions): Promise<TcpNet> {
    return new TcpNet(ids, await freePorts(ids.length), options);
  }

  start(id: number, options: TcpOptions = {}): TcpNode {
    const logger = new RecordingLogger();
    const cluster = new TcpCluster<Op, Uint8Array>({
      id,
      listen: this.peers[id]!,
      peers: this.peers,
      logger,
      ...this.options,
      ...options,
    });
    const machine = new Calculator();
    const replica = new Replica<Op, Uint8Array>({
      id,
      peerIds: this.ids.filter((p) => p !== id),
      cluster,
      stateMachine: machine,
      noopTransition: NOOP,
      heartbeatTimeout: 40,
      electionTimeoutRange: [300, 600],
      storage: this.storages.get(id)!,
    });
    cluster.attach(replica);
    const run = replica.start();
    const node = { cluster, replica, machine, run, logger };
    this.nodes.set(id, node);
    return node;
  }

  startAll(): void {
    for (const id of this.ids) this.start(id);
  }

  node(id: number): TcpNode {
    const node = this.nodes.get(id);
    if (!node) throw new Error(`replica ${id} is not running`);
    return node;
  }

  /** Closes a replica's cluster (its replica halts) and waits for both. */
  async stop(id: number): Promise<void> {
    const node = this.node(id);
    this.nodes.delete(id);
    await node.cluster.close();
    await node.replica.stop();
    await node.run;
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.nodes.keys()].map((id) => this.stop(id)));
  }

  /** The id of the one leader every running replica agrees on, or null. */
  leader(): number | null {
    const leaders = [...this.nodes.values()].filter((n) => n.replica.status().role === 'leader');
    if (leaders.length !== 1) return null;
    const id = leaders[0]!.replica.status().id;
    return [...this.nodes.values()].every((n) => n.replica.status().leaderId === id) ? id : null;
  }

  async waitForLeader(ms = 20000): Promise<number> {
    await until(() => this.leader() !== null, 'a leader all running replicas know', ms);
    return this.leader()!;
  }

  /** Proposes through whoever leads, retrying on NotLeaderError until it is applied there. */
  async propose(op: Op, ms = 20000): Promise<void> {
    const deadline = Date.now() + ms;
    for (;;) {
      const leader = this.leader();
      if (leader !== null) {
        try {
          await this.node(leader).replica.propose(op);
          return;
        } catch (e) {
          if (Date.now() > deadline) throw e;
        }
      } else if (Date.now() > deadline) {
        throw new Error(`no leader to take ${String(op.id)} within ${ms} ms`);
      }
      await sleep(20);
    }
  }

  /** Waits until every running replica has applied the same history of `length` transitions. */
  async waitForHistory(length: number, ms = 20000): Promise<void> {
    await until(
      () => [...this.nodes.values()].every((n) => n.machine.history.filter((id) => id !== 0).length >= length),
      `every running replica applies ${length} transitions`,
      ms,
    );
  }
}
