// RaftLog keeps its entries in fixed 4,096-slot chunks (src/core/log.ts). Random pushes,
// leader appends (overwrites included), truncations and compactions across many chunk
// boundaries, checked against a flat-array model after every step.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { RaftLog } from '../../src/core/log.js';
import type { LogEntry } from '../../src/core/types.js';
import { prng } from '../support/prng.js';

type Cmd = { id: number };

/** The log as one flat array: log[i] has index snapshotIndex + 1 + i. */
class Model {
  snapshotIndex: number;
  snapshotTerm: number;
  log: LogEntry<Cmd>[];
  constructor(snapshotIndex: number, snapshotTerm: number, entries: LogEntry<Cmd>[]) {
    this.snapshotIndex = snapshotIndex;
    this.snapshotTerm = snapshotTerm;
    this.log = entries.slice();
  }
  get lastIndex(): number {
    return this.snapshotIndex + this.log.length;
  }
  term(index: number): number | undefined {
    if (index === this.snapshotIndex) return this.snapshotTerm;
    return index < this.snapshotIndex || index > this.lastIndex
      ? undefined
      : this.log[index - this.snapshotIndex - 1]!.term;
  }
}

function check(log: RaftLog<Cmd>, model: Model, where: string, random: () => number): void {
  assert.equal(log.lastIndex, model.lastIndex, `${where}: lastIndex`);
  assert.equal(log.snapshotIndex, model.snapshotIndex, `${where}: snapshotIndex`);
  assert.equal(log.lastTerm, model.term(model.lastIndex), `${where}: lastTerm`);
  for (let k = 0; k < 20; k++) {
    const i = model.snapshotIndex - 2 + Math.floor(random() * (model.lastIndex - model.snapshotIndex + 5));
    assert.equal(log.term(i), model.term(i), `${where}: term(${i})`);
    if (i > model.snapshotIndex && i <= model.lastIndex)
      assert.equal(log.entry(i), model.log[i - model.snapshotIndex - 1]);
  }
  if (model.lastIndex > model.snapshotIndex) {
    const from = model.snapshotIndex + 1 + Math.floor(random() * (model.lastIndex - model.snapshotIndex));
    const maxCount = 1 + Math.floor(random() * 6000);
    const maxBytes = 1 + Math.floor(random() * 50_000);
    const got = log.slice(from, model.lastIndex + 3, maxCount, maxBytes, () => 10);
    const want = model.log
      .slice(from - model.snapshotIndex - 1)
      .slice(0, Math.max(1, Math.min(maxCount, Math.floor(maxBytes / 10))));
    assert.equal(got.length, want.length, `${where}: slice(${from}) length`);
    for (let i = 0; i < got.length; i++) assert.equal(got[i], want[i], `${where}: slice(${from})[${i}]`);
  }
}

test('chunked log: random operations across chunk boundaries match a flat-array model', () => {
  for (let seed = 1; seed <= 30; seed++) {
    const random = prng(seed);
    const pick = (n: number) => Math.floor(random() * n);
    // Start anywhere, including just before and after a chunk boundary.
    const start = [0, 4094, 4095, 4096, 12_287, 2 ** 40 - 3][pick(6)]!;
    let term = 1;
    const entry = (index: number): LogEntry<Cmd> => ({ index, term, transition: { id: index } });
    const model = new Model(start, start === 0 ? 0 : 1, []);
    const log = new RaftLog<Cmd>(start, model.snapshotTerm, []);
    for (let step = 0; step < 120; step++) {
      const where = `seed ${seed} step ${step}`;
      const op = pick(10);
      if (op <= 3) {
        const n = [1, 5, 700, 4096, 5000][pick(5)]!;
        for (let i = 0; i < n; i++) {
          const e = entry(model.lastIndex + 1);
          log.push(e);
          model.log.push(e);
        }
      } else if (op <= 5) {
        // A leader's append starting at or below our end: maybe a new term, overwriting a suffix.
        if (pick(3) === 0) term++;
        const first = model.snapshotIndex + 1 + pick(model.lastIndex - model.snapshotIndex + 1);
        const entries = Array.from({ length: 1 + pick(3000) }, (_, i) => entry(first + i));
        const res = log.appendFromLeader(entries, model.snapshotIndex);
        assert.ok(res, where);
        const keep = entries.findIndex((e) => model.term(e.index) !== e.term);
        if (keep >= 0) {
          model.log.length = entries[keep]!.index - model.snapshotIndex - 1;
          model.log.push(...entries.slice(keep));
        }
      } else if (op === 6) {
        // Anywhere, or right at the snapshot point or a chunk edge (chunks start at start + 1).
        const edge = start + 1 + 4096 * Math.floor((model.lastIndex - start) / 4096) + pick(3) - 1;
        const from = [
          model.snapshotIndex + 1 + pick(model.lastIndex - model.snapshotIndex + 2),
          model.snapshotIndex + 1 + pick(2),
          Math.max(model.snapshotIndex + 1, edge),
        ][pick(3)]!;
        log.truncateFrom(from);
        model.log.length = Math.min(model.log.length, from - model.snapshotIndex - 1);
      } else {
        const index = model.snapshotIndex + pick(model.lastIndex - model.snapshotIndex + 3);
        const t = model.term(index) ?? term;
        log.compact(index, t);
        if (index > model.snapshotIndex) {
          model.log = model.log.slice(Math.min(model.log.length, index - model.snapshotIndex));
          model.snapshotIndex = index;
          model.snapshotTerm = t;
        }
      }
      check(log, model, where, random);
    }
  }
});
