import type { StorageWrite } from '../core/types.js';

/** The log a store holds before a write: its snapshot point and last index, and term lookup. */
export interface StoredLogShape {
  snapIndex: number;
  snapTerm: number;
  last: number;
  /** Term of the stored entry at `index` (snapIndex < index <= last). */
  termAt(index: number): number;
}

function isNat(v: unknown): v is number {
  return Number.isSafeInteger(v) && (v as number) >= 0;
}

/** [firstIndex, term] pairs, flattened, with indices and terms strictly increasing. */
export function isTermStarts(ts: unknown): ts is number[] {
  if (!Array.isArray(ts) || ts.length % 2 !== 0) return false;
  for (let i = 0; i < ts.length; i++) {
    if (!isNat(ts[i]) || (i >= 2 && (ts[i] as number) <= (ts[i - 2] as number))) return false;
  }
  return true;
}

/**
 * Throws a clear Error (prefixed with `store`) if applying `batch` to a log of `shape` would
 * leave it malformed: the StorageWrite contract of src/core/types.ts. Changes nothing.
 */
export function validateWrite<T, D>(store: string, batch: StorageWrite<T, D>, shape: StoredLogShape): void {
  const { snapshot, truncateFrom, entries, hardState } = batch;
  // The log after each step is described by (snapIndex, snapTerm, last).
  let { snapIndex, snapTerm, last } = shape;
  if (snapshot !== undefined) {
    const s = snapshot;
    if (!isNat(s.lastIncludedIndex) || !isNat(s.lastIncludedTerm)) {
      throw new Error(
        `${store}: snapshot lastIncludedIndex/lastIncludedTerm must be non-negative integers, got ${s.lastIncludedIndex}/${s.lastIncludedTerm}`,
      );
    }
    if (s.lastIncludedIndex < snapIndex) {
      throw new Error(
        `${store}: snapshot at index ${s.lastIncludedIndex} is older than the stored snapshot at index ${snapIndex}`,
      );
    }
    const c = s.config;
    if (c === null || typeof c !== 'object' || ![c.voters, c.learners, c.outgoing].every(Array.isArray)) {
      throw new Error(`${store}: snapshot config must have voters, learners and outgoing`);
    }
    if (!isTermStarts(s.termStarts)) {
      throw new Error(
        `${store}: snapshot termStarts must be [firstIndex, term] pairs with indices and terms strictly increasing`,
      );
    }
    snapIndex = s.lastIncludedIndex;
    snapTerm = s.lastIncludedTerm;
    if (last < snapIndex) last = snapIndex;
  }
  if (truncateFrom !== undefined) {
    if (!Number.isSafeInteger(truncateFrom) || truncateFrom <= snapIndex) {
      throw new Error(
        `${store}: truncateFrom ${truncateFrom} must be an integer above the snapshot index ${snapIndex}`,
      );
    }
    if (truncateFrom - 1 < last) last = truncateFrom - 1;
  }
  if (entries !== undefined && entries.length > 0) {
    const first = entries[0]!.index;
    if (!Number.isSafeInteger(first) || first <= snapIndex || first > last + 1) {
      throw new Error(
        `${store}: entries start at index ${first} but must start within ${snapIndex + 1}..${last + 1} (the log ends at ${last}${snapIndex > 0 ? `, the snapshot at ${snapIndex}` : ''})`,
      );
    }
    // The term before entries[0]: the stored entry there survives steps 1-2 (index <= last).
    let prevTerm = first - 1 === snapIndex ? snapTerm : shape.termAt(first - 1);
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i]!;
      if (e.index !== first + i) {
        throw new Error(
          `${store}: entries are not consecutive: entries[${i}].index is ${e.index}, expected ${first + i}`,
        );
      }
      if (!isNat(e.term) || e.term < prevTerm) {
        throw new Error(
          `${store}: entries[${i}] (index ${e.index}) has term ${e.term}, below the preceding term ${prevTerm}`,
        );
      }
      prevTerm = e.term;
    }
  }
  if (hardState !== undefined) {
    const h = hardState;
    if (!isNat(h.term) || !isNat(h.commit) || (h.vote !== null && !isNat(h.vote))) {
      throw new Error(
        `${store}: malformed hard state {term: ${String(h.term)}, vote: ${String(h.vote)}, commit: ${String(h.commit)}}: term and commit must be non-negative integers, vote one or null`,
      );
    }
  }
}
