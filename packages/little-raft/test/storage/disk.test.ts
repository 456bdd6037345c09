// DiskStorage's semantics: the cases of test/storage/memory-storage.test.ts, each checked again
// after reopening the directory, and a randomized comparison against MemoryStorage.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { createReadStream, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import type { LogEntry, Membership, StorageWrite, StoredSnapshot, StoredState } from '../../src/core/types.js';
import { DiskCorruptionError, DiskStorage, type DiskStorageOptions } from '../../src/storage/disk/index.js';
import { snapshotName } from '../../src/storage/disk/files.js';
import { scanFrames } from '../../src/storage/disk/format.js';
import { MemoryStorage } from '../../src/storage/memory.js';
import { bytesCodec, jsonCodec, type Codec } from '../../src/encoding/codec.js';
import { prng } from '../support/prng.js';
import { plainState } from '../support/plain-state.js';
import { tempDir } from '../support/temp-dir.js';

type T = { id: number; op: string };
type S = DiskStorage<T, string>;

const config: Membership = { voters: [1, 2, 3], learners: [], outgoing: [] };

function entry(index: number, term: number): LogEntry<T> {
  return { index, term, transition: { id: index, op: `set ${index}` } };
}

function range(from: number, to: number, term: number): LogEntry<T>[] {
  const out: LogEntry<T>[] = [];
  for (let i = from; i <= to; i++) out.push(entry(i, term));
  return out;
}

function snap(index: number, term: number, data = `state@${index}`): StoredSnapshot<string> {
  return { lastIncludedIndex: index, lastIncludedTerm: term, data, config, termStarts: index > 0 ? [1, term] : [] };
}

function store(dir: string, options: Partial<DiskStorageOptions<T, string>> = {}): S {
  return new DiskStorage<T, string>({ dir, snapshotCodec: jsonCodec<string>(), onWarning: () => {}, ...options });
}

/** A fresh, loaded store in a new directory. */
async function fresh(t: TestContext, options: Partial<DiskStorageOptions<T, string>> = {}): Promise<S> {
  const s = store(tempDir(t), options);
  await s.load();
  t.after(() => s.close());
  return s;
}

/** Closes `s` and opens its directory again; returns the new store and what it loaded. */
async function reopen(t: TestContext, s: S): Promise<[S, StoredState<T, string>]> {
  await s.close();
  const again = store(s.dir);
  const loaded = plainState(await again.load());
  t.after(() => again.close());
  return [again, loaded];
}

const indices = (state: StoredState<T, string>): [number, number][] => state.entries.map((e) => [e.index, e.term]);

test('a new storage is empty with hard state {term 0, vote null, commit 0}', async (t) => {
  const s = await fresh(t);
  const empty = { hardState: { term: 0, vote: null, commit: 0 }, snapshot: null, entries: [], identity: null };
  assert.deepEqual(plainState(await s.load()), empty);
  assert.equal(s.lastIndex, 0);
  assert.equal(s.snapshotIndex, 0);
  assert.deepEqual((await reopen(t, s))[1], empty);
});

test('write resolves once durable; load returns a promise', async (t) => {
  const s = await fresh(t);
  const ret = s.write({ entries: [entry(1, 1)] });
  assert.ok(ret instanceof Promise);
  assert.equal(await ret, undefined);
  const loading = s.load();
  assert.ok(loading instanceof Promise);
  await loading;
});

test('entries append and overwrite from entries[0].index', async (t) => {
  let s = await fresh(t);
  await s.write({ entries: range(1, 5, 1) });
  let loaded: StoredState<T, string>;
  [s, loaded] = await reopen(t, s);
  assert.deepEqual(indices(loaded), [
    [1, 1],
    [2, 1],
    [3, 1],
    [4, 1],
    [5, 1],
  ]);
  await s.write({ entries: range(6, 7, 2) });
  assert.equal(s.lastIndex, 7);
  // Overwrite from 3: stored 3..7 are dropped, even those beyond the new entries.
  await s.write({ entries: [entry(3, 3)] });
  assert.equal(s.lastIndex, 3);
  [s, loaded] = await reopen(t, s);
  assert.deepEqual(loaded.entries, [entry(1, 1), entry(2, 1), entry(3, 3)]);
  assert.equal(s.lastIndex, 3);
});

