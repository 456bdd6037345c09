// Batching and pipelining of appends: per-message bounds, the inflight window, probing after a
// rejection, and retransmission of a lost append.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { CoreNet, type Cmd, type CoreOptions, type Msg } from '../support/core-net.js';
import type { AppendRequest, LogEntry, ReplicaId } from '../../src/core/types.js';

type Append = AppendRequest<Cmd>;
const isAppendTo = (id: ReplicaId) => (m: Msg) => m.type === 'append' && m.to === id;
const carrying = (m: Msg) => m.type === 'append' && m.entries.length > 0;
const cmds = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => ({ id: `${prefix}${i}` }));

/** A 3-node cluster with a settled leader (node 1 campaigns first); followers in replicate state. */
function settled(options: CoreOptions): { net: CoreNet; leader: ReplicaId } {
  const net = new CoreNet([1, 2, 3], options);
  const leader = net.electLeader();
  net.advance(30);
  net.sent = [];
  return { net, leader };
}

/** Removes and returns the queued messages matching `pred`. */
function take(net: CoreNet, pred: (m: Msg) => boolean): Msg[] {
  const out = net.queue.filter(pred);
  net.queue = net.queue.filter((m) => !pred(m));
  return out;
}

/** Delivers one message and collects what it causes into the queue. */
function deliver(net: CoreNet, m: Msg): void {
  net.raft(m.to).step(m);
  net.flush();
}

test('appends carry at most maxEntriesPerMessage entries', () => {
  const { net, leader } = settled({ maxEntriesPerMessage: 10 });
  net.raft(leader).propose(cmds('x', 25));
  net.deliverAll();
  net.advance(20);
  const follower = leader === 1 ? 2 : 1;
  const appends = net.sent.filter((m) => isAppendTo(follower)(m) && carrying(m)) as Append[];
  assert.deepEqual(
    appends.map((m) => m.entries.length),
    [10, 10, 5],
  );
  for (const m of net.sent) if (m.type === 'append') assert.ok(m.entries.length <= 10);
  assert.equal(net.raft(follower).log.lastIndex, net.raft(leader).log.lastIndex);
});

test('appends respect maxBytesPerMessage by the custom entrySize; an oversized entry travels alone', () => {
  const entrySize = (e: LogEntry<Cmd>) => (e.transition?.id.startsWith('big') ? 700 : 100);
  const { net, leader } = settled({ maxBytesPerMessage: 1000, entrySize });
  const batch = [
    ...cmds('a', 4), // [a0..a3] 400: big1 would make it 1100
    { id: 'big1' }, // [big1, b0, b1, b2] 1000
    ...cmds('b', 3),
    ...cmds('c', 21), // then 10 + 10 + 1 of 100 bytes each
  ];
  net.raft(leader).propose(batch);
  net.deliverAll();
  const follower = leader === 1 ? 2 : 1;
  const appends = net.sent.filter((m) => isAppendTo(follower)(m) && carrying(m)) as Append[];
  const bytes = appends.map((m) => m.entries.reduce((s, e) => s + entrySize(e), 0));
  for (const b of bytes) assert.ok(b <= 1000, `message of ${b} bytes`);
  assert.deepEqual(
    appends.map((m) => m.entries.length),
    [4, 4, 10, 10, 1],
  );
  // Each message is full: the next entry would not have fit.
  for (let i = 0; i + 1 < appends.length; i++) {
    const next = appends[i + 1]!.entries[0]!;
    assert.ok(bytes[i]! + entrySize(next) > 1000);
  }

  // A single entry larger than the bound is still replicated, alone.
  const big = (e: LogEntry<Cmd>) => (e.transition?.id === 'whale' ? 5000 : 100);
  const s2 = settled({ maxBytesPerMessage: 1000, entrySize: big });
  s2.net.raft(s2.leader).propose([{ id: 'whale' }, ...cmds('d', 3)]);
  s2.net.deliverAll();
  const f2 = s2.leader === 1 ? 2 : 1;
  assert.deepEqual(
    (s2.net.sent.filter((m) => isAppendTo(f2)(m) && carrying(m)) as Append[]).map((m) =>
      m.entries.map((e) => e.transition?.id),
    ),
    [['whale'], ['d0', 'd1', 'd2']],
  );
});

