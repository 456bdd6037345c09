// Details of the core that a mutation run (`npm run mutation`) showed no test pinned down: when a
// vote or pre-vote is granted, the configuration falling back when its entry is cut by entries
// that are not configuration entries, ready() returning a Ready that holds a single kind of
// output, reads left over when a leader steps down, and a configuration entry's append making the
// leader look at its commit index again.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { CoreNet, NOOP, withReads, type Cmd, type Msg } from '../support/core-net.js';
import { Raft, type Ready, type ReadState } from '../../src/core/raft.js';
import type { LogEntry, Membership, ReplicaId, StoredState } from '../../src/core/types.js';
import { campaignAlone, entriesOf, membership, run } from './util.js';

type Out = Ready<Cmd, Uint8Array>;

/** A replica over the given stored state, its clock never firing an election by itself. */
function replica(
  id: ReplicaId,
  voters: ReplicaId[],
  stored: Partial<StoredState<Cmd, Uint8Array>> = {},
): Raft<Cmd, Uint8Array> {
  return new Raft<Cmd, Uint8Array>({
    id,
    bootstrap: membership(voters),
    heartbeatInterval: 10,
    electionTimeoutRange: [100, 200],
    random: () => 0.5,
    noop: NOOP,
    stored: { hardState: { term: 0, vote: null, commit: 0 }, snapshot: null, entries: [], ...stored },
  });
}

/** Calls ready(true) until it returns null, marking every write stable; returns all the output. */
function settle(r: Raft<Cmd, Uint8Array>): Out[] {
  const outs: Out[] = [];
  for (let out = r.ready(true); out; out = r.ready(true)) {
    outs.push(out);
    const last = out.write?.entries?.at(-1);
    if (last) r.markStable(last.index, last.term);
  }
  return outs;
}

/** The vote answers a replica gives: [to, term, granted, preVote]. */
function voteAnswers(r: Raft<Cmd, Uint8Array>): [ReplicaId, number, boolean, boolean][] {
  return settle(r)
    .flatMap((o) => [...o.messages, ...o.afterWrite])
    .flatMap((m) => (m.type === 'vote-response' ? [[m.to, m.term, m.granted, m.preVote]] : []));
}

function voteRequest(
  from: ReplicaId,
  to: ReplicaId,
  term: number,
  lastLogIndex: number,
  lastLogTerm: number,
  preVote = false,
): Msg {
  return { type: 'vote-request', from, to, term, lastLogIndex, lastLogTerm, preVote, transfer: false };
}

function append(
  from: ReplicaId,
  to: ReplicaId,
  term: number,
  prevLogIndex: number,
  prevLogTerm: number,
  entries: LogEntry<Cmd>[],
  leaderCommit: number,
  seq = 0,
): Msg {
  return { type: 'append', from, to, term, prevLogIndex, prevLogTerm, entries, leaderCommit, seq };
}

/** A Ready holding only what `parts` gives. */
function only(parts: Partial<Out>): Out {
  return {
    messages: [],
    write: null,
    afterWrite: [],
    snapshot: null,
    apply: [],
    truncatedFrom: 0,
    reads: [],
    ...parts,
  };
}

// ---- 1. vote granting ---------------------------------------------------------------------

