// ClusterWatcher against a fake request function: member views (down when a node does not
// answer or the supervisor says so), rates, and the events derived from successive polls.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { ClusterWatcher, type MemberSource } from '../../src/dashboard/cluster-watcher.js';
import type { ClusterEvent } from '../../src/dashboard/types.js';

interface FakeNode {
  role: 'leader' | 'follower' | 'learner' | 'candidate';
  term: number;
  commitIndex: number;
  lastLogIndex: number;
  snapshotIndex: number;
  writes: number;
  /** Does not answer (connection refused). */
  dead?: boolean;
}

function statusOf(id: number, n: FakeNode): Record<string, unknown> {
  return {
    id,
    role: n.role,
    term: n.term,
    leaderId: null,
    commitIndex: n.commitIndex,
    lastApplied: n.commitIndex,
    lastLogIndex: n.lastLogIndex,
    snapshotIndex: n.snapshotIndex,
    redis: `127.0.0.1:${6378 + id}`,
    http: `127.0.0.1:${8079 + id}`,
    connectedPeers: [],
    replicationLag: {},
    members: [1, 2, 3].map((m) => ({ id: m, raft: `127.0.0.1:${7000 + m}`, redis: null, http: null })),
    keys: 5,
    memoryBytes: 1 << 20,
    requests: {
      writes: n.writes,
      reads: 0,
      latency: { bounds: [0.001, 0.01], counts: [n.writes, n.writes, n.writes] },
    },
    eventLoopDelayMs: 1,
  };
}

function fakeCluster() {
  const nodes = new Map<number, FakeNode>([
    [1, { role: 'leader', term: 2, commitIndex: 10, lastLogIndex: 10, snapshotIndex: 0, writes: 0 }],
    [2, { role: 'follower', term: 2, commitIndex: 10, lastLogIndex: 10, snapshotIndex: 0, writes: 0 }],
    [3, { role: 'follower', term: 2, commitIndex: 10, lastLogIndex: 10, snapshotIndex: 0, writes: 0 }],
  ]);
  const down = new Map<number, string>();
  let clock = 1_000_000;
  const watcher = new ClusterWatcher({
    sources: (): MemberSource[] =>
      [...nodes.keys()].map((id) => ({ id, http: `127.0.0.1:${8079 + id}`, down: down.get(id) ?? null })),
    request: (url) => {
      const id = Number(/:(\d+)\/status$/.exec(url)![1]) - 8079;
      const n = nodes.get(id)!;
      if (n.dead === true) return Promise.reject(new Error('fetch failed', { cause: { code: 'ECONNREFUSED' } }));
      return Promise.resolve(statusOf(id, n));
    },
    controls: false,
    now: () => clock,
  });
  const poll = async (): Promise<ClusterEvent[]> => {
    clock += 1000;
    const before = watcher.current().events.length;
    return (await watcher.pollOnce()).events.slice(before);
  };
  return { nodes, down, watcher, poll };
}

test('the first poll shows every member and derives no event', async () => {
  const { watcher, poll } = fakeCluster();
  assert.deepEqual(await poll(), []);
  const members = watcher.current().members;
  assert.deepEqual(
    members.map((m) => [m.id, m.role, m.raft]),
    [
      [1, 'leader', '127.0.0.1:7001'],
      [2, 'follower', '127.0.0.1:7002'],
      [3, 'follower', '127.0.0.1:7003'],
    ],
  );
});

test('a new leader in a higher term is an election and a leader change', async () => {
  const { nodes, poll } = fakeCluster();
  await poll();
  Object.assign(nodes.get(1)!, { role: 'follower', term: 3 });
  Object.assign(nodes.get(2)!, { role: 'leader', term: 3 });
  nodes.get(3)!.term = 3;
  const events = await poll();
  assert.deepEqual(
    events.map((e) => [e.kind, e.member, e.term]),
    [
      ['election', 2, 3],
      ['leader', 2, 3],
    ],
  );
  assert.deepEqual(await poll(), [], 'nothing changed: no event');
});

test('a member that does not answer is down with the reason, and up again when it answers', async () => {
  const { nodes, down, watcher, poll } = fakeCluster();
  await poll();
  nodes.get(3)!.dead = true;
  let events = await poll();
  assert.deepEqual(
    events.map((e) => [e.kind, e.member]),
    [['down', 3]],
  );
  const three = watcher.current().members.find((m) => m.id === 3)!;
  assert.equal(three.role, 'down');
  assert.equal(three.down, 'unreachable (ECONNREFUSED)');
  assert.equal(three.commitIndex, 10, 'a down member keeps what it showed last');
  nodes.get(3)!.dead = false;
  events = await poll();
  assert.deepEqual(
    events.map((e) => [e.kind, e.member, e.text]),
    [['up', 3, 'node 3 back as follower']],
  );
  // The supervisor's word wins over asking the node.
  down.set(2, 'SIGKILL');
  events = await poll();
  assert.deepEqual(
    events.map((e) => [e.kind, e.text]),
    [['down', 'node 2 down: SIGKILL']],
  );
});

test('a snapshot within the log is taken; one past it is installed', async () => {
  const { nodes, poll } = fakeCluster();
  await poll();
  nodes.get(1)!.snapshotIndex = 8; // the leader compacts its own log (last index 10)
  Object.assign(nodes.get(3)!, { snapshotIndex: 40, lastLogIndex: 40, commitIndex: 40 }); // sent by the leader
  const events = await poll();
  assert.deepEqual(
    events.map((e) => [e.kind, e.member]),
    [
      ['snapshot-taken', 1],
      ['snapshot-installed', 3],
    ],
  );
});

test('rates and latency come from the counters between two polls', async () => {
  const { nodes, watcher, poll } = fakeCluster();
  await poll();
  nodes.get(1)!.writes = 500; // all within the first bucket (<= 1 ms)
  await poll();
  const leader = watcher.current().members.find((m) => m.id === 1)!;
  assert.equal(leader.writesPerSec, 500);
  assert.ok(leader.latencyP99Ms !== null && leader.latencyP99Ms <= 1, `p99 ${leader.latencyP99Ms}`);
  assert.equal(watcher.current().members.find((m) => m.id === 2)!.latencyP50Ms, null, 'no requests: no latency');
});

test('a bad /status body is shown as the reason the member is down', async () => {
  const watcher = new ClusterWatcher({
    sources: () => [{ id: 1, http: '127.0.0.1:1', down: null }],
    request: () => Promise.resolve({ role: 'leader', term: 'two' }),
    controls: true,
  });
  const state = await watcher.pollOnce();
  assert.equal(state.members[0]!.role, 'down');
  assert.match(state.members[0]!.down!, /^bad \/status: /);
  assert.equal(state.controls, true);
});

test("a node's first requests have a latency though its histogram had no buckets before them", async () => {
  let served = 0;
  const watcher = new ClusterWatcher({
    sources: () => [{ id: 1, http: '127.0.0.1:8080', down: null }],
    request: () => {
      const body = statusOf(1, {
        role: 'leader',
        term: 1,
        commitIndex: 1,
        lastLogIndex: 1,
        snapshotIndex: 0,
        writes: served,
      });
      // As prom-client has it before the first request: the +Inf count only.
      if (served === 0) body.requests = { writes: 0, reads: 0, latency: { bounds: [], counts: [0] } };
      return Promise.resolve(body);
    },
    controls: false,
  });
  await watcher.pollOnce();
  served = 10;
  const [leader] = (await watcher.pollOnce()).members;
  assert.notEqual(leader!.latencyP50Ms, null);
});
