// Raft §5.2 (leader election), plus pre-vote and check-quorum (Raft thesis §9.6, §6.2).
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { CoreNet, type Cmd, type Msg } from '../support/core-net.js';
import { prng } from '../support/prng.js';
import { Raft, type RaftOptions } from '../../src/core/raft.js';
import type { ReplicaId, VoteRequest } from '../../src/core/types.js';
import { MemoryStorage } from '../../src/storage/memory.js';
import { membership } from './util.js';

function core(id: ReplicaId, extra: Partial<RaftOptions<Cmd, Uint8Array>> = {}): Raft<Cmd, Uint8Array> {
  return new Raft<Cmd, Uint8Array>({
    id,
    bootstrap: membership([1, 2, 3]),
    heartbeatInterval: 10,
    electionTimeoutRange: [100, 200],
    random: () => 0.5,
    noop: { id: 'noop' },
    stored: new MemoryStorage<Cmd, Uint8Array>().load(),
    ...extra,
  });
}

function voteRequest(from: ReplicaId, to: ReplicaId, term: number, extra: Partial<VoteRequest> = {}): VoteRequest {
  return {
    type: 'vote-request',
    from,
    to,
    term,
    lastLogIndex: 100,
    lastLogTerm: 100,
    preVote: false,
    transfer: false,
    ...extra,
  };
}

/** Records which node led in which term; fails on two leaders in one term. */
function leaderWatch(net: CoreNet): () => void {
  const leaderOf = new Map<number, ReplicaId>();
  return () => {
    for (const id of net.leaders()) {
      const term = net.raft(id).term;
      const known = leaderOf.get(term);
      assert.ok(known === undefined || known === id, `two leaders in term ${term}: ${known} and ${id}`);
      leaderOf.set(term, id);
    }
  };
}

for (const size of [1, 3, 5]) {
  test(`a ${size}-node cluster elects one leader that everyone follows, and commits its noop`, () => {
    const ids = Array.from({ length: size }, (_, i) => i + 1);
    const net = new CoreNet(ids);
    const leader = net.electLeader();
    net.advance(30);
    assert.deepEqual(net.leaders(), [leader]);
    const term = net.raft(leader).term;
    assert.ok(term >= 1);
    for (const id of ids) {
      assert.equal(net.raft(id).term, term);
      assert.equal(net.raft(id).leaderId, leader);
      assert.equal(net.raft(id).commit, 1, 'the noop at index 1 is committed');
      assert.deepEqual(net.node(id).applied, [{ id: 'noop' }]);
    }
  });
}

test('two candidates in the same term split the vote; a later term resolves it', () => {
  const net = new CoreNet([1, 2, 3, 4]);
  // Node 3 only hears node 1's request, node 4 only node 2's: 2 votes each, 3 needed.
  net.filter = (m) =>
    !(m.type === 'vote-request' && !m.preVote && ((m.from === 1 && m.to === 4) || (m.from === 2 && m.to === 3)));
  net.raft(1).tick(1000);
  net.raft(2).tick(1000);
  net.deliverAll();
  assert.equal(net.raft(1).role, 'candidate');
  assert.equal(net.raft(2).role, 'candidate');
  assert.equal(net.raft(1).term, 1);
  assert.equal(net.raft(2).term, 1);
  assert.equal(net.raft(3).vote, 1);
  assert.equal(net.raft(4).vote, 2);
  assert.deepEqual(net.leaders(), [], 'no leader in the split term');
  const check = leaderWatch(net);
  net.heal();
  for (let t = 0; t < 2000 && net.leaders().length === 0; t += 5) {
    net.advance(5);
    check();
  }
  const [leader] = net.leaders();
  assert.ok(leader !== undefined, 'a leader emerged');
  assert.ok(net.raft(leader).term >= 2, 'in a later term');
  net.advance(30);
  for (const id of [1, 2, 3, 4]) assert.equal(net.raft(id).leaderId, leader);
});

