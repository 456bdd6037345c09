// The KV state machine's snapshots with the member table (format 2; format 1, without it, still
// read), a damaged member section refused whole, the start of a new cluster from a backup
// (forNewCluster), and member commands applied from batches.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import type { KvBatch } from '../../src/store/batch.js';
import { DedupeTable, seqOf } from '../../src/store/dedupe.js';
import { Keyspace } from '../../src/store/keyspace.js';
import { memberDelCommand, memberSetCommand, type MemberAddresses } from '../../src/store/members.js';
import type { Reply } from '../../src/resp/reply.js';
import { KvStateMachine } from '../../src/store/state-machine.js';
import { cmd, plain, T0 } from '../support/kv-helpers.js';
import { inMemory } from '../support/in-memory-snapshot.js';

const A: MemberAddresses = { raft: '10.0.0.1:7001', redis: '10.0.0.1:6379', http: '10.0.0.1:8081' };
const B: MemberAddresses = { raft: '10.0.0.2:7002', redis: null, http: null };

/** A state machine and what its hooks were told. */
function machine(): {
  sm: KvStateMachine;
  replies: (Reply[] | null)[];
  restored: number[];
  membersChanged: () => number;
} {
  const replies: (Reply[] | null)[] = [];
  const restored: number[] = [];
  let changed = 0;
  const sm = new KvStateMachine({
    applied: (_batch, r) => replies.push(r),
    abandoned: () => undefined,
    pending: () => [],
    restored: (index) => restored.push(index),
    membersChanged: () => changed++,
  });
  return { sm, replies, restored, membersChanged: () => changed };
}

function batch(origin: number, counter: number, commands: Uint8Array[][], extra: Partial<KvBatch> = {}): KvBatch {
  const seq = seqOf(1, counter);
  return { id: `${origin}:${seq}`, origin, seq, at: T0, commands, ...extra };
}

/** A machine with keys, a dedupe table (node 2's first batch applied) and members 1 and 3. */
function populated(): KvStateMachine {
  const { sm } = machine();
  sm.applyTransition(batch(2, 1, [cmd('SET k1 v1'), memberSetCommand(1, A), memberSetCommand(3, B)]), 1);
  sm.applyTransition(batch(2, 2, [cmd('RPUSH list a b c')]), 2);
  return sm;
}

const get = (sm: KvStateMachine, key: string): unknown => plain(sm.keyspace.read(cmd(`GET ${key}`), T0));

/** A format-1 snapshot, made by hand: magic, version 1, lastAt, the dedupe numbers, the key space. */
function versionOneSnapshot(keyspace: Keyspace, dedupe: number[], lastAt: number): Uint8Array {
  const header = 17 + 8 * dedupe.length;
  const data = keyspace.serialize(header);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  view.setUint32(0, 0x4c524b56);
  data[4] = 1;
  view.setFloat64(5, lastAt);
  view.setUint32(13, dedupe.length);
  dedupe.forEach((n, i) => view.setFloat64(17 + 8 * i, n));
  return data;
}

test('a snapshot carries the member table with the key space and the dedupe table', async () => {
  const a = populated();
  const snap = await inMemory(a.createSnapshot(2, 1));
  assert.equal(snap.data[4], 2, 'format 2');
  const keyspaceAt = snap.data.length - 1; // (the key space's own format is checked in keyspace-stream tests)
  void keyspaceAt;
  const { sm: b, restored, membersChanged } = machine();
  b.loadNow(snap);
  assert.deepEqual(b.members.entries(), [
    [1, A],
    [3, B],
  ]);
  assert.equal(get(b, 'k1'), 'v1');
  assert.deepEqual(plain(b.keyspace.read(cmd('LRANGE list 0 -1'), T0)), ['a', 'b', 'c']);
  assert.deepEqual(restored, [2]);
  assert.equal(membersChanged(), 1, 'the node hears that the member table changed');
  assert.deepEqual(
    Buffer.from((await inMemory(b.createSnapshot(2, 1))).data),
    Buffer.from(snap.data),
    'same bytes again',
  );
  // The dedupe table came along: node 2's second batch, sent again, is skipped.
  const { sm: c, replies } = machine();
  c.loadNow(snap);
  c.applyTransition(batch(2, 2, [cmd('RPUSH list again')]), 3);
  assert.deepEqual(replies, [null]);
});

