// Raft's safety properties (§5.4, Figure 3) on the bare core under random faults: loss,
// duplication, delay and reordering of messages, partitions, crashes and restarts, and log
// compaction at random points; optionally membership changes and leadership transfers too.
// Bounded seeds; every step is a deterministic function of the seed.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { CoreNet, type CoreOptions, type Msg } from '../support/core-net.js';
import { prng } from '../support/prng.js';
import { isVoter, members } from '../../src/core/quorum.js';
import type { Membership, ReplicaId } from '../../src/core/types.js';

interface Applied {
  /** Index of the last entry applied (or loaded through a snapshot). */
  index: number;
}

const entryId = (e: { transition?: { id: string }; config?: Membership }) =>
  e.transition?.id ?? `config ${JSON.stringify(e.config)}`;

/** A random configuration change the leader may propose: joint unless at most one voter changes. */
function randomChange(rnd: () => number, ids: ReplicaId[], current: Membership): Membership | null {
  if (current.outgoing.length > 0) return null;
  const voters = ids.filter(() => rnd() < 0.7);
  if (voters.length === 0) return null;
  const learners = ids.filter((id) => !voters.includes(id) && rnd() < 0.5);
  const changed = ids.filter((id) => voters.includes(id) !== current.voters.includes(id)).length;
  return { voters, learners, outgoing: changed > 1 || rnd() < 0.5 ? current.voters : [] };
}