test('election safety: at most one leader per term under random message loss', () => {
  for (let seed = 1; seed <= 10; seed++) {
    const net = new CoreNet([1, 2, 3, 4, 5], {}, seed);
    const rnd = prng(seed);
    net.filter = () => rnd() > 0.3;
    const check = leaderWatch(net);
    for (let t = 0; t < 1500; t += 5) {
      net.advance(5);
      check();
    }
  }
});

test('election timeouts are drawn from electionTimeoutRange with the injected random', () => {
  for (const r of [0, 0.25, 0.5, 0.999]) {
    const raft = core(1, { random: () => r, preVote: false });
    const want = 100 + Math.floor(r * 100);
    let elapsed = 0;
    while (raft.role === 'follower' && elapsed < 1000) {
      raft.tick(1);
      elapsed++;
    }
    assert.equal(elapsed, want, `random ${r}`);
    assert.equal(raft.role, 'candidate');
    assert.equal(raft.term, 1);
  }
  // Seeded randomness: timeouts spread over the range, never outside it.
  const seen = new Set<number>();
  for (let seed = 1; seed <= 40; seed++) {
    const raft = core(1, { random: prng(seed) });
    let elapsed = 0;
    while (raft.role === 'follower') {
      raft.tick(1);
      elapsed++;
    }
    assert.ok(elapsed >= 100 && elapsed <= 200, `timeout ${elapsed}`);
    seen.add(elapsed);
  }
  assert.ok(seen.size >= 20, `only ${seen.size} distinct timeouts`);
});

test('a follower that heard from the leader within the minimum election timeout ignores a higher-term vote', () => {
  const f = core(3, { random: () => 0.99 }); // its own timeout: 199 ms
  f.step({
    type: 'append',
    from: 1,
    to: 3,
    term: 1,
    prevLogIndex: 0,
    prevLogTerm: 0,
    entries: [],
    leaderCommit: 0,
    seq: 1,
  });
  f.ready(true);
  assert.equal(f.leaderId, 1);
  assert.equal(f.term, 1);

  f.step(voteRequest(2, 3, 5));
  f.tick(99);
  f.step(voteRequest(2, 3, 5));
  assert.equal(f.term, 1, 'term not bumped');
  assert.equal(f.vote, null);
  assert.equal(f.leaderId, 1);
  assert.equal(f.dropped['vote-in-lease'], 2);
  assert.equal(f.ready(true), null, 'no answer at all');

  // Once the lease ran out (100 ms without the leader), the same request is honoured.
  f.tick(1);
  f.step(voteRequest(2, 3, 5));
  assert.equal(f.term, 5);
  assert.equal(f.vote, 2);
  const r = f.ready(true);
  assert.ok(r);
  assert.deepEqual(
    r.afterWrite.map((m) => m.type === 'vote-response' && m.granted),
    [true],
  );
});

test('a leader ignores a higher-term vote request while check-quorum holds its lease', () => {
  const net = new CoreNet([1, 2, 3]);
  const leader = net.electLeader();
  const other = leader === 1 ? 2 : 1;
  const term = net.raft(leader).term;
  net.raft(leader).step(voteRequest(other, leader, term + 3));
  assert.equal(net.raft(leader).role, 'leader');
  assert.equal(net.raft(leader).term, term);
  assert.equal(net.raft(leader).dropped['vote-in-lease'], 1);
});

test('with checkQuorum off there is no lease: a higher-term vote request is honoured', () => {
  const net = new CoreNet([1, 2, 3], { checkQuorum: false });
  const leader = net.electLeader();
  const f = [1, 2, 3].find((id) => id !== leader)!;
  const other = [1, 2, 3].find((id) => id !== leader && id !== f)!;
  const term = net.raft(f).term;
  net.raft(f).step(voteRequest(other, f, term + 1));
  assert.equal(net.raft(f).term, term + 1);
  assert.equal(net.raft(f).vote, other);
});

