import { test } from 'node:test';
import assert from 'node:assert/strict';

import type { LogEntry, Membership, StoredSnapshot } from '../../src/core/types.js';
import { MemoryStorage } from '../../src/storage/memory.js';

type T = { id: number; op: string };

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

/** [index, term] pairs of what load() returns. */
function indices(s: MemoryStorage<T, string>): [number, number][] {
  return s.load().entries.map((e) => [e.index, e.term]);
}

test('a new storage is empty with hard state {term 0, vote null, commit 0}', () => {
  const s = new MemoryStorage<T, string>();
  assert.deepEqual(s.load(), {
    hardState: { term: 0, vote: null, commit: 0 },
    snapshot: null,
    entries: [],
    identity: null,
  });
  assert.equal(s.lastIndex, 0);
  assert.equal(s.snapshotIndex, 0);
});

test('write and load are synchronous', () => {
  const s = new MemoryStorage<T, string>();
  const ret = s.write({ entries: [entry(1, 1)] });
  assert.equal(ret, undefined);
  assert.ok(!(s.load() instanceof Promise));
});

test('entries append and overwrite from entries[0].index', () => {
  const s = new MemoryStorage<T, string>();
  s.write({ entries: range(1, 5, 1) });
  assert.deepEqual(indices(s), [
    [1, 1],
    [2, 1],
    [3, 1],
    [4, 1],
    [5, 1],
  ]);
  s.write({ entries: range(6, 7, 2) });
  assert.equal(s.lastIndex, 7);
  // Overwrite from 3: stored 3..7 are dropped, even those beyond the new entries.
  s.write({ entries: [entry(3, 3)] });
  assert.deepEqual(indices(s), [
    [1, 1],
    [2, 1],
    [3, 3],
  ]);
  assert.equal(s.lastIndex, 3);
});

test('truncateFrom drops the suffix from that index', () => {
  const s = new MemoryStorage<T, string>();
  s.write({ entries: range(1, 5, 1) });
  s.write({ truncateFrom: 4 });
  assert.deepEqual(
    indices(s).map(([i]) => i),
    [1, 2, 3],
  );
  // Beyond the end: nothing to drop.
  s.write({ truncateFrom: 10 });
  assert.equal(s.lastIndex, 3);
  s.write({ truncateFrom: 1 });
  assert.deepEqual(s.load().entries, []);
  assert.equal(s.lastIndex, 0);
});

test('a snapshot drops entries up to its index and keeps the rest', () => {
  const s = new MemoryStorage<T, string>();
  s.write({ entries: range(1, 10, 1) });
  s.write({ snapshot: snap(4, 1) });
  assert.equal(s.snapshotIndex, 4);
  assert.deepEqual(
    indices(s).map(([i]) => i),
    [5, 6, 7, 8, 9, 10],
  );
  assert.deepEqual(s.load().snapshot, snap(4, 1));
  // A snapshot beyond the log empties it; the next entry follows the snapshot.
  s.write({ snapshot: snap(20, 3) });
  assert.deepEqual(s.load().entries, []);
  assert.equal(s.lastIndex, 20);
  s.write({ entries: [entry(21, 3)] });
  assert.deepEqual(indices(s), [[21, 3]]);
});

test('snapshot + truncateFrom + entries + hardState in one write apply in order', () => {
  const s = new MemoryStorage<T, string>();
  s.write({ entries: range(1, 8, 1), hardState: { term: 1, vote: 1, commit: 3 } });
  // Install a snapshot at 5 (term 2) that conflicts with the local entry 5 (term 1):
  // drop <= 5, drop the rest (>= 6), then append the leader's 6..7.
  s.write({
    snapshot: snap(5, 2),
    truncateFrom: 6,
    entries: range(6, 7, 2),
    hardState: { term: 2, vote: null, commit: 5 },
  });
  const loaded = s.load();
  assert.deepEqual(loaded.snapshot, snap(5, 2));
  assert.deepEqual(
    loaded.entries.map((e) => [e.index, e.term]),
    [
      [6, 2],
      [7, 2],
    ],
  );
  assert.deepEqual(loaded.hardState, { term: 2, vote: null, commit: 5 });
});

test('truncateFrom then entries in one write: entries may start right after the cut', () => {
  const s = new MemoryStorage<T, string>();
  s.write({ entries: range(1, 6, 1) });
  s.write({ truncateFrom: 3, entries: range(3, 4, 2) });
  assert.deepEqual(indices(s), [
    [1, 1],
    [2, 1],
    [3, 2],
    [4, 2],
  ]);
  // Entries past the cut would leave a gap.
  assert.throws(() => s.write({ truncateFrom: 3, entries: [entry(4, 2)] }), /must start within/);
});

