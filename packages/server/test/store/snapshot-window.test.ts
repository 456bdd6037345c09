// A snapshot that is not in memory (DiskStorage's snapshotsOnDisk, at a restart) is loaded through
// a window of its bytes: whatever the window's size, and wherever its edges fall (inside a key,
// a value, a varint, an entry larger than the window), the state loaded is the one a load from
// memory gives; the reads stay about the window's size; damage is still a load failure.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import type { SnapshotBytes } from 'little-raft';

import type { KvBatch } from '../../src/store/batch.js';
import { seqOf } from '../../src/store/dedupe.js';
import type { Keyspace } from '../../src/store/keyspace.js';
import { readWindow } from '../../src/store/keyspace-stream.js';
import { KvStateMachine } from '../../src/store/state-machine.js';
import { cmd, plain, T0 } from '../support/kv-helpers.js';
import { inMemory } from '../support/in-memory-snapshot.js';

const COMMANDS: (string | string[])[] = [
  'SET plain value',
  ['SET', '\x00bin\xff', '\r\n\x00\xff'],
  ['SET', '', ''],
  'SET ttl v PX 5000',
  ['SET', 'long', 'x'.repeat(100_000)],
  'INCR n',
  'ZADD zs 1 a 2.5 b -inf c 1e300 d',
  ['HSET', 'hash', 'z', '1', '\x00\xff', '\r\n', '', ''],
  'SADD ints 3 -1 2',
  ['SADD', 'bigset', ...Array.from({ length: 600 }, (_, i) => `m${i}`)],
  ['RPUSH', 'list', 'a', '', '\x00\xff\r\n', 'a'],
  ...Array.from({ length: 300 }, (_, i) => `SET key:${i} ${'v'.repeat(i % 50)}`),
];

function machine(failed: (e: Error) => void = (e) => assert.fail(e)): KvStateMachine {
  return new KvStateMachine({
    applied: () => undefined,
    abandoned: () => undefined,
    pending: () => [],
    restored: () => undefined,
    loadFailed: failed,
  });
}

function populated(): KvStateMachine {
  const sm = machine();
  const seq = seqOf(1, 1);
  const batch: KvBatch = { id: `1:${seq}`, origin: 1, seq, at: T0, commands: COMMANDS.map((c) => cmd(c)) };
  sm.applyTransition(batch, 1);
  return sm;
}

/** `bytes` as a snapshot left in a file: only length and subarray; records the largest read. */
function onDisk(bytes: Uint8Array): SnapshotBytes & { largest: number; reads: number } {
  return {
    length: bytes.length,
    largest: 0,
    reads: 0,
    subarray(begin: number, end: number) {
      this.reads++;
      this.largest = Math.max(this.largest, end - begin);
      return bytes.slice(begin, end); // a copy, as a file read gives
    },
  };
}

function dump(ks: Keyspace): unknown[] {
  const queries = [...ks.values.keys()].sort().map((k) => ['DUMP-TYPE', k]);
  return queries.map(([, k]) => [k, plain(ks.read(cmd(['TYPE', k!]), T0)), plain(ks.read(cmd(['PTTL', k!]), T0))]);
}

async function loaded(sm: KvStateMachine): Promise<void> {
  while (sm.loading) await new Promise((resolve) => setImmediate(resolve));
}

test('a snapshot loaded through a window of any size gives the state a load from memory gives', async (t) => {
  const saved = readWindow.bytes;
  t.after(() => (readWindow.bytes = saved));
  const source = populated();
  const { data } = await inMemory(source.createSnapshot(1, 1));
  const fromMemory = machine();
  fromMemory.loadNow({ lastIncludedIndex: 1, lastIncludedTerm: 1, data });
  for (const window of [1, 2, 3, 7, 64, 1000, 4096, 1 << 20]) {
    readWindow.bytes = window;
    const sm = machine();
    const bytes = onDisk(data);
    sm.setSnapshot({ lastIncludedIndex: 1, lastIncludedTerm: 1, data: bytes });
    await loaded(sm);
    assert.equal(sm.keyspace.size, fromMemory.keyspace.size, `window ${window}`);
    assert.deepEqual(dump(sm.keyspace), dump(fromMemory.keyspace), `window ${window}`);
    for (const q of ['GET long', 'ZRANGE zs 0 -1 WITHSCORES', 'HGETALL hash', 'SMEMBERS bigset', 'LRANGE list 0 -1']) {
      assert.deepEqual(plain(sm.keyspace.read(cmd(q), T0)), plain(fromMemory.keyspace.read(cmd(q), T0)), q);
    }
    assert.deepEqual(plain(sm.keyspace.read(cmd(['GET', '\x00bin\xff']), T0)), '\r\n\x00\xff');
    // Taken again, the same bytes: nothing lost or changed on the way.
    assert.deepEqual(Buffer.from((await inMemory(sm.createSnapshot(1, 1))).data), Buffer.from(data));
    // Reads about the window's size, never the whole; twice the largest entry (100 KB) at most.
    assert.ok(bytes.largest <= Math.max(2 * window, 4 * 100_020), `window ${window}: a read of ${bytes.largest}`);
    if (window < data.length / 4) {
      assert.ok(bytes.largest < data.length / 2, `window ${window}: a read of ${bytes.largest} of ${data.length}`);
    }
  }
});

test('damaged bytes loaded through a window fail the load with a SnapshotError, and nothing is installed', async (t) => {
  const saved = readWindow.bytes;
  t.after(() => (readWindow.bytes = saved));
  readWindow.bytes = 100;
  const { data } = await inMemory(populated().createSnapshot(1, 1));
  // Inside the long value: it still decodes, and only the checksum, checked at the end, finds it.
  const inValue = Buffer.from(data).indexOf('x'.repeat(1000)) + 500;
  assert.ok(inValue > 500);
  for (const at of [data.length - 2, Math.floor(data.length / 2), data.length - 100_000, inValue]) {
    const bad = Buffer.from(data);
    bad[at] = bad[at]! ^ 0x10;
    let failure: Error | null = null;
    const sm = machine((e) => (failure = e));
    sm.setSnapshot({ lastIncludedIndex: 1, lastIncludedTerm: 1, data: onDisk(bad) });
    while (failure === null && sm.loading) await new Promise((resolve) => setImmediate(resolve));
    assert.ok(failure !== null, `byte ${at}: the load did not fail`);
    assert.match(String(failure), at === inValue ? /checksum mismatch/ : /checksum mismatch|snapshot/i, `byte ${at}`);
    assert.equal(sm.keyspace.size, 0, 'nothing installed');
  }
});
