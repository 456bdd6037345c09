// Membership changes in the core (Raft thesis §4.3, joint consensus): a configuration takes
// effect when its entry is appended and reverts when the entry is cut; C(old,new) needs a
// majority of both halves for commits and elections; the leader appends C(new) once C(old,new)
// commits and, if C(new) removes it, steps down once C(new) commits. Learners get the log but
// never vote nor count. Snapshots carry the configuration as of their index.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { CoreNet, NOOP, type Cmd, type CoreOptions, type Msg } from '../support/core-net.js';
import { prng } from '../support/prng.js';
import { Raft } from '../../src/core/raft.js';
import type { LogEntry, Membership, ReplicaId } from '../../src/core/types.js';
import { MemoryStorage } from '../../src/storage/memory.js';
import { campaignAlone, compactAt, netFrom, tickOne } from './util.js';

function config(voters: ReplicaId[], learners: ReplicaId[] = [], outgoing: ReplicaId[] = []): Membership {
  return { voters, learners, outgoing };
}

/** A net over `ids` whose nodes all boot with `bootstrap` (nodes it does not name are outside the cluster). */
function netWith(ids: ReplicaId[], bootstrap: Membership, options: CoreOptions = {}, seed = 1): CoreNet {
  return new CoreNet(ids, { ...options, bootstrap }, seed);
}

/** Elects a leader and delivers until its noop is committed everywhere reachable. */
function settledLeader(net: CoreNet): ReplicaId {
  const leader = net.electLeader();
  net.advance(30);
  assert.equal(net.raft(leader).log.term(net.raft(leader).commit), net.raft(leader).term, 'noop committed');
  return leader;
}

const appendsTo = (msgs: Msg[], id: ReplicaId) => msgs.filter((m) => m.type === 'append' && m.to === id).length;
const configsIn = (net: CoreNet, id: ReplicaId) =>
  net.entries(id).flatMap((e) => (e.config ? [[e.index, e.config] as [number, Membership]] : []));

test('a configuration takes effect on every replica when its entry is appended, before it commits', () => {
  const net = new CoreNet([1, 2, 3]);
  const leader = settledLeader(net);
  const followers = [1, 2, 3].filter((id) => id !== leader);
  net.filter = (m) => m.type !== 'append-response'; // nothing commits
  const target = config(
    [1, 2, 3].filter((id) => id !== followers[1]),
    [followers[1]!],
  );
  const index = net.raft(leader).proposeConfig(target);
  assert.ok(index > 0);
  assert.deepEqual(net.raft(leader).config, target, 'in force on the leader at once');
  net.deliverAll();
  for (const id of [1, 2, 3]) {
    const r = net.raft(id);
    assert.deepEqual(r.config, target, `in force on ${id}`);
    assert.equal(r.configIndex, index);
    assert.ok(r.commit < index, `not committed on ${id}`);
  }
  // And it is what counts: the demoted follower's acknowledgement no longer commits anything.
  net.filter = (m) => !(m.type === 'append-response' && m.from === followers[0]);
  net.advance(50);
  assert.ok(net.raft(leader).commit < index, 'a learner and the leader are not a majority of two voters');
  net.heal();
  net.advance(50);
  assert.ok(net.raft(leader).commit >= index);
});

test('a configuration entry that is cut from the log reverts the configuration', () => {
  const net = new CoreNet([1, 2, 3, 4, 5], { checkQuorum: false, preVote: false });
  const leader = settledLeader(net);
  const [a, b] = [1, 2, 3, 4, 5].filter((id) => id !== leader);
  const before = net.raft(a!).config;
  // The entry reaches `a` only, and is never acknowledged.
  net.filter = (m) => (m.from !== leader || m.to === a) && m.type !== 'append-response';
  const index = net.raft(leader).proposeConfig(config([1, 2, 3, 4, 5], [9]));
  net.deliverAll();
  assert.equal(net.raft(a!).configIndex, index);
  assert.deepEqual(net.raft(a!).config.learners, [9]);
  // The old leader is cut off; `b`, without the entry, wins and overwrites it on `a`.
  net.crash(leader);
  net.heal();
  campaignAlone(net, b!);
  net.advance(30);
  assert.ok(net.raft(a!).log.lastIndex >= index);
  assert.equal(net.raft(a!).log.entry(index).config, undefined, 'the config entry was replaced');
  assert.deepEqual(net.raft(a!).config, before, 'the configuration reverted');
  assert.equal(net.raft(a!).configIndex, 0);
});