test('at most maxInflight unacknowledged appends per follower in replicate state; each ack frees a slot', () => {
  const { net, leader } = settled({ maxEntriesPerMessage: 1, maxInflight: 3 });
  const follower = leader === 1 ? 2 : 1;
  net.raft(leader).propose(cmds('x', 10));
  net.flush();
  const first = take(net, isAppendTo(follower)) as Append[];
  assert.deepEqual(
    first.map((m) => m.entries.length),
    [1, 1, 1],
    'three in flight, the window is full',
  );
  const base = first[0]!.prevLogIndex;
  assert.deepEqual(
    first.map((m) => m.prevLogIndex),
    [base, base + 1, base + 2],
    'pipelined back to back',
  );
  // The follower answers the first only: exactly one more append goes out.
  deliver(net, first[0]!);
  const [ack] = take(net, (m) => m.from === follower && m.type === 'append-response');
  assert.ok(ack && ack.type === 'append-response' && ack.success);
  deliver(net, ack);
  const more = take(net, isAppendTo(follower)) as Append[];
  assert.deepEqual(
    more.map((m) => m.prevLogIndex),
    [base + 3],
  );
  // Deliver everything: the follower gets all ten.
  net.queue.push(...first.slice(1), ...more);
  net.deliverAll();
  net.advance(20);
  assert.equal(net.raft(follower).log.lastIndex, net.raft(leader).log.lastIndex);
  for (const m of net.sent) if (m.type === 'append') assert.ok(m.entries.length <= 1);
});

test('after a rejection the follower is probed one append at a time, then pipelining resumes', () => {
  const { net, leader } = settled({ maxEntriesPerMessage: 1, maxInflight: 4 });
  const follower = leader === 1 ? 2 : 1;
  net.raft(leader).propose(cmds('x', 8));
  net.flush();
  const window = take(net, isAppendTo(follower)) as Append[];
  assert.equal(window.length, 4);
  // The first is lost; the second arrives and is rejected (gap).
  deliver(net, window[1]!);
  const [reject] = take(net, (m) => m.from === follower && m.type === 'append-response');
  assert.ok(reject && reject.type === 'append-response' && !reject.success);
  deliver(net, reject);
  const probe = take(net, isAppendTo(follower)) as Append[];
  assert.equal(probe.length, 1, 'one probe, not a window');
  assert.equal(probe[0]!.prevLogIndex, window[0]!.prevLogIndex, 'probing from the last match');
  // Further rejections of the old window change nothing while the probe is out.
  deliver(net, window[2]!);
  deliver(net, window[3]!);
  for (const r of take(net, (m) => m.from === follower && m.type === 'append-response')) deliver(net, r);
  assert.deepEqual(take(net, isAppendTo(follower)), [], 'still waiting for the probe');
  // The probe is acknowledged: back to replicate, the window refills.
  deliver(net, probe[0]!);
  for (const r of take(net, (m) => m.from === follower && m.type === 'append-response')) deliver(net, r);
  const resumed = take(net, isAppendTo(follower)) as Append[];
  assert.ok(resumed.length > 1 && resumed.length <= 4, `${resumed.length} appends after the probe`);
  net.queue.push(...resumed);
  net.deliverAll();
  net.advance(20);
  assert.deepEqual(
    net.entries(follower).map((e) => e.transition?.id),
    net.entries(leader).map((e) => e.transition?.id),
  );
});

test('a lost append in replicate state is retransmitted after a heartbeat interval without progress', () => {
  const { net, leader } = settled({});
  const follower = leader === 1 ? 2 : 1;
  let lost = 0;
  net.filter = (m) => {
    if (isAppendTo(follower)(m) && carrying(m) && lost === 0) {
      lost++;
      return false;
    }
    return true;
  };
  const index = net.raft(leader).propose([{ id: 'x' }]);
  net.deliverAll();
  assert.equal(lost, 1);
  assert.equal(net.raft(leader).commit, index, 'committed with the other follower');
  assert.equal(net.raft(follower).log.lastIndex, index - 1, 'the follower missed it');
  const carried = () =>
    net.sent.filter((m) => isAppendTo(follower)(m) && (m as Append).entries.some((e) => e.index === index)).length;
  // Within two heartbeat intervals (10 ms each) the leader notices no progress and resends.
  net.advance(25);
  assert.equal(carried(), 2, 'sent twice: the lost one and the retransmission');
  assert.equal(net.raft(follower).log.term(index), net.raft(leader).term);
  net.advance(20);
  assert.equal(net.raft(follower).commit, index);
  assert.equal(net.node(follower).applied.at(-1)?.id, 'x');
});
