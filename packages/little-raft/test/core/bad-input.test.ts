// Bad input: the core drops (and counts) messages it must not act on; it never throws.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { CoreNet, type Msg } from '../support/core-net.js';
import type { Raft } from '../../src/core/raft.js';
import type { Cmd } from '../support/core-net.js';

/** A settled 3-node cluster; returns a follower and the leader. */
function cluster(): { net: CoreNet; leader: number; follower: number } {
  const net = new CoreNet([1, 2, 3]);
  const leader = net.electLeader();
  net.propose(leader, 'a', 'b');
  net.advance(30);
  const follower = [1, 2, 3].find((id) => id !== leader)!;
  return { net, leader, follower };
}

function state(r: Raft<Cmd, Uint8Array>) {
  return { role: r.role, term: r.term, vote: r.vote, leaderId: r.leaderId, commit: r.commit, last: r.log.lastIndex };
}

function appendMsg(from: number, to: number, term: number, extra: Partial<Msg> = {}): Msg {
  return {
    type: 'append',
    from,
    to,
    term,
    prevLogIndex: 0,
    prevLogTerm: 0,
    entries: [{ index: 1, term, transition: { id: 'evil' } }],
    leaderCommit: 1000,
    seq: 1,
    ...extra,
  } as Msg;
}

test('answers, reads and TimeoutNow from unknown replicas are dropped and counted, even at a higher term', () => {
  const { net, leader, follower } = cluster();
  const f = net.raft(follower);
  const l = net.raft(leader);
  const before = state(f);
  const lBefore = state(l);
  const t = f.term + 10;
  f.step({ type: 'vote-response', from: 42, to: follower, term: t, granted: true, preVote: false });
  f.step({ type: 'timeout-now', from: 7, to: follower, term: t });
  f.step({ type: 'read-index-response', from: 9, to: follower, term: t, requestId: 1, readIndex: 5 });
  l.step({
    type: 'append-response',
    from: 99,
    to: leader,
    term: t,
    success: true,
    index: 5,
    hintIndex: 0,
    hintTerm: 0,
    seq: 1,
  });
  l.step({ type: 'snapshot-response', from: 99, to: leader, term: t, lastIncludedIndex: 5, nextOffset: 0, seq: 1 });
  l.step({ type: 'read-index', from: 99, to: leader, term: t, requestId: 1 });
  assert.equal(f.dropped['unknown-peer'], 3);
  assert.equal(l.dropped['unknown-peer'], 3);
  assert.deepEqual(state(f), before, 'nothing changed: no term bump');
  assert.deepEqual(state(l), lBefore, 'the leader is undisturbed');
  assert.equal(f.ready(true), null, 'no answer');
});

test('misaddressed messages (to someone else, or "from" ourselves) are dropped and counted', () => {
  const { net, leader, follower } = cluster();
  const f = net.raft(follower);
  const before = state(f);
  const other = [1, 2, 3].find((id) => id !== leader && id !== follower)!;
  f.step(appendMsg(leader, other, f.term + 1));
  f.step(appendMsg(follower, follower, f.term + 1));
  assert.equal(f.dropped['misaddressed'], 2);
  assert.deepEqual(state(f), before);
  assert.equal(f.ready(true), null);
});

test('stale-term messages are dropped and counted; a stale leader is told the newer term', () => {
  const { net, leader, follower } = cluster();
  const f = net.raft(follower);
  const before = state(f);
  const stale = f.term - 1;
  assert.ok(stale >= 0);
  const other = [1, 2, 3].find((id) => id !== leader && id !== follower)!;
  f.step(
    appendMsg(other, follower, stale, { prevLogIndex: f.log.lastIndex, prevLogTerm: f.log.lastTerm, entries: [] }),
  );
  f.step({
    type: 'vote-request',
    from: other,
    to: follower,
    term: stale,
    lastLogIndex: 99,
    lastLogTerm: 99,
    preVote: false,
    transfer: false,
  });
  f.step({
    type: 'append-response',
    from: other,
    to: follower,
    term: stale,
    success: true,
    index: 99,
    hintIndex: 0,
    hintTerm: 0,
    seq: 9,
  });
  assert.equal(f.dropped['stale-term'], 3);
  assert.deepEqual(state(f), before);
  const r = f.ready(true);
  assert.ok(r);
  // Only the stale append gets an answer: a rejection at our term, so its sender steps down.
  assert.deepEqual(
    r.messages.map((m) => [m.type, m.to, m.term, m.type === 'append-response' && m.success]),
    [['append-response', other, f.term, false]],
  );
  assert.equal(r.write, null);
});

test('a stale leader that receives the rejection steps down', () => {
  const { net, leader } = cluster();
  const l = net.raft(leader);
  const other = [1, 2, 3].find((id) => id !== leader)!;
  l.step({
    type: 'append-response',
    from: other,
    to: leader,
    term: l.term + 1,
    success: false,
    index: 0,
    hintIndex: 0,
    hintTerm: 0,
    seq: 0,
  });
  assert.equal(l.role, 'follower');
});