test('votes and pre-votes go to a log whose last term is newer, or equal with a last index at least as high', () => {
  // The voter's log: terms [1, 1, 2], last (3, 2), at term 2.
  const cases: [lastIndex: number, lastTerm: number, granted: boolean][] = [
    [10, 1, false], // longer, but an older last term
    [1, 3, true], // shorter, but a newer last term
    [2, 2, false], // same last term, shorter
    [3, 2, true], // same last term and length
    [4, 2, true], // same last term, longer
  ];
  for (const [lastIndex, lastTerm, granted] of cases) {
    for (const preVote of [false, true]) {
      const r = replica(1, [1, 2, 3], { hardState: { term: 2, vote: null, commit: 0 }, entries: entriesOf([1, 1, 2]) });
      settle(r);
      r.step(voteRequest(2, 1, 3, lastIndex, lastTerm, preVote));
      // A real vote request moves the voter to its term either way; a pre-vote changes nothing,
      // and a refused one tells the voter's own term.
      const answerTerm = preVote && !granted ? 2 : 3;
      const label = `${preVote ? 'pre-vote' : 'vote'} for (${lastIndex}, ${lastTerm})`;
      assert.deepEqual(voteAnswers(r), [[2, answerTerm, granted, preVote]], label);
      assert.equal(r.term, preVote ? 2 : 3, label);
      assert.equal(r.vote, granted && !preVote ? 2 : null, label);
    }
  }
});

test('in its term a replica votes once: another candidate is refused, the same one is granted again', () => {
  const r = replica(1, [1, 2, 3], { hardState: { term: 2, vote: 3, commit: 0 }, entries: entriesOf([1, 1, 2]) });
  settle(r);
  r.step(voteRequest(2, 1, 2, 3, 2));
  assert.deepEqual(voteAnswers(r), [[2, 2, false, false]], 'already voted for 3 in term 2');
  assert.equal(r.vote, 3);
  r.step(voteRequest(3, 1, 2, 3, 2));
  assert.deepEqual(voteAnswers(r), [[3, 2, true, false]], 'the same candidate again (its answer was lost)');
  assert.equal(r.vote, 3);
  // A pre-vote for this term is refused too; one for the next term is granted, changing nothing.
  r.step(voteRequest(2, 1, 2, 3, 2, true));
  assert.deepEqual(voteAnswers(r), [[2, 2, false, true]], 'a pre-vote in the term already voted in');
  r.step(voteRequest(2, 1, 3, 3, 2, true));
  assert.deepEqual(voteAnswers(r), [[2, 3, true, true]], 'a pre-vote for the next term');
  assert.deepEqual([r.term, r.vote], [2, 3]);
});

test('a replica that knows its term leader refuses votes in that term, though it has not voted', () => {
  const r = replica(1, [1, 2, 3], { hardState: { term: 2, vote: null, commit: 0 }, entries: entriesOf([1, 1, 2]) });
  r.step(append(3, 1, 2, 3, 2, [], 0));
  settle(r);
  assert.equal(r.leaderId, 3);
  r.step(voteRequest(2, 1, 2, 3, 2));
  assert.deepEqual(voteAnswers(r), [[2, 2, false, false]]);
  assert.equal(r.vote, null);
});

test('stale vote requests: a pre-vote is refused at the newer term, a vote is dropped; a newer term frees the vote', () => {
  const r = replica(1, [1, 2, 3], { hardState: { term: 3, vote: 3, commit: 0 }, entries: entriesOf([1, 1, 2]) });
  settle(r);
  r.step(voteRequest(2, 1, 2, 9, 9));
  assert.deepEqual(voteAnswers(r), [], 'a stale vote request gets no answer');
  assert.equal(r.dropped['stale-term'], 1);
  r.step(voteRequest(2, 1, 2, 9, 9, true));
  assert.deepEqual(voteAnswers(r), [[2, 3, false, true]], 'a stale pre-vote is refused at term 3');
  r.step(voteRequest(2, 1, 4, 3, 2));
  assert.deepEqual(voteAnswers(r), [[2, 4, true, false]], 'term 4: the vote for 3 in term 3 no longer binds');
  assert.deepEqual([r.term, r.vote], [4, 2]);
});

// ---- 2. a configuration entry cut by entries that are not configuration entries ------------