/** 3 founders and 4, 5 outside; the leader proposes C(old,new) = {leader, 4, 5} / {1, 2, 3} while only `acks` answer. */
function jointWith(acks: (leader: ReplicaId, old: ReplicaId[]) => ReplicaId[]) {
  const net = netWith([1, 2, 3, 4, 5], config([1, 2, 3]));
  const leader = settledLeader(net);
  const old = [1, 2, 3].filter((id) => id !== leader);
  const joint = config([leader, 4, 5].sort(), [], [1, 2, 3]);
  const answering = acks(leader, old);
  net.filter = (m) => m.type !== 'append-response' || answering.includes(m.from);
  const index = net.raft(leader).proposeConfig(joint);
  assert.ok(index > 0);
  net.advance(50);
  return { net, leader, old, joint, index };
}

test('C(old,new) commits only with a majority of both halves; then the leader appends C(new) itself', () => {
  // The old half alone: the leader and both old followers.
  const a = jointWith((_, old) => old);
  assert.ok(a.net.raft(a.leader).commit < a.index, 'no majority of the new half');
  assert.equal(a.net.raft(a.leader).log.lastIndex, a.index, 'C(new) not appended');
  // The new half alone: the leader, 4 and 5.
  const b = jointWith(() => [4, 5]);
  assert.ok(b.net.raft(b.leader).commit < b.index, 'no majority of the old half');
  assert.equal(b.net.raft(b.leader).log.lastIndex, b.index);

  // A majority of each: the leader and 4 (new), the leader and one old follower (old).
  const { net, leader, old, joint, index } = jointWith((_, o) => [4, o[0]!]);
  const r = net.raft(leader);
  assert.ok(r.commit >= index + 1, 'C(old,new) and then C(new) committed');
  assert.deepEqual(r.log.entry(index + 1).config, config(joint.voters), 'C(new) follows C(old,new)');
  assert.deepEqual(r.config, config(joint.voters));
  assert.equal(r.role, 'leader');
  // A removed voter still gets appends until it holds C(new), so it learns it is out (and stops
  // campaigning); after that it gets nothing more.
  net.heal();
  net.advance(100);
  for (const id of old) assert.deepEqual(net.raft(id).config, config(joint.voters), `n${id} holds C(new)`);
  net.sent = [];
  net.advance(100);
  assert.equal(appendsTo(net.sent, old[0]!) + appendsTo(net.sent, old[1]!), 0, 'no appends to removed voters');
  assert.ok(appendsTo(net.sent, 5) > 0);
});

test('proposeConfig is refused before an own-term commit, while another change is uncommitted, on a non-leader and during a transfer', () => {
  const net = new CoreNet([1, 2, 3]);
  net.filter = (m) => m.type !== 'append-response';
  const leader = net.electLeader();
  const target = config([1, 2, 3], [4]);
  assert.equal(net.raft(leader).proposeConfig(target), 0, 'its noop is not committed yet');
  for (const id of [1, 2, 3].filter((i) => i !== leader)) assert.equal(net.raft(id).proposeConfig(target), 0);
  net.heal();
  net.advance(30);
  net.filter = (m) => m.type !== 'append-response';
  const index = net.raft(leader).proposeConfig(target);
  assert.ok(index > 0);
  assert.equal(net.raft(leader).proposeConfig(config([1, 2, 3], [5])), 0, 'the first change is not committed');
  assert.equal(net.raft(leader).log.lastIndex, index, 'nothing more appended');
  net.heal();
  net.advance(30);
  assert.ok(net.raft(leader).commit >= index);
  const other = [1, 2, 3].find((id) => id !== leader)!;
  net.partition(
    [other],
    [1, 2, 3].filter((id) => id !== other),
  );
  assert.equal(net.raft(leader).transferLeadership(other), true);
  assert.equal(net.raft(leader).proposeConfig(config([1, 2, 3], [5])), 0, 'refused during a transfer');
  net.advance(200); // the transfer is given up
  assert.ok(net.raft(leader).proposeConfig(config([1, 2, 3], [5])) > 0);
});

