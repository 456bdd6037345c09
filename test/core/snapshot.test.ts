// Raft §7 (log compaction): snapshots sent to followers behind the leader's log start.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { CoreNet, type Msg } from '../support/core-net.js';
import { Raft } from '../../src/core/raft.js';
import type { SnapshotChunk } from '../../src/core/types.js';
import { MemoryStorage } from '../../src/storage/memory.js';
import { bytes, compactAt, entriesOf, membership, netFrom, run, campaignAlone, termsOf } from './util.js';

type Chunk = SnapshotChunk<Uint8Array>;
const isChunkTo = (id: number) => (m: Msg) => m.type === 'snapshot' && m.to === id;

/**
 * A 3-node cluster where node 3 was down while `n` entries were committed and the leader
 * compacted its log with a snapshot of `data`; then node 3 restarts.
 */
function laggingFollower(data: Uint8Array, options = {}, n = 40): { net: CoreNet; leader: number; snapIndex: number } {
  const net = new CoreNet([1, 2, 3], { snapshotChunkBytes: 1024, ...options });
  const leader = net.electLeader();
  assert.notEqual(leader, 3, 'seed must not elect node 3');
  net.advance(20); // everyone has the noop
  net.crash(3);
  for (let i = 0; i < n; i++) net.propose(leader, `x${i}`);
  net.advance(20);
  const snapIndex = net.raft(leader).applied;
  assert.ok(snapIndex > n, 'the proposals were applied on the leader');
  compactAt(net, leader, data, snapIndex);
  assert.equal(net.raft(leader).log.snapshotIndex, snapIndex);
  assert.ok(net.raft(3).log.lastIndex < snapIndex, 'node 3 is behind the log start');
  net.sent = [];
  net.restart(3);
  return { net, leader, snapIndex };
}

test('a follower behind the log start receives the snapshot in chunks and catches up by appends', () => {
  const data = bytes(10_000);
  const { net, leader, snapIndex } = laggingFollower(data);
  net.advance(50);

  const chunks = net.sent.filter(isChunkTo(3)) as Chunk[];
  assert.equal(chunks.length, 10, 'ceil(10000 / 1024) chunks, each sent once');
  assert.deepEqual(
    chunks.map((c) => (c.data as Uint8Array).length),
    [...new Array<number>(9).fill(1024), 10_000 - 9 * 1024],
  );
  assert.deepEqual(
    chunks.map((c) => c.offset),
    chunks.map((_, i) => i * 1024),
  );
  assert.deepEqual(
    chunks.map((c) => c.done),
    [...new Array<boolean>(9).fill(false), true],
  );
  for (const c of chunks) assert.ok((c.data as Uint8Array).length <= 1024);
  for (const c of chunks) assert.equal(c.lastIncludedIndex, snapIndex);

  // Reassembled byte for byte, loaded into the state machine and persisted.
  const loaded = net.node(3).snapshotLoaded;
  assert.ok(loaded);
  assert.equal(loaded.lastIncludedIndex, snapIndex);
  assert.deepEqual(loaded.data, data);
  const stored = net.node(3).storage.load().snapshot;
  assert.ok(stored);
  assert.deepEqual(stored.data, data);
  assert.equal(stored.lastIncludedIndex, snapIndex);
  assert.equal(net.raft(3).log.snapshotIndex, snapIndex);

  // Then it caught up by appends: new entries reach it without another snapshot.
  net.propose(leader, 'after');
  net.advance(30);
  assert.equal(net.sent.filter(isChunkTo(3)).length, 10, 'no further snapshot was needed');
  assert.deepEqual(termsOf(net, 3), termsOf(net, leader));
  assert.equal(net.raft(3).log.lastIndex, net.raft(leader).log.lastIndex);
  assert.equal(net.raft(3).commit, net.raft(leader).commit);
  // The noop it had before crashing is replayed at restart; x0..x39 came in the snapshot.
  assert.deepEqual(
    net.node(3).applied.map((c) => c.id),
    ['noop', 'after'],
  );
});

test('a lost snapshot chunk is resent, and the snapshot still arrives byte-identical', () => {
  const data = bytes(10_000, 3);
  const { net } = laggingFollower(data);
  let dropped = 0;
  net.filter = (m) => {
    if (m.type === 'snapshot' && m.offset === 2048 && dropped === 0) {
      dropped++;
      return false;
    }
    return true;
  };
  net.advance(100);
  assert.equal(dropped, 1);
  const offsets = (net.sent.filter(isChunkTo(3)) as Chunk[]).map((c) => c.offset);
  assert.equal(offsets.filter((o) => o === 2048).length, 2, 'the lost chunk was sent again');
  assert.equal(offsets.filter((o) => o === 0).length, 1, 'the transfer resumed, not restarted');
  assert.equal(offsets.length, 11);
  assert.deepEqual(net.node(3).snapshotLoaded?.data, data);
});

test('non-Uint8Array snapshot data is sent whole, in one message', () => {
  const state = { kv: { a: '1', b: '2' }, padding: 'p'.repeat(5000) };
  const { net, snapIndex } = laggingFollower(state as unknown as Uint8Array);
  net.advance(50);
  const chunks = net.sent.filter(isChunkTo(3)) as Chunk[];
  assert.equal(chunks.length, 1);
  assert.equal(chunks[0]!.done, true);
  assert.equal(chunks[0]!.offset, 0);
  assert.deepEqual(chunks[0]!.data, state);
  assert.deepEqual(net.node(3).snapshotLoaded?.data, state);
  assert.equal(net.raft(3).log.snapshotIndex, snapIndex);
});

