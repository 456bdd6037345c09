// A node that `little-raft local` starts has an IPC channel to that supervisor. If the supervisor
// dies without stopping its nodes (kill -9, a crash), the channel closes, and the node stops as if
// sent SIGTERM: orphaned nodes would otherwise keep the cluster's ports, its data directories and
// the terminal's output, with no one left to stop them.

import { RELAUNCHED } from './heap-limit.js';

/** Ends this process (gracefully, through its SIGTERM handling) when its supervisor is gone. */
export function stopWithSupervisor(): void {
  // The heap relay's child watches its relay instead (heap-limit.ts); the relay watches us.
  if (process.channel === undefined || process.env[RELAUNCHED] !== undefined) return;
  process.channel.unref(); // the channel alone does not keep the node running
  process.once('disconnect', () => process.kill(process.pid, 'SIGTERM'));
}
