// The node processes of `little-raft local`, and what can be done to them: each node is a `serve`
// child this supervisor owns and outlives. A node that dies is shown down with the reason (the
// signal's name, or its exit code) while the others go on serving; one killed from outside comes
// back by itself after `restartDeadMs` (when set), one killed from the dashboard waits for its
// restart button. Pause and resume are SIGSTOP and SIGCONT; cut and heal go through the Raft-link
// proxies (link-proxies.ts); add and remove are the membership commands (the admin API).

import { spawn, type ChildProcess } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';

import { adminRequest } from '../admin-client.js';
import type { LinkProxies } from './link-proxies.js';
import { holdPorts } from './port-check.js';

export interface SupervisorOptions {
  /** The `little-raft` script this process runs (main.ts or main.js). */
  script: string;
  dataDir: string;
  secretFile: string;
  secret: Uint8Array;
  host: string;
  /** Node i's ports are these + i - 1. */
  redisPort: number;
  raftPort: number;
  httpPort: number;
  logLevel: string;
  logFormat: 'json' | 'pretty';
  /** A node that dies on its own (a signal this supervisor did not send) is started again after this; null: never. */
  restartDeadMs: number | null;
  /** The Raft links of the nodes started with the cluster. */
  proxies: LinkProxies;
  /** Lines for the person at the terminal. */
  say: (line: string) => void;
}

/** A refused or failed control: the HTTP status to answer with, and why (one line). */
export class ControlError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

type State = 'running' | 'paused' | 'down';

interface Member {
  id: number;
  redis: string;
  raft: string;
  http: string;
  /** Added while running: started with --join, reached directly (no proxies). */
  joined: boolean;
  process: ChildProcess | null;
  state: State;
  /** Why it is down: 'SIGKILL', 'exited with code 1'. */
  reason: string | null;
  /** What this supervisor did to it last: its exit is then no surprise. */
  expected: 'kill' | 'restart' | 'remove' | 'stop' | null;
  exited: Promise<void>;
  restartTimer: NodeJS.Timeout | null;
}

/** A member as the supervisor knows it (GET /local/nodes). */
export interface NodeView {
  id: number;
  pid: number | null;
  redis: string;
  raft: string;
  http: string;
  state: State;
  down: string | null;
  cut: boolean;
}

const STOP_GRACE_MS = 10000;
/** How long a removed member has to leave by itself before it is stopped. */
const REMOVE_EXIT_MS = 10000;

export class Supervisor {
  private readonly members = new Map<number, Member>();
  private readonly cut = new Set<number>();
  private stopping = false;
  /** Controls run one at a time: a restart and a kill of one node must not interleave. */
  private queue: Promise<unknown> = Promise.resolve();
  /** Called when a node exits on its own, after its member is updated. */
  onExit: () => void = () => undefined;

  constructor(private readonly o: SupervisorOptions) {}

  /** Starts nodes 1..n, a new cluster (or the one in the data directory). */
  startNodes(n: number): void {
    // Every member first: each node's --peers names them all.
    const members = Array.from({ length: n }, (_, i) => this.member(i + 1, false));
    for (const m of members) this.start(m);
  }

  /** The members, for the dashboard's watcher: down is set for a node the supervisor knows is down. */
  sources(): { id: number; http: string; down: string | null }[] {
    return [...this.members.values()].map((m) => ({ id: m.id, http: m.http, down: this.downText(m) }));
  }

  view(): NodeView[] {
    return [...this.members.values()].map((m) => ({
      id: m.id,
      pid: m.process?.pid ?? null,
      redis: m.redis,
      raft: m.raft,
      http: m.http,
      state: m.state,
      down: this.downText(m),
      cut: this.cut.has(m.id),
    }));
  }

  /** Redis addresses of the nodes running now (not paused, not down). */
  runningRedis(): string[] {
    return [...this.members.values()].filter((m) => m.state === 'running').map((m) => m.redis);
  }

  /** Whether every node has exited on its own with an error (none was killed): nothing left to supervise. */
  allFailed(): boolean {
    return [...this.members.values()].every(
      (m) => m.state === 'down' && m.expected === null && m.reason?.startsWith('exited with code') === true,
    );
  }

  /** Runs control `action` on node `id`. */
  control(id: number, action: string): Promise<void> {
    if (!(ACTIONS as readonly string[]).includes(action)) {
      return Promise.reject(new ControlError(404, `unknown action '${action}' (one of ${ACTIONS.join(', ')})`));
    }
    return this.serially(async () => {
      const m = this.members.get(id);
      if (m === undefined) throw new ControlError(404, `no node ${id} (nodes: ${[...this.members.keys()].join(', ')})`);
      if (this.stopping) throw new ControlError(503, 'the cluster is stopping');
      await this.act(m, action as Action);
    });
  }

