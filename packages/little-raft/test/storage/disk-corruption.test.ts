// DiskStorage on damaged files: a torn tail of the newest segment (what a crash leaves) is cut
// off and reported; damage anywhere else is a DiskCorruptionError naming the file and the byte
// position, load() rejects and a Replica refuses to start.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, readdirSync, readFileSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import type { LogEntry, Membership, StoredState } from '../../src/core/types.js';
import { Replica } from '../../src/driver/replica.js';
import { DiskCorruptionError, DiskStorage } from '../../src/storage/disk/index.js';
import { frame, scanFrameBounds, scanFrames } from '../../src/storage/disk/format.js';
import { plainState } from '../support/plain-state.js';
import { tempDir } from '../support/temp-dir.js';

type T = { id: number; op: string };

const config: Membership = { voters: [1], learners: [], outgoing: [] };

function range(from: number, to: number, term: number): LogEntry<T>[] {
  const out: LogEntry<T>[] = [];
  for (let i = from; i <= to; i++) out.push({ index: i, term, transition: { id: i, op: `set ${i}` } });
  return out;
}

function store(dir: string, warnings: string[] = []): DiskStorage<T> {
  return new DiskStorage<T>({ dir, segmentBytes: 1024, onWarning: (m) => warnings.push(m) });
}

/**
 * A closed store: segments of ~1 KiB (the older ones hold entries after the snapshot, so
 * they are kept), a snapshot at 20 with 2.5 MiB of data (3 chunks), and in the newest
 * segment three frames at the end: entries, a hard state alone, entries.
 */
async function build(
  t: TestContext,
): Promise<{ dir: string; state: StoredState<T, Uint8Array>; before: StoredState<T, Uint8Array> }> {
  const dir = tempDir(t);
  const s = store(dir);
  await s.load();
  for (let i = 0; i < 10; i++) await s.write({ entries: range(i * 10 + 1, i * 10 + 10, 1) });
  const data = new Uint8Array(2_500_000).map((_, i) => i % 253);
  await s.write({ snapshot: { lastIncludedIndex: 20, lastIncludedTerm: 1, data, config, termStarts: [1, 1] } });
  await s.write({ entries: range(101, 105, 2) });
  await s.write({ hardState: { term: 2, vote: 1, commit: 100 } });
  const before = plainState(await s.load());
  await s.write({ entries: range(106, 110, 2) });
  const state = plainState(await s.load());
  await s.close();
  assert.ok(segments(dir).length >= 3, 'several segments');
  return { dir, state, before };
}

function segments(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.log'))
    .sort()
    .map((f) => join(dir, f));
}

function snapshotFile(dir: string): string {
  return join(
    dir,
    readdirSync(dir).find((f) => f.endsWith('.snap'))!,
  );
}

/** [start of the frame header, start of the payload, end] of each frame of `file`. */
function frames(file: string): [number, number, number][] {
  return scanFrames(readFileSync(file), file, false).payloads.map(([s, e]) => [s - 12, s, e]);
}

function flip(file: string, position: number): void {
  const bytes = readFileSync(file);
  bytes[position]! ^= 0x10;
  writeFileSync(file, bytes);
}

async function rejectsAt(dir: string, file: string, position: number): Promise<DiskCorruptionError> {
  const s = store(dir);
  let caught: unknown;
  await s.load().catch((e: unknown) => (caught = e));
  await s.close();
  assert.ok(caught instanceof DiskCorruptionError, `expected a DiskCorruptionError, got ${String(caught)}`);
  assert.equal(caught.file, file);
  assert.equal(caught.position, position);
  assert.ok(caught.message.includes(file) && caught.message.includes(`at byte ${position}`), caught.message);
  return caught;
}

async function loads(dir: string, warnings: string[] = []): Promise<[StoredState<T, Uint8Array>, DiskStorage<T>]> {
  const s = store(dir, warnings);
  const loaded = plainState(await s.load());
  await s.close();
  return [loaded, s];
}

test('the store built for these tests loads intact', async (t) => {
  const { dir, state } = await build(t);
  const [loaded, s] = await loads(dir);
  assert.deepEqual(loaded, state);
  assert.equal(s.recovery!.tornTail, null);
  assert.equal(loaded.entries.length, 90);
});

test('a flipped byte in an older segment: an error naming the segment and the frame', async (t) => {
  const { dir } = await build(t);
  const file = segments(dir)[0]!;
  const [, , [frameStart, payload, end]] = frames(file) as [unknown, unknown, [number, number, number]];
  flip(file, Math.floor((payload + end) / 2));
  const error = await rejectsAt(dir, file, frameStart);
  assert.match(error.message, /checksum mismatch/);
});

test('a flipped byte in a frame of the newest segment followed by valid frames: an error, not a torn tail', async (t) => {
  const { dir } = await build(t);
  const file = segments(dir).at(-1)!;
  const all = frames(file);
  const [frameStart, payload, end] = all[all.length - 3]!;
  flip(file, payload + Math.floor((end - payload) / 2));
  await rejectsAt(dir, file, frameStart);
});

