// Applying a batch that holds MULTI/EXEC transactions: a span's reads run at apply time, after the
// writes before them in the span and at the leader's time, the same on every replica; a batch
// with a transaction is exactly-once like any other; outside a span a batch stays writes only.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import type { KvBatch } from '../../src/store/batch.js';
import { decodeBatch, encodeBatch } from '../../src/store/batch-codec.js';
import { seqOf } from '../../src/store/dedupe.js';
import type { Reply } from '../../src/resp/reply.js';
import { KvStateMachine } from '../../src/store/state-machine.js';
import { cmd, plain } from '../support/kv-helpers.js';

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

test("a transaction's reads see its own writes, at the leader's time; plain writes around it run as before", () => {
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
  assert.deepEqual(Buffer.from(other.sm.createSnapshot(1, 1).data), Buffer.from(one.sm.createSnapshot(1, 1).data));
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
