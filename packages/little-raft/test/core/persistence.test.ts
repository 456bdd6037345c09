// Persistence ordering (Raft §5.1/§5.2 "respond after persisting") and crash recovery.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { CoreNet, type Cmd, type Msg } from '../support/core-net.js';
import type { Raft } from '../../src/core/raft.js';
import type { AppendRequest, ReplicaId, VoteRequest } from '../../src/core/types.js';
import { bytes, compactAt, drain, entriesOf, membership, netFrom } from './util.js';

function voteRequest(from: ReplicaId, to: ReplicaId, term: number): VoteRequest {
  return { type: 'vote-request', from, to, term, lastLogIndex: 0, lastLogTerm: 0, preVote: false, transfer: false };
}

function append(from: ReplicaId, to: ReplicaId, term: number, first: number, n: number): AppendRequest<Cmd> {
  const entries = Array.from({ length: n }, (_, i) => ({
    index: first + i,
    term,
    transition: { id: `e${first + i}` },
  }));
  return {
    type: 'append',
    from,
    to,
    term,
    prevLogIndex: first - 1,
    prevLogTerm: first > 1 ? term : 0,
    entries,
    leaderCommit: 0,
    seq: 1,
  };
}

const grantedVote = (m: Msg) => m.type === 'vote-response' && m.granted && !m.preVote;
const successAck = (m: Msg) => m.type === 'append-response' && m.success;

test('a vote grant is only in afterWrite, released with the write that holds the vote', () => {
  const net = new CoreNet([1, 2, 3]);
  const f = net.raft(3);
  f.step(voteRequest(1, 3, 5));
  // A write is in flight: nothing that depends on the vote may leave.
  const held = f.ready(false);
  assert.ok(held === null || (held.afterWrite.length === 0 && held.write === null));
  assert.ok(!(held?.messages ?? []).some(grantedVote));
  const r = f.ready(true);
  assert.ok(r);
  assert.deepEqual(r.write?.hardState, { term: 5, vote: 1, commit: 0 });
  assert.ok(!r.messages.some(grantedVote), 'never in messages');
  assert.deepEqual(r.afterWrite.filter(grantedVote).length, 1);
});

test('a vote not yet persisted was never sent; after a crash the node may vote afresh', () => {
  const net = new CoreNet([1, 2, 3]);
  net.raft(3).step(voteRequest(1, 3, 5));
  const r = net.raft(3).ready(false); // the write never happens: crash
  assert.ok(!(r?.messages ?? []).some(grantedVote));
  net.crash(3);
  net.restart(3);
  assert.equal(net.raft(3).term, 0);
  assert.equal(net.raft(3).vote, null);
  net.raft(3).step(voteRequest(2, 3, 5));
  const out = drain(net, 3);
  assert.equal(out.afterWrite.filter(grantedVote).length, 1);
  assert.equal(net.raft(3).vote, 2);
});

test('a candidate sends its vote requests only after persisting its own vote', () => {
  const net = new CoreNet([1, 2, 3], { preVote: false });
  net.raft(1).tick(1000);
  const r = net.raft(1).ready(true);
  assert.ok(r);
  assert.deepEqual(r.write?.hardState, { term: 1, vote: 1, commit: 0 });
  assert.equal(r.messages.filter((m) => m.type === 'vote-request').length, 0);
  assert.equal(r.afterWrite.filter((m) => m.type === 'vote-request').length, 2);
});

test('an append acknowledgement is only in afterWrite, released with the write holding the entries', () => {
  const net = new CoreNet([1, 2, 3]);
  const f = net.raft(2);
  f.step(append(1, 2, 1, 1, 3));
  const held = f.ready(false);
  assert.ok(!(held?.messages ?? []).some(successAck));
  assert.ok(held === null || (held.afterWrite.length === 0 && held.write === null));
  // Another append arrives while the write is still held back.
  f.step(append(1, 2, 1, 4, 2));
  const r = f.ready(true);
  assert.ok(r);
  assert.deepEqual(
    r.write?.entries?.map((e) => e.index),
    [1, 2, 3, 4, 5],
  );
  assert.ok(!r.messages.some(successAck));
  assert.deepEqual(
    r.afterWrite.filter(successAck).map((m) => m.type === 'append-response' && m.index),
    [3, 5],
  );
});

