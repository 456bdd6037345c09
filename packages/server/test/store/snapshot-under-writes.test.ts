// Snapshots taken in slices while writes go on (frozen-view.ts): whatever is applied between the
// slices (INCR, APPEND, DEL, expiry, collections changed in place, RENAME, FLUSHALL), the snapshot
// holds exactly the state at the index it was asked for, WATCH versions included. And a snapshot
// loaded in slices queues what is applied meanwhile, then catches up.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import fc from 'fast-check';

import type { KvBatch } from '../../src/store/batch.js';
import { seqOf } from '../../src/store/dedupe.js';
import type { Keyspace } from '../../src/store/keyspace.js';
import { sliceBudget } from '../../src/store/slices.js';
import { KvStateMachine } from '../../src/store/state-machine.js';
import { ListValue, type Value } from '../../src/store/values.js';
import { cmd, T0 } from '../support/kv-helpers.js';
import { inMemory } from '../support/in-memory-snapshot.js';

function machine(): KvStateMachine {
  return new KvStateMachine({
    applied: () => undefined,
    abandoned: () => undefined,
    pending: () => [],
    restored: () => undefined,
  });
}

let counter = 0;
function batch(at: number, commands: string[][]): KvBatch {
  const seq = seqOf(1, ++counter);
  return { id: `1:${seq}`, origin: 1, seq, at, commands: commands.map((c) => cmd(c)) };
}

/** Everything a snapshot must carry of a key space, in a comparable form. */
function dump(ks: Keyspace): unknown[] {
  const out: unknown[] = [];
  for (const key of [...ks.values.keys()].sort()) {
    const v = ks.get(key, ks.now);
    if (v === undefined) continue;
    out.push([key, plainValue(v), ks.expireOf(key) ?? null, ks.versionOf(key)]);
  }
  return out;
}

function plainValue(v: Value): unknown {
  if (typeof v === 'string') return v;
  if (v instanceof ListValue) return v.slice();
  if (v instanceof Map) return [...v].sort();
  if (v instanceof Set) return [...v].sort();
  return [...v].map((e) => [e.member, e.score]);
}

const KEYS = Array.from({ length: 40 }, (_, i) => `k${i}`);

/** One random write on a small key set, so that writes keep hitting keys the snapshot holds. */
const write = fc.oneof(
  fc.constantFrom(...KEYS).map((k) => ['INCR', `n:${k}`]),
  fc.tuple(fc.constantFrom(...KEYS), fc.string({ maxLength: 3 })).map(([k, s]) => ['APPEND', `s:${k}`, s || 'x']),
  fc.constantFrom(...KEYS).map((k) => ['DEL', `s:${k}`, `n:${k}`]),
  fc
    .tuple(fc.constantFrom(...KEYS), fc.integer({ min: 1, max: 50 }))
    .map(([k, ms]) => ['PEXPIRE', `s:${k}`, String(ms)]),
  fc.constantFrom(...KEYS).map((k) => ['PERSIST', `s:${k}`]),
  fc.tuple(fc.constantFrom(...KEYS), fc.nat(5)).map(([k, f]) => ['HINCRBY', `h:${k}`, `f${f}`, '1']),
  fc.tuple(fc.constantFrom(...KEYS), fc.nat(5)).map(([k, e]) => ['RPUSH', `l:${k}`, `e${e}`]),
  fc.constantFrom(...KEYS).map((k) => ['LPOP', `l:${k}`]),
  fc.tuple(fc.constantFrom(...KEYS), fc.nat(5)).map(([k, m]) => ['SADD', `t:${k}`, `m${m}`]),
  fc.tuple(fc.constantFrom(...KEYS), fc.nat(5)).map(([k, m]) => ['SREM', `t:${k}`, `m${m}`]),
  fc.tuple(fc.constantFrom(...KEYS), fc.nat(5)).map(([k, m]) => ['ZINCRBY', `z:${k}`, '1', `m${m}`]),
  fc.tuple(fc.constantFrom(...KEYS), fc.constantFrom(...KEYS)).map(([a, b]) => ['RENAME', `n:${a}`, `n:${b}`]),
  fc.constant<string[]>(['FLUSHALL']),
);