test('a configuration entry cut by non-config entries: the configuration falls back to the previous entry', () => {
  const a: Membership = membership([1, 2, 3, 4]);
  const b: Membership = membership([1, 2, 3, 4, 5]);
  const entries: LogEntry<Cmd>[] = [
    { index: 1, term: 1, transition: NOOP },
    { index: 2, term: 1, config: a },
    { index: 3, term: 1, config: b },
  ];
  const r = replica(1, [1, 2, 3], { hardState: { term: 1, vote: null, commit: 2 }, entries });
  settle(r);
  assert.deepEqual([r.config, r.configIndex], [b, 3]);
  // The leader of term 2 replaces entry 3 (configuration b) with plain entries.
  r.step(append(2, 1, 2, 2, 1, entriesOf([2, 2], 3), 2));
  assert.deepEqual(termsOfLog(r), [1, 1, 2, 2]);
  assert.deepEqual([r.config, r.configIndex], [a, 2]);
});

test('a configuration entry cut by non-config entries: with no earlier entry, back to the bootstrap configuration', () => {
  const entries: LogEntry<Cmd>[] = [
    { index: 1, term: 1, transition: NOOP },
    { index: 2, term: 1, config: membership([1, 2, 3, 4]) },
  ];
  const r = replica(1, [1, 2, 3], { hardState: { term: 1, vote: null, commit: 1 }, entries });
  settle(r);
  assert.equal(r.configIndex, 2);
  r.step(append(2, 1, 2, 1, 1, entriesOf([2], 2), 1));
  assert.deepEqual(termsOfLog(r), [1, 2]);
  assert.deepEqual([r.config, r.configIndex], [membership([1, 2, 3]), 0]);
});

function termsOfLog(r: Raft<Cmd, Uint8Array>): number[] {
  return r.log.slice(r.log.snapshotIndex + 1, r.log.lastIndex).map((e) => e.term);
}

// ---- 3. ready() returns a Ready holding a single kind of output ----------------------------

/** A follower of leader 3 in term 2, holding (1, 1) and (2, 2), both committed and applied. */
function follower(): Raft<Cmd, Uint8Array> {
  const r = replica(1, [1, 2, 3], { hardState: { term: 2, vote: null, commit: 2 }, entries: entriesOf([1, 2]) });
  r.step(append(3, 1, 2, 2, 2, [], 2, 5));
  settle(r);
  assert.equal(r.leaderId, 3);
  assert.equal(r.ready(true), null);
  return r;
}

function appendAck(index: number, seq: number, success = true, term = 2): Msg {
  return { type: 'append-response', from: 1, to: 3, term, success, index, hintIndex: 0, hintTerm: 0, seq };
}

test('ready() returns a Ready holding only a read state', () => {
  const r = replica(1, [1, 2, 3]);
  assert.equal(r.ready(true), null);
  r.readIndex(7); // no leader known: refused at once
  assert.deepEqual(r.ready(true), only({ reads: [{ id: 7, index: 0 }] }));
  assert.equal(r.ready(true), null);
});

test('ready() returns a Ready holding only a truncation', () => {
  const r = replica(1, [1, 2, 3], { hardState: { term: 1, vote: null, commit: 1 }, entries: entriesOf([1, 1]) });
  settle(r);
  r.step(append(3, 1, 2, 1, 1, entriesOf([2], 2), 1));
  // A write is in flight: the write and the answer after it wait; the truncation is told now.
  assert.deepEqual(r.ready(false), only({ truncatedFrom: 2 }));
  const next = r.ready(true);
  assert.equal(next?.truncatedFrom, 0);
  assert.deepEqual(next?.write?.entries, entriesOf([2], 2));
});

test('ready() returns a Ready holding only afterWrite messages', () => {
  const r = follower();
  r.step(append(3, 1, 2, 2, 2, entriesOf([2], 3), 2, 6));
  assert.deepEqual(r.ready(true)?.write?.entries, entriesOf([2], 3));
  // Entry 3's write is in flight: a heartbeat's answer that claims it waits for it, as an append's does.
  r.step(append(3, 1, 2, 3, 2, [], 2, 7));
  assert.deepEqual(r.ready(true), only({ afterWrite: [appendAck(3, 7)] }));
  assert.equal(r.ready(true), null);
});

