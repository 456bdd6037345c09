// MemoryStorage keeps its log in chunks (see CHUNK in src/storage/memory.ts). Random valid
// batches of every size around the chunk size, checked against a flat-array model of the
// StorageWrite rules: the same entries (by identity), lastIndex and snapshotIndex throughout.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import type { LogEntry, Membership, StorageWrite } from '../../src/core/types.js';
import { MemoryStorage } from '../../src/storage/memory.js';
import { prng } from '../support/prng.js';

type T = { id: number };
const config: Membership = { voters: [1], learners: [], outgoing: [] };
const SIZES = [1, 2, 7, 100, 1000, 4095, 4096, 4097, 9000];

/** The StorageWrite rules over one flat array: log[i] has index snapIndex + 1 + i. */
class Model {
  snapIndex = 0;
  log: LogEntry<T>[] = [];
  get lastIndex(): number {
    return this.snapIndex + this.log.length;
  }
  write(b: StorageWrite<T, Uint8Array>): void {
    if (b.snapshot) {
      const keep = this.lastIndex - b.snapshot.lastIncludedIndex;
      this.log = keep > 0 ? this.log.slice(this.log.length - keep) : [];
      this.snapIndex = b.snapshot.lastIncludedIndex;
    }
    if (b.truncateFrom !== undefined) this.log.length = Math.min(this.log.length, b.truncateFrom - this.snapIndex - 1);
    if (b.entries && b.entries.length > 0) {
      this.log.length = b.entries[0]!.index - this.snapIndex - 1;
      this.log.push(...b.entries);
    }
  }
}

test('chunked log: random valid writes match a flat-array model', () => {
  for (let seed = 1; seed <= 40; seed++) {
    const random = prng(seed);
    const pick = (n: number) => Math.floor(random() * n);
    const storage = new MemoryStorage<T>();
    const model = new Model();
    let term = 1;
    for (let step = 0; step < 150; step++) {
      const batch: StorageWrite<T, Uint8Array> = {};
      const kind = pick(8);
      if (kind === 0) {
        const index = model.snapIndex + pick(model.lastIndex - model.snapIndex + 3);
        batch.snapshot = {
          lastIncludedIndex: index,
          lastIncludedTerm: term,
          data: new Uint8Array(0),
          config,
          termStarts: [],
        };
      } else if (kind === 1) {
        batch.truncateFrom = model.snapIndex + 1 + pick(model.lastIndex - model.snapIndex + 2);
      } else {
        if (pick(4) === 0) term++;
        const first = model.snapIndex + 1 + pick(model.lastIndex - model.snapIndex + 1);
        const n = SIZES[pick(SIZES.length)]!;
        batch.entries = Array.from({ length: n }, (_, i) => ({
          index: first + i,
          term,
          transition: { id: first + i },
        }));
      }
      storage.write(batch);
      model.write(batch);
      assert.equal(storage.lastIndex, model.lastIndex, `seed ${seed} step ${step}: lastIndex`);
      assert.equal(storage.snapshotIndex, model.snapIndex, `seed ${seed} step ${step}: snapshotIndex`);
      if (step % 10 === 9) {
        const entries = storage.load().entries;
        assert.equal(entries.length, model.log.length, `seed ${seed} step ${step}: length`);
        for (let i = 0; i < entries.length; i++)
          assert.equal(entries[i], model.log[i], `seed ${seed} step ${step}: [${i}]`);
      }
    }
  }
});
