// Membership of a running cluster, end to end with real processes, while clients on every node SET
// and GET registers: grow 3 -> 5 (nodes join with --join, as learners, and are promoted by the
// leader once caught up), shrink back to 3 (`member remove`: a removed node says so and exits),
// remove the leader (it hands leadership over first), and replace a node whose data directory was
// lost (remove its id, start an empty server under a new id with --join). The whole history must be
// linearizable (the simulator's checker): no acknowledged write lost, no stale read.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { test } from 'node:test';

import type { HistoryEntry } from 'little-raft/sim';
import { eventually } from '../support/eventually.js';
import { KvTestCluster, sleep, withLogs } from '../support/kv-cluster.js';
import {
  assertLinearizable,
  historySummary,
  registerClient,
  type RegisterClient,
} from '../support/register-clients.js';

interface Row {
  id: number;
  raft: string | null;
  redis: string | null;
  http: string | null;
  role: string;
  lag: number | null;
  connected: boolean;
}

test('grow 3 -> 5, shrink to 3, remove the leader, replace a lost node: all under load, linearizable', async (t) => {
  const cluster = await KvTestCluster.start(t);
  const history: HistoryEntry[] = [];
  const clients: RegisterClient[] = [];
  const addClient = (id: number): void => {
    clients.push(registerClient(t, cluster.node(id).redisPort, clients.length, history));
  };
  for (const node of cluster.nodes) addClient(node.id);
  const steps: string[] = [];

  /** `little-raft member <args>` against a running member's HTTP port. */
  const member = async (
    args: string[],
    via?: number,
  ): Promise<{ code: number | null; stdout: string; stderr: string }> => {
    const through = via ?? cluster.nodes.find((n) => n.process !== null)!.id;
    const r = await cluster.cli([
      'member',
      ...args,
      '--node',
      `127.0.0.1:${cluster.node(through).httpPort}`,
      '--secret-file',
      cluster.secretFile,
    ]);
    steps.push(`member ${args.join(' ')} -> ${r.code}`);
    return r;
  };
  const list = async (): Promise<Row[]> => {
    const r = await member(['list', '--json']);
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout) as Row[];
  };
  const leaderStatus = async (): Promise<Record<string, unknown>> => {
    const id = await cluster.waitForLeader(
      30_000,
      cluster.nodes.filter((n) => n.process !== null).map((n) => n.id),
    );
    return (await cluster.status(id))!;
  };
  const waitVoters = (voters: number[]): Promise<void> =>
    eventually(
      async () => {
        const s = await leaderStatus().catch(() => null);
        return (
          s !== null &&
          JSON.stringify(s['voters']) === JSON.stringify(voters) &&
          (s['learners'] as number[]).length === 0
        );
      },
      () => `voters ${voters.join(',')} (steps: ${steps.join('; ')})`,
      60_000,
    );

  await withLogs(cluster, async () => {
    try {
      await sleep(1000);
      // Grow: two empty servers join through different members; each is a learner, then a voter.
      await cluster.addNode(1);
      await waitVoters([1, 2, 3, 4]);
      addClient(4);
      await cluster.addNode(2);
      await waitVoters([1, 2, 3, 4, 5]);
      addClient(5);
      steps.push('grew to 5');
      const five = await list();
      assert.deepEqual(
        five.map((m) => m.id),
        [1, 2, 3, 4, 5],
      );
      assert.equal(five.filter((m) => m.role === 'leader').length, 1, JSON.stringify(five));
      for (const m of five) {
        assert.equal(m.connected, true, JSON.stringify(m));
        assert.equal(m.redis, `127.0.0.1:${cluster.node(m.id).redisPort}`);
        assert.equal(m.http, `127.0.0.1:${cluster.node(m.id).httpPort}`);
      }

      // Shrink: remove the two that joined; each removed node says so and exits on its own.
      for (const id of [5, 4]) {
        const exited = new Promise<number | null>((resolve) => cluster.node(id).process!.once('exit', resolve));
        const r = await member(['remove', '--id', String(id)]);
        assert.equal(r.code, 0, r.stderr);
        assert.equal(await exited, 0, `node ${id} exits 0 once removed`);
        assert.match(cluster.node(id).output, /was removed from the cluster/);
      }
      await waitVoters([1, 2, 3]);
      steps.push('shrank to 3');

      // Replace: a follower loses its disk. Taking out the other follower now would leave 1 live
      // voter of 2: refused. Its own id is removed (2 live of 2 left), and an empty server joins
      // under a new id and becomes a voter.
      const first = (await leaderStatus())['id'] as number;
      const [lost, other] = [1, 2, 3].filter((id) => id !== first) as [number, number];
      await cluster.kill(lost);
      rmSync(cluster.node(lost).dataDir, { recursive: true, force: true });
      const refused = await member(['remove', '--id', String(other)]);
      assert.equal(refused.code, 1, refused.stdout);
      assert.match(refused.stderr, /quorum/);
      assert.equal(refused.stderr.trim().split('\n').length, 1, refused.stderr);
      const r1 = await member(['remove', '--id', String(lost)]);
      assert.equal(r1.code, 0, r1.stderr);
      await waitVoters([first, other].sort((a, b) => a - b));
      const replacement = await cluster.addNode(first, 6);
      await waitVoters([first, other, replacement.id].sort((a, b) => a - b));
      addClient(replacement.id);
      steps.push(`replaced ${lost} by ${replacement.id}`);

      // Remove the leader: it hands leadership over, then the new leader takes it out.
      const leader = (await leaderStatus())['id'] as number;
      const removed = new Promise<number | null>((resolve) => cluster.node(leader).process!.once('exit', resolve));
      const r2 = await member(['remove', '--id', String(leader)], leader);
      assert.equal(r2.code, 0, r2.stderr);
      assert.equal(await removed, 0);
      await waitVoters([first, other, replacement.id].filter((id) => id !== leader).sort((a, b) => a - b));
      steps.push(`removed leader ${leader}`);
      await sleep(1500);
    } finally {
      await Promise.all(clients.map((c) => c.stop()));
    }
    const { puts, gets, unknown } = historySummary(history);
    const summary = `${puts} puts, ${gets} gets, ${unknown} unknown; ${steps.join('; ')}`;
    t.diagnostic(summary);
    assert.ok(puts >= 100 && gets >= 100, `too little got through: ${summary}`);
    assertLinearizable(history, summary);
  })();
});