  /** Adds a node (membership add, through `serve --join`); resolves with its id once it runs. */
  add(): Promise<number> {
    return this.serially(async () => {
      if (this.stopping) throw new ControlError(503, 'the cluster is stopping');
      const through = this.anyRunning(null);
      if (through === null) throw new ControlError(409, 'no node is running to join through');
      // A fresh id: not one of a member, nor of a data directory left by an earlier member.
      let last = Math.max(0, ...this.members.keys());
      for (const name of await readdir(this.o.dataDir).catch(() => [])) {
        if (/^[1-9]\d*$/.test(name)) last = Math.max(last, Number(name));
      }
      const id = last + 1;
      const m = this.member(id, true);
      const held = await holdPorts(this.o.host, [
        { port: this.o.redisPort + id - 1, use: `node ${id}'s Redis port` },
        { port: this.o.raftPort + id - 1, use: `node ${id}'s Raft port` },
        { port: this.o.httpPort + id - 1, use: `node ${id}'s HTTP port` },
      ]).catch((e: unknown) => {
        throw new ControlError(409, (e as Error).message);
      });
      await held.release();
      this.start(m, through.http);
      return id;
    });
  }

  /** Stops every node (SIGCONT first for a paused one, then SIGTERM); true when each stopped cleanly. */
  async stopAll(): Promise<boolean> {
    this.stopping = true;
    let clean = true;
    for (const m of this.members.values()) {
      if (m.restartTimer !== null) clearTimeout(m.restartTimer);
      m.restartTimer = null;
      if (m.process === null) continue;
      m.expected = 'stop';
      if (m.state === 'paused') m.process.kill('SIGCONT');
      m.process.kill('SIGTERM');
    }
    const deadline = setTimeout(() => {
      for (const m of this.members.values()) {
        if (m.process !== null) {
          clean = false;
          m.process.kill('SIGKILL');
        }
      }
    }, STOP_GRACE_MS);
    await Promise.all([...this.members.values()].map((m) => m.exited));
    clearTimeout(deadline);
    return clean;
  }

  private member(id: number, joined: boolean): Member {
    const m: Member = {
      id,
      joined,
      redis: `${this.o.host}:${this.o.redisPort + id - 1}`,
      raft: `${this.o.host}:${this.o.raftPort + id - 1}`,
      http: `${this.o.host}:${this.o.httpPort + id - 1}`,
      process: null,
      state: 'down',
      reason: 'not started',
      expected: null,
      exited: Promise.resolve(),
      restartTimer: null,
    };
    this.members.set(id, m);
    return m;
  }