test('a flipped byte in a hard state record: an error naming its frame', async (t) => {
  const { dir } = await build(t);
  const file = segments(dir).at(-1)!;
  const all = frames(file);
  const [frameStart, payload, end] = all[all.length - 2]!; // the frame holding the hard state alone
  assert.equal(end - payload, 25, 'a hard state record: type + 3 float64');
  flip(file, payload + 9); // the term
  await rejectsAt(dir, file, frameStart);
});

test('a flipped byte in a frame length: an error', async (t) => {
  const { dir } = await build(t);
  const file = segments(dir)[1]!;
  const [, [frameStart]] = frames(file) as [unknown, [number]];
  flip(file, frameStart + 5);
  await rejectsAt(dir, file, frameStart);
});

test('a flipped byte in the snapshot file: an error naming the file and the chunk', async (t) => {
  const { dir } = await build(t);
  const file = snapshotFile(dir);
  const all = frames(file);
  assert.equal(all.length, 4, 'a header frame and three 1 MiB chunks');
  const [chunkStart, payload] = all[2]!;
  flip(file, payload + 12345);
  await rejectsAt(dir, file, chunkStart);
  // A snapshot file cut short: an error too (a snapshot is never torn: it is renamed into place).
  const { dir: dir2 } = await build(t);
  const file2 = snapshotFile(dir2);
  const [, , , [lastChunk]] = frames(file2) as [unknown, unknown, unknown, [number]];
  truncateSync(file2, lastChunk + 100);
  await rejectsAt(dir2, file2, lastChunk);
});

test('a snapshot file with a chunk fewer or one more than its header says: an error naming the file', async (t) => {
  // The file is read a chunk at a time (frame-stream.ts): its end must be where its header says.
  const { dir } = await build(t);
  const file = snapshotFile(dir);
  const [, , , [lastChunk]] = frames(file) as [unknown, unknown, unknown, [number]];
  truncateSync(file, lastChunk); // whole frames, one missing
  const fewer = await rejectsAt(dir, file, 12);
  assert.match(fewer.message, /the file has 2 data chunks, its header says 3/);
  const { dir: dir2 } = await build(t);
  const file2 = snapshotFile(dir2);
  const size = readFileSync(file2).length;
  appendFileSync(file2, frame([new Uint8Array([1, 2, 3])])); // a valid frame too many
  const more = await rejectsAt(dir2, file2, 12);
  assert.match(more.message, new RegExp(`more than the 3 data chunks its header says \\(bytes from ${size} on\\)`));
});

test('the snapshot data read back is the same bytes, in a buffer of its own', async (t) => {
  const { dir } = await build(t);
  const s = store(dir);
  const loaded = await s.load();
  await s.close();
  const data = loaded.snapshot?.data;
  assert.ok(data instanceof Uint8Array);
  assert.deepEqual(
    data,
    new Uint8Array(2_500_000).map((_, i) => i % 253),
  );
  // Not a view of a shared pool or of the whole file: the snapshot may be kept for long.
  assert.equal(data.byteOffset, 0);
  assert.equal(data.buffer.byteLength, data.length);
});

test('a missing snapshot file: an error naming it', async (t) => {
  const { dir } = await build(t);
  const file = snapshotFile(dir);
  unlinkSync(file);
  const error = await rejectsAt(dir, file, 0);
  assert.match(error.message, /missing/);
});

test('an older segment cut short: an error', async (t) => {
  const { dir } = await build(t);
  const file = segments(dir)[1]!;
  const all = frames(file);
  const [frameStart] = all[all.length - 1]!;
  truncateSync(file, frameStart + 20);
  await rejectsAt(dir, file, frameStart);
});

test('a torn tail of the newest segment is cut off and reported, wherever the crash cut it', async (t) => {
  const { dir, before, state } = await build(t);
  const file = segments(dir).at(-1)!;
  const original = readFileSync(file);
  const [lastStart, , end] = frames(file).at(-1)!;
  assert.equal(end, original.length);
  for (let cut = lastStart + 1; cut < end; cut += Math.max(1, Math.floor((end - lastStart) / 17))) {
    writeFileSync(file, original.subarray(0, cut));
    const warnings: string[] = [];
    const [loaded, s] = await loads(dir, warnings);
    assert.deepEqual(loaded, before, `cut at ${cut}: the state before the last write`);
    assert.deepEqual(s.recovery!.tornTail, {
      file,
      position: lastStart,
      discardedBytes: cut - lastStart,
      reason: s.recovery!.tornTail!.reason,
    });
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /torn tail/);
    assert.equal(readFileSync(file).length, lastStart, 'the file is cut back to its last valid frame');
  }
  // The store carries on from there: the lost write can be written again.
  const s = store(dir);
  await s.load();
  await s.write({ entries: range(106, 110, 2) });
  await s.close();
  const [loaded, again] = await loads(dir);
  assert.deepEqual(loaded, state);
  assert.equal(again.recovery!.tornTail, null);
});

