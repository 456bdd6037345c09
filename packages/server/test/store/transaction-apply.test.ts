// Applying a batch that holds MULTI/EXEC transactions: a span's reads run at apply time, after the
// writes before them in the span and at the leader's time, the same on every replica; a batch
// with a transaction is exactly-once like any other; outside a span a batch stays writes only.
// A span with WATCH records runs only if none of its watched keys changed (Redis 7.0's rules).
import assert from 'node:assert/strict';
import { test } from 'node:test';

import type { KvBatch, KvWatch } from '../../src/store/batch.js';
import { decodeBatch, encodeBatch } from '../../src/store/batch-codec.js';
import { seqOf } from '../../src/store/dedupe.js';
import type { Reply } from '../../src/resp/reply.js';
import { KvStateMachine } from '../../src/store/state-machine.js';
import { WATCH_ABORTED, watchOf } from '../../src/store/watch.js';
import { cmd, plain } from '../support/kv-helpers.js';
import { inMemory } from '../support/in-memory-snapshot.js';

function machine(): { sm: KvStateMachine; applied: (unknown[] | null)[] } {
  const applied: (unknown[] | null)[] = [];
  const sm = new KvStateMachine({
    applied: (_batch, replies: Reply[] | null) => applied.push(replies && replies.map(plain)),
    abandoned: () => undefined,
    pending: () => [],
    restored: () => undefined,
  });
  return { sm, applied };
}

function batch(counter: number, at: number, lines: string[], transactions?: KvBatch['transactions']): KvBatch {
  const seq = seqOf(1, counter);
  const b: KvBatch = { id: `1:${seq}`, origin: 1, seq, at, commands: lines.map((l) => cmd(l)) };
  return transactions === undefined ? b : { ...b, transactions };
}

test("a transaction's reads see its own writes, at the leader's time; plain writes around it run as before", async () => {
  const lines = [
    'set x 1', // a plain write of another client
    'set a 1 px 100',
    'get a',
    'pttl a',
    'incr n',
    'incr n',
    'get n',
    'get x',
    'mget a n nokey',
    'incr a',
    'set a str',
    'incr a', // a runtime error: the rest still takes effect
    'get a',
    'set y 2', // another client again
  ];
  const b = batch(1, 5000, lines, [{ start: 1, count: 12 }]);
  const one = machine();
  one.sm.applyTransition(b, 1);
  assert.deepEqual(one.applied, [
    [
      '+OK',
      '+OK',
      '1',
      100,
      1,
      2,
      '2',
      '1',
      ['1', '2', null],
      2,
      '+OK',
      '-ERR value is not an integer or out of range',
      'str',
      '+OK',
    ],
  ]);
  // A follower applies the bytes it received: the same replies and the same state.
  const other = machine();
  other.sm.applyTransition(decodeBatch(encodeBatch(b)), 1);
  assert.deepEqual(other.applied, one.applied);
  assert.deepEqual(
    Buffer.from((await inMemory(other.sm.createSnapshot(1, 1))).data),
    Buffer.from((await inMemory(one.sm.createSnapshot(1, 1))).data),
  );
});

test('a batch with a transaction that reaches the log twice is applied once', () => {
  const { sm, applied } = machine();
  const b = batch(1, 1000, ['incr c', 'set a v', 'get c'], [{ start: 0, count: 3 }]);
  sm.applyTransition(b, 1);
  sm.applyTransition(decodeBatch(encodeBatch(b)), 2);
  assert.deepEqual(applied, [[1, '+OK', '1'], null]);
  assert.equal(plain(sm.keyspace.read(cmd('get c'), 1000)), '1');
});

test('two transactions in one batch, with writes between: each sees the state before it', () => {
  const { sm, applied } = machine();
  const b = batch(
    1,
    1000,
    ['set k 1', 'get k', 'incr k', 'get k', 'incr k', 'get k'],
    [
      { start: 0, count: 2 },
      { start: 3, count: 3 },
    ],
  );
  sm.applyTransition(b, 1);
  assert.deepEqual(applied, [['+OK', '1', 2, '2', 3, '3']]);
});

test('outside a transaction a read in a batch is refused, as before transactions existed', () => {
  const { sm, applied } = machine();
  sm.applyTransition(batch(1, 1000, ['set k 1', 'get k']), 1);
  assert.deepEqual(applied, [['+OK', "-ERR 'get' is not a write command"]]);
});

test("a key expired by the batch's time is gone for the transaction's reads", () => {
  const { sm, applied } = machine();
  sm.applyTransition(batch(1, 1000, ['set e v px 50']), 1);
  sm.applyTransition(batch(2, 1049, ['get e', 'ttl e'], [{ start: 0, count: 2 }]), 2);
  sm.applyTransition(batch(3, 1050, ['get e', 'exists e'], [{ start: 0, count: 2 }]), 3);
  assert.deepEqual(applied, [['+OK'], ['v', 0], [null, 0]]);
});

// ---- WATCH -------------------------------------------------------------------------------------

