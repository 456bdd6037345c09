// Three replicas in three processes on loopback, each with TcpCluster + DiskStorage. A client
// keeps proposing while the leader is killed with SIGKILL and restarted, over and over. Once all
// are back, every acknowledged transition is applied on every replica, once, in the same order.
//
// LITTLE_RAFT_TCP_KILLS=N raises the number of leader kills (default 5).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import type { ReplicaStatus } from '../../src/driver/replica.js';
import { tempDir } from '../support/temp-dir.js';
import { freePorts, sleep, until } from '../support/tcp.js';
import type { NodeConfig, ToChild } from '../support/tcp-node.js';
import { prng } from '../support/prng.js';

const NODE_SCRIPT = join(fileURLToPath(new URL('.', import.meta.url)), '..', 'support', 'tcp-node.ts');
const KILLS = Math.max(1, Number(process.env['LITTLE_RAFT_TCP_KILLS'] ?? 5));

type FromChild =
  | { type: 'status'; status: ReplicaStatus }
  | { type: 'result'; id: string; ok: boolean; error?: string }
  | { type: 'history'; history: (string | number)[]; status: ReplicaStatus };

interface Child {
  id: number;
  process: ChildProcess;
  status: ReplicaStatus | null;
  statusAt: number;
  exited: boolean;
  /** Proposals sent to this incarnation and not answered. */
  pending: Set<string>;
  histories: ((h: { history: (string | number)[]; status: ReplicaStatus }) => void)[];
}

/** Sends over IPC unless the child is gone; errors (a channel closing meanwhile) are ignored. */
function send(child: Child, message: ToChild): boolean {
  if (child.exited || !child.process.connected) return false;
  child.process.send(message, () => {});
  return true;
}

class Processes {
  readonly children = new Map<number, Child>();
  readonly acked: string[] = [];
  readonly failed = new Set<string>();
  readonly exits: string[] = [];
  portRetries = 0;
  private next = 0;
  stopping = false;

  constructor(readonly configs: Map<number, NodeConfig>) {}

  start(id: number): Child {
    const child: Child = {
      id,
      process: spawn(process.execPath, ['--import', 'tsx', NODE_SCRIPT, JSON.stringify(this.configs.get(id)!)], {
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      }),
      status: null,
      statusAt: 0,
      exited: false,
      pending: new Set(),
      histories: [],
    };
    this.children.set(id, child);
    child.process.on('message', (m: FromChild) => {
      if (m.type === 'status') {
        child.status = m.status;
        child.statusAt = Date.now();
      } else if (m.type === 'result') {
        child.pending.delete(m.id);
        if (m.ok) this.acked.push(m.id);
        else this.failed.add(m.id);
      } else if (m.type === 'history') {
        child.histories.shift()?.({ history: m.history, status: m.status });
      }
    });
    child.process.on('exit', (code, signal) => {
      child.exited = true;
      for (const id of child.pending) this.failed.add(id); // outcome unknown: never counted as acked
      child.pending.clear();
      if (signal === 'SIGKILL' || this.stopping) return;
      if (code === 3 && this.children.get(id) === child) {
        // Its port was not free yet: start it again.
        this.portRetries++;
        setTimeout(() => this.start(id), 200);
        return;
      }
      this.exits.push(`replica ${id} exited with ${code ?? signal}`);
    });
    return child;
  }

  async kill(id: number): Promise<void> {
    const child = this.children.get(id)!;
    if (child.exited) return;
    const exited = new Promise<void>((resolve) => child.process.once('exit', () => resolve()));
    child.exited = true; // no more proposals to it
    child.process.kill('SIGKILL');
    await exited;
  }

  /** The replica that says it leads, by a recent status; null if none. */
  leader(): number | null {
    const now = Date.now();
    let best: Child | null = null;
    for (const c of this.children.values()) {
      if (c.exited || !c.status || now - c.statusAt > 500 || c.status.role !== 'leader') continue;
      if (best === null || c.status.term > best.status!.term) best = c;
    }
    return best?.id ?? null;
  }

  /** Sends a new proposal to the leader, if there is one; returns its id. */
  propose(): string | null {
    const leader = this.leader();
    if (leader === null) return null;
    const child = this.children.get(leader)!;
    const id = `op-${++this.next}`;
    child.pending.add(id);
    if (!send(child, { type: 'propose', op: { id } })) {
      child.pending.delete(id);
      this.failed.add(id);
    }
    return id;
  }