test('in a whole run, granted votes never leave through `messages`, nor acks of entries not durable', () => {
  const net = new CoreNet([1, 2, 3, 4, 5], {}, 3);
  const bad: Msg[] = [];
  let earlyAcks = 0;
  const watch = (raft: Raft<Cmd, Uint8Array>) => {
    const ready = raft.ready.bind(raft);
    raft.ready = (canWrite) => {
      const r = ready(canWrite);
      const notDurable = (m: Msg) => m.type === 'append-response' && m.success && m.index > raft.stable;
      if (r) bad.push(...r.messages.filter((m) => grantedVote(m) || notDurable(m)));
      earlyAcks += r?.messages.filter(successAck).length ?? 0;
      return r;
    };
  };
  for (const id of net.ids) watch(net.raft(id));
  let leader = net.electLeader();
  for (let round = 0; round < 5; round++) {
    for (let i = 0; i < 10; i++) net.propose(leader, `r${round}-${i}`);
    net.crash(leader);
    net.advance(400);
    net.restart(leader);
    watch(net.raft(leader));
    leader = net.electLeader();
  }
  net.advance(50);
  assert.ok(
    net.sent.filter((m) => grantedVote(m) || successAck(m)).length > 50,
    'there were plenty of grants and acks',
  );
  assert.deepEqual(bad, []);
  assert.ok(earlyAcks > 0, 'heartbeats were answered at once');
});

test('the leader counts itself toward commit only once its own write is durable', () => {
  const net = new CoreNet([1, 2, 3]);
  const leader = net.electLeader();
  net.advance(30);
  const f1 = [1, 2, 3].find((id) => id !== leader)!;
  const raft = net.raft(leader);
  const index = raft.propose([{ id: 'x' }]);
  const r = raft.ready(true); // taken, but not written yet
  assert.ok(r && r.write?.entries?.some((e) => e.index === index));
  const toF1 = r.messages.filter((m) => m.to === f1);
  assert.ok(toF1.length > 0, 'the leader may send before persisting');
  for (const m of toF1) net.raft(f1).step(m);
  for (const m of drain(net, f1).afterWrite) raft.step(m);
  raft.ready(true);
  assert.equal(raft.commit, index - 1, 'one follower plus an unpersisted leader is not a majority');
  net.node(leader).storage.write(r.write!);
  raft.markStable(index, raft.term);
  raft.ready(true);
  assert.equal(raft.commit, index, 'now it is');
});

test('a restarted node recovers term, vote, log, commit and snapshot exactly', () => {
  const net = new CoreNet([1, 2, 3]);
  let leader = net.electLeader();
  for (let i = 0; i < 20; i++) net.propose(leader, `a${i}`);
  net.advance(30);
  const data = bytes(2000);
  for (const id of net.ids) compactAt(net, id, data, 12);
  net.crash(leader);
  net.advance(400);
  leader = net.electLeader();
  for (let i = 0; i < 5; i++) net.propose(leader, `b${i}`);
  net.advance(30);
  for (const id of net.ids) {
    const before = net.raft(id);
    const state = {
      term: before.term,
      vote: before.vote,
      commit: before.commit,
      snapshotIndex: before.log.snapshotIndex,
      snapshotTerm: before.log.snapshotTerm,
      entries: net.entries(id),
      snapshot: before.snapshot,
    };
    net.crash(id);
    net.restart(id);
    const after = net.raft(id);
    assert.notEqual(after, before, 'a fresh core');
    assert.deepEqual(
      {
        term: after.term,
        vote: after.vote,
        commit: after.commit,
        snapshotIndex: after.log.snapshotIndex,
        snapshotTerm: after.log.snapshotTerm,
        entries: net.entries(id),
        snapshot: after.snapshot,
      },
      state,
      `node ${id}`,
    );
    assert.equal(state.snapshotIndex, 12);
    assert.deepEqual(after.snapshot?.data, data);
    // It re-applies exactly the committed entries after its snapshot.
    net.flush();
    assert.deepEqual(
      net.node(id).applied,
      state.entries.filter((e) => e.index <= state.commit).map((e) => e.transition),
    );
  }
  // And the cluster carries on.
  leader = net.electLeader();
  net.propose(leader, 'c');
  net.advance(30);
  for (const id of net.ids) assert.equal(net.node(id).applied.at(-1)?.id, 'c');
});

test('a restarted node never votes twice in one term', () => {
  const net = new CoreNet([1, 2, 3]);
  // Node 3 first learns term 5 (a refusal from a peer), and persists it without a vote...
  net.raft(3).step({ type: 'vote-response', from: 2, to: 3, term: 5, granted: false, preVote: false });
  drain(net, 3);
  assert.deepEqual(net.node(3).storage.load().hardState, { term: 5, vote: null, commit: 0 });
  // ... so granting a vote in term 5 changes only the vote, which must be persisted too.
  net.raft(3).step(voteRequest(1, 3, 5));
  assert.equal(drain(net, 3).afterWrite.filter(grantedVote).length, 1);
  net.crash(3);
  net.restart(3);
  assert.equal(net.raft(3).term, 5);
  assert.equal(net.raft(3).vote, 1);
  net.raft(3).step(voteRequest(2, 3, 5));
  const out = drain(net, 3);
  assert.equal([...out.messages, ...out.afterWrite].filter(grantedVote).length, 0, 'refused');
  assert.ok(out.messages.some((m) => m.type === 'vote-response' && !m.granted));
  assert.equal(net.raft(3).vote, 1);
  // The same candidate asking again (a retransmission) gets the same answer.
  net.raft(3).step(voteRequest(1, 3, 5));
  assert.equal(drain(net, 3).afterWrite.filter(grantedVote).length, 1);
});

