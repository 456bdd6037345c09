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
    termStarts: [1, 1, 11, 2],
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
        snapshot: { lastIncludedIndex: 52, lastIncludedTerm: 3, data: snapData, config, termStarts: [1, 1, 51, 3] },
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

/** Flattened [firstIndex, term] runs of the terms recorded for indices 1..through. */
function runsOf(terms: Map<number, number>, through: number): number[] {
  const runs: number[] = [];
  for (let i = 1; i <= through; i++) {
    const term = terms.get(i);
    assert.ok(term !== undefined, `the term of index ${i} was recorded`);
    if (term !== runs.at(-1)) runs.push(i, term);
  }
  return runs;
}

test('termStarts: right after several compactions across terms, persisted, and carried to a lagging follower', () => {
  const net = new CoreNet([1, 2, 3, 4, 5], { snapshotChunkBytes: 1024 });
  /** The term of every committed index, as seen before any node compacted it away. */
  const terms = new Map<number, number>();
  const compactAll = () => {
    for (const id of net.ids) {
      if (!net.node(id).up) continue;
      const raft = net.raft(id);
      for (const e of net.entries(id)) {
        if (e.index > raft.commit) break;
        assert.equal(terms.get(e.index) ?? e.term, e.term, `index ${e.index} has one committed term`);
        terms.set(e.index, e.term);
      }
      if (raft.applied > raft.log.snapshotIndex) compactAt(net, id, bytes(3000, id), raft.applied);
      const snap = raft.snapshot;
      if (snap) assert.deepEqual(snap.termStarts, runsOf(terms, snap.lastIncludedIndex), `node ${id}'s table`);
    }
  };

  let leader = net.electLeader();
  net.advance(20);
  const lagging = net.ids.find((id) => id !== leader)!;
  net.crash(lagging);
  // Four leaders in turn, each compacting every live node's log mid-term.
  for (let round = 0; round < 4; round++) {
    for (let i = 0; i < 5; i++) net.propose(leader, `r${round}.${i}`);
    net.advance(20);
    compactAll();
    net.propose(leader, `r${round}.last`);
    net.advance(20);
    const old = leader;
    net.crash(old);
    leader = net.electLeader();
    net.restart(old);
    net.advance(20);
  }
  compactAll();
  const snap = net.raft(leader).snapshot!;
  assert.ok(snap.termStarts.length >= 2 * 4, `several runs: ${snap.termStarts.join(',')}`);
  assert.deepEqual(snap.termStarts.slice(0, 2), [1, terms.get(1)], 'the table covers the whole log');
  // Persisted with the snapshot, and recovered on restart.
  assert.deepEqual(net.node(leader).storage.load().snapshot?.termStarts, snap.termStarts);

  // The lagging follower is sent the table with every chunk, and keeps it.
  net.sent = [];
  net.restart(lagging);
  net.advance(100);
  const chunks = net.sent.filter(isChunkTo(lagging)) as Chunk[];
  assert.ok(chunks.length >= 3, `${chunks.length} chunks`);
  for (const c of chunks) assert.deepEqual(c.termStarts, snap.termStarts);
  assert.equal(net.raft(lagging).log.snapshotIndex, snap.lastIncludedIndex);
  assert.deepEqual(net.raft(lagging).snapshot?.termStarts, snap.termStarts);
  assert.deepEqual(net.node(lagging).storage.load().snapshot?.termStarts, snap.termStarts);
  net.restart(lagging);
  assert.deepEqual(net.raft(lagging).snapshot?.termStarts, snap.termStarts, 'recovered from storage');

  // Its own next compaction extends the table it received.
  net.advance(20);
  for (let i = 0; i < 5; i++) net.propose(leader, `after.${i}`);
  net.advance(20);
  compactAll();
  const own = net.raft(lagging).snapshot!;
  assert.ok(own.lastIncludedIndex > snap.lastIncludedIndex);
  assert.deepEqual(own.termStarts, runsOf(terms, own.lastIncludedIndex));
});

test('termStarts keeps the last 1,024 runs', () => {
  const config = membership([1, 2, 3]);
  const old = Array.from({ length: 1024 }, (_, i) => [i + 1, i + 1]).flat();
  const storage = new MemoryStorage<{ id: string }, Uint8Array>({
    hardState: { term: 1026, vote: null, commit: 1026 },
    snapshot: { lastIncludedIndex: 1024, lastIncludedTerm: 1024, data: bytes(10), config, termStarts: old },
    entries: entriesOf([1025, 1026], 1025),
  });
  const raft = new Raft<{ id: string }, Uint8Array>({
    id: 2,
    bootstrap: config,
    heartbeatInterval: 10,
    electionTimeoutRange: [100, 200],
    random: () => 0.5,
    noop: { id: 'noop' },
    stored: storage.load(),
  });
  assert.equal(raft.ready(true)?.apply.length, 2);
  raft.compact({ lastIncludedIndex: 1026, lastIncludedTerm: 1026, data: bytes(10) });
  const starts = raft.snapshot!.termStarts;
  assert.equal(starts.length, 2048);
  assert.deepEqual(starts.slice(0, 2), [3, 3], 'the two oldest runs are dropped');
  assert.deepEqual(starts.slice(-4), [1025, 1025, 1026, 1026]);
  assert.deepEqual(old.length, 2048, 'the previous snapshot is not changed');
});

test("a snapshot restored from the state machine's getSnapshot builds termStarts from the log it holds", () => {
  const boot = (entries: ReturnType<typeof entriesOf>) =>
    new Raft<{ id: string }, Uint8Array>({
      id: 2,
      bootstrap: membership([1, 2, 3]),
      heartbeatInterval: 10,
      electionTimeoutRange: [100, 200],
      random: () => 0.5,
      noop: { id: 'noop' },
      stored: { hardState: { term: 4, vote: null, commit: 0 }, snapshot: null, entries },
    });
  const raft = boot(entriesOf([...run(1, 3), ...run(2, 4), ...run(4, 3)]));
  raft.restoreSnapshot({ lastIncludedIndex: 8, lastIncludedTerm: 4, data: bytes(10) });
  assert.deepEqual(raft.snapshot?.termStarts, [1, 1, 4, 2, 8, 4]);
  // A log that does not reach the snapshot is dropped: nothing is known of the terms.
  const behind = boot(entriesOf(run(1, 3)));
  behind.restoreSnapshot({ lastIncludedIndex: 8, lastIncludedTerm: 4, data: bytes(10) });
  assert.deepEqual(behind.snapshot?.termStarts, []);
});
