// A snapshot taken with a sink (the node's DiskStorage.snapshotWriter): its bytes leave the state
// machine a MiB at a time as they are made, a few MiB at most in memory at once, interleaved with
// the writes applied meanwhile; they are the bytes a take into memory makes; a failed sink fails
// the take and is told to abort.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import type { SnapshotBytes, SnapshotWriter } from 'little-raft';

import type { KvBatch } from '../../src/store/batch.js';
import { seqOf } from '../../src/store/dedupe.js';
import { KvStateMachine, type SnapshotEvent } from '../../src/store/state-machine.js';
import { cmd, T0 } from '../support/kv-helpers.js';
import { inMemory } from '../support/in-memory-snapshot.js';

const MiB = 1024 * 1024;

/** A sink that keeps what it is given, and how much the state machine held back unwritten at most. */
class RecordingSink implements SnapshotWriter {
  readonly writes: Uint8Array[] = [];
  aborted = false;
  finished = false;
  failAt = -1;
  /** Writes applied to the key space between the sink's writes (the take did not hold the loop). */
  appliedBetween = new Set<number>();
  applied = 0;
  onFirstWrite: () => void = () => {};

  write(bytes: Uint8Array): Promise<void> {
    if (this.writes.length === this.failAt) return Promise.reject(new Error('disk full'));
    if (this.writes.length === 0) this.onFirstWrite();
    this.writes.push(Uint8Array.from(bytes)); // a copy: the caller reuses its buffer afterwards
    this.appliedBetween.add(this.applied);
    return new Promise((resolve) => setImmediate(resolve));
  }

  finish(): Promise<SnapshotBytes> {
    this.finished = true;
    return Promise.resolve(Buffer.concat(this.writes));
  }

  abort(): Promise<void> {
    this.aborted = true;
    return Promise.resolve();
  }
}

function machine(sink: RecordingSink | null = null): KvStateMachine {
  return new KvStateMachine({
    applied: () => undefined,
    abandoned: () => undefined,
    pending: () => [],
    restored: () => undefined,
    ...(sink !== null && { snapshotWriter: () => sink }),
  });
}

let counter = 0;
function batch(at: number, commands: string[][]): KvBatch {
  const seq = seqOf(1, ++counter);
  return { id: `1:${seq}`, origin: 1, seq, at, commands: commands.map((c) => cmd(c)) };
}

/** `sm` with 40,000 keys of 200 bytes (over 8 MiB of snapshot) at index 1..40; returns the last index. */
function populate(sm: KvStateMachine): number {
  let index = 0;
  for (let b = 0; b < 40; b++) {
    const commands = Array.from({ length: 1000 }, (_, i) => ['SET', `key:${b}:${i}`, `${b}:${i}:`.padEnd(200, 'v')]);
    sm.applyTransition(batch(T0, commands), ++index);
  }
  return index;
}

test('a take with a sink hands its bytes over a MiB at a time while writes go on, and they are the in-memory take', async () => {
  const sink = new RecordingSink();
  const sm = machine(sink);
  let index = populate(sm);
  const asked = index;
  const expected = (await inMemory(sm.createSnapshot(asked, 1, true))).data; // the same state, into memory
  assert.equal(sink.writes.length, 0);

  let done = false;
  const taking = sm.createSnapshot(asked, 1).finally(() => (done = true));
  while (!done) {
    sm.applyTransition(batch(T0 + 1, [['INCR', 'counter']]), ++index);
    sink.applied++;
    await new Promise((resolve) => setImmediate(resolve));
  }
  const snapshot = await taking;
  assert.ok(sink.finished && !sink.aborted);
  assert.equal(snapshot.lastIncludedIndex, asked);
  assert.deepEqual(Buffer.from(snapshot.data.subarray(0, snapshot.data.length)), Buffer.from(expected));
  assert.ok(expected.length > 8 * MiB, `${expected.length} bytes`);
  assert.ok(sink.writes.length >= 8, `${sink.writes.length} writes`);
  assert.ok(Math.max(...sink.writes.map((w) => w.length)) <= MiB, 'no write over a MiB');
  // The first MiBs were written while most of the key space was still to be walked: not all at the end.
  const first = Math.min(...sink.appliedBetween);
  assert.ok(first < sink.applied / 2, `first write after ${first} of ${sink.applied} turns`);
  // The state at `asked` (no INCR applied after it): loaded elsewhere, it has no counter.
  const loaded = machine();
  loaded.loadNow({ lastIncludedIndex: asked, lastIncludedTerm: 1, data: Buffer.from(expected) });
  assert.equal(loaded.keyspace.get('counter', T0 + 1), undefined);
  assert.equal(sm.keyspace.get('counter', T0 + 1), String(index - asked));
});

test('a sink that fails fails the take, and is told to abort; the key space is not held frozen after it', async () => {
  const sink = new RecordingSink();
  sink.failAt = 3;
  const sm = machine(sink);
  const index = populate(sm);
  await assert.rejects(sm.createSnapshot(index, 1), /disk full/);
  assert.ok(sink.aborted && !sink.finished);
  // Taken again, in memory: the view the failed take froze was released.
  const again = await inMemory(sm.createSnapshot(index, 1, true));
  assert.ok(again.data.length > 8 * MiB);
});

test('a take asked in memory (a backup) does not use the sink', async () => {
  const sink = new RecordingSink();
  const sm = machine(sink);
  const index = populate(sm);
  const taken = await inMemory(sm.createSnapshot(index, 1, true));
  assert.equal(sink.writes.length, 0);
  assert.ok(taken.data.length > 8 * MiB);
});

test('a take of a few large values stops to write them: a few MiB held at most, not the whole key space', async () => {
  const sink = new RecordingSink();
  let taken: SnapshotEvent | null = null;
  const sm = new KvStateMachine({
    applied: () => undefined,
    abandoned: () => undefined,
    pending: () => [],
    restored: () => undefined,
    snapshotWriter: () => sink,
    snapshotEvent: (e) => (taken = e.kind === 'taken' ? e : taken),
  });
  const keys = Array.from({ length: 24 }, (_, i) => `big:${i}`);
  sm.applyTransition(
    batch(
      T0,
      keys.map((k, i) => ['SET', k, String(i % 10).repeat(2 * MiB)]),
    ),
    1,
  );
  // At the first write, every key is overwritten: those the take has not written yet are saved
  // for it (copy-on-write), so how many were saved says how far it had gone before writing.
  sink.onFirstWrite = () =>
    sm.applyTransition(
      batch(
        T0 + 1,
        keys.map((k) => ['SET', k, 'small']),
      ),
      2,
    );
  const snapshot = await sm.createSnapshot(1, 1);
  assert.ok(snapshot.data.length > 48 * MiB);
  assert.ok(taken !== null);
  const { copied } = taken as { copied: number };
  assert.ok(copied >= 16, `only ${copied} of 24 keys were still to be written at the first write`);
});