/** Applies the write of `r` to the node's storage and tells the core, as a driver would. */
function persist(net: CoreNet, id: ReplicaId, write: NonNullable<ReturnType<Raft<Cmd, Uint8Array>['ready']>>['write']) {
  assert.ok(write);
  const raft = net.raft(id);
  net.node(id).storage.write(write);
  if (write.snapshot) raft.markStable(write.snapshot.lastIncludedIndex, write.snapshot.lastIncludedTerm);
  const last = write.entries?.at(-1);
  if (last) raft.markStable(last.index, last.term);
}

test('entries are applied only once durable here: new entries, replacements after a truncation', () => {
  const net = netFrom([1, 2, 3], {
    2: { hardState: { term: 2, vote: null, commit: 2 }, entries: entriesOf([1, 1, 2, 2, 2, 2]) },
  });
  const f = net.raft(2);
  assert.deepEqual(
    f.ready(true)?.apply.map((e) => e.index),
    [1, 2],
  );
  // The term-3 leader replaces 3..6 with its own entries and says they are committed.
  f.step({
    type: 'append',
    from: 1,
    to: 2,
    term: 3,
    prevLogIndex: 2,
    prevLogTerm: 1,
    entries: entriesOf([3, 3, 3], 3),
    leaderCommit: 5,
    seq: 1,
  });
  assert.equal(f.commit, 5);
  const held = f.ready(false); // a write is in flight: the replacements are not on disk yet
  assert.deepEqual(held?.apply ?? [], [], 'nothing applied before it is durable');
  assert.equal(held?.truncatedFrom, 3, 'the proposals of the cut entries are abandoned at once');
  const r = f.ready(true);
  assert.ok(r);
  assert.deepEqual(r.apply, [], 'still not durable while the write is pending');
  persist(net, 2, r.write);
  assert.deepEqual(
    f.ready(true)?.apply.map((e) => [e.index, e.term]),
    [
      [3, 3],
      [4, 3],
      [5, 3],
    ],
  );
});

test('entries after an installed snapshot are applied only once durable', () => {
  // Node 2 has a long stale log (durable through 8); the leader's snapshot at 4 replaces it.
  const net = netFrom([1, 2, 3], {
    2: { hardState: { term: 2, vote: null, commit: 1 }, entries: entriesOf([1, 2, 2, 2, 2, 2, 2, 2]) },
  });
  const f = net.raft(2);
  f.ready(true);
  f.step({
    type: 'snapshot',
    from: 1,
    to: 2,
    term: 3,
    lastIncludedIndex: 4,
    lastIncludedTerm: 3,
    config: membership([1, 2, 3]),
    termStarts: [],
    offset: 0,
    data: bytes(10),
    done: true,
    seq: 1,
  });
  f.step({
    type: 'append',
    from: 1,
    to: 2,
    term: 3,
    prevLogIndex: 4,
    prevLogTerm: 3,
    entries: entriesOf([3, 3], 5),
    leaderCommit: 6,
    seq: 2,
  });
  assert.equal(f.commit, 6);
  const r = f.ready(true);
  assert.ok(r?.snapshot);
  assert.deepEqual(r.apply, [], 'index 5..6 are not durable yet (the old 5..8 were other entries)');
  persist(net, 2, r.write);
  assert.deepEqual(
    f.ready(true)?.apply.map((e) => [e.index, e.term]),
    [
      [5, 3],
      [6, 3],
    ],
  );
});

test('a leader applies an entry a majority holds only once its own copy is durable', () => {
  const net = new CoreNet([1, 2, 3]);
  const leader = net.electLeader();
  net.advance(30);
  const raft = net.raft(leader);
  const index = raft.propose([{ id: 'x' }]);
  const r = raft.ready(true);
  assert.ok(r?.write);
  for (const id of [1, 2, 3].filter((i) => i !== leader)) {
    for (const m of r.messages.filter((m) => m.to === id)) net.raft(id).step(m);
    for (const m of drain(net, id).afterWrite) raft.step(m);
  }
  const before = raft.ready(true);
  assert.equal(raft.commit, index, 'both followers have it: committed');
  assert.deepEqual(before?.apply ?? [], [], 'but not applied by the leader before its own write');
  persist(net, leader, r.write);
  assert.deepEqual(
    raft.ready(true)?.apply.map((e) => e.transition?.id),
    ['x'],
  );
});
