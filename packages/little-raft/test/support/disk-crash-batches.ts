// Random storage batches for the crash tests, described compactly so that the child can print
// them and the parent rebuild them exactly. Entries' transitions are a function of index and
// term, so any entry read back can be checked.
import type { LogEntry, Membership, StorageWrite } from '../../src/core/types.js';

export interface CrashTx {
  id: string;
  pad: string;
}

/** s: snapshot [index, term]; t: truncateFrom; e: entries [first, count, term]; h: hard state [term, vote, commit]. */
export interface CrashBatch {
  s?: [number, number];
  t?: number;
  e?: [number, number, number];
  h?: [number, number | null, number];
}

/** What the generator needs to know of the log to make only valid batches. */
export interface GenState {
  snapIndex: number;
  snapTerm: number;
  /** Terms of the entries after the snapshot. */
  terms: number[];
  /** The highest term so far. */
  term: number;
  /** The vote of the last hard state written. */
  vote: number | null;
}

/** Small segments, so that crashes land in rollovers and segment deletions too. */
export const CRASH_SEGMENT_BYTES = 16 * 1024;

const config: Membership = { voters: [1, 2, 3], learners: [], outgoing: [] };

function crashEntry(index: number, term: number): LogEntry<CrashTx> {
  return { index, term, transition: { id: `${index}/${term}`, pad: 'x'.repeat((index * 7 + term) % 150) } };
}

export function toWrite(b: CrashBatch): StorageWrite<CrashTx, string> {
  const w: StorageWrite<CrashTx, string> = {};
  if (b.s) {
    const [index, term] = b.s;
    w.snapshot = {
      lastIncludedIndex: index,
      lastIncludedTerm: term,
      data: `state@${index}/${term}`,
      config,
      termStarts: index > 0 ? [1, term] : [],
    };
  }
  if (b.t !== undefined) w.truncateFrom = b.t;
  if (b.e) {
    const [first, count, term] = b.e;
    w.entries = Array.from({ length: count }, (_, i) => crashEntry(first + i, term));
  }
  if (b.h) w.hardState = { term: b.h[0], vote: b.h[1], commit: b.h[2] };
  return w;
}

/** A random valid batch for the log `g` describes; updates `g` as if it were written. */
export function nextBatch(g: GenState, random: () => number): CrashBatch {
  const int = (lo: number, hi: number): number => lo + Math.floor(random() * (hi - lo + 1));
  const last = (): number => g.snapIndex + g.terms.length;
  const termAt = (i: number): number => (i === g.snapIndex ? g.snapTerm : g.terms[i - g.snapIndex - 1]!);
  const b: CrashBatch = {};
  const kind = random();
  if (kind > 0.85) {
    // A new commit index alone (term and vote unchanged): DiskStorage does not sync it on its own.
    b.h = [g.term, g.vote, int(0, last())];
    return b;
  }
  if (kind < 0.06 && last() > g.snapIndex) {
    // A snapshot of part of the log (as a replica compacting).
    const at = int(Math.max(g.snapIndex, last() - 40), last());
    b.s = [at, termAt(at)];
  } else if (kind < 0.08) {
    // A snapshot from a leader, past the log, with entries after it.
    const at = last() + int(1, 30);
    g.term++;
    b.s = [at, g.term];
    b.t = at + 1;
    b.e = [at + 1, int(1, 20), g.term];
  } else if (kind < 0.14 && last() > g.snapIndex) {
    // A conflict: the suffix is overwritten in a new term.
    const from = int(Math.max(g.snapIndex + 1, last() - 30), last());
    g.term++;
    b.e = [from, int(1, 30), g.term];
  } else if (kind < 0.17 && last() > g.snapIndex) {
    b.t = int(Math.max(g.snapIndex + 1, last() - 10), last());
  } else {
    const sizes = [1, 1, 4, 16, 64, 256];
    b.e = [last() + 1, sizes[int(0, sizes.length - 1)]!, g.term];
  }
  if (random() < 0.6) {
    g.vote = random() < 0.2 ? null : int(1, 3);
    b.h = [g.term, g.vote, int(0, last())];
  }
  apply(g, b);
  return b;
}

function apply(g: GenState, b: CrashBatch): void {
  if (b.s) {
    const [index, term] = b.s;
    const keep = index - g.snapIndex;
    g.terms = keep >= g.terms.length ? [] : g.terms.slice(keep);
    g.snapIndex = index;
    g.snapTerm = term;
  }
  if (b.t !== undefined) g.terms.length = Math.min(g.terms.length, b.t - g.snapIndex - 1);
  if (b.e) {
    const [first, count, term] = b.e;
    g.terms.length = first - g.snapIndex - 1;
    for (let i = 0; i < count; i++) g.terms.push(term);
  }
}
