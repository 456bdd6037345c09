// Exactly-once application of write batches: the dedupe table, the KV state machine around it
// (duplicates skipped, snapshots carry the table), and the node-to-node forwarding messages.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { withTime, type KvBatch } from '../../src/store/batch.js';
import { DedupeTable, seqOf } from '../../src/store/dedupe.js';
import { decodeNodeMessage, encodeAccept, encodeForward, encodeReject } from '../../src/node/forwarding.js';
import type { Reply } from '../../src/resp/reply.js';
import { KvStateMachine } from '../../src/store/state-machine.js';
import { cmd, plain } from '../support/kv-helpers.js';
import { inMemory } from '../support/in-memory-snapshot.js';

test('dedupe: each (origin, seq) is admitted once, in any order; older incarnations are skipped', () => {
  const table = new DedupeTable();
  const s = (counter: number, incarnation = 1): number => seqOf(incarnation, counter);
  assert.equal(table.admit(7, s(1)), true);
  assert.equal(table.admit(7, s(1)), false, 'a second copy');
  assert.equal(table.admit(7, s(3)), true, 'a gap is fine');
  assert.equal(table.admit(7, s(2)), true, 'the gap filled later');
  assert.equal(table.admit(7, s(3)), false);
  assert.equal(table.admit(7, s(2)), false);
  assert.equal(table.admit(8, s(1)), true, 'origins are independent');
  assert.equal(table.admit(7, s(1, 2)), true, 'a restarted node starts a new incarnation');
  assert.equal(table.admit(7, s(4, 1)), false, 'the old incarnation is over');
  assert.equal(table.admit(7, s(1, 2)), false);
});

test('dedupe: the table round-trips through numbers, and its floor jumps only past the oldest gap', () => {
  const table = new DedupeTable();
  // Counter 1 never arrives (a batch given up on): everything after stays in the applied set.
  for (let c = 2; c <= 8194; c++) assert.equal(table.admit(3, seqOf(1, c)), true);
  // Past 8,192 gaps' worth the floor moves up to the smallest applied seq, counting 1 as done.
  assert.equal(table.admit(3, seqOf(1, 1)), false, 'below the floor now');
  for (let c = 2; c <= 8194; c++) assert.equal(table.admit(3, seqOf(1, c)), false, `counter ${c} again`);
  assert.equal(table.admit(3, seqOf(1, 8195)), true);

  const copy = DedupeTable.fromNumbers(table.toNumbers());
  assert.deepEqual(copy.toNumbers(), table.toNumbers());
  assert.equal(copy.admit(3, seqOf(1, 8195)), false);
  assert.equal(copy.admit(3, seqOf(1, 8196)), true);
  assert.throws(() => DedupeTable.fromNumbers([1, 1, 5, 3, 6]), /bad number at position 5/);
  assert.throws(() => DedupeTable.fromNumbers([1, 1, 5, -1]), /bad number at position 3/);
  assert.throws(() => DedupeTable.fromNumbers([1, 1, 5, 1e9]), /applied seqs for origin 1/);
});

function machine(): { sm: KvStateMachine; applied: [string, Reply[] | null][] } {
  const applied: [string, Reply[] | null][] = [];
  const sm = new KvStateMachine({
    applied: (batch, replies) => applied.push([batch.id, replies]),
    abandoned: () => undefined,
    pending: () => [],
    restored: () => undefined,
  });
  return { sm, applied };
}

function batch(origin: number, counter: number, at: number, ...lines: string[]): KvBatch {
  const seq = seqOf(1, counter);
  return { id: `${origin}:${seq}`, origin, seq, at, commands: lines.map((l) => cmd(l)) };
}

test('state machine: a batch that reaches the log twice changes the data once; replicas agree', async () => {
  const a = machine();
  const b = machine();
  const log = [
    batch(1, 1, 1000, 'set k 1', 'incr k'),
    batch(2, 1, 1001, 'incr k'),
    batch(1, 1, 1002, 'set k 1', 'incr k'), // the same batch, sent again to a new leader
    batch(1, 2, 1003, 'incr k', 'set t x px 100'),
  ];
  log.forEach((entry, i) => {
    a.sm.applyTransition(entry, i + 1);
    b.sm.applyTransition(entry, i + 1);
  });
  assert.deepEqual(
    a.applied.map(([id, replies]) => [id, replies && replies.map(plain)]),
    [
      [log[0]!.id, ['+OK', 2]],
      [log[1]!.id, [3]],
      [log[2]!.id, null],
      [log[3]!.id, [4, '+OK']],
    ],
  );
  assert.deepEqual(plain(a.sm.keyspace.read(cmd('get k'), 1003)), '4');
  // Expiry follows the batches' stamps: t expires at 1103 on every replica.
  assert.deepEqual(plain(a.sm.keyspace.read(cmd('pttl t'), 1003)), 100);
  assert.deepEqual(
    Buffer.from((await inMemory(a.sm.createSnapshot(4, 1))).data),
    Buffer.from((await inMemory(b.sm.createSnapshot(4, 1))).data),
  );
});