test('a leader that C(new) removes leads until C(new) commits, then steps down; it takes no proposals meanwhile', () => {
  const net = new CoreNet([1, 2, 3]);
  const leader = settledLeader(net);
  const rest = [1, 2, 3].filter((id) => id !== leader);
  net.raft(leader).proposeConfig(config(rest, [], [1, 2, 3]));
  // Let C(old,new) commit, but not C(new): hold back acknowledgements of anything after it.
  const jointIndex = net.raft(leader).configIndex;
  net.filter = (m) => !(m.type === 'append-response' && m.index > jointIndex);
  net.advance(30);
  const r = net.raft(leader);
  assert.ok(r.commit >= jointIndex);
  assert.deepEqual(r.config, config(rest), 'C(new) appended and in force');
  assert.equal(r.configIndex, jointIndex + 1);
  assert.equal(r.role, 'leader', 'still leading while C(new) is uncommitted');
  assert.equal(r.propose([{ id: 'after-cnew' }]), 0, 'no proposals: they could not settle here');
  assert.equal(r.log.lastIndex, jointIndex + 1);

  net.heal();
  net.advance(20);
  assert.ok(r.commit >= jointIndex + 1);
  assert.equal(r.role, 'follower', 'stepped down once C(new) committed');
  const term = r.term;
  net.sent = [];
  net.advance(2_000);
  assert.ok(
    !net.sent.some((m) => m.from === leader && (m.type === 'vote-request' || m.type === 'append')),
    'the removed replica neither campaigns nor replicates',
  );
  assert.equal(r.term, term);
  const next = net.leaders();
  assert.equal(next.length, 1);
  assert.ok(rest.includes(next[0]!));
  assert.ok(net.propose(next[0]!, 'x') > 0);
  net.advance(30);
  for (const id of rest) assert.equal(net.node(id).applied.at(-1)?.id, 'x');
});

test('learners never campaign, are never asked to vote, and count toward neither commit nor check-quorum', () => {
  const net = netWith([1, 2, 3, 4], config([1, 2, 3], [4]));
  tickOne(net, 4, 5_000);
  assert.equal(net.raft(4).role, 'follower');
  assert.equal(net.raft(4).term, 0);
  assert.equal(net.sent.filter((m) => m.from === 4).length, 0, 'a learner alone says nothing');
  const leader = settledLeader(net);
  assert.notEqual(leader, 4);
  net.advance(3_000);
  assert.equal(net.sent.filter((m) => m.type === 'vote-request' && (m.from === 4 || m.to === 4)).length, 0);
  assert.ok(net.node(4).applied.length > 0, 'the learner receives the log');

  const others = [1, 2, 3].filter((id) => id !== leader);
  for (const id of others) net.crash(id);
  const commit = net.raft(leader).commit;
  const index = net.propose(leader, 'y');
  assert.ok(
    net.sent.some((m) => m.type === 'append-response' && m.from === 4 && m.success && m.index >= index),
    'the learner acknowledged the entry',
  );
  assert.equal(net.raft(leader).commit, commit, 'but it does not commit');
  net.advance(250);
  assert.equal(net.raft(leader).role, 'follower', 'check-quorum does not count the learner either');
});

test('a replica without a configuration (joining) never campaigns and takes its configuration from the leader', () => {
  const net = netWith([1, 2, 3, 4], config([1, 2, 3]));
  const n4 = net.node(4);
  n4.raft = new Raft<Cmd, Uint8Array>({
    id: 4,
    bootstrap: config([]),
    heartbeatInterval: 10,
    electionTimeoutRange: [100, 200],
    random: prng(44),
    noop: NOOP,
    stored: n4.storage.load(),
  });
  tickOne(net, 4, 10_000);
  assert.equal(net.sent.filter((m) => m.from === 4).length, 0, 'it never campaigns');
  const leader = settledLeader(net);
  assert.equal(appendsTo(net.sent, 4), 0, 'not a member yet: the leader does not reach it');
  const index = net.raft(leader).proposeConfig(config([1, 2, 3], [4]));
  net.advance(50);
  assert.deepEqual(net.raft(4).config, config([1, 2, 3], [4]));
  assert.equal(net.raft(4).configIndex, index);
  assert.equal(net.raft(4).commit, net.raft(leader).commit);
  assert.deepEqual(
    net.node(4).applied.map((c) => c.id),
    net.node(leader).applied.map((c) => c.id),
  );
  net.sent = [];
  tickOne(net, 4, 5_000);
  assert.equal(net.sent.filter((m) => m.type === 'vote-request').length, 0, 'a learner still never campaigns');
});