test('responses and requests a role does not expect are dropped and counted, never thrown', () => {
  const { net, leader, follower } = cluster();
  const f = net.raft(follower);
  const l = net.raft(leader);
  const fBefore = state(f);
  const lBefore = state(l);
  const t = f.term;
  f.step({
    type: 'append-response',
    from: leader,
    to: follower,
    term: t,
    success: true,
    index: 5,
    hintIndex: 0,
    hintTerm: 0,
    seq: 1,
  });
  f.step({
    type: 'snapshot-response',
    from: leader,
    to: follower,
    term: t,
    lastIncludedIndex: 5,
    nextOffset: 10,
    seq: 1,
  });
  f.step({ type: 'vote-response', from: leader, to: follower, term: t, granted: true, preVote: false });
  // TimeoutNow from a replica that is not this follower's leader.
  f.step({ type: 'timeout-now', from: 6 - leader - follower, to: follower, term: t });
  l.step(appendMsg(follower, leader, t));
  l.step({
    type: 'snapshot',
    from: follower,
    to: leader,
    term: t,
    lastIncludedIndex: 100,
    lastIncludedTerm: t,
    config: { voters: [1, 2, 3], learners: [], outgoing: [] },
    termStarts: [1, t],
    offset: 0,
    data: new Uint8Array(4),
    done: true,
    seq: 1,
  });
  // An append whose entries do not follow prevLogIndex.
  f.step(
    appendMsg(leader, follower, t, {
      prevLogIndex: f.log.lastIndex,
      prevLogTerm: f.log.lastTerm,
      entries: [{ index: 1, term: t, transition: { id: 'x' } }],
    }),
  );
  assert.equal(f.dropped['append-response-not-leader'], 1);
  assert.equal(f.dropped['snapshot-response-not-leader'], 1);
  assert.equal(f.dropped['stale-vote'], 1);
  assert.equal(f.dropped['stale-timeout-now'], 1);
  assert.equal(f.dropped['malformed-append'], 1);
  assert.equal(l.dropped['append-to-leader'], 1);
  assert.equal(l.dropped['snapshot-to-leader'], 1);
  assert.deepEqual(state(f), fBefore);
  assert.deepEqual(state(l), lBefore);
  net.advance(30);
  assert.deepEqual(net.leaders(), [leader], 'the cluster carries on');
});

test('an append that would overwrite committed entries is refused, not applied', () => {
  const { net, leader, follower } = cluster();
  const f = net.raft(follower);
  const committed = f.commit;
  assert.ok(committed >= 2);
  const before = net.entries(follower);
  // Same term as the leader (as a buggy or byzantine leader might send): conflicts at index 1.
  f.step(
    appendMsg(leader, follower, f.term, { entries: [{ index: 1, term: f.term + 5, transition: { id: 'evil' } }] }),
  );
  assert.equal(f.dropped['append-overwrites-committed'], 1);
  assert.deepEqual(net.entries(follower), before);
  assert.equal(f.commit, committed);
});

test('a storm of forged but well-typed messages never throws nor breaks local invariants', () => {
  const net = new CoreNet([1, 2, 3]);
  let seed = 12345;
  const rnd = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
  const pick = <X>(xs: X[]) => xs[Math.floor(rnd() * xs.length)]!;
  for (let round = 0; round < 3000; round++) {
    const to = pick([1, 2, 3]);
    const from = pick([1, 2, 3, 4]);
    const term = Math.floor(rnd() * 4);
    const n = Math.floor(rnd() * 20);
    const kind = pick(['append', 'append-response', 'vote-request', 'vote-response', 'snapshot-response']);
    let m: Msg;
    if (kind === 'append')
      m = appendMsg(from, to, term, {
        prevLogIndex: n,
        prevLogTerm: Math.floor(rnd() * 4),
        entries: [],
        leaderCommit: n,
      });
    else if (kind === 'append-response')
      m = {
        type: 'append-response',
        from,
        to,
        term,
        success: rnd() < 0.5,
        index: n,
        hintIndex: n,
        hintTerm: term,
        seq: n,
      };
    else if (kind === 'vote-request')
      m = {
        type: 'vote-request',
        from,
        to,
        term,
        lastLogIndex: n,
        lastLogTerm: term,
        preVote: rnd() < 0.5,
        transfer: false,
      };
    else if (kind === 'vote-response')
      m = { type: 'vote-response', from, to, term, granted: rnd() < 0.5, preVote: rnd() < 0.5 };
    else m = { type: 'snapshot-response', from, to, term, lastIncludedIndex: n, nextOffset: n, seq: n };
    net.raft(to).step(m);
    net.advance(5);
    // (Raft does not survive forged votes or appends; only local sanity is checked.)
    for (const id of [1, 2, 3]) {
      const r = net.raft(id);
      assert.ok(r.applied <= r.commit && r.commit <= r.log.lastIndex, `node ${id}`);
    }
  }
});