test('truncateFrom drops the suffix from that index', async (t) => {
  let s = await fresh(t);
  await s.write({ entries: range(1, 5, 1) });
  await s.write({ truncateFrom: 4 });
  let loaded: StoredState<T, string>;
  [s, loaded] = await reopen(t, s);
  assert.deepEqual(
    indices(loaded).map(([i]) => i),
    [1, 2, 3],
  );
  // Beyond the end: nothing to drop.
  await s.write({ truncateFrom: 10 });
  assert.equal(s.lastIndex, 3);
  await s.write({ truncateFrom: 1 });
  [s, loaded] = await reopen(t, s);
  assert.deepEqual(loaded.entries, []);
  assert.equal(s.lastIndex, 0);
});

test('a snapshot drops entries up to its index and keeps the rest', async (t) => {
  let s = await fresh(t);
  await s.write({ entries: range(1, 10, 1) });
  await s.write({ snapshot: snap(4, 1) });
  assert.equal(s.snapshotIndex, 4);
  let loaded: StoredState<T, string>;
  [s, loaded] = await reopen(t, s);
  assert.equal(s.snapshotIndex, 4);
  assert.deepEqual(
    indices(loaded).map(([i]) => i),
    [5, 6, 7, 8, 9, 10],
  );
  assert.deepEqual(loaded.snapshot, snap(4, 1));
  // A snapshot beyond the log empties it; the next entry follows the snapshot.
  await s.write({ snapshot: snap(20, 3) });
  await s.load(); // after the writes' clean-up
  assert.deepEqual(
    readdirSync(s.dir).filter((f) => f.endsWith('.snap')),
    ['snap-0000000000000002.snap'],
    'the snapshot the store opened with is deleted once superseded',
  );
  [s, loaded] = await reopen(t, s);
  assert.deepEqual(loaded.entries, []);
  assert.equal(s.lastIndex, 20);
  await s.write({ entries: [entry(21, 3)] });
  [s, loaded] = await reopen(t, s);
  assert.deepEqual(indices(loaded), [[21, 3]]);
  assert.deepEqual(loaded.snapshot, snap(20, 3));
  assert.deepEqual(
    readdirSync(s.dir).filter((f) => f.endsWith('.snap')),
    ['snap-0000000000000002.snap'],
    'the superseded snapshot file is gone',
  );
});

test('onSnapshotWritten is told of each snapshot once its file is durable, with its index and size', async (t) => {
  const written: { index: number; bytes: number; seconds: number }[] = [];
  const s = await fresh(t, { onSnapshotWritten: (w) => written.push(w) });
  await s.write({ entries: range(1, 6, 1) });
  assert.equal(written.length, 0, 'entries alone write no snapshot');
  await s.write({ snapshot: snap(4, 1, 'x'.repeat(1000)) });
  // A compaction's file is written beside the log: load() waits for it.
  await s.load();
  assert.equal(written.length, 1);
  assert.equal(written[0]!.index, 4);
  // The JSON codec stores the string with its quotes.
  assert.equal(written[0]!.bytes, 1002);
  assert.ok(written[0]!.seconds >= 0);
  assert.ok(
    readdirSync(s.dir).some((f) => f.endsWith('.snap')),
    'told after the file exists',
  );
  // A snapshot past the log (from a leader) is durable, and told of, before its write resolves.
  await s.write({ snapshot: snap(10, 2) });
  assert.deepEqual(
    written.map((w) => w.index),
    [4, 10],
  );
});

test('compactions taken faster than their files are written: one waits at most, the newest', async (t) => {
  const written: number[] = [];
  const s = await fresh(t, { onSnapshotWritten: (w) => written.push(w.index) });
  await s.write({ entries: range(1, 10, 1) });
  // The first file is being written when the next two come: the third replaces the second.
  await Promise.all([2, 4, 6].map((i) => s.write({ snapshot: snap(i, 1) })));
  await s.load();
  assert.deepEqual(written, [2, 6]);
  const [, loaded] = await reopen(t, s);
  assert.deepEqual(loaded.snapshot, snap(6, 1));
  assert.deepEqual(
    loaded.entries.map((e) => e.index),
    [7, 8, 9, 10],
  );
});