  /** Spawns member `m`'s node; `joinThrough`: the HTTP address of a member to join through (a new member). */
  private start(m: Member, joinThrough?: string): void {
    const o = this.o;
    const where = m.joined
      ? ['--join', joinThrough ?? this.anyRunning(m)?.http ?? m.http, '--raft', m.raft]
      : ['--peers', this.peersOf(m.id)];
    const args = [
      ...process.execArgv,
      o.script,
      'serve',
      '--id', String(m.id),
      ...where,
      '--data', join(o.dataDir, String(m.id)),
      '--redis', m.redis,
      '--http', m.http,
      '--secret-file', o.secretFile,
      '--open-status', // a cluster on this machine for its user: /status without credentials
      '--log-level', o.logLevel,
      '--log-format', o.logFormat,
    ]; // prettier-ignore
    // Own process group: Ctrl-C reaches only this supervisor, which then stops the nodes in order.
    // The IPC channel stops the node if this supervisor dies without doing so (cli/supervised.ts).
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], detached: true });
    child.channel?.unref(); // nor does it keep this supervisor running
    m.process = child;
    m.state = 'running';
    m.reason = null;
    m.expected = null;
    m.exited = new Promise((done) => {
      child.once('exit', (code, signal) => {
        this.exited(m, child, code, signal);
        done();
      });
    });
  }

  private exited(m: Member, child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (m.process !== child) return;
    m.process = null;
    m.state = 'down';
    m.reason = signal !== null ? signal : `exited with code ${code}`;
    if (this.stopping) return;
    if (m.expected === 'remove') {
      this.members.delete(m.id);
      this.cut.delete(m.id);
      this.o.say(`little-raft: node ${m.id} left the cluster`);
      return;
    }
    if (m.expected !== null) return; // kill or restart: the control says what happens next
    const restarts = this.restarts(m) && signal !== null;
    this.o.say(
      `little-raft: node ${m.id} is down (${m.reason})` +
        (restarts ? `; restarting it in ${this.o.restartDeadMs} ms` : '; the others go on'),
    );
    if (restarts) {
      m.restartTimer = setTimeout(() => {
        m.restartTimer = null;
        if (this.stopping || m.state !== 'down') return;
        this.start(m);
        this.o.say(`little-raft: node ${m.id} restarted (pid ${m.process?.pid})`);
      }, this.o.restartDeadMs!);
    }
    this.onExit();
  }

  /** Whether a node that dies by a signal comes back by itself. */
  private restarts(m: Member): boolean {
    return this.o.restartDeadMs !== null && m.reason !== null && !m.reason.startsWith('exited');
  }

  private downText(m: Member): string | null {
    if (m.state === 'paused') return 'paused (SIGSTOP)';
    return m.state === 'down' ? m.reason : null;
  }

  /** Node `id`'s --peers: itself at its own Raft address, each other node through the proxy of their link. */
  private peersOf(id: number): string {
    const entries: string[] = [];
    for (const m of this.members.values()) {
      if (m.joined) continue;
      entries.push(`${m.id}=${m.id === id ? m.raft : `${this.o.host}:${this.o.proxies.port(id, m.id)}`}`);
    }
    return entries.join(',');
  }

  private anyRunning(except: Member | null): Member | null {
    for (const m of this.members.values()) if (m !== except && m.state === 'running') return m;
    return null;
  }

  private serially<T>(run: () => Promise<T>): Promise<T> {
    const result = this.queue.then(run);
    this.queue = result.catch(() => undefined);
    return result;
  }

  private act(m: Member, action: Action): Promise<void> {
    switch (action) {
      case 'kill':
        return this.kill(m);
      case 'restart':
        return this.restart(m);
      case 'pause':
        return this.pause(m);
      case 'resume':
        return this.resume(m);
      case 'cut':
        return this.cutOff(m);
      case 'heal':
        return this.heal(m);
      case 'remove':
        return this.remove(m);
    }
  }

  private async kill(m: Member): Promise<void> {
    if (m.process === null) throw new ControlError(409, `node ${m.id} is down already (${m.reason})`);
    m.expected = 'kill';
    m.process.kill('SIGKILL');
    await m.exited;
    this.o.say(`little-raft: node ${m.id} killed (SIGKILL)`);
  }

  /** A node that is down starts again; a running one is stopped (SIGTERM) and started again. */
  private async restart(m: Member): Promise<void> {
    if (m.restartTimer !== null) clearTimeout(m.restartTimer);
    m.restartTimer = null;
    if (m.process !== null) {
      m.expected = 'restart';
      if (m.state === 'paused') m.process.kill('SIGCONT');
      m.process.kill('SIGTERM');
      await m.exited;
    }
    this.start(m);
    this.o.say(`little-raft: node ${m.id} restarted (pid ${m.process?.pid})`);
  }

  private pause(m: Member): Promise<void> {
    if (m.state !== 'running') {
      return Promise.reject(new ControlError(409, `node ${m.id} is not running (${this.downText(m)})`));
    }
    m.process!.kill('SIGSTOP');
    m.state = 'paused';
    this.o.say(`little-raft: node ${m.id} paused (SIGSTOP)`);
    return Promise.resolve();
  }

  private resume(m: Member): Promise<void> {
    if (m.state !== 'paused') return Promise.reject(new ControlError(409, `node ${m.id} is not paused`));
    m.process!.kill('SIGCONT');
    m.state = 'running';
    this.o.say(`little-raft: node ${m.id} resumed (SIGCONT)`);
    return Promise.resolve();
  }

  private cutOff(m: Member): Promise<void> {
    if (!this.o.proxies.has(m.id)) {
      const why = `node ${m.id} was added while running: its links do not go through the proxies`;
      return Promise.reject(new ControlError(409, why));
    }
    this.o.proxies.isolate(m.id);
    this.cut.add(m.id);
    this.o.say(`little-raft: node ${m.id} cut off from the others`);
    return Promise.resolve();
  }

  private heal(m: Member): Promise<void> {
    if (!this.cut.has(m.id)) return Promise.reject(new ControlError(409, `node ${m.id} is not cut off`));
    this.cut.delete(m.id);
    this.o.proxies.healNode(m.id, [...this.cut]);
    this.o.say(`little-raft: node ${m.id} healed`);
    return Promise.resolve();
  }

  /** Membership remove through a running member; the removed node then exits by itself. */
  private async remove(m: Member): Promise<void> {
    const through = this.anyRunning(m) ?? (m.state === 'running' ? m : null);
    if (through === null) throw new ControlError(409, 'no node is running to remove it through');
    // Before the request: the removed node may exit before its answer arrives here.
    const expected = m.expected;
    m.expected = 'remove';
    try {
      await adminRequest({
        node: through.http,
        secret: this.o.secret,
        method: 'DELETE',
        path: `/admin/members/${m.id}`,
        timeoutMs: 10000,
      });
    } catch (e) {
      m.expected = expected;
      throw new ControlError(409, `removing node ${m.id} failed: ${(e as Error).message}`);
    }
    if (!this.members.has(m.id)) return; // it left while the request was answered
    if (m.restartTimer !== null) clearTimeout(m.restartTimer);
    m.restartTimer = null;
    if (m.process === null) {
      this.members.delete(m.id);
      this.cut.delete(m.id);
      this.o.say(`little-raft: node ${m.id} removed`);
      return;
    }
    if (m.state === 'paused') m.process.kill('SIGCONT');
    const child = m.process;
    const late = setTimeout(() => child.kill('SIGTERM'), REMOVE_EXIT_MS);
    await m.exited;
    clearTimeout(late);
  }
}

/** The controls of POST /local/nodes/<id>/<action>. */
const ACTIONS = ['kill', 'restart', 'pause', 'resume', 'cut', 'heal', 'remove'] as const;
type Action = (typeof ACTIONS)[number];
