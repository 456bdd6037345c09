// A real `little-raft local` (src/cli/main.ts through tsx) on ports picked at run time, for the
// tests of its supervisor and controls: its output, its control API, its nodes' /status.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { TestContext } from 'node:test';

import { consecutiveFreePorts } from '../../../little-raft/test/support/tcp.js';
import { tempDir } from '../../../little-raft/test/support/temp-dir.js';
import { eventually } from './eventually.js';

const MAIN = join(import.meta.dirname, '../../src/cli/main.ts');
/** Ports of up to this many nodes are reserved (nodes added by a test included). */
const MAX_NODES = 4;

/** What the supervisor says of a node (GET /local/nodes). */
export interface LocalNodeView {
  id: number;
  pid: number | null;
  redis: string;
  http: string;
  state: 'running' | 'paused' | 'down';
  down: string | null;
  cut: boolean;
}

/** The fields of a node's /status the tests read. */
export interface NodeStatus {
  id: number;
  role: string;
  term: number;
  leaderId: number | null;
  commitIndex: number;
  lastApplied: number;
  voters: number[];
  learners: number[];
  connectedPeers: number[];
  clients: number;
}

export class LocalRun {
  readonly child: ChildProcess;
  stdout = '';
  stderr = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  private constructor(
    readonly base: number,
    readonly dir: string,
    args: readonly string[],
  ) {
    // No LITTLE_RAFT_* variables of the environment running the tests leak in; fast elections
    // reach the nodes through the variables serve reads.
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('LITTLE_RAFT_')));
    Object.assign(env, { LITTLE_RAFT_HEARTBEAT: '50', LITTLE_RAFT_ELECTION_TIMEOUT: '400-800' });
    this.child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...this.argsFor(), ...args], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout!.on('data', (chunk: Buffer) => (this.stdout += chunk.toString()));
    this.child.stderr!.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    this.exited = new Promise((resolve) => this.child.once('close', (code, signal) => resolve({ code, signal })));
  }

  /** Starts `little-raft local --nodes 3` (plus `args`); it is killed at the end of the test at the latest. */
  static async start(t: TestContext, args: readonly string[] = [], base?: number): Promise<LocalRun> {
    const dir = tempDir(t, 'little-raft-local-');
    const run = new LocalRun(base ?? (await consecutiveFreePorts(3 * MAX_NODES + 1)), dir, args);
    t.after(async () => {
      // Whatever the test left running: the supervisor, then (if it could not) its nodes.
      for (const v of run.lastView) if (v.pid !== null) killQuietly(v.pid, 'SIGCONT');
      run.child.kill('SIGTERM');
      const killer = setTimeout(() => run.child.kill('SIGKILL'), 15000);
      await run.exited;
      clearTimeout(killer);
      for (const v of run.lastView) if (v.pid !== null) killQuietly(v.pid, 'SIGKILL');
    });
    return run;
  }

  private lastView: LocalNodeView[] = [];

  private argsFor(): string[] {
    return [
      'local',
      '--nodes', '3',
      '--data', join(this.dir, 'data'),
      '--redis-port', String(this.base),
      '--raft-port', String(this.base + MAX_NODES),
      '--http-port', String(this.base + 2 * MAX_NODES),
      '--dashboard-port', String(this.base + 3 * MAX_NODES),
    ]; // prettier-ignore
  }

  get dashboard(): string {
    return `http://127.0.0.1:${this.base + 3 * MAX_NODES}`;
  }

  redisPort(id: number): number {
    return this.base + id - 1;
  }

  output(): string {
    return `--- stdout:\n${this.stdout}\n--- stderr:\n${this.stderr}`;
  }

  /** Waits until `check` holds; fails with the output if the supervisor exits first. */
  async until(what: string, check: () => boolean | Promise<boolean>, ms = 20000): Promise<void> {
    let exited = false;
    void this.exited.then(() => (exited = true));
    await eventually(
      async () => {
        if (exited) throw new Error(`little-raft local exited waiting for ${what}\n${this.output()}`);
        return check();
      },
      () => `${what}\n${this.output()}`,
      ms,
    );
  }

  /** POST to the control API; the status and the parsed JSON answer. */
  async control(path: string, body?: string): Promise<{ status: number; body: Record<string, unknown> }> {
    const res = await fetch(`${this.dashboard}${path}`, {
      method: 'POST',
      ...(body !== undefined && { body, headers: { 'content-type': 'application/json' } }),
      signal: AbortSignal.timeout(30000),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  }

  /** POST that must succeed. */
  async ok(path: string, body?: string): Promise<Record<string, unknown>> {
    const r = await this.control(path, body);
    if (r.status !== 200) throw new Error(`POST ${path}: ${r.status} ${JSON.stringify(r.body)}\n${this.output()}`);
    return r.body;
  }

  async view(): Promise<LocalNodeView[]> {
    const res = await fetch(`${this.dashboard}/local/nodes`, { signal: AbortSignal.timeout(5000) });
    this.lastView = (await res.json()) as LocalNodeView[];
    return this.lastView;
  }

  async node(id: number): Promise<LocalNodeView> {
    const v = (await this.view()).find((n) => n.id === id);
    if (v === undefined) throw new Error(`no node ${id} in the supervisor's view`);
    return v;
  }

  /** Node `id`'s /status, or null when it does not answer. */
  async status(id: number): Promise<NodeStatus | null> {
    try {
      const res = await fetch(`http://127.0.0.1:${this.base + 2 * MAX_NODES + id - 1}/status`, {
        signal: AbortSignal.timeout(1000),
      });
      return (await res.json()) as NodeStatus;
    } catch {
      return null;
    }
  }

  /** The one node that leads and that the other running nodes follow (among `ids`). */
  async leader(ids: readonly number[]): Promise<NodeStatus | null> {
    const all = await Promise.all(ids.map((id) => this.status(id)));
    const leaders = all.filter((s) => s?.role === 'leader');
    if (leaders.length !== 1) return null;
    const leader = leaders[0]!;
    return all.every((s) => s === null || s.id === leader.id || s.leaderId === leader.id) ? leader : null;
  }

  async waitForLeader(ids: readonly number[], what = 'a leader'): Promise<NodeStatus> {
    let found: NodeStatus | null = null;
    await this.until(what, async () => (found = await this.leader(ids)) !== null);
    return found!;
  }

  /** Waits until node `id` has applied everything the leader (among `ids`) has committed now. */
  async caughtUp(id: number, ids: readonly number[]): Promise<void> {
    const leader = await this.waitForLeader(ids);
    await this.until(
      `node ${id} to apply up to the leader's commit index ${leader.commitIndex}`,
      async () => ((await this.status(id))?.lastApplied ?? -1) >= leader.commitIndex,
    );
  }

  async stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    this.child.kill('SIGINT');
    return this.exited;
  }
}

function killQuietly(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // gone already
  }
}
