// DiskStorage with snapshotsOnDisk: a snapshot's data stays in its file and is read a chunk at a
// time, checked again as it is read, and its file is closed once a newer snapshot replaces it.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, openSync, readdirSync, readSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';

import type { Membership, StoredSnapshot } from '../../src/core/types.js';
import { DiskCorruptionError, DiskStorage } from '../../src/storage/disk/index.js';
import { snapshotName } from '../../src/storage/disk/files.js';
import { jsonCodec } from '../../src/encoding/codec.js';
import { ChunkedBytes, type SnapshotBytes, type SnapshotWriter } from '../../src/storage/snapshot-bytes.js';
import { tempDir } from '../support/temp-dir.js';

type T = { id: number };
const config: Membership = { voters: [1, 2, 3], learners: [], outgoing: [] };
const MiB = 1024 * 1024;

function pattern(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i * 131 + seed * 7 + (i >> 12)) & 0xff;
  return out;
}

function snap(index: number, data: SnapshotBytes): StoredSnapshot<SnapshotBytes> {
  return { lastIncludedIndex: index, lastIncludedTerm: 1, data, config, termStarts: [1, 1] };
}

function open(t: TestContext, dir: string): DiskStorage<T, SnapshotBytes> {
  const s = new DiskStorage<T, SnapshotBytes>({ dir, snapshotsOnDisk: true, onWarning: () => {} });
  t.after(() => s.close());
  return s;
}

/** A store holding a snapshot of `data` at `index` (written through an install), reopened. */
async function storedThenReopened(t: TestContext, data: Uint8Array, index = 10) {
  const dir = tempDir(t);
  const first = open(t, dir);
  await first.load();
  await first.write({ snapshot: snap(index, data), hardState: { term: 1, vote: 1, commit: index } });
  await first.close();
  const again = open(t, dir);
  const loaded = await again.load();
  return { dir, store: again, loaded };
}

test('snapshotsOnDisk: load() hands the data over unread; any range reads back exactly, across frames', async (t) => {
  const data = pattern(2 * MiB + 12_345, 1);
  const { loaded } = await storedThenReopened(t, data);
  const got = loaded.snapshot!.data;
  assert.ok(!(got instanceof Uint8Array), 'left in the file, not read into memory');
  assert.equal(got.length, data.length);
  const ranges: [number, number][] = [
    [0, MiB], // one whole frame
    [MiB, 2 * MiB],
    [2 * MiB, data.length], // the short last frame
    [10, 20],
    [MiB - 5, MiB + 5], // across a frame boundary
    [100, 2 * MiB + 100], // across three frames
    [0, data.length],
    [data.length - 1, data.length + 50], // clamped
    [7, 7],
  ];
  for (const [from, to] of ranges) assert.deepEqual(got.subarray(from, to), data.subarray(from, to), `${from}..${to}`);
});

test('snapshotsOnDisk: a data frame damaged after load() is a DiskCorruptionError when read, not wrong bytes', async (t) => {
  const data = pattern(3 * MiB, 2);
  const { dir, loaded } = await storedThenReopened(t, data);
  const got = loaded.snapshot!.data;
  // Flip one byte in the second data frame (the file was renamed into place: find it by name).
  const names = (await import('node:fs')).readdirSync(dir).filter((n) => n.endsWith('.snap'));
  assert.equal(names.length, 1);
  const fd = openSync(join(dir, names[0]!), 'r+');
  const size = (await import('node:fs')).fstatSync(fd).size;
  const at = size - 100; // inside the last frame's payload (data 2..3 MiB)
  const b = Buffer.alloc(1);
  readSync(fd, b, 0, 1, at);
  b[0] = b[0]! ^ 0xff;
  writeSync(fd, b, 0, 1, at);
  closeSync(fd);
  assert.deepEqual(got.subarray(0, MiB), data.subarray(0, MiB), 'an intact frame still reads');
  assert.throws(
    () => got.subarray(2 * MiB, 3 * MiB),
    (e: unknown) => e instanceof DiskCorruptionError && /checksum mismatch/.test(e.message),
  );
});