test('a snapshot is the same bytes whether it fits the buffer the last one sized, outgrows it, or had no size to go by', async () => {
  const big = 'x'.repeat(1000);
  const batches = [
    batch(2, 1, [cmd('SET small 1')]),
    // About 3 MB: past the room the first snapshot leaves for the second (its size and 1 MiB).
    batch(
      2,
      2,
      Array.from({ length: 3000 }, (_, i) => cmd(`SET key:${i} ${big}`)),
    ),
    batch(2, 3, [cmd('SET small 2'), cmd('DEL key:7')]),
  ];
  const { sm: a } = machine();
  const taken: Uint8Array[] = [];
  for (const [i, b] of batches.entries()) {
    a.applyTransition(b, i + 1);
    taken.push((await inMemory(a.createSnapshot(i + 1, 1))).data);
  }
  assert.ok(taken[1]!.length > taken[0]!.length + 2 * 1024 * 1024, 'the second outgrew the room left for it');
  assert.equal(taken[2]!.buffer.byteLength > taken[2]!.length, true, 'the third was written into a buffer with room');
  for (const [i, data] of taken.entries()) {
    // The same state in a machine that never took a snapshot: no size to go by.
    const { sm: fresh } = machine();
    for (let j = 0; j <= i; j++) fresh.applyTransition(batches[j]!, j + 1);
    const again = await inMemory(fresh.createSnapshot(i + 1, 1));
    assert.deepEqual(Buffer.from(again.data), Buffer.from(data), `snapshot ${i + 1}: same bytes`);
  }
  const { sm: b } = machine();
  b.loadNow({ lastIncludedIndex: 3, lastIncludedTerm: 1, data: taken[2]! });
  assert.equal(get(b, 'small'), '2');
  assert.equal(get(b, 'key:2999'), big);
  assert.equal(get(b, 'key:7'), null);
});

test('a format-1 snapshot (no member section) still loads, with an empty member table', async () => {
  const keyspace = new Keyspace();
  keyspace.applyWrite(cmd('SET old value'), T0);
  const dedupe = new DedupeTable();
  dedupe.admit(5, seqOf(1, 1));
  const data = versionOneSnapshot(keyspace, dedupe.toNumbers(), T0 + 7);
  const { sm, replies, membersChanged } = machine();
  sm.applyTransition(batch(9, 1, [memberSetCommand(9, A)]), 1);
  sm.loadNow({ lastIncludedIndex: 10, lastIncludedTerm: 2, data });
  assert.equal(sm.members.size, 0, 'the table the machine had before is replaced by the snapshot (none)');
  assert.equal(get(sm, 'old'), 'value');
  assert.equal(sm.lastAt, T0 + 7);
  assert.equal(sm.lastApplied, 10);
  assert.equal(membersChanged(), 2);
  // The dedupe numbers were read where format 1 has them: node 5's first batch is a duplicate.
  sm.applyTransition(batch(5, 1, [cmd('SET old new')]), 11);
  assert.equal(replies.at(-1), null);
  assert.equal(get(sm, 'old'), 'value');
  // Written again, it is format 2 (with an empty table) and reads back the same.
  const again = await inMemory(sm.createSnapshot(11, 2));
  assert.equal(again.data[4], 2);
  const { sm: copy } = machine();
  copy.loadNow(again);
  assert.equal(get(copy, 'old'), 'value');
  assert.equal(copy.members.size, 0);
});

test('a damaged member section is refused with a clear error, and the state stays as it was', async () => {
  const good = (await inMemory(populated().createSnapshot(2, 1))).data;
  const view = new DataView(good.buffer, good.byteOffset, good.byteLength);
  const membersAt = 17 + 8 * view.getUint32(13);
  const length = view.getUint32(membersAt);
  assert.ok(length > 0);

  const withLength = (n: number): Uint8Array => {
    const copy = Uint8Array.from(good);
    new DataView(copy.buffer).setUint32(membersAt, n);
    return copy;
  };
  const corruptJson = Uint8Array.from(good);
  corruptJson[membersAt + 4] = 0x7b; // '{' where the list starts: not JSON any more
  const cases: [Uint8Array, RegExp][] = [
    [good.subarray(0, membersAt + 2), /^KV snapshot: the member table does not fit$/],
    [good.subarray(0, membersAt + 4 + length - 1), /^KV snapshot: a member table of \d+ bytes does not fit$/],
    [withLength(good.length), new RegExp(`^KV snapshot: a member table of ${good.length} bytes does not fit$`)],
    [withLength(0xffffffff), /^KV snapshot: a member table of 4294967295 bytes does not fit$/],
    [corruptJson, /^KV snapshot: the member table is not valid JSON$/],
    // One byte shorter: the table's JSON is cut (the key space's first byte taken for its last).
    [withLength(length - 1), /^KV snapshot: the member table is not valid JSON$/],
  ];

  const { sm, restored, membersChanged } = machine();
  sm.applyTransition(batch(7, 1, [cmd('SET mine yes'), memberSetCommand(7, B)]), 1);
  const before = Buffer.from((await inMemory(sm.createSnapshot(1, 1))).data);
  for (const [data, message] of cases) {
    assert.throws(() => sm.loadNow({ lastIncludedIndex: 2, lastIncludedTerm: 1, data }), { message });
    assert.deepEqual(
      Buffer.from((await inMemory(sm.createSnapshot(1, 1))).data),
      before,
      `${String(message)}: state changed`,
    );
    assert.deepEqual(sm.members.entries(), [[7, B]]);
    assert.equal(get(sm, 'mine'), 'yes');
    assert.equal(sm.lastApplied, 1);
  }
  assert.deepEqual(restored, [], 'no restore was reported');
  assert.equal(membersChanged(), 1, 'only the member command itself changed the table');
});

