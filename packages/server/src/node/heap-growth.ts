// How far V8 lets the heap grow past what its last full collection kept before it starts the next
// one. A node's heap is mostly its key space, which stays; what a load allocates besides (requests,
// batches, replies) is garbage once applied. V8 picks a factor of up to 4x for a big heap that it
// collects quickly, and that garbage then stays while the allocation rate is low: a node holding
// 1,000,000 keys ran at 3x the RSS of redis-server for the same data, in service, long after its
// load. Growing by 30% keeps it under 2x (docs/benchmarks.md, "A large key space"): collections
// come more often, each no longer. While a snapshot loads, though, the heap grows by what stays,
// and collecting at every 30% only marks the new key space again and again (a restart at
// 5,000,000 keys served after 12-13 s instead of 7-9 s): V8 chooses then. A
// --heap-growing-percent given to node itself wins, always.

import { setFlagsFromString } from 'node:v8';

/** Ours, unless node was started with its own. */
export const HEAP_GROWING_PERCENT = 30;

const FLAG = /^--heap[-_]growing[-_]percent(?:=(\d+))?$/;

let inEffect: number | null = null;
/** Whether the percent is ours to change (node was given none). */
let ours = false;
let loading = false;

/** The percent node's own flags (`execArgv`) set, or null if they set none. */
export function heapGrowingPercentOf(execArgv: readonly string[]): number | null {
  let found: number | null = null;
  for (let i = 0; i < execArgv.length; i++) {
    const m = FLAG.exec(execArgv[i]!);
    if (m === null) continue;
    const text = m[1] ?? execArgv[i + 1];
    if (text !== undefined && /^\d+$/.test(text)) found = Number(text); // the last one wins, as in V8
  }
  return found;
}

/** Sets the heap's growing percent for this process (ours, or the one node was given); returns it. */
export function limitHeapGrowth(
  execArgv: readonly string[] = process.execArgv,
  setFlags: (flags: string) => void = setFlagsFromString,
): number {
  const given = heapGrowingPercentOf(execArgv);
  ours = given === null;
  inEffect = given ?? HEAP_GROWING_PERCENT;
  if (ours && !loading) setFlags(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
  return inEffect;
}

/**
 * Whether a snapshot is being loaded (a newer one may take over a load: the last word counts):
 * V8's own growing factor meanwhile (0 means V8 chooses), ours after. Changes nothing when node
 * was given its own percent.
 */
export function snapshotLoading(now: boolean, setFlags: (flags: string) => void = setFlagsFromString): void {
  loading = now;
  if (ours) setFlags(`--heap-growing-percent=${now ? 0 : HEAP_GROWING_PERCENT}`);
}

/** The percent in service (INFO memory); null before limitHeapGrowth ran: V8's own choice then. */
export function heapGrowingPercent(): number | null {
  return inEffect;
}