test('a compaction does not hold the writes behind it; one whose file fails loses nothing', async (t) => {
  const written: number[] = [];
  const s = await fresh(t, { onSnapshotWritten: (w) => written.push(w.index) });
  await s.write({ entries: range(1, 6, 1), hardState: { term: 1, vote: 1, commit: 4 } });
  // The compaction's temporary file is a FIFO: writing it waits until the test reads it.
  const fifo = join(s.dir, `${snapshotName(1)}.tmp`);
  execFileSync('mkfifo', [fifo]);
  const compaction = s.write({ snapshot: snap(4, 1) });
  const behind = s.write({ entries: range(7, 8, 1), hardState: { term: 1, vote: 1, commit: 6 } });
  // A bound for the broken case only (the writes would wait for the FIFO forever): never reached.
  let bound: NodeJS.Timeout | undefined;
  const stuck = new Promise<string>((resolve) => (bound = setTimeout(() => resolve('stuck'), 20_000)));
  const first = await Promise.race([Promise.all([compaction, behind]).then(() => 'durable'), stuck]);
  clearTimeout(bound);
  const wasWritten = [...written];
  // Read, the FIFO lets the write go on; its fsync then fails (a pipe), which fails the store.
  const reader = createReadStream(fifo);
  reader.resume();
  await once(reader, 'end');
  assert.equal(first, 'durable', 'the compaction and the entries behind it resolve before its file is written');
  assert.deepEqual(wasWritten, [], 'its file was not written then');
  await assert.rejects(s.load(), /a write to .* failed; the store takes no more writes/);
  await assert.rejects(s.write({ entries: range(9, 9, 1) }), /takes no more writes/);
  assert.deepEqual(written, []);
  await s.close();
  const again = store(s.dir);
  t.after(() => again.close());
  const loaded = await again.load();
  assert.equal(loaded.snapshot, null, 'the log never named the compaction');
  assert.deepEqual(
    loaded.entries.map((e) => e.index),
    [1, 2, 3, 4, 5, 6, 7, 8],
  );
  assert.equal(loaded.hardState.commit, 6);
  assert.ok(!readdirSync(s.dir).some((f) => f.endsWith('.tmp')), 'the leftover file is removed on opening');
});

test('snapshot + truncateFrom + entries + hardState in one write apply in order', async (t) => {
  let s = await fresh(t);
  await s.write({ entries: range(1, 8, 1), hardState: { term: 1, vote: 1, commit: 3 } });
  await s.write({
    snapshot: snap(5, 2),
    truncateFrom: 6,
    entries: range(6, 7, 2),
    hardState: { term: 2, vote: null, commit: 5 },
  });
  let loaded: StoredState<T, string>;
  [s, loaded] = await reopen(t, s);
  assert.deepEqual(loaded, {
    snapshot: snap(5, 2),
    entries: range(6, 7, 2),
    hardState: { term: 2, vote: null, commit: 5 },
    identity: null,
  });
});

test('truncateFrom then entries in one write: entries may start right after the cut', async (t) => {
  let s = await fresh(t);
  await s.write({ entries: range(1, 6, 1) });
  await s.write({ truncateFrom: 3, entries: range(3, 4, 2) });
  let loaded: StoredState<T, string>;
  [s, loaded] = await reopen(t, s);
  assert.deepEqual(indices(loaded), [
    [1, 1],
    [2, 1],
    [3, 2],
    [4, 2],
  ]);
  await assert.rejects(s.write({ truncateFrom: 3, entries: [entry(4, 2)] }), /must start within/);
});

