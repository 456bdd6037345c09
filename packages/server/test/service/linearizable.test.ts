// End to end, in the manner of Jepsen: clients on every node SET and GET a few keys (each key a
// register) while the leader is frozen (SIGSTOP: cut off from the others, which elect a new
// leader), thawed, and later killed (SIGKILL) and restarted. The history of every operation, with
// its call and return times, must be linearizable (little-raft/sim checkLinearizable, the checker the
// simulator uses). A write refused with TRYAGAIN was not applied and is left out; one whose outcome
// is unknown (TIMEOUT, a dropped connection) may have taken effect at any time after its call; a
// read that failed says nothing. Values are unique, so a write applied twice (a forward resent
// and both copies applied) or a stale read shows up as a history with no linearization.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import type { HistoryEntry } from 'little-raft/sim';
import { KvTestCluster, sleep } from '../support/kv-cluster.js';
import { freezeLeader, killAndRestartLeader } from '../support/leader-faults.js';
import {
  assertLinearizable,
  historySummary,
  registerClient,
  type RegisterClient,
} from '../support/register-clients.js';

const CLIENTS_PER_NODE = 2;

test('reads and writes through every node stay linearizable across a partition and a crash of the leader', async (t) => {
  const cluster = await KvTestCluster.start(t);
  const history: HistoryEntry[] = [];
  const clients: RegisterClient[] = [];
  for (const node of cluster.nodes) {
    for (let i = 0; i < CLIENTS_PER_NODE; i++) clients.push(registerClient(t, node.redisPort, clients.length, history));
  }
  const faults: string[] = [];
  let thawedAt = Infinity;
  let restartedAt = Infinity;
  try {
    await sleep(1500);
    thawedAt = await freezeLeader(cluster, 2500, faults);
    await sleep(1500);
    restartedAt = await killAndRestartLeader(cluster, 1000, faults);
    await cluster.waitForLeader();
    await sleep(2000);
  } finally {
    await Promise.all(clients.map((c) => c.stop()));
  }

  const { puts, gets, unknown } = historySummary(history);
  const summary = `${puts} puts, ${gets} gets, ${unknown} puts of unknown outcome; ${faults.join(', ')}`;
  t.diagnostic(summary);
  assert.ok(puts >= 100 && gets >= 100, `too little got through to tell anything: ${summary}`);
  // Not vacuous: some reads saw another client's writes.
  // And not only before the faults: operations went on after the thaw and after the restart.
  const finishedAfter = (at: number): number =>
    history.filter((h) => h.invokedAt > at && h.returnedAt < Infinity).length;
  assert.ok(finishedAfter(thawedAt) >= 50, `${finishedAfter(thawedAt)} operations after the thaw: ${summary}`);
  assert.ok(finishedAfter(restartedAt) >= 50, `${finishedAfter(restartedAt)} after the restart: ${summary}`);
  const seenFromOthers = history.filter(
    (h) => h.op.kind === 'get' && h.op.result !== null && !h.op.result.startsWith(`c${h.client}:`),
  ).length;
  assert.ok(seenFromOthers > 0, `no read returned another client's write: ${summary}`);

  assertLinearizable(history, summary);
});