test('snapshotsOnDisk: data loaded from disk is written again as a new snapshot, and the old file closes once replaced', async (t) => {
  const data = pattern(MiB + 777, 3);
  const { dir, store, loaded } = await storedThenReopened(t, data, 10);
  const old = loaded.snapshot!.data;
  // An install of other data at a later index replaces it: the old file is deleted and closed.
  const newer = pattern(1000, 4);
  await store.write({ snapshot: snap(20, newer), truncateFrom: 21, hardState: { term: 1, vote: 1, commit: 20 } });
  await store.write({ hardState: { term: 1, vote: 1, commit: 20 } }); // a later frame deletes the stale file
  assert.throws(() => old.subarray(0, 10), /superseded/);
  // The loaded data written as a snapshot again (what a restarted node's core hands back).
  await store.close();
  const third = open(t, dir);
  const again = (await third.load()).snapshot!.data;
  assert.deepEqual(again.subarray(0, again.length), newer);
  await third.write({ snapshot: snap(30, again), truncateFrom: 31, hardState: { term: 1, vote: 1, commit: 30 } });
  await third.close();
  const fourth = open(t, dir);
  const last = (await fourth.load()).snapshot!;
  assert.equal(last.lastIncludedIndex, 30);
  assert.deepEqual(last.data.subarray(0, last.data.length), newer);
  assert.equal(snapshotName(1).endsWith('.snap'), true);
});

test('snapshotsOnDisk takes no snapshotCodec, and rejects snapshot data that is not SnapshotBytes', async (t) => {
  assert.throws(
    () =>
      new DiskStorage<T, SnapshotBytes>({
        dir: tempDir(t),
        snapshotsOnDisk: true,
        snapshotCodec: jsonCodec<SnapshotBytes>(),
      }),
    /snapshotsOnDisk .* no snapshotCodec/,
  );
  const s = open(t, tempDir(t));
  await s.load();
  await assert.rejects(
    s.write({ snapshot: snap(5, 'text' as unknown as SnapshotBytes), hardState: { term: 1, vote: 1, commit: 5 } }),
    /must be SnapshotBytes/,
  );
});

/** A store with entries 1..20 of term 1, and a promise of the next onSnapshotWritten. */
async function withLog(t: TestContext, dir = tempDir(t)) {
  let written: (index: number) => void = () => {};
  const s = new DiskStorage<T, SnapshotBytes>({
    dir,
    snapshotsOnDisk: true,
    onWarning: () => {},
    onSnapshotWritten: ({ index }) => written(index),
  });
  t.after(() => s.close());
  await s.load();
  const entries = Array.from({ length: 20 }, (_, i) => ({ index: i + 1, term: 1, transition: { id: i + 1 } }));
  await s.write({ entries, hardState: { term: 1, vote: 1, commit: 20 } });
  const nextWritten = () => new Promise<number>((resolve) => (written = resolve));
  return { dir, store: s, nextWritten };
}

async function writeInPieces(writer: SnapshotWriter, data: Uint8Array, sizes: number[]): Promise<SnapshotBytes> {
  for (let at = 0, i = 0; at < data.length; i++) {
    const n = Math.min(sizes[i % sizes.length]!, data.length - at);
    await writer.write(data.subarray(at, at + n));
    at += n;
  }
  return writer.finish();
}

const files = (dir: string): string[] =>
  readdirSync(dir)
    .filter((n) => n.startsWith('snap-'))
    .sort();

test('snapshotWriter: data written as produced becomes the snapshot file, readable by a store without snapshotsOnDisk', async (t) => {
  const { dir, store, nextWritten } = await withLog(t);
  const data = pattern(3 * MiB + 333_333, 5);
  const writer = store.snapshotWriter();
  const bytes = await writeInPieces(writer, data, [700 * 1024, 1, 5000, 2 * MiB]);
  assert.ok(!(bytes instanceof Uint8Array));
  assert.deepEqual(bytes.subarray(MiB - 3, 2 * MiB + 3), data.subarray(MiB - 3, 2 * MiB + 3), 'readable at once');
  assert.deepEqual(files(dir), ['snap-0000000000000001.snap.data.tmp']);
  const inode = statSync(join(dir, 'snap-0000000000000001.snap.data.tmp')).ino;
  const durable = nextWritten();
  await store.write({ snapshot: snap(15, bytes) }); // a compaction: the log holds entry 15
  assert.equal(await durable, 15);
  await store.write({ hardState: { term: 1, vote: 1, commit: 20 } });
  assert.deepEqual(files(dir), ['snap-0000000000000001.snap']);
  assert.equal(
    statSync(join(dir, 'snap-0000000000000001.snap')).ino,
    inode,
    'the data file renamed into place, not copied',
  );
  assert.deepEqual(bytes.subarray(0, data.length), data, 'still readable after the rename');
  await store.close();
  // The file is in the format every DiskStorage reads: the first frame padded, the data frames after.
  const plain = new DiskStorage<T>({ dir, onWarning: () => {} });
  t.after(() => plain.close());
  const loaded = await plain.load();
  assert.equal(loaded.snapshot!.lastIncludedIndex, 15);
  assert.deepEqual(loaded.snapshot!.config, config);
  assert.deepEqual(loaded.snapshot!.data, data);
  assert.deepEqual(
    loaded.entries.map((e) => e.index),
    [16, 17, 18, 19, 20],
  );
});