test('a new storage over the same directory recovers exactly what was written', async (t) => {
  let s = await fresh(t);
  await s.write({ entries: range(1, 3, 1), hardState: { term: 1, vote: 2, commit: 2 } });
  await s.write({ snapshot: snap(2, 1), entries: range(4, 5, 2) });
  await s.write({ hardState: { term: 2, vote: null, commit: 4 } });
  const expected = {
    hardState: { term: 2, vote: null, commit: 4 },
    snapshot: snap(2, 1),
    entries: [entry(3, 1), entry(4, 2), entry(5, 2)],
    identity: null,
  };
  assert.deepEqual(plainState(await s.load()), expected, 'load() on the open store reads it again');
  let loaded: StoredState<T, string>;
  [s, loaded] = await reopen(t, s);
  assert.deepEqual(loaded, expected);
  assert.deepEqual(s.recovery?.tornTail, null);
  // The hard state written is copied: changing the object afterwards changes nothing.
  const hs = { term: 3, vote: 1, commit: 4 };
  const done = s.write({ hardState: hs });
  hs.term = 100;
  await done;
  [s, loaded] = await reopen(t, s);
  assert.equal(loaded.hardState.term, 3);
});

test('configuration entries, entries with neither transition nor config, and custom codecs round-trip', async (t) => {
  const codec: Codec<T> = {
    encode: (v) => new TextEncoder().encode(`${v.id}|${v.op}`),
    decode: (b) => {
      const [id, op] = new TextDecoder().decode(b).split('|') as [string, string];
      return { id: Number(id), op };
    },
  };
  const dir = tempDir(t);
  const s = new DiskStorage<T>({ dir, codec, onWarning: () => {} });
  await s.load();
  const joint: Membership = { voters: [1, 2], learners: [4], outgoing: [1, 2, 3] };
  const entries: LogEntry<T>[] = [
    entry(1, 1),
    { index: 2, term: 1, config: joint },
    { index: 3, term: 2 },
    entry(4, 2),
  ];
  const data = new Uint8Array(3 * 1024 * 1024 + 5).map((_, i) => i % 251);
  const snapshot = { lastIncludedIndex: 1, lastIncludedTerm: 1, data, config: joint, termStarts: [1, 1] };
  await s.write({ entries });
  await s.write({ snapshot, hardState: { term: 2, vote: 3, commit: 4 } });
  await s.close();
  const again = new DiskStorage<T>({ dir, codec });
  const loaded = plainState(await again.load());
  await again.close();
  assert.deepEqual(loaded.entries, entries.slice(1));
  assert.deepEqual(loaded.snapshot, snapshot, 'the default snapshot codec stores Uint8Array data (here in 4 chunks)');
  assert.deepEqual(loaded.hardState, { term: 2, vote: 3, commit: 4 });
});

test('writes before load() open the store first; writes after close() reject', async (t) => {
  const dir = tempDir(t);
  const s = store(dir);
  const writes = [s.write({ entries: range(1, 3, 1) }), s.write({ entries: range(4, 5, 1) })];
  await Promise.all(writes);
  assert.equal(s.lastIndex, 5);
  await s.close();
  await assert.rejects(s.write({ entries: range(6, 6, 1) }), /closed/);
  await assert.rejects(s.load(), /closed/);
  const again = store(dir);
  assert.deepEqual(plainState(await again.load()).entries, range(1, 5, 1));
  await again.close();
});

test('writes issued together are grouped into fewer frames (one sync each), in order', async (t) => {
  let s = await fresh(t);
  const done: Promise<void>[] = [];
  for (let i = 1; i <= 50; i++)
    done.push(s.write({ entries: [entry(i, 1)], hardState: { term: 1, vote: 1, commit: i } }));
  await Promise.all(done);
  const segment = join(
    s.dir,
    readdirSync(s.dir).find((f) => f.endsWith('.log'))!,
  );
  const frames = scanFrames(readFileSync(segment), segment, false).payloads.length;
  // The segment header, the first write alone (its flush starts at once), then the other 49 together.
  assert.equal(frames, 3);
  let loaded: StoredState<T, string>;
  [s, loaded] = await reopen(t, s);
  assert.deepEqual(loaded.entries, range(1, 50, 1));
  assert.deepEqual(loaded.hardState, { term: 1, vote: 1, commit: 50 });
});