test('a follower whose log already holds the snapshot point keeps its log and catches up without loading it', () => {
  const net = new CoreNet([1, 2, 3], { snapshotChunkBytes: 1024 });
  const leader = net.electLeader();
  net.advance(20);
  // Node 3 receives everything but its acks are lost, so the leader thinks it is behind.
  net.filter = (m) => !(m.from === 3 && m.type === 'append-response');
  for (let i = 0; i < 30; i++) net.propose(leader, `x${i}`);
  net.advance(20);
  compactAt(net, leader, bytes(5000));
  const snapIndex = net.raft(leader).log.snapshotIndex;
  assert.equal(net.raft(3).log.term(snapIndex), net.raft(leader).log.snapshotTerm);
  net.sent = [];
  net.heal();
  net.advance(50);
  assert.ok(net.sent.some(isChunkTo(3)), 'the leader did send it the snapshot');
  assert.equal(net.node(3).snapshotLoaded, null, 'no snapshot was loaded');
  assert.equal(net.raft(3).log.snapshotIndex, 0, 'its log was not cut');
  assert.equal(net.raft(3).commit, net.raft(leader).commit);
  net.propose(leader, 'more');
  net.advance(20);
  assert.deepEqual(
    net.node(3).applied.map((c) => c.id),
    net.node(leader).applied.map((c) => c.id),
  );
  assert.equal(net.node(3).applied.at(-1)?.id, 'more');
});

test('a snapshot whose point the follower log already holds only advances commit (no truncation, no load)', () => {
  const storage = new MemoryStorage<{ id: string }, Uint8Array>({
    hardState: { term: 2, vote: null, commit: 5 },
    entries: entriesOf([...run(1, 10), ...run(2, 10)]),
  });
  const raft = new Raft<{ id: string }, Uint8Array>({
    id: 2,
    bootstrap: membership([1, 2, 3]),
    heartbeatInterval: 10,
    electionTimeoutRange: [100, 200],
    random: () => 0.5,
    noop: { id: 'noop' },
    stored: storage.load(),
  });
  raft.step({
    type: 'snapshot',
    from: 1,
    to: 2,
    term: 2,
    lastIncludedIndex: 15,
    lastIncludedTerm: 2,
    config: membership([1, 2, 3]),
    offset: 0,
    data: bytes(100),
    done: true,
    seq: 1,
  });
  assert.equal(raft.commit, 15);
  assert.equal(raft.log.lastIndex, 20, 'the entries after the snapshot point are kept');
  assert.equal(raft.log.snapshotIndex, 0);
  const r = raft.ready(true);
  assert.ok(r);
  assert.equal(r.snapshot, null);
  assert.equal(r.truncatedFrom, 0);
  assert.equal(r.write?.snapshot, undefined);
  assert.equal(r.write?.truncateFrom, undefined);
  assert.equal(r.write?.hardState?.commit, 15);
  assert.deepEqual(
    r.apply.map((e) => e.index),
    Array.from({ length: 15 }, (_, i) => i + 1), // a restarted core re-applies from its snapshot point (0)
  );
  assert.deepEqual(
    r.afterWrite.map((m) => [
      m.type,
      m.type === 'append-response' && m.success,
      m.type === 'append-response' && m.index,
    ]),
    [['append-response', true, 15]],
  );
});

test('a divergent follower whose conflict lies behind the leader snapshot gets the snapshot (no backtracking livelock)', () => {
  const config = membership([1, 2, 3]);
  const snapData = bytes(3000);
  const common = entriesOf(run(1, 50));
  const net = netFrom(
    [1, 2, 3],
    {
      // Leader-to-be: 51..55 of term 3, compacted through 52.
      1: {
        hardState: { term: 3, vote: 1, commit: 55 },
        snapshot: { lastIncludedIndex: 52, lastIncludedTerm: 3, data: snapData, config },
        entries: entriesOf(run(3, 3), 53),
      },
      2: { hardState: { term: 3, vote: 1, commit: 55 }, entries: [...common, ...entriesOf(run(3, 5), 51)] },
      // Stale follower: 51..60 of term 2, never committed.
      3: {
        hardState: { term: 2, vote: null, commit: 10 },
        entries: [...common, ...entriesOf(run(2, 10), 51, 'stale')],
      },
    },
    { snapshotChunkBytes: 1024 },
  );
  campaignAlone(net, 1);
  net.advance(50);
  assert.equal(net.raft(1).role, 'leader');
  const snapshots = net.sent.filter(isChunkTo(3)) as Chunk[];
  assert.equal(snapshots.length, 3);
  assert.deepEqual(net.node(3).snapshotLoaded?.data, snapData);
  assert.equal(net.raft(3).log.snapshotIndex, 52);
  assert.deepEqual(termsOf(net, 3), [
    [53, 3],
    [54, 3],
    [55, 3],
    [56, 4],
  ]);
  const rejections = net.sent.filter((m) => m.from === 3 && m.type === 'append-response' && !m.success);
  assert.ok(rejections.length <= 3, `${rejections.length} rejected appends`);
});
