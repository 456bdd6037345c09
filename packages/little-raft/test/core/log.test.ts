// Unit tests for src/core/log.ts: the in-memory Raft log.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { RaftLog } from '../../src/core/log.js';
import type { LogEntry } from '../../src/core/types.js';

type Cmd = { id: string };

function e(index: number, term: number, id = `${index}@${term}`): LogEntry<Cmd> {
  return { index, term, transition: { id } };
}

/** A log holding entries 1..terms.length with the given terms. */
function logOf(terms: number[]): RaftLog<Cmd> {
  return new RaftLog<Cmd>(
    0,
    0,
    terms.map((t, i) => e(i + 1, t)),
  );
}

/** [index, term] of every entry in the log. */
function pairs(log: RaftLog<Cmd>): [number, number][] {
  return log.slice(log.snapshotIndex + 1, log.lastIndex).map((x) => [x.index, x.term]);
}

test('term(): index 0 is term 0, entries have their term, beyond the end is undefined', () => {
  const log = logOf([1, 1, 2, 3]);
  assert.equal(log.term(0), 0);
  assert.equal(log.term(1), 1);
  assert.equal(log.term(3), 2);
  assert.equal(log.term(4), 3);
  assert.equal(log.term(5), undefined);
  assert.equal(log.lastIndex, 4);
  assert.equal(log.lastTerm, 3);
  const empty = new RaftLog<Cmd>();
  assert.equal(empty.lastIndex, 0);
  assert.equal(empty.lastTerm, 0);
  assert.equal(empty.term(0), 0);
  assert.equal(empty.term(1), undefined);
});

test('term(): after compaction, the snapshot point has the snapshot term and earlier indices are undefined', () => {
  const log = logOf([1, 1, 2, 2, 3, 3]);
  log.compact(4, 2);
  assert.equal(log.snapshotIndex, 4);
  assert.equal(log.snapshotTerm, 2);
  assert.equal(log.term(3), undefined);
  assert.equal(log.term(0), undefined);
  assert.equal(log.term(4), 2);
  assert.equal(log.term(5), 3);
  assert.equal(log.term(6), 3);
  assert.equal(log.term(7), undefined);
  assert.equal(log.entry(5).transition?.id, '5@3');
  assert.deepEqual(pairs(log), [
    [5, 3],
    [6, 3],
  ]);
});

test('a log built from a snapshot point starts after it', () => {
  const log = new RaftLog<Cmd>(10, 4, [e(11, 4), e(12, 5)]);
  assert.equal(log.lastIndex, 12);
  assert.equal(log.lastTerm, 5);
  assert.equal(log.term(10), 4);
  assert.equal(log.term(9), undefined);
  assert.equal(log.term(11), 4);
  // A log that is only a snapshot.
  const bare = new RaftLog<Cmd>(7, 3);
  assert.equal(bare.lastIndex, 7);
  assert.equal(bare.lastTerm, 3);
});

test('slice(): inclusive bounds, clipped at the end, limited by count', () => {
  const log = logOf([1, 1, 1, 1, 1, 1, 1, 1, 1, 1]);
  assert.deepEqual(
    log.slice(3, 5).map((x) => x.index),
    [3, 4, 5],
  );
  assert.deepEqual(
    log.slice(8, 100).map((x) => x.index),
    [8, 9, 10],
  );
  assert.deepEqual(
    log.slice(2, 10, 4).map((x) => x.index),
    [2, 3, 4, 5],
  );
  assert.deepEqual(
    log.slice(2, 3, 4).map((x) => x.index),
    [2, 3],
  );
  assert.deepEqual(log.slice(11, 20), []);
});

test('slice(): limited by bytes, but always at least one entry', () => {
  const log = logOf([1, 1, 1, 1, 1, 1, 1, 1, 1, 1]);
  const size = (x: LogEntry<Cmd>) => x.index * 10; // entry i weighs 10*i bytes
  // 10 + 20 + 30 = 60 <= 60; adding 40 would exceed it.
  assert.deepEqual(
    log.slice(1, 10, Infinity, 60, size).map((x) => x.index),
    [1, 2, 3],
  );
  assert.deepEqual(
    log.slice(1, 10, Infinity, 59, size).map((x) => x.index),
    [1, 2],
  );
  // A single entry larger than the bound is still sent alone.
  assert.deepEqual(
    log.slice(9, 10, Infinity, 5, size).map((x) => x.index),
    [9],
  );
  // Count and bytes together: the tighter one wins.
  assert.deepEqual(
    log.slice(1, 10, 2, 1000, size).map((x) => x.index),
    [1, 2],
  );
  assert.deepEqual(
    log.slice(4, 10, 5, 90, size).map((x) => x.index),
    [4, 5],
  );
  // Without a size function the byte bound is not applied.
  assert.equal(log.slice(1, 10, Infinity, 1).length, 10);
});

