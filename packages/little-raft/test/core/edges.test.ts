// Edges that the mutation run (`npm run mutation`) showed no test pinned down: the default
// entry size behind maxBytesPerMessage, the exact check-quorum and transfer deadlines, a stale
// snapshot chunk answered with the newer term, and what restoreSnapshot asks storage to write.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { CoreNet } from '../support/core-net.js';
import { Raft } from '../../src/core/raft.js';
import type { ReplicaId } from '../../src/core/types.js';
import { bytes, drain, entriesOf, membership, run } from './util.js';

function settled(options = {}): { net: CoreNet; leader: ReplicaId; a: ReplicaId; b: ReplicaId } {
  const net = new CoreNet([1, 2, 3], options);
  const leader = net.electLeader();
  net.advance(30);
  const [a, b] = [1, 2, 3].filter((id) => id !== leader) as [ReplicaId, ReplicaId];
  return { net, leader, a, b };
}

test('maxBytesPerMessage alone bounds appends, at the default entry size of 64 bytes', () => {
  const { net, leader, a } = settled({ maxBytesPerMessage: 640 });
  const from = net.sent.length;
  net.raft(leader).propose(Array.from({ length: 25 }, (_, i) => ({ id: `e${i}` })));
  net.deliverAll();
  const sizes = net.sent
    .slice(from)
    .flatMap((m) => (m.type === 'append' && m.to === a && m.entries.length > 0 ? [m.entries.length] : []));
  assert.deepEqual(sizes, [10, 10, 5]);
});

test('check-quorum runs exactly at the minimum election timeout', () => {
  const { net, leader } = settled();
  const l = net.raft(leader);
  net.crash([1, 2, 3].filter((id) => id !== leader)[0]!);
  net.crash([1, 2, 3].filter((id) => id !== leader)[1]!);
  l.tick(100); // a check: the followers were active in this window; the window starts over at 0
  assert.equal(l.role, 'leader');
  l.tick(100); // exactly one window later: nobody answered
  assert.equal(l.role, 'follower');
  assert.equal(l.dropped['check-quorum-step-down'], 1);
});

test('a transfer is given up exactly at the minimum election timeout', () => {
  const { net, leader, a } = settled();
  const l = net.raft(leader);
  net.filter = (m) => m.type !== 'timeout-now';
  assert.equal(l.transferLeadership(a), true);
  net.deliverAll();
  l.tick(99);
  assert.equal(l.propose([{ id: 'early' }]), 0, 'still transferring');
  l.tick(1);
  assert.equal(l.transferee, null);
  assert.ok(l.propose([{ id: 'late' }]) > 0, 'given up: proposals are taken again');
});

test('a snapshot chunk from a stale leader is answered with the newer term, like a stale append', () => {
  const { net, leader, a } = settled();
  const f = net.raft(a);
  f.step({
    type: 'snapshot',
    from: leader,
    to: a,
    term: f.term - 1,
    lastIncludedIndex: 50,
    lastIncludedTerm: 1,
    config: membership([1, 2, 3]),
    termStarts: [],
    offset: 0,
    data: bytes(10),
    done: true,
    seq: 0,
  });
  const { messages } = drain(net, a);
  const answers = messages.filter((m) => m.type === 'append-response' && m.to === leader);
  assert.equal(answers.length, 1);
  assert.ok(answers[0]!.type === 'append-response' && !answers[0]!.success);
  assert.equal(answers[0]!.term, f.term);
  assert.equal(f.dropped['stale-term'], 1);
});

test('restoreSnapshot: storage is told to drop the log the snapshot replaces; an older snapshot changes nothing', () => {
  const raft = new Raft<{ id: string }, Uint8Array>({
    id: 2,
    bootstrap: membership([1, 2, 3]),
    heartbeatInterval: 10,
    electionTimeoutRange: [100, 200],
    random: () => 0.5,
    noop: { id: 'noop' },
    stored: { hardState: { term: 4, vote: null, commit: 0 }, snapshot: null, entries: entriesOf(run(1, 3)) },
  });
  raft.restoreSnapshot({ lastIncludedIndex: 8, lastIncludedTerm: 4, data: bytes(10) });
  const write = raft.ready(true)?.write;
  assert.ok(write);
  assert.equal(write.truncateFrom, 9);
  assert.equal(write.snapshot?.lastIncludedIndex, 8);
  assert.equal(write.entries, undefined, 'no entries to write: the log is empty after the snapshot');
  assert.equal(raft.applied, 8);
  raft.restoreSnapshot({ lastIncludedIndex: 5, lastIncludedTerm: 4, data: bytes(10) });
  assert.equal(raft.applied, 8);
  assert.equal(raft.commit, 8);
  assert.equal(raft.ready(true), null);
});