test('garbage or zeros after the last frame are cut off and reported', async (t) => {
  const { dir, state } = await build(t);
  const file = segments(dir).at(-1)!;
  const size = readFileSync(file).length;
  for (const tail of [Buffer.alloc(4096), Buffer.from('not a frame, just some bytes a crash left behind')]) {
    appendFileSync(file, tail);
    const [loaded, s] = await loads(dir);
    assert.deepEqual(loaded, state);
    assert.equal(s.recovery!.tornTail!.position, size);
    assert.equal(s.recovery!.tornTail!.discardedBytes, tail.length);
    assert.equal(readFileSync(file).length, size);
  }
});

test('an empty newest segment (a crash right after creating it) is removed; leftover files too', async (t) => {
  const { dir, state } = await build(t);
  const last = segments(dir).at(-1)!;
  const next = last.replace(
    /([0-9a-f]{16})\.log$/,
    (_, seq: string) => `${(parseInt(seq, 16) + 1).toString(16).padStart(16, '0')}.log`,
  );
  writeFileSync(next, '');
  writeFileSync(join(dir, 'snap-00000000000000ff.snap'), 'a snapshot written but never named by the log');
  writeFileSync(join(dir, 'snap-0000000000000100.snap.tmp'), 'half a snapshot');
  const warnings: string[] = [];
  const [loaded, s] = await loads(dir, warnings);
  assert.deepEqual(loaded, state);
  assert.equal(s.recovery!.tornTail!.file, next);
  assert.deepEqual(s.recovery!.removed.sort(), [
    'snap-00000000000000ff.snap',
    'snap-0000000000000100.snap.tmp',
    next.slice(dir.length + 1),
  ]);
  assert.equal(warnings.length, 2);
  assert.deepEqual(segments(dir).at(-1), last);
});

test('a Replica over a corrupt store refuses to start', async (t) => {
  const { dir } = await build(t);
  const file = segments(dir)[0]!;
  const [, , [frameStart, payload]] = frames(file) as [unknown, unknown, [number, number, number]];
  flip(file, payload + 3);
  const storage = store(dir);
  const replica = new Replica<T>({
    id: 1,
    peerIds: [],
    cluster: { sendMessage: () => {}, receiveMessages: () => [], halt: () => false, registerLeader: () => {} },
    stateMachine: { registerTransitionState: () => {}, applyTransition: () => {}, getPendingTransitions: () => [] },
    noopTransition: { id: 0, op: 'noop' },
    heartbeatTimeout: 50,
    electionTimeoutRange: [150, 300],
    storage,
  });
  await assert.rejects(replica.start(), (e: unknown) => e instanceof DiskCorruptionError && e.position === frameStart);
  await storage.close();
});

test('scanFrameBounds finds a bad checksum in any frame, first or second of those summed together, whole or a slice at a time', () => {
  // Small frames of varied lengths (summed two at a time) and a large one (summed by zlib).
  const lengths = [0, 1, 3, 7, 8, 15, 16, 17, 190, 191, 600, 33, 4, 200, 201, 202];
  const frames = lengths.map((n, i) => frame([new Uint8Array(n).map((_, k) => (i * 31 + k * 7) & 0xff)]));
  const starts: number[] = [];
  let at = 0;
  for (const f of frames) {
    starts.push(at);
    at += f.length;
  }
  // Inside a larger buffer at an odd offset, as a pooled Buffer may be.
  const whole = Buffer.concat([Buffer.alloc(3), ...frames]).subarray(3);
  const slices = (buf: Buffer, mayBeTorn: boolean, slice: number): ReturnType<typeof scanFrameBounds> => {
    const bounds: number[] = [];
    let from = 0;
    for (;;) {
      const part = scanFrameBounds(buf, 'f', mayBeTorn, from, from + slice);
      bounds.push(...part.bounds);
      if (part.torn || part.end >= buf.length) return { bounds, end: part.end, torn: part.torn };
      from = part.end;
    }
  };
  for (const slice of [Infinity, 1, 300]) {
    const intact = slices(whole, false, slice);
    assert.equal(intact.bounds.length, 2 * frames.length);
    assert.equal(intact.end, whole.length);
    for (let i = 0; i < frames.length; i++) {
      if (lengths[i] === 0) continue; // no payload byte to flip
      const bad = Buffer.from(whole);
      bad[starts[i]! + 12 + Math.floor(lengths[i]! / 2)]! ^= 0x10;
      // Not the newest segment, or followed by a valid frame: an error at the frame.
      assert.throws(
        () => slices(bad, i < frames.length - 1, slice),
        (e: unknown) => e instanceof DiskCorruptionError && e.position === starts[i] && /checksum/.test(e.message),
        `frame ${i}, slice ${slice}`,
      );
      if (i === frames.length - 1) {
        const torn = slices(bad, true, slice);
        assert.equal(torn.torn?.position, starts[i], `slice ${slice}`);
        assert.equal(torn.end, starts[i]);
        assert.equal(torn.bounds.length, 2 * i);
      }
    }
  }
});