/** What a node records for WATCH `key` in `sm`'s key space at time `t`. */
function watched(sm: KvStateMachine, key: string, t: number): KvWatch {
  return watchOf(sm.keyspace, Buffer.from(key, 'latin1'), t, sm.lastApplied);
}

/** One transaction span over all of `lines`, with `watches`. */
function watchedTx(counter: number, at: number, lines: string[], watches: KvWatch[]): KvBatch {
  return batch(counter, at, lines, [{ start: 0, count: lines.length, watches }]);
}

const ABORTED = plain(WATCH_ABORTED);

test('a watched key written after WATCH (even with the same value) skips the whole span; unchanged, it runs', () => {
  const { sm, applied } = machine();
  sm.applyTransition(batch(1, 1000, ['set k v', 'set other 1']), 1);
  const w = watched(sm, 'k', 1000);
  assert.deepEqual(w, { key: Buffer.from('k'), version: 1, present: true });
  const untouched = watched(sm, 'other', 1000);
  // Nothing changed k: the transaction runs.
  sm.applyTransition(watchedTx(2, 1001, ['incr n', 'get k'], [w]), 2);
  // Another client writes k with the value it holds: still a change.
  sm.applyTransition(batch(3, 1002, ['set k v']), 3);
  sm.applyTransition(watchedTx(4, 1003, ['incr n', 'set k mine', 'get k'], [untouched, w]), 4);
  assert.deepEqual(applied.slice(1), [[1, 'v'], ['+OK'], [ABORTED, ABORTED, ABORTED]]);
  assert.equal(plain(sm.keyspace.read(cmd('get k'), 1003)), 'v', 'nothing of the aborted span ran');
  assert.equal(plain(sm.keyspace.read(cmd('get n'), 1003)), '1');
  // A follower applying the same bytes decides the same.
  const other = machine();
  for (const [i, b] of [
    batch(1, 1000, ['set k v', 'set other 1']),
    watchedTx(2, 1001, ['incr n', 'get k'], [w]),
    batch(3, 1002, ['set k v']),
    watchedTx(4, 1003, ['incr n', 'set k mine', 'get k'], [untouched, w]),
  ].entries()) {
    other.sm.applyTransition(decodeBatch(encodeBatch(b)), i + 1);
  }
  assert.deepEqual(other.applied, applied);
});

test('in one batch: a write before the span counts, one after it does not; of two optimistic updates one wins', () => {
  const { sm, applied } = machine();
  sm.applyTransition(batch(1, 1000, ['set c 0']), 1);
  const w = watched(sm, 'c', 1000);
  // Two clients both read c = 0 after WATCH c and both try SET c 1, in one batch: the second aborts.
  sm.applyTransition(
    batch(
      2,
      1001,
      ['set c 1', 'set c 1', 'set after 1'],
      [
        { start: 0, count: 1, watches: [w] },
        { start: 1, count: 1, watches: [w] },
      ],
    ),
    2,
  );
  // A plain write before the span in the same batch changes c; one after it does not matter.
  const w2 = watched(sm, 'c', 1001);
  sm.applyTransition(batch(3, 1002, ['incr c', 'set c 5'], [{ start: 1, count: 1, watches: [w2] }]), 3);
  const w3 = watched(sm, 'c', 1002);
  sm.applyTransition(batch(4, 1003, ['set c 6', 'incr c'], [{ start: 0, count: 1, watches: [w3] }]), 4);
  assert.deepEqual(applied.slice(1), [
    ['+OK', ABORTED, '+OK'],
    [2, ABORTED],
    ['+OK', 7],
  ]);
});

test('a watched key that expires before the span is applied aborts it; one already expired when watched does not', () => {
  const { sm, applied } = machine();
  sm.applyTransition(batch(1, 1000, ['set e v px 100', 'set gone v px 10']), 1);
  const present = watched(sm, 'e', 1050);
  const absent = watched(sm, 'gone', 1050); // expired at 1010, not yet deleted
  assert.equal(present.present, true);
  assert.equal(absent.present, false);
  // Still unexpired at the batch's time: runs.
  sm.applyTransition(watchedTx(2, 1099, ['get e'], [present]), 2);
  // Expired by the batch's time (the leader's clock), deleted or not: the span is skipped.
  sm.applyTransition(watchedTx(3, 1100, ['set x 1'], [present]), 3);
  // The expired key is purged by an unrelated write and DEL'd: no change for its watcher (Redis 7.0).
  sm.applyTransition(batch(4, 1200, ['set unrelated 1', 'del gone']), 4);
  sm.applyTransition(watchedTx(5, 1201, ['set y 1', 'get gone'], [absent]), 5);
  assert.deepEqual(applied.slice(1), [['v'], [ABORTED], ['+OK', 0], ['+OK', null]]);
  assert.equal(plain(sm.keyspace.read(cmd('get x'), 1201)), null);
});