/** Cuts a follower off for a long time, heals, and reports the leader's term before and after. */
function isolateAndRejoin(preVote: boolean) {
  const net = new CoreNet([1, 2, 3], { preVote });
  const leader = net.electLeader();
  net.advance(20);
  const loner = [1, 2, 3].find((id) => id !== leader)!;
  const termBefore = net.raft(leader).term;
  net.partition(
    [loner],
    [1, 2, 3].filter((id) => id !== loner),
  );
  net.advance(3000);
  const lonerTerm = net.raft(loner).term;
  net.heal();
  net.advance(1000);
  const [leaderAfter] = net.leaders();
  return {
    net,
    leader,
    loner,
    termBefore,
    lonerTerm,
    leaderAfter: leaderAfter!,
    termAfter: net.raft(leaderAfter!).term,
  };
}

test('pre-vote: a node rejoining after a long partition neither bumps terms nor deposes the leader', () => {
  const r = isolateAndRejoin(true);
  assert.equal(r.lonerTerm, r.termBefore, 'the isolated node never incremented its term');
  assert.equal(r.leaderAfter, r.leader, 'same leader');
  assert.equal(r.termAfter, r.termBefore, 'same term');
  assert.equal(r.net.raft(r.loner).leaderId, r.leader, 'the loner follows the leader again');
  assert.equal(r.net.raft(r.loner).role, 'follower');
});

test('without pre-vote the same rejoin bumps the term and deposes the leader (the test above bites)', () => {
  const r = isolateAndRejoin(false);
  assert.ok(r.lonerTerm > r.termBefore + 5, `the isolated node campaigned: term ${r.lonerTerm}`);
  assert.ok(r.termAfter > r.termBefore, 'the cluster moved to a higher term');
  assert.ok(r.termAfter >= r.lonerTerm);
  assert.notEqual(r.leaderAfter, r.loner, 'the stale node cannot win: its log is behind');
});

test('check-quorum: a leader cut off from the majority steps down after an election timeout', () => {
  const net = new CoreNet([1, 2, 3]);
  const leader = net.electLeader();
  net.advance(20);
  const others = [1, 2, 3].filter((id) => id !== leader);
  net.partition([leader], others);
  net.advance(5);
  assert.equal(net.raft(leader).role, 'leader', 'not at once');
  net.advance(200); // two check windows of the 100 ms minimum election timeout
  assert.equal(net.raft(leader).role, 'follower');
  assert.equal(net.raft(leader).leaderId, null);
  assert.equal(net.raft(leader).dropped['check-quorum-step-down'], 1);
  assert.equal(net.raft(leader).propose([{ id: 'x' }]), 0, 'it refuses proposals now');
});

test('without check-quorum the cut-off leader stays leader', () => {
  const net = new CoreNet([1, 2, 3], { checkQuorum: false });
  const leader = net.electLeader();
  net.advance(20);
  const others = [1, 2, 3].filter((id) => id !== leader);
  net.partition([leader], others);
  net.advance(2000);
  assert.equal(net.raft(leader).role, 'leader');
  const newer = net.leaders().filter((id) => id !== leader);
  assert.equal(newer.length, 1, 'the majority elected its own leader');
  assert.ok(net.raft(newer[0]!).term > net.raft(leader).term);
});

test('a deposed leader learns the higher term from any message and steps down', () => {
  const net = new CoreNet([1, 2, 3], { checkQuorum: false });
  const leader = net.electLeader();
  const others = [1, 2, 3].filter((id) => id !== leader);
  net.partition([leader], others);
  net.advance(2000);
  const [newLeader] = net.leaders().filter((id) => id !== leader);
  net.heal();
  net.advance(50);
  assert.deepEqual(net.leaders(), [newLeader]);
  assert.equal(net.raft(leader).leaderId, newLeader);
  const msgs: Msg[] = net.sent.filter((m) => m.from === leader && m.term > net.raft(newLeader!).term);
  assert.deepEqual(msgs, [], 'nothing from the old leader carries a term above the new one');
});
