// Membership changes meeting faults, where Jepsen found split-brain and lost updates in RedisRaft:
// a change made while the old leader is cut off by a network partition, and changes interrupted by
// SIGKILL (of the leader while it promotes a new member, of the new member while it catches up).
// Throughout, every node's /status is watched: no two nodes may lead in the same term. Clients on
// the nodes SET and GET registers, and the history must be linearizable.
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';

import type { HistoryEntry } from 'little-raft/sim';
import { eventually } from '../support/eventually.js';
import { KvTestCluster, sleep, withLogs } from '../support/kv-cluster.js';
import {
  assertLinearizable,
  historySummary,
  registerClient,
  type RegisterClient,
} from '../support/register-clients.js';

/** Watches every node's role and term until stopped; fails the test if two lead in one term. */
class LeaderWatch {
  private readonly leaders = new Map<number, number>();
  private readonly conflicts: string[] = [];
  private stopped = false;
  private readonly done: Promise<void>;

  constructor(
    t: TestContext,
    private readonly cluster: KvTestCluster,
  ) {
    this.done = this.run();
    // A test that fails before stop() must not leave the loop polling forever (the file would hang).
    t.after(() => {
      this.stopped = true;
    });
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      const running = this.cluster.nodes.filter((n) => n.process !== null);
      const views = await Promise.all(running.map((n) => this.cluster.status(n.id)));
      for (const v of views) {
        if (v?.['role'] !== 'leader') continue;
        const term = v['term'] as number;
        const id = v['id'] as number;
        const known = this.leaders.get(term);
        if (known === undefined) this.leaders.set(term, id);
        else if (known !== id) this.conflicts.push(`term ${term}: nodes ${known} and ${id} both led`);
      }
      await sleep(30);
    }
  }

  async stop(): Promise<{ terms: number }> {
    this.stopped = true;
    await this.done;
    assert.deepEqual(this.conflicts, [], 'one leader per term');
    return { terms: this.leaders.size };
  }
}

function startClients(
  t: TestContext,
  cluster: KvTestCluster,
  ids: number[],
  history: HistoryEntry[],
): RegisterClient[] {
  return ids.map((id, i) => registerClient(t, cluster.node(id).redisPort, i, history));
}

/** After a run: one leader per term, enough operations, and a linearizable history. */
async function checkRun(t: TestContext, watch: LeaderWatch, history: HistoryEntry[], steps: string[]): Promise<void> {
  const { terms } = await watch.stop();
  const { puts, gets, unknown } = historySummary(history);
  const summary = `${puts} puts, ${gets} gets, ${unknown} unknown, ${terms} terms; ${steps.join('; ')}`;
  t.diagnostic(summary);
  assert.ok(puts >= 50 && gets >= 50, `too little got through: ${summary}`);
  assertLinearizable(history, summary);
}

async function voters(cluster: KvTestCluster, among: number[]): Promise<number[] | null> {
  const leader = await cluster.waitForLeader(30_000, among).catch(() => null);
  if (leader === null) return null;
  const s = await cluster.status(leader);
  return s === null || (s['learners'] as number[]).length > 0 ? null : (s['voters'] as number[]);
}

test('a member removed while the old leader is cut off: no split brain, and the old leader stays out', async (t) => {
  const cluster = await KvTestCluster.start(t, { linkProxies: true });
  const history: HistoryEntry[] = [];
  const clients = startClients(t, cluster, [1, 2, 3], history);
  const watch = new LeaderWatch(t, cluster);
  const steps: string[] = [];
  await withLogs(cluster, async () => {
    try {
      await sleep(1000);
      const old = await cluster.waitForLeader();
      const majority = [1, 2, 3].filter((id) => id !== old);
      cluster.links.isolate(old);
      steps.push(`isolated ${old}`);
      const leader = await cluster.waitForLeader(30_000, majority);
      // The majority takes the cut-off leader out; the old leader cannot change anything.
      const r = await cluster.cli(['member', 'remove', '--id', String(old), '--node', `127.0.0.1:${cluster.node(leader).httpPort}`, '--secret-file', cluster.secretFile]); // prettier-ignore
      assert.equal(r.code, 0, r.stderr);
      const onOld = await cluster.cli(['member', 'add', '--id', '9', '--raft', '127.0.0.1:1', '--node', `127.0.0.1:${cluster.node(old).httpPort}`, '--secret-file', cluster.secretFile, '--timeout', '3000']); // prettier-ignore
      assert.equal(onOld.code, 1, `the cut-off node cannot make a change: ${onOld.stdout}`);
      steps.push(`removed ${old}; change on it refused: ${onOld.stderr.trim()}`);
      await sleep(1000);
      cluster.links.heal();
      steps.push('healed');
      await eventually(async () => JSON.stringify(await voters(cluster, majority)) === JSON.stringify(majority), 'the two left are the voters', 30_000); // prettier-ignore
      // The removed node learns it (from the configuration or the leader) or hears from no member.
      await eventually(
        async () => {
          const s = await fetch(`http://127.0.0.1:${cluster.node(old).httpPort}/health`).then((x) => x.json() as Promise<Record<string, unknown>>).catch(() => null); // prettier-ignore
          return cluster.node(old).process === null || (s !== null && (s['problem'] !== undefined || s['excluded'] !== undefined)); // prettier-ignore
        },
        'the removed node says it was removed, or that no member answers it',
        30_000,
      );
      await sleep(1000);
    } finally {
      await Promise.all(clients.map((c) => c.stop()));
    }
    await checkRun(t, watch, history, steps);
  })();
});

test('changes interrupted by SIGKILL of the leader and of the joining node complete, with one leader per term', async (t) => {
  const cluster = await KvTestCluster.start(t);
  const history: HistoryEntry[] = [];
  const clients = startClients(t, cluster, [1, 2, 3], history);
  const watch = new LeaderWatch(t, cluster);
  const steps: string[] = [];
  await withLogs(cluster, async () => {
    try {
      await sleep(1000);
      // Node 4 joins; the moment it is a learner, the leader (which is to promote it) is killed.
      const joining = await cluster.addNode(1);
      await eventually(async () => {
        const leader = await cluster.waitForLeader(30_000, [1, 2, 3]).catch(() => null);
        const s = leader === null ? null : await cluster.status(leader);
        return s !== null && [...(s['learners'] as number[]), ...(s['voters'] as number[])].includes(4);
      }, 'node 4 is in the configuration');
      const leader = await cluster.waitForLeader(30_000, [1, 2, 3]);
      await cluster.kill(leader);
      steps.push(`killed leader ${leader} with node 4 joining`);
      await sleep(1000);
      cluster.launch(cluster.node(leader));
      // The node that joined is killed while it catches up and started again with the same flags:
      // it belongs to the cluster already, so it just starts.
      await cluster.kill(joining.id);
      steps.push('killed node 4');
      await sleep(500);
      cluster.launch(joining);
      await eventually(async () => JSON.stringify(await voters(cluster, [1, 2, 3, 4])) === '[1,2,3,4]', 'node 4 becomes a voter', 60_000); // prettier-ignore
      steps.push('node 4 is a voter');
      await sleep(1000);
    } finally {
      await Promise.all(clients.map((c) => c.stop()));
    }
    await checkRun(t, watch, history, steps);
  })();
});