test('a snapshot carries the configuration as of its index; a restart recovers it from snapshot and log', () => {
  const net = netWith([1, 2, 3, 4], config([1, 2, 3]));
  const leader = settledLeader(net);
  const r = net.raft(leader);
  const step1 = config([1, 2, 3], [4]);
  const step2 = config([1, 2, 3, 4], [], [1, 2, 3]);
  const i1 = r.proposeConfig(step1);
  net.advance(30);
  net.propose(leader, 'a');
  const i2 = r.proposeConfig(step2);
  net.advance(30);
  net.propose(leader, 'b');
  net.advance(30);
  const i3 = r.configIndex;
  assert.deepEqual(r.config, config([1, 2, 3, 4]));
  assert.ok(i1 < i2 && i2 < i3 && r.applied > i3);

  const follower = [1, 2, 3].find((id) => id !== leader)!;
  const f = net.raft(follower);
  compactAt(net, follower, new Uint8Array([1]), i1 - 1);
  assert.deepEqual(f.snapshot?.config, config([1, 2, 3]), 'before any change: the bootstrap configuration');
  compactAt(net, follower, new Uint8Array([2]), i2 - 1);
  assert.deepEqual(f.snapshot?.config, step1, 'between the changes: the first step, not the latest');
  assert.deepEqual(f.config, config([1, 2, 3, 4]), 'compaction does not change the configuration in force');
  assert.deepEqual(net.node(follower).storage.load().snapshot?.config, step1, 'persisted with the snapshot');

  // Restart: the configuration comes from the log after the snapshot (C(old,new), C(new)).
  net.crash(follower);
  net.restart(follower);
  assert.deepEqual(net.raft(follower).config, config([1, 2, 3, 4]));
  assert.equal(net.raft(follower).configIndex, i3);
  net.advance(30);

  // Compacted past every configuration entry: the snapshot alone carries it.
  compactAt(net, follower, new Uint8Array([3]), net.raft(follower).applied);
  assert.deepEqual(configsIn(net, follower), []);
  assert.deepEqual(net.raft(follower).snapshot?.config, config([1, 2, 3, 4]));
  net.crash(follower);
  net.node(follower).storage = new MemoryStorage<Cmd, Uint8Array>(net.node(follower).storage.load());
  net.restart(follower);
  assert.deepEqual(net.raft(follower).config, config([1, 2, 3, 4]));
  assert.equal(net.raft(follower).configIndex, 0);

  // The joiner got the whole log, configuration entries included; a restart keeps its configuration.
  net.crash(4);
  net.restart(4);
  assert.deepEqual(net.raft(4).config, config([1, 2, 3, 4]));
  assert.equal(net.raft(4).configIndex, i3);
});

test('a follower behind the leader snapshot takes the configuration from it', () => {
  const net = netWith([1, 2, 3, 4], config([1, 2, 3]), { snapshotChunkBytes: 16 });
  const leader = settledLeader(net);
  const r = net.raft(leader);
  r.proposeConfig(config([1, 2, 3], [4]));
  net.advance(30);
  r.proposeConfig(config([1, 2, 3, 4], [], [1, 2, 3]));
  net.advance(30);
  const lagging = [1, 2, 3].find((id) => id !== leader)!;
  net.crash(lagging);
  for (let i = 0; i < 5; i++) net.propose(leader, `p${i}`);
  net.advance(30);
  compactAt(net, leader, new Uint8Array(40));
  assert.deepEqual(r.snapshot?.config, config([1, 2, 3, 4]));
  // The lagging node restarts knowing only the bootstrap configuration.
  net.node(lagging).storage = new MemoryStorage<Cmd, Uint8Array>();
  net.restart(lagging);
  assert.deepEqual(net.raft(lagging).config, config([1, 2, 3]));
  net.advance(100);
  assert.ok(net.sent.some((m) => m.type === 'snapshot' && m.to === lagging));
  assert.deepEqual(net.raft(lagging).config, config([1, 2, 3, 4]), 'from the snapshot');
  assert.deepEqual(net.node(lagging).storage.load().snapshot?.config, config([1, 2, 3, 4]));
});