test('a heartbeat claiming only durable entries is answered at once, while a write is in flight', () => {
  const r = follower();
  r.step(append(3, 1, 2, 2, 2, entriesOf([2], 3), 2, 6));
  assert.deepEqual(r.ready(true)?.write?.entries, entriesOf([2], 3));
  // The leader's heartbeat sits at what this follower acknowledged: entry 2, durable.
  r.step(append(3, 1, 2, 2, 2, [], 2, 7));
  assert.deepEqual(r.ready(false), only({ messages: [appendAck(2, 7)] }));
});

test('ready() returns a Ready holding only messages', () => {
  const r = follower();
  r.step(append(2, 1, 1, 0, 0, [], 0)); // a stale leader: told the newer term
  assert.deepEqual(r.ready(true), only({ messages: [{ ...appendAck(0, 0, false), to: 2 }] }));
  assert.equal(r.ready(true), null);
});

test('ready() counts every kind of output: one message with one afterWrite message', () => {
  const r = follower();
  r.step(append(3, 1, 2, 2, 2, entriesOf([2], 3), 2, 6));
  r.ready(true); // entry 3's write is in flight
  r.step(append(3, 1, 2, 3, 2, [], 2, 7));
  r.step(append(2, 1, 1, 0, 0, [], 0));
  assert.deepEqual(
    r.ready(true),
    only({ messages: [{ ...appendAck(0, 0, false), to: 2 }], afterWrite: [appendAck(3, 7)] }),
  );
});

test('ready() counts every kind of output: one afterWrite message with one entry to apply', () => {
  const r = follower();
  // Entry 3 arrives already committed; it is applied only once durable.
  r.step(append(3, 1, 2, 2, 2, entriesOf([2, 2], 3), 3, 6));
  const first = r.ready(true);
  assert.deepEqual(first?.apply, []);
  assert.deepEqual(first?.write?.entries, entriesOf([2, 2], 3));
  r.markStable(3, 2); // entry 4 is not durable yet
  r.step(append(3, 1, 2, 4, 2, [], 3, 7));
  assert.deepEqual(r.ready(true), only({ afterWrite: [appendAck(4, 7)], apply: entriesOf([2], 3) }));
});

test('ready() counts every kind of output: one message with one read state', () => {
  const r = replica(1, [1, 2, 3], { hardState: { term: 2, vote: null, commit: 0 }, entries: [] });
  assert.equal(r.ready(true), null);
  r.readIndex(4);
  r.step(append(3, 1, 1, 0, 0, [], 0)); // stale
  assert.deepEqual(
    r.ready(true),
    only({ messages: [{ ...appendAck(0, 0, false), from: 1, to: 3 }], reads: [{ id: 4, index: 0 }] }),
  );
});

// ---- 4. reads left over when a leader steps down -------------------------------------------

/** A higher-term message that makes `id` step down (transfer: it bypasses the leader lease). */
function stepDown(net: CoreNet, id: ReplicaId): void {
  const r = net.raft(id);
  const from = net.ids.find((x) => x !== id)!;
  r.step({
    type: 'vote-request',
    from,
    to: id,
    term: r.term + 1,
    lastLogIndex: 0,
    lastLogTerm: 0,
    preVote: false,
    transfer: true,
  });
  assert.equal(r.role, 'follower');
}

/**
 * Node 1 leads and cannot answer read 1 yet: it steps down, which refuses the read (index 0);
 * then it leads again with every message delivered, and read 2 is answered at its commit index.
 * The refused read must not be answered a second time.
 */