test('snapshotWriter: data never handed to a write is removed when a later snapshot is taken, and at close', async (t) => {
  const { dir, store, nextWritten } = await withLog(t);
  const unused = store.snapshotWriter();
  await writeInPieces(unused, pattern(10_000, 6), [4096]);
  const used = store.snapshotWriter();
  const bytes = await writeInPieces(used, pattern(20_000, 7), [4096]);
  const durable = nextWritten();
  await store.write({ snapshot: snap(12, bytes) });
  await durable;
  await store.write({ hardState: { term: 1, vote: 1, commit: 20 } });
  assert.deepEqual(files(dir), ['snap-0000000000000002.snap']);
  const left = store.snapshotWriter();
  await left.write(pattern(100, 8));
  await store.close();
  assert.deepEqual(files(dir), ['snap-0000000000000002.snap'], 'a writer left unfinished is removed at close');
});

test('snapshotWriter: a first frame too large for its room (many members) is written by copying the data, as before', async (t) => {
  const { dir, store, nextWritten } = await withLog(t);
  const data = pattern(MiB + 10, 9);
  const bytes = await writeInPieces(store.snapshotWriter(), data, [MiB]);
  const many: Membership = { voters: Array.from({ length: 20_000 }, (_, i) => i + 1), learners: [], outgoing: [] };
  const durable = nextWritten();
  await store.write({ snapshot: { ...snap(10, bytes), config: many } });
  await durable;
  await store.write({ hardState: { term: 1, vote: 1, commit: 20 } });
  assert.deepEqual(files(dir), ['snap-0000000000000001.snap']);
  await store.close();
  const again = open(t, dir);
  const loaded = (await again.load()).snapshot!;
  assert.equal(loaded.config.voters.length, 20_000);
  assert.deepEqual(loaded.data.subarray(0, loaded.data.length), data);
});

test('ChunkedBytes reads any range of its chunks: a view within one, a copy across', () => {
  const data = pattern(10_000, 11);
  const sizes = [1, 999, 4096, 3, 4901];
  const chunks: Uint8Array[] = [];
  for (let at = 0, i = 0; at < data.length; at += sizes[i++]!) chunks.push(data.slice(at, at + sizes[i]!));
  const bytes = new ChunkedBytes(chunks, data.length);
  for (let from = 0; from < data.length; from += 97) {
    for (const span of [0, 1, 2, 1000, 5000, 20_000]) {
      assert.deepEqual(bytes.subarray(from, from + span), data.subarray(from, Math.min(data.length, from + span)));
    }
  }
  const view = bytes.subarray(1000, 2000); // inside the third chunk
  assert.equal(view.buffer, chunks[2]!.buffer, 'a view, not a copy');
  assert.throws(() => new ChunkedBytes(chunks, data.length + 1), /not 10001/);
});

test('snapshotsOnDisk: an installed snapshot held as received (ChunkedBytes) is read from its file once that is durable', async (t) => {
  const dir = tempDir(t);
  const s = open(t, dir);
  await s.load();
  const data = pattern(2 * MiB + 5000, 12);
  const chunks = [data.slice(0, MiB), data.slice(MiB, 2 * MiB), data.slice(2 * MiB)];
  const received = new ChunkedBytes(chunks, data.length);
  await s.write({ snapshot: snap(10, received), truncateFrom: 11, hardState: { term: 1, vote: 1, commit: 10 } });
  assert.deepEqual(received.subarray(0, data.length), data, 'the same bytes');
  chunks[1]!.fill(0); // the memory it came in is no longer what is read
  assert.deepEqual(received.subarray(MiB, 2 * MiB), data.subarray(MiB, 2 * MiB), 'read from the file');
  // Damage the file: the read fails, as a read from the file does.
  const name = files(dir).find((n) => n.endsWith('.snap'))!;
  const fd = openSync(join(dir, name), 'r+');
  writeSync(fd, Buffer.from([0xff, 0xee]), 0, 2, statSync(join(dir, name)).size - 10);
  closeSync(fd);
  assert.throws(() => received.subarray(2 * MiB, data.length), DiskCorruptionError);
});