test('a key absent when watched and created since (even if it expired again) aborts', () => {
  const { sm, applied } = machine();
  const w = watched(sm, 'k', 1000);
  assert.deepEqual(w, { key: Buffer.from('k'), version: 0, present: false });
  sm.applyTransition(batch(1, 1000, ['set k v px 10']), 1);
  sm.applyTransition(watchedTx(2, 2000, ['get k'], [w]), 2);
  assert.deepEqual(applied, [['+OK'], [ABORTED]]);
});

test('commands that change nothing do not abort: DEL and GETDEL of a missing key, SET NX of a present one, a failing INCR', () => {
  const { sm, applied } = machine();
  sm.applyTransition(batch(1, 1000, ['set k v', 'set s str']), 1);
  const ws = ['k', 'missing', 's'].map((key) => watched(sm, key, 1000));
  sm.applyTransition(
    batch(2, 1001, ['del missing', 'getdel missing', 'set k other nx', 'incr s', 'set unrelated 1']),
    2,
  );
  sm.applyTransition(watchedTx(3, 1002, ['get k', 'get s'], ws), 3);
  assert.deepEqual(applied[2], ['v', 'str']);
});

test('FLUSHDB aborts the watchers of present keys, not those of absent ones (Redis 7.0)', () => {
  const { sm, applied } = machine();
  sm.applyTransition(batch(1, 1000, ['set k v']), 1);
  const present = watched(sm, 'k', 1000);
  const absent = watched(sm, 'missing', 1000);
  sm.applyTransition(batch(2, 1001, ['flushdb']), 2);
  sm.applyTransition(watchedTx(3, 1002, ['set a 1'], [present]), 3);
  sm.applyTransition(watchedTx(4, 1003, ['set b 1'], [absent]), 4);
  // Flushed and written again since: a change whatever it held.
  sm.applyTransition(batch(5, 1004, ['set k v', 'flushdb', 'set k v']), 5);
  const again = watched(sm, 'k', 1004);
  sm.applyTransition(batch(6, 1005, ['flushdb', 'set k v']), 6);
  sm.applyTransition(watchedTx(7, 1006, ['set c 1'], [again]), 7);
  assert.deepEqual([applied[2], applied[3], applied[5]], [[ABORTED], ['+OK'], ['+OK', '+OK']]);
  assert.deepEqual(applied[6], [ABORTED]);
});

test('WATCH versions survive a snapshot: a replica restored from one decides as the one that took it', async () => {
  const one = machine();
  one.sm.applyTransition(batch(1, 1000, ['set k v', 'set e v px 50']), 1);
  const wk = watched(one.sm, 'k', 1000);
  const we = watched(one.sm, 'e', 1000);
  one.sm.applyTransition(batch(2, 1001, ['set k v']), 2);
  const snapshot = await inMemory(one.sm.createSnapshot(2, 1));
  const restored = machine();
  restored.sm.loadNow(snapshot);
  for (const m of [one, restored]) {
    m.sm.applyTransition(watchedTx(3, 1010, ['set x 1'], [wk]), 3);
    m.sm.applyTransition(watchedTx(4, 1011, ['set y 1'], [we]), 4);
    m.sm.applyTransition(watchedTx(5, 1050, ['set z 1'], [we]), 5);
  }
  assert.deepEqual(restored.applied, [[ABORTED], ['+OK'], [ABORTED]]);
  assert.deepEqual(one.applied.slice(-3), restored.applied);
});

test('a key whose version was forgotten aborts only once a generation of other keys was written since WATCH', () => {
  const GENERATION = 65536; // Keyspace's VERSIONS_PER_GENERATION
  const { sm, applied } = machine();
  let n = 0;
  // One MSET of `count` new keys (one command: quicker to make and apply than `count` SETs).
  const many = (count: number): string[] => [['mset', ...Array.from({ length: count }, () => `k${n++} v`)].join(' ')];
  let index = 0;
  const apply = (b: (i: number) => KvBatch): void => sm.applyTransition(b(++index), index);
  apply((i) => batch(i, 1000, ['set x 1']));
  apply((i) => batch(i, 1000, many(GENERATION))); // x's generation becomes the older one
  apply((i) => batch(i, 1000, many(GENERATION + 1))); // and is forgotten: x reports the floor
  const w = watched(sm, 'x', 1000);
  // Another generation fills up: the floor rises to versions from before the WATCH, not past it.
  apply((i) => batch(i, 1000, many(GENERATION + 1)));
  apply((i) => watchedTx(i, 1000, ['get x'], [w]));
  assert.deepEqual(applied.at(-1), ['1']);
  // A change to x is seen whether its version is remembered ...
  apply((i) => batch(i, 1000, ['set x 2']));
  apply((i) => watchedTx(i, 1000, ['get x'], [w]));
  assert.deepEqual(applied.at(-1), [ABORTED]);
  // ... or forgotten since (then every key written after the WATCH may have changed).
  const w2 = watched(sm, 'x', 1000);
  apply((i) => batch(i, 1000, ['set x 3', ...many(2 * GENERATION + 2)]));
  apply((i) => watchedTx(i, 1000, ['get x'], [w2]));
  assert.deepEqual(applied.at(-1), [ABORTED]);
});