test('state machine: snapshots carry the key space, the dedupe table and the leader time; bad ones change nothing', async () => {
  const a = machine();
  a.sm.applyTransition(batch(1, 1, 5000, 'set k v'), 1);
  a.sm.applyTransition({ id: 'noop', origin: 0, seq: 0, at: 0, commands: [] }, 2);
  const snapshot = await inMemory(a.sm.createSnapshot(2, 1));

  const b = machine();
  b.sm.loadNow(snapshot);
  assert.equal(b.sm.lastAt, 5000);
  assert.equal(b.sm.lastApplied, 2);
  assert.deepEqual(plain(b.sm.keyspace.read(cmd('get k'), 5000)), 'v');
  b.sm.applyTransition(batch(1, 1, 6000, 'set k again'), 3);
  assert.deepEqual(b.applied, [['1:4294967297', null]], 'the batch the snapshot covers is a duplicate');
  assert.deepEqual(plain(b.sm.keyspace.read(cmd('get k'), 6000)), 'v');

  const data = snapshot.data;
  const broken = [
    data.subarray(0, 10),
    Uint8Array.from(data, (x, i) => (i === 0 ? x ^ 1 : x)),
    Uint8Array.from(data, (x, i) => (i === 4 ? 9 : x)),
  ];
  for (const bad of broken) {
    assert.throws(() => b.sm.loadNow({ ...snapshot, data: bad }), /KV snapshot|key space snapshot/);
    assert.deepEqual(plain(b.sm.keyspace.read(cmd('get k'), 6000)), 'v', 'the state is as it was');
  }
});

test('forwarding messages: a batch and a rejection round-trip; malformed bytes get a precise error', () => {
  const b = batch(2, 9, 0, 'set a b', 'incr c');
  const forwarded = decodeNodeMessage(encodeForward(b));
  assert.equal(forwarded.type, 'forward');
  assert.deepEqual(
    forwarded.type === 'forward' && {
      ...withTime(forwarded.batch, forwarded.batch.at), // a decoded batch's fields are getters
      commands: forwarded.batch.commands.map((c) => c.map((x) => Buffer.from(x).toString())),
    },
    {
      ...b,
      commands: [
        ['set', 'a', 'b'],
        ['incr', 'c'],
      ],
    },
  );
  assert.deepEqual(decodeNodeMessage(encodeReject(b.seq, 3)), { type: 'reject', seq: b.seq, leaderId: 3 });
  assert.deepEqual(decodeNodeMessage(encodeReject(b.seq, null)), { type: 'reject', seq: b.seq, leaderId: -1 });
  assert.throws(() => decodeNodeMessage(new Uint8Array()), /empty node message/);
  assert.throws(() => decodeNodeMessage(Uint8Array.of(9)), /unknown node message type 9/);
  assert.throws(() => decodeNodeMessage(encodeReject(1, 1).subarray(0, 12)), /reject message of 12 bytes/);
  const badSeq = encodeReject(1, 1);
  new DataView(badSeq.buffer).setFloat64(1, 0.5);
  assert.throws(() => decodeNodeMessage(badSeq), /bad seq/);
  assert.throws(() => decodeNodeMessage(encodeForward(b).subarray(0, 8)), /batch|truncated|bytes/i);
  assert.deepEqual(decodeNodeMessage(encodeAccept(b.seq)), { type: 'accept', seq: b.seq });
  assert.throws(() => decodeNodeMessage(encodeAccept(1).subarray(0, 8)), /accept message of 8 bytes, expected 9/);
  const badAccept = encodeAccept(1);
  new DataView(badAccept.buffer).setFloat64(1, -1);
  assert.throws(() => decodeNodeMessage(badAccept), /accept message with a bad seq/);
});