test('many snapshots and appends with small segments: old segments are deleted, the log stays exact', async (t) => {
  let s = await fresh(t, { segmentBytes: 2048 });
  let last = 0;
  let snapIndex = 0;
  let maxSegments = 0;
  for (let round = 0; round < 40; round++) {
    await s.write({ entries: range(last + 1, last + 50, 1), hardState: { term: 1, vote: 1, commit: last } });
    last += 50;
    snapIndex = last - 10;
    await s.write({ snapshot: snap(snapIndex, 1) });
    await s.load(); // waits for the cleanup that follows a write
    maxSegments = Math.max(maxSegments, readdirSync(s.dir).filter((f) => f.endsWith('.log')).length);
    assert.equal(s.lastIndex, last);
  }
  assert.ok(maxSegments <= 3, `at most 3 segments at a time, saw ${maxSegments}`);
  assert.equal(readdirSync(s.dir).filter((f) => f.endsWith('.snap')).length, 1);
  let loaded: StoredState<T, string>;
  [s, loaded] = await reopen(t, s);
  assert.equal(loaded.snapshot!.lastIncludedIndex, snapIndex);
  assert.deepEqual(loaded.entries, range(snapIndex + 1, last, 1));
  assert.deepEqual(loaded.hardState, { term: 1, vote: 1, commit: last - 50 });
  await s.write({ truncateFrom: last - 4, entries: range(last - 4, last, 2) });
  [s, loaded] = await reopen(t, s);
  assert.deepEqual(loaded.entries, [...range(snapIndex + 1, last - 5, 1), ...range(last - 4, last, 2)]);
});

test('invalid writes reject and change nothing', async (t) => {
  let s = await fresh(t);
  await s.write({ entries: range(1, 5, 2), hardState: { term: 2, vote: 1, commit: 1 } });
  await s.write({ snapshot: snap(2, 2) });
  const before = plainState(await s.load());
  const bad: [string, StorageWrite<T, string>, RegExp][] = [
    ['gap after the log', { entries: [entry(7, 2)] }, /must start within 3\.\.6/],
    ['into the snapshot', { entries: [entry(2, 2)] }, /must start within/],
    ['not consecutive', { entries: [entry(6, 2), entry(8, 2)] }, /entries\[1\]\.index is 8, expected 7/],
    ['decreasing term', { entries: [entry(6, 1)] }, /term 1, below/],
    [
      'decreasing term inside the batch',
      { entries: [entry(6, 3), entry(7, 2)] },
      /entries\[1\].*term 2, below the preceding term 3/,
    ],
    ['truncate into the snapshot', { truncateFrom: 2 }, /above the snapshot/],
    ['older snapshot', { snapshot: snap(1, 1) }, /older than the stored/],
    ['odd termStarts', { snapshot: { ...snap(4, 2), termStarts: [1, 2, 3] } }, /termStarts must be/],
    [
      'termStarts terms not increasing',
      { snapshot: { ...snap(4, 2), termStarts: [1, 2, 3, 2] } },
      /termStarts must be \[firstIndex, term\] pairs/,
    ],
    ['bad hard state', { hardState: { term: -1, vote: null, commit: 0 } }, /malformed hard state/],
    ['bad vote', { hardState: { term: 1, vote: 1.5, commit: 0 } }, /malformed hard state/],
    ['partly valid batch', { snapshot: snap(4, 2), entries: [entry(9, 2)] }, /must start within/],
  ];
  for (const [name, batch, re] of bad) {
    await assert.rejects(s.write(batch), re, name);
    assert.deepEqual(plainState(await s.load()), before, `${name}: storage changed`);
  }
  // A transition the codec cannot encode: rejected, nothing stored.
  const cyclic = { id: 6, op: 'x' } as T & { self?: unknown };
  cyclic.self = cyclic;
  await assert.rejects(s.write({ entries: [{ index: 6, term: 2, transition: cyclic }] }), /circular/i);
  let loaded: StoredState<T, string>;
  [s, loaded] = await reopen(t, s);
  assert.deepEqual(loaded, before);
  await s.write({ entries: [entry(6, 2)] });
  assert.equal(s.lastIndex, 6);
});

