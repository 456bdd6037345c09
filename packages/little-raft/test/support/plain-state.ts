// DiskStorage.load() returns entries whose transition is decoded on each read (a getter on the
// entry's class). Tests compare what was loaded with plain objects: this copies entries into
// plain objects, reading each transition (so the lazy decoding is what gets compared).
import type { LogEntry, StoredState } from '../../src/core/types.js';

function plainEntry<T>(e: LogEntry<T>): LogEntry<T> {
  const out: LogEntry<T> = { index: e.index, term: e.term };
  if (e.transition !== undefined) out.transition = e.transition;
  if (e.config !== undefined) out.config = e.config;
  return out;
}

export function plainState<T, D>(state: StoredState<T, D>): StoredState<T, D> {
  return { ...state, entries: state.entries.map(plainEntry) };
}