test('a new storage over the same object recovers exactly what was written', () => {
  const s = new MemoryStorage<T, string>();
  s.write({ entries: range(1, 3, 1), hardState: { term: 1, vote: 2, commit: 2 } });
  s.write({ snapshot: snap(2, 1), entries: range(4, 5, 2) });
  s.write({ hardState: { term: 2, vote: null, commit: 4 } });
  const a = s.load();
  const b = s.load();
  assert.deepEqual(a, {
    hardState: { term: 2, vote: null, commit: 4 },
    snapshot: snap(2, 1),
    entries: [entry(3, 1), entry(4, 2), entry(5, 2)],
    identity: null,
  });
  assert.deepEqual(a, b);
  // load() hands out copies: mutating one changes neither the storage nor later loads.
  a.entries.push(entry(6, 2));
  a.hardState.term = 99;
  a.snapshot.config.voters.push(42);
  assert.deepEqual(s.load(), b);
  // And storage keeps its own copy of the written hard state.
  const hs = { term: 3, vote: 1, commit: 4 };
  s.write({ hardState: hs });
  hs.term = 100;
  assert.equal(s.load().hardState.term, 3);
});

test('the constructor accepts an initial state', () => {
  const s = new MemoryStorage<T, string>({
    snapshot: snap(3, 1),
    entries: range(4, 6, 2),
    hardState: { term: 2, vote: 1, commit: 5 },
  });
  assert.equal(s.snapshotIndex, 3);
  assert.equal(s.lastIndex, 6);
  assert.deepEqual(s.load().hardState, { term: 2, vote: 1, commit: 5 });
  assert.throws(() => new MemoryStorage<T, string>({ entries: [entry(2, 1)] }), /must start/);
});

test('many snapshots and appends: the log stays exact and compaction is invisible', () => {
  const s = new MemoryStorage<T, string>();
  let last = 0;
  let snapIndex = 0;
  for (let round = 0; round < 200; round++) {
    s.write({ entries: range(last + 1, last + 50, 1) });
    last += 50;
    snapIndex = last - 10;
    s.write({ snapshot: snap(snapIndex, 1) });
    assert.equal(s.lastIndex, last);
  }
  const loaded = s.load();
  assert.equal(loaded.snapshot!.lastIncludedIndex, snapIndex);
  assert.deepEqual(
    loaded.entries.map((e) => e.index),
    Array.from({ length: 10 }, (_, i) => snapIndex + 1 + i),
  );
  s.write({ truncateFrom: last - 4, entries: range(last - 4, last, 2) });
  assert.deepEqual(
    s.load().entries.map((e) => [e.index, e.term]),
    [...range(snapIndex + 1, last - 5, 1), ...range(last - 4, last, 2)].map((e) => [e.index, e.term]),
  );
});

test('invalid writes throw and change nothing', () => {
  const s = new MemoryStorage<T, string>();
  s.write({ entries: range(1, 5, 2), hardState: { term: 2, vote: 1, commit: 1 } });
  s.write({ snapshot: snap(2, 2) });
  const before = s.load();
  const bad: [string, () => void, RegExp][] = [
    ['gap after the log', () => s.write({ entries: [entry(7, 2)] }), /must start within 3\.\.6/],
    ['into the snapshot', () => s.write({ entries: [entry(2, 2)] }), /must start within/],
    ['not consecutive', () => s.write({ entries: [entry(6, 2), entry(8, 2)] }), /entries\[1\]\.index is 8, expected 7/],
    ['decreasing term', () => s.write({ entries: [entry(6, 1)] }), /term 1, below/],
    [
      'decreasing term inside the batch',
      () => s.write({ entries: [entry(6, 3), entry(7, 2)] }),
      /entries\[1\].*term 2, below the preceding term 3/,
    ],
    ['truncate into the snapshot', () => s.write({ truncateFrom: 2 }), /above the snapshot/],
    ['older snapshot', () => s.write({ snapshot: snap(1, 1) }), /older than the stored/],
    ['odd termStarts', () => s.write({ snapshot: { ...snap(4, 2), termStarts: [1, 2, 3] } }), /termStarts must be/],
    [
      'termStarts terms not increasing',
      () => s.write({ snapshot: { ...snap(4, 2), termStarts: [1, 2, 3, 2] } }),
      /termStarts must be \[firstIndex, term\] pairs/,
    ],
    ['bad hard state', () => s.write({ hardState: { term: -1, vote: null, commit: 0 } }), /malformed hard state/],
    ['bad vote', () => s.write({ hardState: { term: 1, vote: 1.5, commit: 0 } }), /malformed hard state/],
    // A valid snapshot in the same batch as an invalid entry: nothing is applied.
    ['partly valid batch', () => s.write({ snapshot: snap(4, 2), entries: [entry(9, 2)] }), /must start within/],
  ];
  for (const [name, fn, re] of bad) {
    assert.throws(fn, re, name);
    assert.deepEqual(s.load(), before, `${name}: storage changed`);
  }
});

test('the identity is kept, copied in and out, and checked', () => {
  const s = new MemoryStorage<T, string>();
  const identity = { uid: 12, peers: [[2, 7] as [number, number]], excluded: null };
  s.write({ identity });
  identity.peers[0]![1] = 99;
  assert.deepEqual(s.load().identity, { uid: 12, peers: [[2, 7]], excluded: null });
  s.load().identity!.peers.push([3, 4]);
  assert.deepEqual(s.load().identity!.peers, [[2, 7]]);
  assert.throws(() => s.write({ identity: { uid: -1, peers: [], excluded: null } }), /uid is not a positive/);
  assert.throws(() => s.write({ identity: { uid: 1, peers: [], excluded: { by: 2 } } as never }), /excluded needs/);
  assert.equal(s.load().identity!.uid, 12);
});
