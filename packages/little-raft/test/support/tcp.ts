// Helpers for TcpCluster tests: free loopback ports, waiting on conditions, a logger that records.
import { mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { Replica } from '../../src/driver/replica.js';
import { MemoryStorage } from '../../src/storage/memory.js';
import { TcpCluster, type TcpClusterOptions, type TcpLogger } from '../../src/transport/tcp/index.js';
import { Calculator, NOOP, type Op } from './replica-net.js';

/**
 * Ports handed out to any process on this machine, one file each holding the owner's pid: two
 * test files running at once (or a bench beside them) could pick the same free port at random and
 * both start a server on it; an exclusive create lets only one of them have it. A process removes
 * its files as it exits; a file whose owner is gone is removed when met, and its port left alone
 * that time (two processes clearing one file must not both take its port).
 */
const RESERVED_PORTS = join(tmpdir(), 'little-raft-test-ports');
const reservedHere: string[] = [];
let releaseAtExit = false;

/** Takes `port` for this process unless another live one has it (see RESERVED_PORTS). */
export function reservePort(port: number): boolean {
  if (!releaseAtExit) {
    releaseAtExit = true;
    mkdirSync(RESERVED_PORTS, { recursive: true });
    process.once('exit', () => {
      for (const file of reservedHere) unlinkQuietly(file);
    });
  }
  const file = join(RESERVED_PORTS, String(port));
  try {
    writeFileSync(file, String(process.pid), { flag: 'wx' });
    reservedHere.push(file);
    return true;
  } catch {
    const owner = Number(readFileQuietly(file));
    if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && !isAlive(owner)) unlinkQuietly(file);
    return false;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readFileQuietly(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

function unlinkQuietly(file: string): void {
  try {
    unlinkSync(file);
  } catch {
    // gone already
  }
}

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
      if (reservePort(port)) ports.push(port);
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
    // Below the range of outgoing connections' ports, as freePorts.
    const base = 10_000 + Math.floor(Math.random() * (22_000 - n));
    const servers: net.Server[] = [];
    try {
      for (let p = base; p < base + n; p++) {
        const server = await listenOn(p);
        if (server === null) break; // taken; try another base
        servers.push(server);
        if (!reservePort(p)) break; // handed out to another process
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
