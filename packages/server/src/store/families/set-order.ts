// The order Redis 7.0 answers a set's members in. Redis keeps a set of at most 512 members that are
// all integers (as string2ll reads them: canonical, 64-bit) as an intset, sorted ascending, and
// answers SMEMBERS, SSCAN, SUNION ... in that order. Any other set is a hash table, whose order is
// arbitrary (it depends on the process's random hash seed); such sets are answered in insertion
// order here. (A Redis set that once held a non-integer stays a hash table after losing it; its
// order is then arbitrary too, so answering it ascending is as right as any other order.)

import { parseInt64 } from '../../commands/args.js';

/** Redis's set-max-intset-entries. */
const INTSET_ENTRIES = 512;

/** Whether Redis would hold these members as an intset. */
export function isIntsetLike(members: Iterable<string>, size: number): boolean {
  if (size > INTSET_ENTRIES) return false;
  for (const m of members) if (parseInt64(m) === null) return false;
  return true;
}

/**
 * Compares two canonical integer texts numerically without parsing them: a '-' sorts first; among
 * positives the shorter is smaller, among negatives the longer; same length compares bytes.
 */
function compareIntegers(a: string, b: string): number {
  const negA = a.charCodeAt(0) === 45;
  const negB = b.charCodeAt(0) === 45;
  if (negA !== negB) return negA ? -1 : 1;
  if (a.length !== b.length) return a.length < b.length !== negA ? -1 : 1;
  if (a === b) return 0;
  return a < b !== negA ? -1 : 1;
}

/** The members in Redis's order: ascending for an intset, else as given. */
export function inRedisOrder(members: Iterable<string>, size: number): string[] {
  const out = Array.from(members);
  if (isIntsetLike(out, size)) out.sort(compareIntegers);
  return out;
}