function readRefusedThenLeadingAgain(net: CoreNet, reads: ReadState[]): void {
  const r = net.raft(1);
  r.readIndex(1);
  net.deliverAll();
  assert.deepEqual(reads, []);
  stepDown(net, 1);
  net.deliverAll();
  assert.deepEqual(reads, [{ id: 1, index: 0 }], 'refused');
  net.heal();
  campaignAlone(net, 1);
  net.deliverAll();
  assert.equal(r.log.term(r.commit), r.term);
  r.readIndex(2);
  net.deliverAll();
  assert.deepEqual(reads, [
    { id: 1, index: 0 },
    { id: 2, index: r.commit },
  ]);
}

test('a read waiting for the new leader to commit its noop is refused when it steps down, and not answered later', () => {
  const net = new CoreNet([1, 2, 3], { checkQuorum: false });
  net.filter = (m) => m.type !== 'append-response'; // the noop is not committed
  campaignAlone(net, 1);
  const r = net.raft(1);
  const reads = withReads(net).get(1)!;
  assert.ok(r.commit < r.log.lastIndex);
  // Once the same replica leads again and has committed its noop, the refused read stays answered once.
  readRefusedThenLeadingAgain(net, reads);
});

test('a read whose heartbeat round is unanswered is refused when the leader steps down, and not answered later', () => {
  const net = new CoreNet([1, 2, 3], { checkQuorum: false });
  campaignAlone(net, 1);
  net.deliverAll();
  const r = net.raft(1);
  assert.equal(r.log.term(r.commit), r.term);
  const reads = withReads(net).get(1)!;
  net.filter = (m) => m.type !== 'append-response'; // the round is never acknowledged
  // Leading again, its new heartbeats are acknowledged: the old round is gone, not released.
  readRefusedThenLeadingAgain(net, reads);
});

// ---- 5. an append makes the leader look at its commit index again ---------------------------

test('removing a dead follower from a two-node cluster commits what the leader alone holds, in the same Ready', () => {
  const net = new CoreNet([1, 2]);
  campaignAlone(net, 1);
  net.deliverAll();
  const l = net.raft(1);
  const noop = l.commit;
  assert.equal(l.log.term(noop), l.term);
  net.crash(2);
  net.propose(1, 'x', 'y');
  assert.equal(l.stable, noop + 2, 'durable on the leader');
  assert.equal(l.commit, noop, 'but not on both voters');
  const index = l.proposeConfig(membership([1]));
  assert.equal(index, noop + 3);
  const out = l.ready(true);
  assert.equal(l.commit, noop + 2, 'the new quorum (the leader alone) holds x and y');
  assert.deepEqual(
    out?.apply.map((e) => e.transition),
    [{ id: 'x' }, { id: 'y' }],
  );
  assert.deepEqual(
    out?.write?.entries?.map((e) => e.index),
    [index],
  );
  l.markStable(index, l.term);
  l.ready(true);
  assert.equal(l.commit, index);
});

test('ready() hands out at most maxApplyBytes of entries to apply (the first always), the rest in later Readies', () => {
  const r = new Raft<Cmd, Uint8Array>({
    id: 1,
    bootstrap: membership([1, 2, 3]),
    heartbeatInterval: 10,
    electionTimeoutRange: [100, 200],
    random: () => 0.5,
    noop: NOOP,
    stored: { hardState: { term: 2, vote: null, commit: 0 }, snapshot: null, entries: [] },
    entrySize: () => 100,
    maxApplyBytes: 250,
  });
  // Ten entries arrive committed; once durable, they are applied two (200 bytes) at a time.
  r.step(append(3, 1, 2, 0, 0, entriesOf(run(2, 10), 1), 10, 1));
  const first = r.ready(true);
  r.markStable(10, 2);
  assert.deepEqual(first?.apply, []);
  const applied: number[][] = [];
  for (let out = r.ready(true); out; out = r.ready(true)) {
    applied.push(out.apply.map((e) => e.index));
    assert.equal(r.applied, out.apply.at(-1)?.index ?? r.applied);
  }
  assert.deepEqual(applied, [
    [1, 2],
    [3, 4],
    [5, 6],
    [7, 8],
    [9, 10],
  ]);
});
