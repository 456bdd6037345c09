// The leader faults the linearizability tests put a running cluster through (linearizable.test.ts,
// blocking-linearizable.test.ts): each notes what it did in `faults` and returns the moment
// (performance.now(), the clock of the histories) from which the cluster is whole again, so a test
// can check that operations went on after it.
import { performance } from 'node:perf_hooks';

import { type KvTestCluster, sleep } from './kv-cluster.js';

/** SIGSTOPs the leader for `ms`, then SIGCONTs it (also when interrupted); when it was thawed. */
export async function freezeLeader(cluster: KvTestCluster, ms: number, faults: string[]): Promise<number> {
  const frozenId = await cluster.waitForLeader();
  const frozen = cluster.node(frozenId).process!;
  frozen.kill('SIGSTOP');
  faults.push(`froze node ${frozenId}`);
  try {
    await sleep(ms);
  } finally {
    frozen.kill('SIGCONT');
  }
  return performance.now();
}

/** SIGKILLs the leader and starts it again after `downMs`, on its data; when it was restarted. */
export async function killAndRestartLeader(cluster: KvTestCluster, downMs: number, faults: string[]): Promise<number> {
  const killedId = await cluster.waitForLeader();
  await cluster.kill(killedId, 'SIGKILL');
  faults.push(`killed node ${killedId}`);
  await sleep(downMs);
  cluster.launch(cluster.node(killedId));
  return performance.now();
}
