// Server processes for the KV bench (little-raft, redis-server, etcd): each one is spawned as
// the leader of its own process group, so that stopping it reaches whatever it starts itself
// (`little-raft local` runs one process per node). Output goes to a log file, shown when the
// process fails. Every process still running is SIGKILLed by killAll(), which the bench calls
// on exit and on signals.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';

import { sleep } from '../../little-raft/bench/stats.js';

const live = new Set<ServerProcess>();

/** SIGKILLs every process group still running. Synchronous, for exit and signal handlers. */
export function killAll(): void {
  for (const p of live) p.kill();
}

export class ServerProcess {
  readonly child: ChildProcess;
  exit: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  readonly exited: Promise<void>;

  constructor(
    readonly name: string,
    command: string,
    args: string[],
    readonly logFile: string,
    options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
  ) {
    const fd = openSync(logFile, 'a');
    try {
      this.child = spawn(command, args, { ...options, detached: true, stdio: ['ignore', fd, fd] });
    } finally {
      closeSync(fd);
    }
    live.add(this);
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => {
        this.exit = { code, signal };
        resolve();
      });
    });
    this.child.on('error', (error) => {
      // A failed spawn (no such command) emits no 'exit'.
      if (this.exit === null) this.exit = { code: null, signal: null };
      console.error(`${name}: ${error.message}`);
    });
  }

  /** True while any process of the group is there. */
  private groupAlive(): boolean {
    if (this.child.pid === undefined) return false;
    try {
      process.kill(-this.child.pid, 0);
      return true;
    } catch {
      return false;
    }
  }

  private signalGroup(signal: NodeJS.Signals): void {
    if (this.child.pid === undefined) return;
    try {
      process.kill(-this.child.pid, signal);
    } catch {
      // already gone
    }
  }

  /** Throws ProcessExited (with the end of its log) if the process has exited. */
  assertRunning(): void {
    if (this.exit !== null) throw new ProcessExited(this);
  }

  /**
   * Sends `signal` to the whole group, as Ctrl-C in a terminal does, and waits for every
   * process of it to end; SIGKILLs the group after `graceMs`. Never throws.
   */
  async stop(signal: NodeJS.Signals = 'SIGINT', graceMs = 10_000): Promise<{ clean: boolean }> {
    const deadline = performance.now() + graceMs;
    this.signalGroup(signal);
    while ((this.exit === null || this.groupAlive()) && performance.now() < deadline) await sleep(20);
    const clean = this.exit !== null && !this.groupAlive();
    if (!clean) {
      this.signalGroup('SIGKILL');
      await Promise.race([this.exited, sleep(2000)]);
    }
    live.delete(this);
    return { clean };
  }

  kill(): void {
    this.signalGroup('SIGKILL');
    live.delete(this);
  }

  logTail(lines = 20): string {
    try {
      return readFileSync(this.logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  }
}

export class ProcessExited extends Error {
  constructor(readonly process: ServerProcess) {
    super(
      `${process.name} exited (${process.exit?.code ?? process.exit?.signal}); its log ends:\n${process.logTail()}`,
    );
  }
}