function simulate(seed: number, n: number, steps: number, options: CoreOptions, reconfigure = false): void {
  const rnd = prng(seed);
  const ids = Array.from({ length: n }, (_, i) => i + 1);
  const net = new CoreNet(ids, options, seed);
  const where = `seed ${seed}, ${JSON.stringify(options)}${reconfigure ? ', reconfiguring' : ''}`;
  /** What was applied at each index, by anyone: must never differ (State Machine Safety). */
  const committed = new Map<number, string>();
  const leaderOf = new Map<number, ReplicaId>();
  const applied = new Map<ReplicaId, Applied>();

  // Watch each core's output: applied entries come in index order, once, and agree everywhere.
  const watch = (id: ReplicaId) => {
    const raft = net.raft(id);
    const ready = raft.ready.bind(raft);
    const state: Applied = { index: raft.applied };
    applied.set(id, state);
    raft.ready = (canWrite) => {
      const r = ready(canWrite);
      if (r?.snapshot) state.index = r.snapshot.lastIncludedIndex;
      for (const e of r?.apply ?? []) {
        assert.equal(e.index, state.index + 1, `${where}: node ${id} applies in order`);
        state.index = e.index;
        const id2 = entryId(e);
        const before = committed.get(e.index);
        assert.ok(before === undefined || before === id2, `${where}: index ${e.index} is ${before} and ${id2}`);
        committed.set(e.index, id2);
      }
      return r;
    };
  };
  for (const id of ids) watch(id);

  const drop = rnd() * 0.3;
  const duplicate = rnd() * 0.1;
  let next = 0;
  for (let step = 0; step < steps; step++) {
    const x = rnd();
    const pick = ids[Math.floor(rnd() * n)]!;
    if (x < 0.01) {
      const down = ids.filter((i) => !net.node(i).up).length;
      if (net.node(pick).up && down < (n - 1) >> 1) net.crash(pick);
    } else if (x < 0.03) {
      if (!net.node(pick).up) {
        net.restart(pick);
        watch(pick);
      }
    } else if (x < 0.035) {
      const a = ids.filter(() => rnd() < 0.5);
      net.partition(
        a,
        ids.filter((i) => !a.includes(i)),
      );
    } else if (x < 0.05) {
      net.heal();
    }
    for (const l of net.leaders()) {
      const r = net.raft(l);
      if (rnd() < 0.3) r.propose([{ id: `c${next++}` }]);
      if (!reconfigure) continue;
      const change = rnd() < 0.01 ? randomChange(rnd, ids, r.config) : null;
      if (change) r.proposeConfig(change);
      if (rnd() < 0.005) r.transferLeadership(pick);
    }
    if (rnd() < 0.02 && net.node(pick).up) {
      const r = net.raft(pick);
      if (r.applied > r.log.snapshotIndex) {
        const index = r.applied;
        r.compact({ lastIncludedIndex: index, lastIncludedTerm: r.log.term(index)!, data: new Uint8Array(300) });
      }
    }
    for (const id of ids) if (net.node(id).up) net.raft(id).tick(5);
    net.flush();
    // Deliver in random order; some messages are lost, some delayed to a later step, some duplicated.
    const queue = net.queue.sort(() => rnd() - 0.5);
    net.queue = [];
    const later: Msg[] = [];
    for (const m of queue) {
      const r = rnd();
      if (r < drop) continue;
      if (r < drop + 0.2) {
        later.push(m);
        continue;
      }
      if (rnd() < duplicate) later.push(m);
      const to = net.node(m.to);
      if (!to.up || !net.filter(m)) continue;
      to.raft.step(m);
      net.flush();
    }
    net.queue.push(...later);

    // Election Safety; Leader Completeness for the newest leader.
    const top = Math.max(0, ...leaderOf.keys());
    for (const id of net.leaders()) {
      const r = net.raft(id);
      const known = leaderOf.get(r.term);
      assert.ok(known === undefined || known === id, `${where}: two leaders in term ${r.term}`);
      leaderOf.set(r.term, id);
      if (r.term < top) continue; // a deposed leader that has not heard yet
      for (const [index, cmd] of committed) {
        if (index <= r.log.snapshotIndex) continue;
        assert.ok(index <= r.log.lastIndex, `${where}: leader ${id} lacks committed ${index}`);
        assert.equal(entryId(r.log.entry(index)), cmd, `${where}: leader ${id} at ${index}`);
      }
    }
    // Log Matching: same index and term means the same entry and the same prefix.
    const up = ids.filter((i) => net.node(i).up);
    for (const a of up) {
      for (const b of up) {
        if (a >= b) continue;
        const la = net.raft(a).log;
        const lb = net.raft(b).log;
        const from = Math.max(la.snapshotIndex, lb.snapshotIndex) + 1;
        let i = Math.min(la.lastIndex, lb.lastIndex);
        while (i >= from && la.term(i) !== lb.term(i)) i--;
        for (; i >= from; i--) {
          assert.equal(la.entry(i).term, lb.entry(i).term, `${where}: logs of ${a} and ${b} at ${i}`);
          assert.equal(entryId(la.entry(i)), entryId(lb.entry(i)), `${where}: ${a}/${b} at ${i}`);
        }
      }
    }
  }

  // Liveness once the faults stop: every member converges on one log and applies all of it.
  net.heal();
  net.queue = [];
  for (const id of ids) {
    if (!net.node(id).up) {
      net.restart(id);
      watch(id);
    }
  }
  // Replicas removed from the configuration may campaign forever at ever higher terms (without
  // pre-vote and check-quorum they depose leaders, thesis §4.2.3): as in production, they are shut
  // down. Only leaders that lead their own configuration count.
  const findLeader = (): ReplicaId => {
    for (let t = 0; t < 20_000; t += 5) {
      net.advance(5);
      const real = net.leaders().filter((l) => isVoter(net.raft(l).config, l));
      const top = Math.max(...real.map((l) => net.raft(l).term));
      const current = real.filter((l) => net.raft(l).term === top);
      if (current.length !== 1 || net.raft(current[0]!).transferee !== null) continue;
      // ... and no member has moved on to a later term (without pre-vote it would depose the leader).
      const others = members(net.raft(current[0]!).config).filter((id) => net.node(id).up);
      if (others.every((id) => net.raft(id).term <= top)) return current[0]!;
    }
    assert.fail(`${where}: no leader after the faults`);
  };
  let leader = findLeader();
  // Until the configuration settles (no joint or uncommitted change), shutting down whoever it drops.
  for (let round = 0; round < 10; round++) {
    const r = net.raft(leader);
    const settled = r.config.outgoing.length === 0 && r.configIndex <= r.commit;
    const outside = ids.filter((id) => net.node(id).up && !members(r.config).includes(id));
    if (settled && outside.length === 0) break;
    for (const id of outside) net.crash(id);
    net.advance(500);
    leader = findLeader();
  }
  // A new entry commits (without pre-vote a member's late timeout may still change the leader
  // meanwhile; then the new leader gets it), and every member applies everything.
  for (let attempt = 0; attempt < 5 && ![...committed.values()].includes('final'); attempt++) {
    if (attempt > 0) leader = findLeader();
    net.raft(leader).propose([{ id: 'final' }]);
    net.advance(500);
  }
  assert.ok([...committed.values()].includes('final'), `${where}: a new entry commits`);
  leader = findLeader();
  net.advance(300);
  const commit = net.raft(leader).commit;
  for (const id of members(net.raft(leader).config)) {
    assert.equal(net.raft(id).commit, commit, `${where}: node ${id} commit`);
    assert.equal(applied.get(id)!.index, commit, `${where}: node ${id} applied`);
  }
}

const CONFIGS: CoreOptions[] = [
  {},
  { maxInflight: 2, maxEntriesPerMessage: 3, snapshotChunkBytes: 64 },
  { preVote: false, checkQuorum: false },
];

for (const options of CONFIGS) {
  test(`safety and eventual liveness under random faults: ${JSON.stringify(options)}`, () => {
    for (let seed = 1; seed <= 6; seed++) simulate(seed, seed % 2 === 1 ? 3 : 5, 1500, options);
  });
  test(`... with membership changes and leadership transfers: ${JSON.stringify(options)}`, () => {
    for (let seed = 1; seed <= 6; seed++) simulate(seed, 5, 2000, options, true);
  });
}