test('in a joint configuration an election needs a majority of both halves', () => {
  const joint = config([3, 4, 5], [], [1, 2, 3]);
  const entries: LogEntry<Cmd>[] = [
    { index: 1, term: 1, transition: NOOP },
    { index: 2, term: 1, config: joint },
  ];
  const state = { hardState: { term: 1, vote: null, commit: 2 }, entries };
  const states = Object.fromEntries([1, 2, 3, 4, 5].map((id) => [id, state]));
  const net = netFrom([1, 2, 3, 4, 5], states, { preVote: false, checkQuorum: false });
  for (const id of [1, 2, 3, 4, 5]) assert.deepEqual(net.raft(id).config, joint);

  // 3 gets 1 and 2 (old half) but nothing from 4 and 5: no majority of the new half.
  net.filter = (m) => m.from !== 4 && m.from !== 5 && m.to !== 4 && m.to !== 5;
  tickOne(net, 3, 250);
  assert.equal(net.raft(3).role, 'candidate');
  assert.ok(net.sent.filter((m) => m.type === 'vote-response' && m.granted && m.to === 3).length >= 2);
  // 5 gets 4 (new half) but nobody of the old half but 3, which voted for itself.
  net.filter = (m) => m.from !== 1 && m.from !== 2 && m.to !== 1 && m.to !== 2;
  tickOne(net, 5, 250);
  assert.notEqual(net.raft(5).role, 'leader');
  assert.equal(net.leaders().length, 0);
  // With both halves reachable an election succeeds.
  net.heal();
  const leader = net.electLeader();
  assert.ok([3, 4, 5].includes(leader) || [1, 2].includes(leader));
  net.advance(50);
  assert.deepEqual(net.raft(leader).config, config([3, 4, 5]), 'the new leader finishes the change: C(new)');
});

test('membership steps in the log: joint entries precede final ones; every replica ends on the same configuration', () => {
  const net = netWith([1, 2, 3, 4, 5], config([1, 2, 3]));
  let leader = settledLeader(net);
  const targets = [config([1, 2, 3], [4, 5]), config([1, 2, 3, 4, 5]), config([3, 4, 5], [1]), config([1, 4])];
  for (const target of targets) {
    const current = net.raft(leader).config;
    const sameVoters = current.voters.join() === target.voters.join();
    const index = net.raft(leader).proposeConfig(sameVoters ? target : { ...target, outgoing: current.voters });
    assert.ok(index > 0, `proposed ${JSON.stringify(target)}`);
    net.advance(200);
    const leaders = net
      .leaders()
      .filter((id) => net.raft(id).term === Math.max(...net.leaders().map((l) => net.raft(l).term)));
    leader = leaders[0] ?? net.electLeader();
    net.advance(50);
    assert.deepEqual(net.raft(leader).config, target);
  }
  for (const id of [1, 4]) assert.deepEqual(net.raft(id).config, config([1, 4]), `replica ${id}`);
  const steps = configsIn(net, leader);
  for (const id of [1, 4]) assert.deepEqual(configsIn(net, id), steps, `replica ${id} holds the same steps`);
  // Every C(old,new) is followed directly (among configuration entries) by its C(new).
  steps.forEach(([, c], i) => {
    if (c.outgoing.length === 0) return;
    assert.deepEqual(steps[i + 1]?.[1], { ...c, outgoing: [] });
  });
  assert.equal(steps.filter(([, c]) => c.outgoing.length > 0).length, 3, 'three joint changes');
});