test('randomized: DiskStorage recovers what MemoryStorage holds after every kind of write', async (t) => {
  for (const seed of [1, 2, 3]) {
    const random = prng(seed);
    const int = (lo: number, hi: number): number => lo + Math.floor(random() * (hi - lo + 1));
    const mem = new MemoryStorage<T, string>();
    let disk = store(tempDir(t), { segmentBytes: 1024 });
    await disk.load();
    let term = 1;
    for (let step = 0; step < 300; step++) {
      const state = mem.load();
      const snapIndex = mem.snapshotIndex;
      const snapTerm = state.snapshot?.lastIncludedTerm ?? 0;
      const last = mem.lastIndex;
      const termAt = (i: number): number => (i === snapIndex ? snapTerm : state.entries[i - snapIndex - 1]!.term);
      const batch: StorageWrite<T, string> = {};
      const kind = random();
      if (kind < 0.45) {
        batch.entries = range(last + 1, last + int(1, 12), term);
      } else if (kind < 0.6 && last > snapIndex) {
        const from = int(snapIndex + 1, last);
        term++;
        batch.entries = range(from, from + int(0, 5), term);
      } else if (kind < 0.7) {
        batch.truncateFrom = int(snapIndex + 1, last + 2);
      } else if (kind < 0.85) {
        const at = int(snapIndex, last + 3);
        batch.snapshot = snap(at, at <= last ? termAt(at) : term, `state-${seed}-${step}`);
        if (random() < 0.3) {
          batch.truncateFrom = at + 1;
          batch.entries = range(at + 1, at + int(1, 4), term);
        }
      }
      if (random() < 0.5) batch.hardState = { term, vote: random() < 0.3 ? null : int(1, 5), commit: int(0, last) };
      mem.write(batch);
      const written = disk.write(batch);
      // Every few steps the write is awaited only later: writes issued together share a frame.
      if (random() < 0.7) await written;
      else void written.catch(() => {});
      if (random() < 0.1) {
        await disk.load();
        const again = store(disk.dir, { segmentBytes: 1024 });
        await disk.close();
        const loaded = plainState(await again.load());
        assert.deepEqual(loaded, mem.load(), `seed ${seed}, step ${step}`);
        assert.equal(again.lastIndex, mem.lastIndex);
        assert.equal(again.snapshotIndex, mem.snapshotIndex);
        disk = again;
      }
    }
    await disk.load();
    await disk.close();
    const last = store(disk.dir);
    assert.deepEqual(plainState(await last.load()), mem.load(), `seed ${seed}, at the end`);
    await last.close();
  }
});

test('bytes transitions with bytesCodec', async (t) => {
  const dir = tempDir(t);
  const s = new DiskStorage<Uint8Array>({ dir, codec: bytesCodec });
  await s.load();
  const entries = [1, 2, 3].map((i) => ({ index: i, term: 1, transition: new Uint8Array(i * 10).fill(i) }));
  await s.write({ entries });
  await s.close();
  const again = new DiskStorage<Uint8Array>({ dir, codec: bytesCodec });
  assert.deepEqual(plainState(await again.load()).entries, entries);
  await again.close();
});

test('big transitions (written as pieces of their frame) round-trip beside small ones, across roll-overs', async (t) => {
  const dir = tempDir(t);
  const s = new DiskStorage<Uint8Array>({ dir, codec: bytesCodec, segmentBytes: 100_000 });
  await s.load();
  const random = prng(5);
  const sizes = [10, 64 * 1024, 70_000, 3, 200_000, 64 * 1024 - 1, 1, 150_000];
  const entries = sizes.map((n, i) => ({
    index: i + 1,
    term: 1,
    transition: new Uint8Array(n).map(() => Math.floor(random() * 256)),
  }));
  // Some writes together (one frame), some alone.
  await Promise.all([s.write({ entries: entries.slice(0, 3) }), s.write({ entries: entries.slice(3, 5) })]);
  for (const e of entries.slice(5)) await s.write({ entries: [e], hardState: { term: 1, vote: 1, commit: e.index } });
  await s.close();
  assert.ok(readdirSync(dir).filter((f) => f.endsWith('.log')).length > 1, 'rolled over');
  const again = new DiskStorage<Uint8Array>({ dir, codec: bytesCodec });
  const loaded = plainState(await again.load());
  assert.deepEqual(loaded.entries, entries);
  assert.deepEqual(loaded.hardState, { term: 1, vote: 1, commit: 8 });
  await again.close();
});

