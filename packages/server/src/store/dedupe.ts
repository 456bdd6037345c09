// Exactly-once application of batches: which (origin, seq) pairs the state machine has applied.
//
// A node may send a batch to a second leader when it cannot tell whether the first one got it,
// so the same batch can reach the log twice; only its first copy may change the key space. Every
// replica runs this table as part of the state machine (and snapshots it), so they all skip the
// same copies.
//
// A seq is `incarnation * 2^32 + counter`: a node's incarnation grows at every start (persisted in
// its data directory), so a restarted node never reuses a seq. Per origin the table keeps only the
// newest incarnation: batches from an older one are skipped (their clients are gone). Within it,
// `floor` says "every seq at or below is done" and `applied` holds the done seqs above it; gaps
// (batches that were given up on) are tolerated up to MAX_APPLIED entries, then the floor jumps.

const INCARNATION_SPAN = 2 ** 32;
/** Batches one incarnation can number (a restart starts the next incarnation). */
export const BATCHES_PER_INCARNATION = INCARNATION_SPAN - 1;
const MAX_APPLIED = 8192;

interface OriginRecord {
  incarnation: number;
  floor: number;
  applied: Set<number>;
}

export function seqOf(incarnation: number, counter: number): number {
  return incarnation * INCARNATION_SPAN + counter;
}

export function incarnationOfSeq(seq: number): number {
  return Math.floor(seq / INCARNATION_SPAN);
}

export class DedupeTable {
  private readonly origins = new Map<number, OriginRecord>();

  /** Records (origin, seq) as applied; false if it was applied (or given up on) before. */
  admit(origin: number, seq: number): boolean {
    const incarnation = incarnationOfSeq(seq);
    let record = this.origins.get(origin);
    if (record === undefined || incarnation > record.incarnation) {
      record = { incarnation, floor: incarnation * INCARNATION_SPAN, applied: new Set() };
      this.origins.set(origin, record);
    }
    if (incarnation < record.incarnation || seq <= record.floor || record.applied.has(seq)) return false;
    if (seq === record.floor + 1) {
      record.floor = seq;
      while (record.applied.delete(record.floor + 1)) record.floor++;
    } else {
      record.applied.add(seq);
      if (record.applied.size > MAX_APPLIED) this.jumpFloor(record);
    }
    return true;
  }

  /** Whether (origin, seq) is done: applied (or, past MAX_APPLIED gaps, given up on). Changes nothing. */
  covers(origin: number, seq: number): boolean {
    const record = this.origins.get(origin);
    if (record === undefined || incarnationOfSeq(seq) !== record.incarnation) return false;
    return seq <= record.floor || record.applied.has(seq);
  }

  /** The newest incarnation of `origin` applied so far; 0 when none. */
  incarnationOf(origin: number): number {
    return this.origins.get(origin)?.incarnation ?? 0;
  }

  /** Too many gaps: everything up to the smallest applied seq counts as done. */
  private jumpFloor(record: OriginRecord): void {
    let smallest = Infinity;
    for (const seq of record.applied) if (seq < smallest) smallest = seq;
    record.applied.delete(smallest);
    record.floor = smallest;
    while (record.applied.delete(record.floor + 1)) record.floor++;
  }

  /** For snapshots: [origin, incarnation, floor, count, ...applied] per origin, in origin order. */
  toNumbers(): number[] {
    const out: number[] = [];
    const ids = [...this.origins.keys()].sort((a, b) => a - b);
    for (const id of ids) {
      const r = this.origins.get(id)!;
      out.push(id, r.incarnation, r.floor, r.applied.size, ...[...r.applied].sort((a, b) => a - b));
    }
    return out;
  }

  static fromNumbers(numbers: number[]): DedupeTable {
    const table = new DedupeTable();
    let i = 0;
    const next = (): number => {
      const value = numbers[i++];
      if (value === undefined || !Number.isSafeInteger(value) || value < 0) {
        throw new Error(`dedupe table: bad number at position ${i - 1}`);
      }
      return value;
    };
    while (i < numbers.length) {
      const origin = next();
      const incarnation = next();
      const floor = next();
      const count = next();
      if (count > MAX_APPLIED + 1) throw new Error(`dedupe table: ${count} applied seqs for origin ${origin}`);
      const applied = new Set<number>();
      for (let k = 0; k < count; k++) applied.add(next());
      table.origins.set(origin, { incarnation, floor, applied });
    }
    return table;
  }
}
