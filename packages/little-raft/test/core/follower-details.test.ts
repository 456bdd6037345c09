// Follower-side details that the mutation run (`npm run mutation`) showed no test pinned down:
// snapshot chunks that do not continue the transfer, malformed appends, commit never going
// backwards, and a candidate that lost keeping its vote.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { CoreNet, type Msg } from '../support/core-net.js';
import { Raft } from '../../src/core/raft.js';
import type { ReplicaId, SnapshotChunk } from '../../src/core/types.js';
import { MemoryStorage } from '../../src/storage/memory.js';
import { bytes, drain, membership } from './util.js';

function settled(): { net: CoreNet; leader: ReplicaId; a: ReplicaId; b: ReplicaId } {
  const net = new CoreNet([1, 2, 3]);
  const leader = net.electLeader();
  net.propose(leader, 'x', 'y');
  net.advance(30);
  const [a, b] = [1, 2, 3].filter((id) => id !== leader) as [ReplicaId, ReplicaId];
  return { net, leader, a, b };
}

test('snapshot chunks that do not continue the transfer are answered with the offset expected, and change nothing', () => {
  const { net, leader, a } = settled();
  const f = net.raft(a);
  const data = bytes(300);
  const chunk = (extra: Partial<SnapshotChunk<Uint8Array>>): Msg => ({
    type: 'snapshot',
    from: leader,
    to: a,
    term: f.term,
    lastIncludedIndex: 50,
    lastIncludedTerm: f.term,
    config: membership([1, 2, 3]),
    termStarts: [],
    offset: 0,
    data: data.subarray(0, 100),
    done: false,
    seq: 0,
    ...extra,
  });
  const answers = () =>
    drain(net, a).messages.flatMap((m) =>
      m.type === 'snapshot-response' ? [[m.lastIncludedIndex, m.nextOffset]] : [],
    );
  f.step(chunk({}));
  assert.deepEqual(answers(), [[50, 100]]);
  f.step(chunk({ offset: 200, data: data.subarray(200) })); // a gap
  f.step(chunk({ offset: 100, lastIncludedTerm: f.term - 1, data: data.subarray(100, 200) })); // another snapshot
  f.step(chunk({ offset: 100, lastIncludedIndex: 60, data: data.subarray(100, 200) })); // another snapshot
  assert.deepEqual(answers(), [
    [50, 100],
    [50, 0],
    [60, 0],
  ]);
  assert.equal(f.log.snapshotIndex, 0);
  f.step(chunk({ offset: 100, data: data.subarray(100, 200) }));
  f.step(chunk({ offset: 200, data: data.subarray(200), done: true }));
  assert.equal(f.log.snapshotIndex, 50);
  drain(net, a);
  assert.deepEqual(net.node(a).snapshotLoaded?.data, data);
});

test('a multi-chunk snapshot whose data is not bytes is dropped and counted', () => {
  const { net, leader, a } = settled();
  const f = net.raft(a);
  const base = {
    type: 'snapshot',
    from: leader,
    to: a,
    term: f.term,
    lastIncludedIndex: 50,
    lastIncludedTerm: f.term,
    config: membership([1, 2, 3]),
    termStarts: [] as number[],
    offset: 0,
    done: false,
    seq: 0,
  } as const;
  f.step({ ...base, data: { not: 'bytes' } as unknown as Uint8Array });
  assert.equal(f.dropped['malformed-snapshot-chunk'], 1);
  assert.equal(f.log.snapshotIndex, 0);
});

test('a snapshot at or below the commit index is acknowledged at the commit index, not installed', () => {
  const { net, leader, a } = settled();
  const f = net.raft(a);
  const commit = f.commit;
  assert.ok(commit >= 2);
  f.step({
    type: 'snapshot',
    from: leader,
    to: a,
    term: f.term,
    lastIncludedIndex: commit - 1,
    lastIncludedTerm: f.log.term(commit - 1)!,
    config: membership([1, 2, 3]),
    termStarts: [],
    offset: 0,
    data: bytes(10),
    done: true,
    seq: 0,
  });
  const acks = drain(net, a).afterWrite.flatMap((m) => (m.type === 'append-response' ? [[m.success, m.index]] : []));
  assert.deepEqual(acks, [[true, commit]]);
  assert.equal(f.log.snapshotIndex, 0);
});

test('appends whose entries do not follow prevLogIndex one by one are dropped and counted', () => {
  const { net, leader, a } = settled();
  const f = net.raft(a);
  const last = f.log.lastIndex;
  const term = f.term;
  const append = (indices: number[]): Msg => ({
    type: 'append',
    from: leader,
    to: a,
    term,
    prevLogIndex: last,
    prevLogTerm: f.log.term(last)!,
    entries: indices.map((index) => ({ index, term, transition: { id: `e${index}` } })),
    leaderCommit: 0,
    seq: 0,
  });
  f.step(append([last + 2]));
  f.step(append([last + 1, last + 3]));
  f.step(append([last + 2, last + 2]));
  assert.equal(f.dropped['malformed-append'], 3);
  assert.equal(f.log.lastIndex, last);
});

test("a heartbeat carrying a lower leaderCommit never lowers the follower's commit index", () => {
  const { net, leader, a } = settled();
  const f = net.raft(a);
  const commit = f.commit;
  f.step({
    type: 'append',
    from: leader,
    to: a,
    term: f.term,
    prevLogIndex: 1,
    prevLogTerm: f.log.term(1)!,
    entries: [],
    leaderCommit: 1,
    seq: 0,
  });
  assert.equal(f.commit, commit);
  // Entry 1 is durable here, so the answer leaves at once.
  assert.equal(drain(net, a).messages.filter((m) => m.type === 'append-response' && m.success).length, 1);
  assert.equal(f.hardState().commit, commit);
});

test('a candidate that lost keeps its own vote for the term; its requests are not transfers', () => {
  const raft = new Raft<{ id: string }, Uint8Array>({
    id: 1,
    bootstrap: membership([1, 2, 3]),
    heartbeatInterval: 10,
    electionTimeoutRange: [100, 200],
    random: () => 0.5,
    noop: { id: 'noop' },
    stored: new MemoryStorage<{ id: string }, Uint8Array>().load(),
    preVote: false,
  });
  raft.tick(200);
  assert.equal(raft.role, 'candidate');
  const term = raft.term;
  const out = raft.ready(true);
  const requests = out?.afterWrite.filter((m) => m.type === 'vote-request') ?? [];
  assert.equal(requests.length, 2);
  for (const r of requests) assert.ok(r.type === 'vote-request' && !r.transfer && !r.preVote);
  for (const from of [2, 3]) raft.step({ type: 'vote-response', from, to: 1, term, granted: false, preVote: false });
  assert.equal(raft.role, 'follower', 'lost: back to follower at once');
  assert.equal(raft.term, term);
  assert.equal(raft.vote, 1, 'still voted for itself in this term');
  raft.step({
    type: 'vote-request',
    from: 2,
    to: 1,
    term,
    lastLogIndex: 10,
    lastLogTerm: term,
    preVote: false,
    transfer: false,
  });
  const answers = raft.ready(true)?.messages.filter((m) => m.type === 'vote-response') ?? [];
  assert.deepEqual(
    answers.map((m) => m.type === 'vote-response' && m.granted),
    [false],
  );
});