test('a directory is open in one DiskStorage at a time in a process', async (t) => {
  const s = await fresh(t);
  await s.write({ entries: range(1, 2, 1) });
  const other = store(s.dir);
  await assert.rejects(other.load(), /already open in this process/);
  await assert.rejects(other.write({ entries: range(3, 3, 1) }), /already open in this process/);
  await s.close();
  const third = store(s.dir);
  assert.deepEqual(plainState(await third.load()).entries, range(1, 2, 1));
  await third.close();
});

test('loaded transitions are decoded when read; one that does not decode is a DiskCorruptionError then', async (t) => {
  const dir = tempDir(t);
  let decodes = 0;
  let broken = false;
  const codec: Codec<T> = {
    encode: (v) => new TextEncoder().encode(JSON.stringify(v)),
    decode: (b) => {
      decodes++;
      if (broken) throw new Error('not my format');
      return JSON.parse(new TextDecoder().decode(b)) as T;
    },
  };
  const s = new DiskStorage<T>({ dir, codec, onWarning: () => {} });
  await s.load();
  await s.write({ entries: range(1, 3, 1) });
  await s.close();
  const again = new DiskStorage<T>({ dir, codec });
  t.after(() => again.close());
  const loaded = await again.load();
  assert.equal(decodes, 0, 'opening decodes nothing');
  assert.deepEqual(loaded.entries[1]!.transition, entry(2, 1).transition);
  assert.equal(decodes, 1);
  assert.deepEqual(JSON.parse(JSON.stringify(loaded.entries[2])), entry(3, 1), 'JSON.stringify sees the transition');
  broken = true;
  assert.throws(
    () => loaded.entries[0]!.transition,
    (e: unknown) =>
      e instanceof DiskCorruptionError &&
      e.file ===
        join(
          dir,
          readdirSync(dir).find((n) => n.endsWith('.log'))!,
        ) &&
      /the transition of entry 1 does not decode: not my format/.test(e.message),
  );
});

test('the identity is kept beside the log, replaced atomically, and checked when read', async (t) => {
  let s = await fresh(t);
  const identity = { uid: 2 ** 53 - 1, peers: [[2, 7] as [number, number]], excluded: null };
  await s.write({ entries: range(1, 2, 1) });
  await s.write({ identity });
  let loaded: StoredState<T, string>;
  [s, loaded] = await reopen(t, s);
  assert.deepEqual(loaded.identity, identity);
  assert.deepEqual(indices(loaded), [
    [1, 1],
    [2, 1],
  ]);
  const excluded = { ...identity, excluded: { by: 2, uid: 5 } };
  await s.write({ identity: excluded });
  [s, loaded] = await reopen(t, s);
  assert.deepEqual(loaded.identity, excluded);
  // An identity goes alone; a malformed one is refused; nothing changes either way.
  await assert.rejects(s.write({ identity, entries: [entry(3, 1)] }), /identity is written in a batch of its own/);
  await assert.rejects(s.write({ identity: { ...identity, uid: 0 } }), /uid is not a positive safe integer/);
  [s, loaded] = await reopen(t, s);
  assert.deepEqual(loaded.identity, excluded);
  assert.equal(s.lastIndex, 2);
  // A damaged identity file keeps the store from opening, like any other damaged file.
  await s.close();
  for (const [text, reason] of [
    ['{"uid":', /identity file is not JSON/],
    ['{"uid":1,"peers":[[2]],"excluded":null}', /peers\[0\] is not an \[id, uid\] pair/],
  ] as const) {
    writeFileSync(join(s.dir, 'identity.json'), text);
    const again = store(s.dir);
    await assert.rejects(again.load(), (e: unknown) => e instanceof DiskCorruptionError && reason.test(e.message));
    await again.close();
  }
});
