// The leader's side of a chunked snapshot transfer, in the details the mutation run
// (`npm run mutation`) showed no test pinned down: one chunk in flight, stale answers ignored,
// no restart on a delayed acknowledgement, and a restart from offset 0 when the leader's
// snapshot changes under the transfer.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { CoreNet, type CoreOptions, type Msg } from '../support/core-net.js';
import type { SnapshotChunk } from '../../src/core/types.js';
import { ChunkedBytes, type SnapshotBytes } from '../../src/storage/snapshot-bytes.js';
import { bytes, compactAt } from './util.js';

type Chunk = SnapshotChunk<Uint8Array>;
const chunksTo3 = (net: CoreNet, from = 0) =>
  net.sent.slice(from).filter((m: Msg) => m.type === 'snapshot' && m.to === 3) as Chunk[];

/** Node 3 is down and has missed 40 entries, with snapshots sent in chunks of 1 KiB. */
function behind(options: CoreOptions = {}): { net: CoreNet; leader: number } {
  const net = new CoreNet([1, 2, 3], { snapshotChunkBytes: 1024, ...options });
  const leader = net.electLeader();
  assert.notEqual(leader, 3, 'seed must not elect node 3');
  net.advance(20);
  net.crash(3);
  for (let i = 0; i < 40; i++) net.propose(leader, `x${i}`);
  net.advance(20);
  return { net, leader };
}

/** Node 3 missed 40 entries that the leader then compacted away (a snapshot of `size` bytes); node 3 is back. */
function lagging(size = 10_000): { net: CoreNet; leader: number; snapIndex: number; old: number } {
  const { net, leader } = behind();
  const snapIndex = net.raft(leader).applied;
  compactAt(net, leader, bytes(size), snapIndex);
  net.sent = [];
  net.restart(3);
  return { net, leader, snapIndex, old: net.raft(3).log.lastIndex };
}

/** Ticks the leader once by a heartbeat interval (no other clock moves). */
function heartbeat(net: CoreNet, leader: number): void {
  net.raft(leader).tick(10);
  net.deliverAll();
}

test('one snapshot chunk in flight: new proposals send no further chunk until it is answered', () => {
  const { net, leader } = lagging();
  net.filter = (m) => m.type !== 'snapshot-response';
  heartbeat(net, leader);
  assert.equal(chunksTo3(net).length, 1);
  for (let i = 0; i < 3; i++) net.propose(leader, `p${i}`);
  assert.equal(chunksTo3(net).length, 1, 'still the one chunk: the follower is paused until the answer');
  heartbeat(net, leader);
  assert.deepEqual(
    chunksTo3(net).map((c) => c.offset),
    [0, 0],
    'unanswered for a heartbeat: the same chunk again',
  );
});

test('a delayed acknowledgement, rejection or snapshot answer during a snapshot transfer neither restarts nor moves it', () => {
  const { net, leader, snapIndex, old } = lagging();
  const l = net.raft(leader);
  // Hold every chunk but the first, so the transfer is under way at offset 1024.
  let pass = 1;
  net.filter = (m) => !(m.type === 'snapshot' && m.to === 3) || pass-- > 0;
  heartbeat(net, leader);
  assert.deepEqual(
    chunksTo3(net).map((c) => c.offset),
    [0, 1024],
    'the first chunk delivered, the second held back',
  );
  const term = l.term;
  const base = { type: 'append-response', from: 3, to: leader, term, hintIndex: 0, hintTerm: 0, seq: 0 } as const;
  l.step({ ...base, success: true, index: old }); // an old heartbeat's ack
  l.step({ ...base, success: true, index: snapIndex - 1 }); // an old append's ack, still below the snapshot
  l.step({ ...base, success: false, index: snapIndex }); // an old probe's rejection
  assert.equal(l.dropped['stale-append-rejection'], 1);
  // An answer about another (older) snapshot.
  l.step({ type: 'snapshot-response', from: 3, to: leader, term, lastIncludedIndex: old, nextOffset: 5000, seq: 0 });
  assert.equal(l.dropped['stale-snapshot-response'], 1);
  const from = net.sent.length;
  net.heal();
  net.advance(60);
  const offsets = chunksTo3(net, from).map((c) => c.offset);
  assert.deepEqual(
    offsets,
    [1024, 2048, 3072, 4096, 5120, 6144, 7168, 8192, 9216],
    'the transfer went on where it was',
  );
  assert.equal(net.raft(3).log.snapshotIndex, snapIndex);
  assert.equal(net.raft(3).log.lastIndex, l.log.lastIndex);
});