/** A key space with every type, many keys (so that the snapshot takes many slices), some expiring. */
function populate(sm: KvStateMachine, at: number): number {
  let index = 0;
  for (let chunk = 0; chunk < 20; chunk++) {
    const commands: string[][] = [];
    for (let i = chunk * 200; i < (chunk + 1) * 200; i++) commands.push(['SET', `bulk:${i}`, `value ${i}`]);
    sm.applyTransition(batch(at, commands), ++index);
  }
  const typed: string[][] = [];
  for (const k of KEYS) {
    typed.push(['SET', `n:${k}`, '10'], ['SET', `s:${k}`, 'ab', 'PX', '20'], ['HSET', `h:${k}`, 'f0', '1']);
    typed.push(['RPUSH', `l:${k}`, 'a', 'b'], ['SADD', `t:${k}`, 'm0', 'm1'], ['ZADD', `z:${k}`, '1', 'm0']);
  }
  sm.applyTransition(batch(at, typed), ++index);
  return index;
}

test('a snapshot taken in slices while writes go on holds exactly the state at its index', async () => {
  const budget = sliceBudget.ms;
  sliceBudget.ms = 0; // a slice per 256 keys: writes land between many of them
  try {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(write, { minLength: 1, maxLength: 4 }), { minLength: 30, maxLength: 60 }),
        async (batches) => {
          const sm = machine();
          let index = populate(sm, T0);
          const reference = dump(sm.keyspace);
          const asked = index;
          let done = false;
          const taking = sm.createSnapshot(asked, 1).finally(() => (done = true));
          // One batch per event-loop turn while the snapshot is taken, time moving on (expiry).
          let at = T0;
          let appliedDuring = 0;
          for (const commands of batches) {
            if (done) break;
            sm.applyTransition(batch((at += 5), commands), ++index);
            appliedDuring++;
            await new Promise((resolve) => setImmediate(resolve));
          }
          const snapshot = await inMemory(taking);
          assert.equal(snapshot.lastIncludedIndex, asked);
          assert.ok(
            appliedDuring >= Math.min(batches.length, 10),
            `only ${appliedDuring} batches applied while it was taken`,
          );
          const loaded = machine();
          loaded.loadNow(snapshot);
          assert.deepEqual(dump(loaded.keyspace), reference);
        },
      ),
      { numRuns: 25, seed: 16 },
    );
  } finally {
    sliceBudget.ms = budget;
  }
});

test('a snapshot loaded in slices: transitions applied meanwhile wait, then apply on top; reads see LOADING until then', async () => {
  const budget = sliceBudget.ms;
  sliceBudget.ms = 0;
  try {
    const source = machine();
    const index = populate(source, T0);
    const snapshot = await inMemory(source.createSnapshot(index, 1));
    // Loaded in slices (keys, then the WATCH versions), it is the source's state, versions included.
    const copy = machine();
    copy.setSnapshot(snapshot);
    while (copy.loading) await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(dump(copy.keyspace), dump(source.keyspace));
    const sm = machine();
    sm.applyTransition(batch(T0, [['SET', 'before', 'gone']]), 1);
    sm.setSnapshot(snapshot);
    assert.equal(sm.loading, true);
    sm.applyTransition(batch(T0 + 1, [['INCR', 'n:k1']]), index + 1);
    const during = sm.createSnapshot(index + 1, 2); // asked at the index the queue holds
    sm.applyTransition(batch(T0 + 2, [['INCR', 'n:k1']]), index + 2);
    assert.equal(sm.keyspace.get('n:k1', T0), undefined, 'nothing applied while loading');
    while (sm.loading) await new Promise((resolve) => setImmediate(resolve));
    assert.equal(sm.lastApplied, index + 2);
    assert.equal(sm.keyspace.get('n:k1', T0 + 2), '12', 'both queued INCRs applied once, on top of the snapshot');
    assert.equal(sm.keyspace.get('before', T0 + 2), undefined, 'the state before the snapshot is gone');
    const taken = machine();
    taken.loadNow(await inMemory(during));
    assert.equal(taken.keyspace.get('n:k1', T0 + 2), '11', 'the snapshot asked during the load holds its own index');
  } finally {
    sliceBudget.ms = budget;
  }
});