test('slice(): works across a compacted prefix', () => {
  const log = logOf([1, 1, 2, 2, 3, 3, 3, 3]);
  log.compact(3, 2);
  assert.deepEqual(
    log.slice(4, 8, 3).map((x) => [x.index, x.term]),
    [
      [4, 2],
      [5, 3],
      [6, 3],
    ],
  );
});

test('truncateFrom(): drops the suffix; beyond the end it changes nothing', () => {
  const log = logOf([1, 1, 2, 2]);
  log.truncateFrom(3);
  assert.deepEqual(pairs(log), [
    [1, 1],
    [2, 1],
  ]);
  log.truncateFrom(10); // beyond the end: a no-op, not a log with holes
  assert.equal(log.lastIndex, 2);
  assert.equal(log.term(3), undefined);
  log.push(e(3, 5));
  assert.deepEqual(pairs(log), [
    [1, 1],
    [2, 1],
    [3, 5],
  ]);
});

test('truncateFrom(): never reaches into a compacted prefix', () => {
  const log = logOf([1, 1, 2, 2, 3]);
  log.compact(2, 1);
  log.truncateFrom(1);
  assert.equal(log.snapshotIndex, 2);
  assert.equal(log.lastIndex, 2);
  assert.equal(log.lastTerm, 1);
  log.push(e(3, 4));
  assert.deepEqual(pairs(log), [[3, 4]]);
});

test('appendFromLeader(): appends new entries after the end', () => {
  const log = logOf([1, 1]);
  const r = log.appendFromLeader([e(3, 2), e(4, 2)], 0);
  assert.deepEqual(r, { truncatedFrom: 0, firstNew: 3 });
  assert.deepEqual(pairs(log), [
    [1, 1],
    [2, 1],
    [3, 2],
    [4, 2],
  ]);
});

test('appendFromLeader(): entries already present are not touched (duplicate append)', () => {
  const log = logOf([1, 1, 2, 2]);
  const before = log.entry(3);
  const r = log.appendFromLeader([e(2, 1, 'other'), e(3, 2, 'other')], 0);
  assert.deepEqual(r, { truncatedFrom: 0, firstNew: 0 });
  assert.equal(log.lastIndex, 4, 'a stale append must not cut the entries after it');
  assert.equal(log.entry(3), before);
});

test('appendFromLeader(): a conflicting suffix is cut at the first conflict and replaced', () => {
  const log = logOf([1, 1, 2, 2, 2, 2]);
  const r = log.appendFromLeader([e(3, 2), e(4, 3), e(5, 3)], 2);
  assert.deepEqual(r, { truncatedFrom: 4, firstNew: 4 });
  assert.deepEqual(pairs(log), [
    [1, 1],
    [2, 1],
    [3, 2],
    [4, 3],
    [5, 3],
  ]);
  assert.equal(log.entry(4).transition?.id, '4@3');
});

test('appendFromLeader(): refuses, changing nothing, to cut a committed entry', () => {
  const log = logOf([1, 1, 2, 2]);
  assert.equal(log.appendFromLeader([e(3, 3), e(4, 3)], 3), null);
  assert.deepEqual(pairs(log), [
    [1, 1],
    [2, 1],
    [3, 2],
    [4, 2],
  ]);
  // Cutting just above the commit index is allowed.
  assert.deepEqual(log.appendFromLeader([e(3, 2), e(4, 3)], 3), { truncatedFrom: 4, firstNew: 4 });
  assert.equal(log.term(4), 3);
});

test('appendFromLeader(): entries covered by the snapshot are skipped', () => {
  const log = logOf([1, 1, 1, 1]);
  log.compact(3, 1);
  const r = log.appendFromLeader([e(2, 1), e(3, 1), e(4, 1), e(5, 2)], 3);
  assert.deepEqual(r, { truncatedFrom: 0, firstNew: 5 });
  assert.deepEqual(pairs(log), [
    [4, 1],
    [5, 2],
  ]);
});

test('compact(): forgets the prefix; compacting past the end leaves an empty log at the snapshot point', () => {
  const log = logOf([1, 1, 2, 2, 3]);
  log.compact(2, 1);
  log.compact(2, 1); // not newer: no-op
  log.compact(1, 1); // older: no-op
  assert.equal(log.snapshotIndex, 2);
  assert.equal(log.lastIndex, 5);
  log.compact(9, 4);
  assert.equal(log.snapshotIndex, 9);
  assert.equal(log.lastIndex, 9);
  assert.equal(log.lastTerm, 4);
  assert.deepEqual(pairs(log), []);
  log.push(e(10, 4));
  assert.equal(log.term(10), 4);
});