test('when the leader compacts again during a transfer, the new snapshot is sent from offset 0', () => {
  const { net, leader } = lagging();
  const l = net.raft(leader);
  let pass = 2;
  net.filter = (m) => !(m.type === 'snapshot' && m.to === 3) || pass-- > 0;
  heartbeat(net, leader);
  assert.deepEqual(
    chunksTo3(net).map((c) => c.offset),
    [0, 1024, 2048],
    'two chunks delivered, the third held back',
  );
  for (let i = 0; i < 5; i++) net.propose(leader, `y${i}`);
  net.advance(10);
  const newIndex = l.applied;
  compactAt(net, leader, bytes(3000, 9), newIndex);
  assert.equal(l.log.snapshotIndex, newIndex);
  const from = net.sent.length;
  net.heal();
  net.advance(60);
  const chunks = chunksTo3(net, from);
  assert.deepEqual(
    chunks.map((c) => [c.lastIncludedIndex, c.offset]),
    [
      [newIndex, 0],
      [newIndex, 1024],
      [newIndex, 2048],
    ],
  );
  assert.equal(net.raft(3).log.snapshotIndex, newIndex);
  assert.deepEqual(net.node(3).snapshotLoaded?.data, bytes(3000, 9));
  assert.equal(net.raft(3).log.lastIndex, l.log.lastIndex);
});

test('snapshot answers keep the follower active: check-quorum does not depose a leader during a long transfer', () => {
  const { net, leader, snapIndex } = lagging(30_000);
  const other = [1, 2].find((id) => id !== leader)!;
  net.crash(other); // the leader's quorum is now itself and node 3, which only answers snapshot chunks
  let n = 0;
  net.filter = (m) => !(m.type === 'snapshot' && m.to === 3) || n++ % 2 === 1; // each chunk needs a resend
  net.advance(400); // 30 chunks, a heartbeat each: past two whole check-quorum rounds
  assert.equal(net.raft(leader).role, 'leader');
  assert.equal(net.raft(3).log.snapshotIndex, snapIndex);
});

test('snapshot data that is not a Uint8Array but reads in chunks (SnapshotBytes) is sent a chunk at a time', () => {
  const { net, leader } = behind();
  const whole = bytes(3000);
  const asked: [number, number][] = [];
  // As DiskStorage's snapshotsOnDisk hands it over: only a length and subarray, read when asked.
  const onDisk: SnapshotBytes = {
    length: whole.length,
    subarray(begin: number, end: number) {
      asked.push([begin, end]);
      return whole.slice(begin, end);
    },
  };
  const raft = net.raft(leader);
  const index = raft.applied;
  raft.compact({
    lastIncludedIndex: index,
    lastIncludedTerm: raft.log.term(index)!,
    data: onDisk as unknown as Uint8Array,
  });
  net.flush();
  net.restart(3);
  net.advance(100);
  assert.deepEqual(asked, [
    [0, 1024],
    [1024, 2048],
    [2048, 3000],
  ]);
  const loaded = net.nodes.get(3)!.snapshotLoaded;
  assert.ok(loaded?.data instanceof Uint8Array, 'the follower assembles the bytes it received');
  assert.deepEqual(loaded.data, whole);
  assert.equal(net.raft(3).applied, net.raft(leader).applied);
});

test('a follower hands the chunks it received to joinSnapshotChunks, whose result is the snapshot it loads', () => {
  const joined: number[][] = [];
  const { net, leader } = behind({
    joinSnapshotChunks: (chunks, size) => {
      joined.push(chunks.map((c) => c.length));
      return new ChunkedBytes(chunks, size) as unknown as Uint8Array; // as the server's SnapshotBytes
    },
  });
  const whole = bytes(2500);
  compactAt(net, leader, whole);
  net.restart(3);
  net.advance(100);
  assert.deepEqual(joined, [[1024, 1024, 452]], 'the chunks as received, not copied into one');
  const loaded = net.nodes.get(3)!.snapshotLoaded!.data as unknown as SnapshotBytes;
  assert.ok(loaded instanceof ChunkedBytes);
  assert.deepEqual(loaded.subarray(0, loaded.length), whole);
  assert.equal(net.raft(3).applied, net.raft(leader).applied);
});