  inflight(): number {
    let n = 0;
    for (const c of this.children.values()) n += c.pending.size;
    return n;
  }

  history(id: number): Promise<{ history: (string | number)[]; status: ReplicaStatus }> {
    const child = this.children.get(id)!;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`replica ${id} did not send its history`)), 30_000);
      child.histories.push((h) => {
        clearTimeout(timer);
        resolve(h);
      });
      if (!send(child, { type: 'history' })) reject(new Error(`replica ${id} is not running`));
    });
  }

  async stopAll(): Promise<void> {
    this.stopping = true;
    await Promise.all(
      [...this.children.values()].map(async (c) => {
        if (c.exited) return;
        const exited = new Promise<void>((resolve) => c.process.once('exit', () => resolve()));
        send(c, { type: 'stop' });
        const timer = setTimeout(() => c.process.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      }),
    );
  }
}

test(
  `three processes over TCP + DiskStorage: the leader is SIGKILLed and restarted ${KILLS} times while a client proposes; nothing acknowledged is lost`,
  { timeout: 120000 + KILLS * 20000 },
  async (t) => {
    const ids = [1, 2, 3];
    const ports = await freePorts(3);
    const peers: Record<number, string> = {};
    ids.forEach((id, i) => (peers[id] = `127.0.0.1:${ports[i]!}`));
    const configs = new Map(
      ids.map((id) => [
        id,
        { id, dir: tempDir(t, `little-raft-tcp-${id}-`), peers, secret: 'process test secret 0123456789' },
      ]),
    );
    const procs = new Processes(configs);
    const random = prng(2024);
    let clientRunning = true;
    // The client: up to 8 proposals in flight, to whoever leads.
    const client = (async () => {
      while (clientRunning) {
        if (procs.inflight() < 8) procs.propose();
        await sleep(procs.leader() === null ? 20 : 5);
      }
    })();
    try {
      for (const id of ids) procs.start(id);
      await until(() => procs.leader() !== null, 'a first leader', 60000);
      await until(() => procs.acked.length >= 20, 'proposals acknowledged', 60000);

      for (let k = 0; k < KILLS; k++) {
        await until(() => procs.leader() !== null, `a leader before kill ${k + 1}`, 60000);
        const victim = procs.leader()!;
        const ackedBefore = procs.acked.length;
        await sleep(50 + Math.floor(random() * 250)); // kill at varying points of its work
        await procs.kill(victim);
        await sleep(50 + Math.floor(random() * 400));
        procs.start(victim);
        // Progress after each kill: a new leader and more acknowledged proposals.
        await until(() => procs.acked.length >= ackedBefore + 10, `progress after kill ${k + 1}`, 60000);
      }
      clientRunning = false;
      await client;
      await until(() => procs.inflight() === 0, 'the last proposals answered', 30000);

      // All back: every replica applies the same history, holding every acknowledged proposal.
      let histories: (string | number)[][] = [];
      const deadline = Date.now() + 60000;
      for (;;) {
        histories = (await Promise.all(ids.map((id) => procs.history(id)))).map((h) => h.history);
        const settled = histories.every((h) => h.length === histories[0]!.length);
        if (settled && histories[0]!.length >= procs.acked.length) break;
        if (Date.now() > deadline) {
          assert.fail(`replicas did not converge: applied ${histories.map((h) => h.length).join(' / ')}`);
        }
        await sleep(200);
      }
      const [first] = histories;
      for (const [i, h] of histories.entries()) assert.deepEqual(h, first, `replica ${ids[i]!} applied another order`);
      const applied = new Set(first);
      assert.equal(applied.size, first!.length, 'a transition was applied twice');
      const lost = procs.acked.filter((id) => !applied.has(id));
      assert.deepEqual(lost, [], 'acknowledged transitions missing');
      assert.deepEqual(procs.exits, [], 'no replica exited on its own (crash or port trouble)');
      t.diagnostic(
        `${KILLS} leader kills; ${procs.acked.length} proposals acknowledged, ${procs.failed.size} failed or unknown; ` +
          `${first!.length} applied on every replica; ${procs.portRetries} restarts waited for a port`,
      );
    } finally {
      clientRunning = false;
      await client;
      await procs.stopAll();
    }
  },
);