test('forNewCluster keeps the key space and drops the dedupe and member tables, the same way every time', async () => {
  const old = populated();
  const data = (await inMemory(old.createSnapshot(2, 1))).data;
  const first = KvStateMachine.forNewCluster(data);
  const second = KvStateMachine.forNewCluster(Uint8Array.from(data));
  assert.deepEqual(Buffer.from(second), Buffer.from(first), 'every member restored from the file gets the same bytes');
  assert.equal(first[4], 2);

  const { sm, replies } = machine();
  sm.loadNow({ lastIncludedIndex: 2, lastIncludedTerm: 1, data: first });
  assert.equal(get(sm, 'k1'), 'v1');
  assert.deepEqual(plain(sm.keyspace.read(cmd('LRANGE list 0 -1'), T0)), ['a', 'b', 'c']);
  assert.equal(sm.lastAt, old.lastAt, 'the clock does not go back');
  assert.equal(sm.members.size, 0, 'the old cluster members mean nothing in the new one');
  // A new node 2 numbering its batches from 1 again is not taken for the old node 2.
  sm.applyTransition(batch(2, 1, [cmd('SET k1 new')]), 3);
  assert.notEqual(replies[0], null, 'the new cluster first batch of node 2 is applied, not skipped as a duplicate');
  assert.equal(get(sm, 'k1'), 'new');
  // The key space bytes are carried as they were.
  const keyspaceOf = (bytes: Uint8Array): Buffer => {
    const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const membersAt = 17 + 8 * v.getUint32(13);
    return Buffer.from(bytes.subarray(membersAt + 4 + v.getUint32(membersAt)));
  };
  assert.deepEqual(keyspaceOf(first), keyspaceOf(data));
  assert.deepEqual(Buffer.from(KvStateMachine.forNewCluster(first)), Buffer.from(first), 'idempotent');
});

test('forNewCluster reads a format-1 snapshot too, and refuses damaged bytes', async () => {
  const keyspace = new Keyspace();
  keyspace.applyWrite(cmd('SET v1key here'), T0);
  const dedupe = new DedupeTable();
  dedupe.admit(3, seqOf(1, 1));
  const out = KvStateMachine.forNewCluster(versionOneSnapshot(keyspace, dedupe.toNumbers(), T0));
  const { sm, replies } = machine();
  sm.loadNow({ lastIncludedIndex: 1, lastIncludedTerm: 1, data: out });
  assert.equal(get(sm, 'v1key'), 'here');
  sm.applyTransition(batch(3, 1, [cmd('SET v1key again')]), 2);
  assert.notEqual(replies[0], null);

  const good = (await inMemory(populated().createSnapshot(2, 1))).data;
  assert.throws(() => KvStateMachine.forNewCluster(good.subarray(0, 30)), /KV snapshot/);
  const badMagic = Uint8Array.from(good);
  badMagic[0] = 0;
  assert.throws(() => KvStateMachine.forNewCluster(badMagic), /not a little-raft KV snapshot/);
});

test('member commands in a batch change the table and tell the node, among ordinary writes', () => {
  const { sm, replies, membersChanged } = machine();
  sm.applyTransition(batch(1, 1, [cmd('SET a 1'), memberSetCommand(4, A), cmd('SET b 2'), memberSetCommand(5, B)]), 1);
  assert.deepEqual(replies[0]!.map(plain), ['+OK', 'OK', '+OK', 'OK']);
  assert.deepEqual(sm.members.entries(), [
    [4, A],
    [5, B],
  ]);
  assert.equal(membersChanged(), 2);
  sm.applyTransition(batch(1, 2, [memberDelCommand(4)]), 2);
  assert.deepEqual(
    sm.members.entries().map(([id]) => id),
    [5],
  );
  assert.equal(membersChanged(), 3);
  // A duplicate batch is skipped whole: the member command in it too.
  sm.applyTransition(batch(1, 1, [memberSetCommand(4, A)]), 3);
  assert.equal(replies.at(-1), null);
  assert.equal(sm.members.get(4), undefined);
  assert.equal(membersChanged(), 3);
});

test('member commands in a batch that also carries a MULTI/EXEC transaction are applied too', () => {
  // A node batches whatever its clients and its membership code submit in one event-loop turn: the
  // member command can share a batch with another client's transaction.
  const { sm, replies, membersChanged } = machine();
  const commands = [memberSetCommand(4, A), cmd('SET t 1'), cmd('INCR t'), memberSetCommand(5, B), memberDelCommand(4)];
  sm.applyTransition(batch(1, 1, commands, { transactions: [{ start: 1, count: 2 }] }), 1);
  assert.deepEqual(replies[0]!.map(plain), ['OK', '+OK', 2, 'OK', 'OK']);
  assert.deepEqual(sm.members.entries(), [[5, B]]);
  assert.equal(membersChanged(), 3);
});
