// The V8 heap must fit --maxmemory: a node's data lives in its heap (values are JS strings), and
// V8's default heap limit (about 2-4 GiB, from the machine's memory) would kill the process long
// before a larger maxmemory stopped its writes. The heap limit can only be set when a process
// starts (v8.setFlagsFromString is too late), so `serve` runs itself again, in a child process with
// --max-old-space-size, when its own heap is too small. The parent then only relays: the child
// shares its stdio, gets the signals the parent gets (SIGINT, SIGTERM, SIGHUP), and the parent
// exits as the child does (same code, or same signal). If the parent dies without relaying
// (SIGKILL), the child sees its IPC channel close and kills itself the same way, so a supervisor's
// kill -9 still ends the node.

import { spawn } from 'node:child_process';
import { getHeapStatistics } from 'node:v8';

const MiB = 1024 * 1024;

/** Set in the child's environment: it must not start another one. */
export const RELAUNCHED = 'LITTLE_RAFT_HEAP_RELAUNCHED';

const RELAYED: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/**
 * The heap a node with `maxmemory` needs: the data, half as much again (garbage the collector has
 * not reclaimed yet, a snapshot's copies), and 256 MiB for the rest of the process. 0: no limit.
 */
export function heapNeeded(maxmemory: number): number {
  return maxmemory === 0 ? 0 : Math.ceil(maxmemory * 1.5) + 256 * MiB;
}

/**
 * Starts this command again in a child process whose heap fits `maxmemory`, if this process's heap
 * does not; true if it did (this process then relays to it and exits as it does: do nothing more).
 */
export function relaunchForHeap(maxmemory: number): boolean {
  if (process.env[RELAUNCHED] !== undefined) {
    dieWithParent();
    return false;
  }
  const needed = heapNeeded(maxmemory);
  if (getHeapStatistics().heap_size_limit >= needed) return false;
  // After execArgv: the last --max-old-space-size given wins (a smaller one in it, or in NODE_OPTIONS).
  const args = [...process.execArgv, `--max-old-space-size=${Math.ceil(needed / MiB)}`, ...process.argv.slice(1)];
  const child = spawn(process.execPath, args, {
    stdio: ['inherit', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, [RELAUNCHED]: '1' },
  });
  const relay = (signal: NodeJS.Signals): void => void child.kill(signal);
  for (const signal of RELAYED) process.on(signal, relay);
  child.once('error', (e) => {
    console.error(`little-raft: cannot start a node with a heap of ${Math.ceil(needed / MiB)} MiB: ${e.message}`);
    process.exit(1);
  });
  child.once('exit', (code, signal) => {
    if (signal === null) process.exit(code ?? 1);
    for (const s of RELAYED) process.off(s, relay);
    process.kill(process.pid, signal);
  });
  return true;
}

/** In the child: if the parent is gone (its IPC channel closed), end as abruptly as it did. */
function dieWithParent(): void {
  if (process.channel === undefined) return;
  process.channel.unref(); // the channel alone does not keep the node running
  process.once('disconnect', () => process.kill(process.pid, 'SIGKILL'));
}
