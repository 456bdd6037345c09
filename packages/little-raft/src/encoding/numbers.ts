// The checks every reader of untrusted numbers shares: the codec, message shapes, storage writes
// and files read back from disk.

/** A non-negative safe integer: a term, an index, a replica id, a count. */
export function isNat(v: unknown): v is number {
  return Number.isSafeInteger(v) && (v as number) >= 0;
}

/**
 * Why `starts` is not a term history table (flattened [firstIndex, term] pairs, indices and terms
 * both strictly increasing), named `name` in the answer; null when it is one.
 */
export function termStartsProblem(starts: unknown, name = 'termStarts'): string | null {
  if (!Array.isArray(starts)) return `${name} is not an array`;
  if (starts.length % 2 !== 0) return `${name} has odd length ${starts.length} (expected [firstIndex, term] pairs)`;
  for (let i = 0; i < starts.length; i++) {
    const v: unknown = starts[i];
    if (!isNat(v)) return `${name}[${i}] is not a non-negative integer`;
    if (i >= 2 && v <= (starts[i - 2] as number)) {
      return `${name}[${i}] is not above ${name}[${i - 2}] (${i % 2 === 0 ? 'indices' : 'terms'} must increase)`;
    }
  }
  return null;
}
