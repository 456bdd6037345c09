// The frame of a bench that starts processes (bench/kv.ts, bench/tcp-cluster.ts): a temporary
// directory for their data, removed at the end; whatever they started killed at the end, on
// exit, and on SIGINT/SIGTERM (which then exit 130/143); and a bound on the whole run, past
// which the processes are killed too, so that whatever waits on them fails.
import { cpSync, rmSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';

export interface BoundedRun {
  /** The temporary directory. */
  readonly root: string;
  /** Milliseconds left before the bound. */
  remaining: () => number;
  /** True once the bound has passed. */
  timedOut: () => boolean;
}

export interface BoundedRunOptions {
  /** Names the run in the error thrown past the bound ("KV bench"). */
  name: string;
  /** Where the temporary directory goes, and the start of its name. */
  dir: string;
  prefix: string;
  /** The bound, in seconds (--timeout). */
  timeoutSeconds: number;
  /** Kills whatever the run started; synchronous, for exit and signal handlers. */
  kill: () => void;
  /** Stops whatever the run started once `body` ends; never throws (default: `kill`). */
  stop?: () => Promise<void>;
}

/**
 * Runs `body` in a new temporary directory under the bound; the error it throws past the bound
 * says so (the error `body` threw as its cause).
 */
export async function boundedRun<T>(o: BoundedRunOptions, body: (run: BoundedRun) => Promise<T>): Promise<T> {
  const root = await mkdtemp(join(o.dir, o.prefix));
  // LITTLE_RAFT_BENCH_KEEP=DIR: the processes' logs (node-<id>.log) are copied there first.
  const keepLogs = (): void => {
    const keep = process.env.LITTLE_RAFT_BENCH_KEEP;
    const logs = (from: string): boolean => statSync(from).isDirectory() || /node-\d+\.log$/.test(from);
    if (keep) cpSync(root, keep, { recursive: true, filter: logs });
  };
  // Whatever happens, nothing started outlives this run and the directory is removed.
  const onExit = (): void => {
    o.kill();
    keepLogs();
    rmSync(root, { recursive: true, force: true });
  };
  const onSignal = (signal: NodeJS.Signals): void => {
    onExit();
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  process.on('exit', onExit);
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let timedOut = false;
  const overall = setTimeout(() => {
    timedOut = true;
    o.kill();
  }, o.timeoutSeconds * 1000);
  const deadline = performance.now() + o.timeoutSeconds * 1000;

  try {
    return await body({
      root,
      remaining: () => Math.max(0, deadline - performance.now()),
      timedOut: () => timedOut,
    });
  } catch (error) {
    if (timedOut) throw new Error(`${o.name}: over the ${o.timeoutSeconds} s bound (--timeout)`, { cause: error });
    throw error;
  } finally {
    clearTimeout(overall);
    if (o.stop !== undefined) await o.stop();
    else o.kill();
    keepLogs();
    await rm(root, { recursive: true, force: true });
    process.off('exit', onExit);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