test('compact(): the entries it covers are let go, also those in the chunk it keeps', () => {
  // A pipelined client's entries can be megabytes each: the 4,095 a chunk can hold must not stay
  // reachable once a snapshot covers them.
  const log = logOf(Array.from({ length: 5000 }, () => 1));
  const held = () => (log as unknown as { chunks: (LogEntry<Cmd> | undefined)[][] }).chunks.flat();
  log.compact(10, 1);
  assert.equal(held().filter((x) => x !== undefined && x.index <= 10).length, 0);
  assert.equal(held().filter((x) => x !== undefined).length, 4990);
  log.compact(4500, 1); // the first chunk goes whole, part of the second is emptied
  assert.equal(held().filter((x) => x !== undefined && x.index <= 4500).length, 0);
  assert.deepEqual(
    log.slice(4501, 4503).map((x) => x.index),
    [4501, 4502, 4503],
  );
  assert.equal(log.term(4500), 1);
  assert.equal(log.term(5000), 1);
});

test('compact(): repeated compaction (lazy splice of dead slots) keeps every index addressable', () => {
  const log = new RaftLog<Cmd>();
  const termOf = (i: number) => 1 + Math.floor(i / 100);
  let next = 1;
  // Append 5 and compact 4 at a time: dead slots pile up past the splice threshold many times.
  for (let round = 0; round < 2000; round++) {
    for (let k = 0; k < 5; k++, next++) log.push(e(next, termOf(next)));
    const to = log.snapshotIndex + 4;
    log.compact(to, termOf(to));
    assert.equal(log.term(to), termOf(to));
  }
  assert.equal(log.lastIndex, 10_000);
  assert.equal(log.snapshotIndex, 8000);
  for (let i = 8000; i <= 10_000; i++) assert.equal(log.term(i), termOf(i), `term(${i})`);
  assert.equal(log.term(7999), undefined);
  const s = log.slice(8001, 10_000);
  assert.equal(s.length, 2000);
  s.forEach((x, k) => assert.equal(x.index, 8001 + k));
  // Truncation and appends still land at the right slots after splicing.
  log.truncateFrom(9001);
  assert.equal(log.lastIndex, 9000);
  log.push(e(9001, 999));
  assert.equal(log.term(9001), 999);
  assert.equal(log.entry(9001).transition?.id, '9001@999');
});

test('lastIndexWithTermAtMost(): largest index at or below `index` whose term is at most `term`', () => {
  //                 1  2  3  4  5  6  7  8
  const log = logOf([1, 1, 3, 3, 3, 5, 5, 6]);
  assert.equal(log.lastIndexWithTermAtMost(8, 6), 8);
  assert.equal(log.lastIndexWithTermAtMost(8, 5), 7);
  assert.equal(log.lastIndexWithTermAtMost(8, 4), 5);
  assert.equal(log.lastIndexWithTermAtMost(8, 2), 2);
  assert.equal(log.lastIndexWithTermAtMost(4, 5), 4);
  assert.equal(log.lastIndexWithTermAtMost(100, 9), 8, 'clipped to the last index');
  assert.equal(log.lastIndexWithTermAtMost(8, 0), 0);
});

test('lastIndexWithTermAtMost(): goes below the snapshot point when the snapshot term is too high', () => {
  const log = logOf([1, 1, 3, 3, 3, 5, 5]);
  log.compact(4, 3);
  assert.equal(log.lastIndexWithTermAtMost(7, 3), 5);
  assert.equal(log.lastIndexWithTermAtMost(7, 4), 5);
  // The snapshot point has term 3 <= 3: it may match.
  assert.equal(log.lastIndexWithTermAtMost(4, 3), 4);
  // Term 2: even the snapshot point (term 3) is too new, so the answer lies in the
  // compacted prefix, where this log cannot tell: it must be below the snapshot point.
  assert.ok(log.lastIndexWithTermAtMost(7, 2) < 4);
  assert.ok(log.lastIndexWithTermAtMost(4, 2) < 4);
  // Asked about an index already below the snapshot: returned unchanged.
  assert.equal(log.lastIndexWithTermAtMost(2, 1), 2);
});

test('isUpToDate(): a higher last term wins; with equal last terms the longer log wins', () => {
  const log = logOf([1, 2, 2]); // last (3, 2)
  assert.equal(log.isUpToDate(3, 2), true);
  assert.equal(log.isUpToDate(4, 2), true);
  assert.equal(log.isUpToDate(2, 2), false);
  assert.equal(log.isUpToDate(1, 3), true, 'a shorter log with a higher last term is more up to date');
  assert.equal(log.isUpToDate(100, 1), false, 'a longer log with a lower last term is not');
  assert.equal(new RaftLog<Cmd>().isUpToDate(0, 0), true);
  // After compaction the snapshot point stands in for the last entry.
  const snap = new RaftLog<Cmd>(10, 4);
  assert.equal(snap.isUpToDate(10, 4), true);
  assert.equal(snap.isUpToDate(9, 4), false);
  assert.equal(snap.isUpToDate(11, 3), false);
});
