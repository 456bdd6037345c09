// Reading a snapshot's term history (StoredSnapshot.termStarts, built by the core's compact()).

/**
 * The term that `termStarts` (flattened [firstIndex, term, ...] pairs, indices increasing)
 * gives for `index`: the term of the last run starting at or before it. Undefined when
 * `index` is older than the table covers (before its first pair) or the table is empty.
 * Only meaningful for indices at or below the snapshot's lastIncludedIndex.
 */
export function termAt(termStarts: readonly number[], index: number): number | undefined {
  // Binary search for the last pair whose firstIndex <= index.
  let lo = 0;
  let hi = (termStarts.length >> 1) - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (termStarts[2 * mid]! <= index) {
      found = mid;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  return found < 0 ? undefined : termStarts[2 * found + 1];
}
