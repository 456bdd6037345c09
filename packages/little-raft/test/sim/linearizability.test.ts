import { test } from 'node:test';
import assert from 'node:assert/strict';

import { checkLinearizable, type HistoryEntry } from '../../src/sim/checkers/linearizability.js';
import { prng } from '../support/prng.js';

const U = Infinity; // unknown outcome

function put(client: number, key: string, value: string, invokedAt: number, returnedAt: number): HistoryEntry {
  return { client, op: { kind: 'put', key, value }, invokedAt, returnedAt };
}
function get(client: number, key: string, result: string | null, invokedAt: number, returnedAt: number): HistoryEntry {
  return { client, op: { kind: 'get', key, result }, invokedAt, returnedAt };
}

function accepts(history: HistoryEntry[], message?: string): void {
  const r = checkLinearizable(history);
  assert.equal(r.ok, true, `${message ?? 'expected linearizable'}: ${r.reason}`);
  assert.equal(r.key, undefined);
  assert.equal(r.reason, undefined);
}
function rejects(history: HistoryEntry[], key = 'x', message?: string): string {
  const r = checkLinearizable(history);
  assert.equal(r.ok, false, message ?? 'expected not linearizable');
  assert.equal(r.key, key);
  assert.equal(typeof r.reason, 'string');
  return r.reason!;
}

test('empty history and histories of only unknown-outcome operations are linearizable', () => {
  assert.deepEqual(checkLinearizable([]), { ok: true, explored: 0 });
  accepts([put(1, 'x', 'a', 0, U), get(2, 'x', 'zzz', 1, U)]);
});

test('sequential histories: valid ones are accepted', () => {
  accepts([
    get(1, 'x', null, 0, 1),
    put(1, 'x', 'a', 2, 3),
    get(2, 'x', 'a', 4, 5),
    put(2, 'x', 'b', 6, 7),
    get(1, 'x', 'b', 8, 9),
    put(1, 'x', 'a', 10, 11), // a value may be written again
    get(2, 'x', 'a', 12, 13),
  ]);
});

test('sequential histories: a stale read after a completed put is rejected', () => {
  const base = [put(1, 'x', 'a', 0, 1), put(1, 'x', 'b', 2, 3)];
  accepts([...base, get(2, 'x', 'b', 4, 5)]);
  rejects([...base, get(2, 'x', 'a', 4, 5)]);
  rejects([...base, get(2, 'x', null, 4, 5)]); // absent after a put completed: there is no delete
});

test('sequential histories: a read of a value never written is rejected', () => {
  const reason = rejects([put(1, 'x', 'a', 0, 1), get(2, 'x', 'c', 2, 3)]);
  assert.match(reason, /client 2's get -> "c" \[invoked 2, returned 3\].*never written/);
  // Written, but to another key.
  rejects([put(1, 'y', 'c', 0, 1), get(2, 'x', 'c', 2, 3)]);
});

test('sequential histories: reads going back in time are rejected', () => {
  // The put of b is still in flight while both reads happen: each read alone is fine, the pair is not.
  const base = [put(1, 'x', 'a', 0, 1), put(1, 'x', 'b', 2, 100)];
  accepts([...base, get(2, 'x', 'b', 3, 4)]);
  accepts([...base, get(2, 'x', 'a', 5, 6)]);
  accepts([...base, get(2, 'x', 'a', 3, 4), get(2, 'x', 'b', 5, 6)]);
  const reason = rejects([...base, get(2, 'x', 'b', 3, 4), get(2, 'x', 'a', 5, 6)]);
  assert.match(reason, /no linearization of the 4 operations on key "x".*cannot place client 2's get/);
});

test('a get concurrent with a put may return the old or the new value', () => {
  for (const seen of [null, 'a']) accepts([put(1, 'x', 'a', 0, 10), get(2, 'x', seen, 5, 15)]);
  for (const seen of ['a', 'b']) accepts([put(1, 'x', 'a', 0, 1), put(1, 'x', 'b', 2, 10), get(2, 'x', seen, 3, 4)]);
  // A get that starts after the put returned must see it.
  rejects([put(1, 'x', 'a', 0, 10), get(2, 'x', null, 11, 15)]);
});

test('concurrent puts: later reads must agree on one order', () => {
  const puts = [put(1, 'x', 'A', 0, 100), put(2, 'x', 'B', 0, 100)];
  const reads = (...values: (string | null)[]) => values.map((v, i) => get(3, 'x', v, 10 + 10 * i, 11 + 10 * i));
  accepts([...puts, ...reads('A', 'B', 'B')]);
  accepts([...puts, ...reads('B', 'A', 'A')]);
  accepts([...puts, ...reads(null, 'A', 'B')]);
  rejects([...puts, ...reads('A', 'B', 'A')]);
  rejects([...puts, ...reads('B', 'A', 'B')]);
  rejects([...puts, ...reads('A', null)]);
  // Once both puts have returned, the value can no longer change.
  rejects([...puts, get(3, 'x', 'A', 101, 102), get(3, 'x', 'B', 103, 104)]);
  accepts([...puts, get(3, 'x', 'B', 101, 102), get(3, 'x', 'B', 103, 104)]);
});

test('classic anomaly: a read sees a write that has not started yet', () => {
  rejects([get(1, 'x', 'a', 0, 1), put(2, 'x', 'a', 2, 3)]);
  // Overlapping by a single instant is concurrent (see the equal-times test), so this one is fine.
  accepts([get(1, 'x', 'a', 0, 2), put(2, 'x', 'a', 2, 3)]);
});

test('classic anomaly: two clients observe two writes in opposite orders', () => {
  const puts = [put(1, 'x', '1', 0, 10), put(2, 'x', '2', 0, 10)];
  const c3 = [get(3, 'x', '1', 1, 2), get(3, 'x', '2', 3, 4)];
  accepts([...puts, ...c3, get(4, 'x', '1', 1, 2), get(4, 'x', '2', 3, 4)]);
  rejects([...puts, ...c3, get(4, 'x', '2', 1, 2), get(4, 'x', '1', 3, 4)]);
  // Same with the second reader's gets sequential after the first's but still concurrent with both puts.
  rejects([...puts, ...c3, get(4, 'x', '2', 5, 6), get(4, 'x', '1', 7, 8)]);
});

test('classic anomaly: a read of the initial value after another client read a completed write', () => {
  // The write is still in flight; client 2 sees it, then client 3 (starting afterwards) does not.
  rejects([put(1, 'x', 'a', 0, 100), get(2, 'x', 'a', 10, 20), get(3, 'x', null, 21, 30)]);
  accepts([put(1, 'x', 'a', 0, 100), get(2, 'x', 'a', 10, 20), get(3, 'x', null, 20, 30)]); // overlap at 20
});

test('equal timestamps are concurrent: a.returnedAt === b.invokedAt does not order a before b', () => {
  // A put returning at 5 and a get invoked at 5 may be linearized either way...
  accepts([put(1, 'x', 'a', 0, 5), get(2, 'x', null, 5, 6)]);
  accepts([put(1, 'x', 'a', 0, 5), get(2, 'x', 'a', 5, 6)]);
  // ...but a get invoked strictly later must see the put.
  rejects([put(1, 'x', 'a', 0, 5), get(2, 'x', null, 6, 7)]);
  // The other way round: a get returning at 5 may see a put invoked at 5, not one invoked at 6.
  accepts([get(1, 'x', 'a', 0, 5), put(2, 'x', 'a', 5, 6)]);
  rejects([get(1, 'x', 'a', 0, 5), put(2, 'x', 'a', 6, 7)]);
  // Instantaneous operations.
  accepts([put(1, 'x', 'a', 3, 3), get(2, 'x', null, 3, 3), get(3, 'x', 'a', 3, 3)]);
  rejects([put(1, 'x', 'a', 3, 3), get(2, 'x', 'a', 3, 3), get(3, 'x', null, 4, 4)]);
});

test('gets with an unknown outcome are ignored', () => {
  accepts([put(1, 'x', 'a', 0, 1), get(2, 'x', 'never written', 2, U), get(3, 'x', null, 5, U)]);
  accepts([get(2, 'y', 'junk', 2, U)]);
});

test('a put with an unknown outcome may be visible or not, from its invocation on', () => {
  const base = [put(1, 'x', 'a', 0, 1), put(2, 'x', 'b', 2, U)];
  accepts([...base, get(3, 'x', 'a', 3, 4)]);
  accepts([...base, get(3, 'x', 'b', 3, 4)]);
  accepts([...base, get(3, 'x', 'a', 3, 4), get(3, 'x', 'b', 1000, 1001)]); // took effect late
  // Never took effect: reads long afterwards still see a.
  accepts([...base, ...Array.from({ length: 20 }, (_, i) => get(3 + (i % 3), 'x', 'a', 10 * i + 5, 10 * i + 6))]);
  // Seen, then not seen, with no other write: rejected.
  rejects([...base, get(3, 'x', 'b', 3, 4), get(4, 'x', 'a', 5, 6)]);
  rejects([...base, get(3, 'x', 'b', 3, 4), get(3, 'x', 'b', 5, 6), get(4, 'x', 'a', 7, 8)]);
  // It cannot take effect before it was invoked.
  rejects([...base, get(3, 'x', 'b', 0, 1)]);
  accepts([...base, get(3, 'x', 'b', 0, 2)]);
});

test('a put with an unknown outcome may take effect after later completed puts', () => {
  const base = [put(1, 'x', 'a', 0, 1), put(2, 'x', 'b', 2, U), put(1, 'x', 'c', 10, 11)];
  accepts([...base, get(3, 'x', 'b', 12, 13)]); // b landed after c
  accepts([...base, get(3, 'x', 'c', 12, 13), get(3, 'x', 'b', 14, 15)]);
  rejects([...base, get(3, 'x', 'b', 12, 13), get(3, 'x', 'c', 14, 15)]); // back to c without a write of c
  rejects([...base, get(3, 'x', 'b', 5, 6), get(3, 'x', 'b', 12, 13)]); // b before c completed, so c overwrote it
});

test('unknown-outcome puts: several, and values written more than once', () => {
  // Two unknown puts read in the order A, B, A: only one write of each, so rejected.
  const two = [put(1, 'x', 'A', 0, U), put(2, 'x', 'B', 0, U)];
  rejects([...two, get(3, 'x', 'A', 1, 2), get(3, 'x', 'B', 3, 4), get(3, 'x', 'A', 5, 6)]);
  accepts([...two, get(3, 'x', 'A', 1, 2), get(3, 'x', 'B', 3, 4), get(3, 'x', 'B', 5, 6)]);
  // A second (unknown) write of A makes A, B, A possible.
  accepts([...two, put(4, 'x', 'A', 0, U), get(3, 'x', 'A', 1, 2), get(3, 'x', 'B', 3, 4), get(3, 'x', 'A', 5, 6)]);
  // ...but not if it was invoked after the last read.
  rejects([...two, put(4, 'x', 'A', 7, U), get(3, 'x', 'A', 1, 2), get(3, 'x', 'B', 3, 4), get(3, 'x', 'A', 5, 6)]);
  // A known and an unknown write of the same value.
  accepts([put(1, 'x', 'A', 0, 1), put(2, 'x', 'B', 2, 3), put(1, 'x', 'A', 4, U), get(3, 'x', 'A', 10, 11)]);
  rejects([put(1, 'x', 'A', 0, 1), put(2, 'x', 'B', 2, 3), put(1, 'x', 'A', 4, U), get(3, 'x', 'A', 3.5, 3.9)]);
  accepts([put(1, 'x', 'A', 0, 1), put(2, 'x', 'B', 2, 3), put(1, 'x', 'A', 4, U), get(3, 'x', 'A', 3, 3.9)]);
  // Many unknown puts nobody observed, around a real anomaly: still rejected, and quickly.
  const noise = Array.from({ length: 40 }, (_, i) => put(10 + i, 'x', `n${i}`, i, U));
  rejects([...noise, put(1, 'x', 'a', 0, 1), put(1, 'x', 'b', 2, 3), get(2, 'x', 'a', 4, 5)]);
  accepts([...noise, put(1, 'x', 'a', 0, 1), put(1, 'x', 'b', 2, 3), get(2, 'x', 'b', 4, 5)]);
});

test('keys are checked separately and the anomalous key is reported', () => {
  // As a single register this history would be wrong; as three keys it is fine.
  const fine = [
    put(1, 'a', '1', 0, 1),
    put(2, 'b', '2', 0, 1),
    get(3, 'c', null, 2, 3),
    get(3, 'a', '1', 4, 5),
    get(3, 'b', '2', 4, 5),
  ];
  accepts(fine);
  const reason = rejects([...fine, put(1, 'b', '3', 6, 7), get(2, 'b', '2', 8, 9), get(1, 'c', null, 8, 9)], 'b');
  assert.match(reason, /key "b"/);
  // Two bad keys: the one appearing first in the history is reported.
  rejects([get(1, 'c', 'zz', 0, 1), ...fine, get(1, 'a', null, 10, 11)], 'c');
  rejects([...fine, get(1, 'a', null, 10, 11), get(1, 'c', 'zz', 0, 1)], 'a');
});

test('malformed entries are rejected with a TypeError', () => {
  assert.throws(() => checkLinearizable([put(1, 'x', 'a', 5, 4)]), TypeError);
  assert.throws(() => checkLinearizable([put(1, 'x', 'a', NaN, 4)]), TypeError);
  assert.throws(() => checkLinearizable([put(1, 'x', 'a', 0, NaN)]), TypeError);
  assert.throws(() => checkLinearizable([get(1, 'x', 'a', U, U)]), TypeError);
  assert.throws(() => checkLinearizable([put(1, 'x', 'a', 0, 1)], { maxSteps: 0 }), RangeError);
});

test('maxSteps bounds the search per key, and exceeding it throws', () => {
  const seq = (key: string, n: number) =>
    Array.from({ length: n }, (_, i) => put(1, key, `${key}${i}`, 2 * i, 2 * i + 1));
  const { explored: perKey } = checkLinearizable(seq('p', 100));
  assert.ok(perKey >= 100);
  // Two such keys: the limit applies to each, not to the total.
  const history = [...seq('p', 100), ...seq('q', 100)];
  assert.deepEqual(checkLinearizable(history, { maxSteps: perKey }), { ok: true, explored: 2 * perKey });
  assert.throws(() => checkLinearizable(history, { maxSteps: perKey - 1 }), {
    name: 'Error',
    message: new RegExp(`exceeded maxSteps \\(${perKey - 1}\\) for key "p"`),
  });
  // A hard one: 12 concurrent puts, each read by a concurrent get; after all of them, reads of two different values.
  // Refuting it takes an exhaustive search over the orders of the puts.
  const hard = [
    ...Array.from({ length: 12 }, (_, i) => put(i, 'h', `v${i}`, 0, 100)),
    ...Array.from({ length: 12 }, (_, i) => get(20 + i, 'h', `v${i}`, 0, 100)),
    get(40, 'h', 'v0', 101, 102),
    get(40, 'h', 'v1', 103, 104),
  ];
  const r = checkLinearizable(hard);
  assert.equal(r.ok, false);
  assert.ok(r.explored > 10_000, `explored ${r.explored}`);
  assert.throws(() => checkLinearizable(hard, { maxSteps: 10_000 }), /exceeded maxSteps \(10000\) for key "h"/);
  // Without the contradiction it is accepted.
  assert.equal(checkLinearizable(hard.slice(0, -1)).ok, true);
});

// ---- Differential: against a brute-force rendering of the definition, on small random histories ----

/** Is there an order of all known-outcome operations plus some subset of the unknown-outcome puts (per key) that
 * respects real time (a before b when a.returnedAt < b.invokedAt) and is legal for a register starting absent? */
function bruteForce(history: HistoryEntry[]): boolean {
  const byKey = new Map<string, HistoryEntry[]>();
  for (const e of history) {
    if (e.op.kind === 'get' && e.returnedAt === U) continue;
    byKey.set(e.op.key, [...(byKey.get(e.op.key) ?? []), e]);
  }
  const search = (remaining: HistoryEntry[], value: string | null): boolean =>
    remaining.length === 0 ||
    remaining.some((o, i) => {
      if (remaining.some((x) => x.returnedAt < o.invokedAt)) return false;
      if (o.op.kind === 'get' && o.op.result !== value) return false;
      const rest = remaining.filter((_, j) => j !== i);
      return search(rest, o.op.kind === 'put' ? o.op.value : value);
    });
  return [...byKey.values()].every((ops) => {
    const unknown = ops.filter((e) => e.returnedAt === U);
    const known = ops.filter((e) => e.returnedAt !== U);
    for (let mask = 0; mask < 1 << unknown.length; mask++) {
      if (search([...known, ...unknown.filter((_, i) => mask & (1 << i))], null)) return true;
    }
    return false;
  });
}

test('differential: agrees with brute force on small random histories (many equal times, repeated values)', () => {
  const rand = prng(2024);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const counts = { accepted: 0, rejected: 0 };
  for (let round = 0; round < 4000; round++) {
    const keys = rand() < 0.7 ? ['x'] : ['x', 'y'];
    const history = Array.from({ length: 1 + Math.floor(rand() * 8) }, (_, i) => {
      const invokedAt = Math.floor(rand() * 7);
      const isPut = rand() < 0.5;
      const returnedAt = rand() < (isPut ? 0.2 : 0.1) ? U : invokedAt + Math.floor(rand() * 5);
      return isPut
        ? put(i, pick(keys), pick(['a', 'b', 'c']), invokedAt, returnedAt)
        : get(i, pick(keys), pick([null, 'a', 'b', 'c', 'a', 'b', 'd']), invokedAt, returnedAt);
    });
    const expected = bruteForce(history);
    const r = checkLinearizable(history);
    assert.equal(r.ok, expected, `round ${round}: ${JSON.stringify(history)}: ${r.reason}`);
    counts[expected ? 'accepted' : 'rejected']++;
  }
  assert.ok(counts.accepted > 1000 && counts.rejected > 1000, JSON.stringify(counts));
});

// ---- Randomized: histories generated from a sequential execution, then mutated ----

interface GenOptions {
  seed: number;
  ops: number;
  keys: number;
  clients: number;
  /** Fraction of puts whose outcome is unknown (half of those never take effect). */
  unknownPuts: number;
  /** Fraction of gets whose outcome is unknown (they get a junk result: the checker must ignore them). */
  unknownGets: number;
}

/**
 * Each client runs one operation at a time, with random durations and think times. Each operation takes effect at a
 * random instant within its interval (an unknown-outcome put: any time after invocation, or never); executing the
 * operations in the order of those instants on a map gives the gets' results, so the history is linearizable.
 * Every put writes a fresh value.
 */
function generate(o: GenOptions): HistoryEntry[] {
  const rand = prng(o.seed);
  const int = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
  const free = Array.from({ length: o.clients }, () => int(0, 10));
  const planned: { entry: HistoryEntry; at: number | null }[] = [];
  for (let k = 0; k < o.ops; k++) {
    let c = 0;
    for (let i = 1; i < o.clients; i++) if (free[i]! < free[c]!) c = i;
    const invokedAt = free[c]!;
    const duration = int(0, 20);
    const key = `k${int(0, o.keys - 1)}`;
    let returnedAt = invokedAt + duration;
    let at: number | null = invokedAt + rand() * duration;
    let entry: HistoryEntry;
    if (rand() < 0.5) {
      if (rand() < o.unknownPuts) {
        returnedAt = U;
        at = rand() < 0.5 ? null : invokedAt + rand() * 300;
      }
      entry = put(c, key, `${key}=${k}`, invokedAt, returnedAt);
    } else {
      if (rand() < o.unknownGets) {
        returnedAt = U;
        at = null;
      }
      entry = get(c, key, 'junk', invokedAt, returnedAt);
    }
    planned.push({ entry, at });
    free[c] = invokedAt + duration + int(0, 5);
  }
  const state = new Map<string, string>();
  for (const { entry } of planned.filter((p) => p.at !== null).sort((a, b) => a.at! - b.at!)) {
    if (entry.op.kind === 'put') state.set(entry.op.key, entry.op.value);
    else entry.op.result = state.get(entry.op.key) ?? null;
  }
  return planned.map((p) => p.entry);
}

/** The largest number of known-outcome operations on one key whose intervals contain a common instant. */
function maxConcurrency(history: HistoryEntry[]): number {
  let best = 0;
  const byKey = new Map<string, HistoryEntry[]>();
  for (const e of history) if (e.returnedAt !== U) byKey.set(e.op.key, [...(byKey.get(e.op.key) ?? []), e]);
  for (const entries of byKey.values()) {
    const events = entries.flatMap((e) => [
      [e.invokedAt, 0],
      [e.returnedAt, 1],
    ]);
    events.sort((a, b) => a[0]! - b[0]! || a[1]! - b[1]!);
    let open = 0;
    for (const [, isReturn] of events) best = Math.max(best, (open += isReturn ? -1 : 1));
  }
  return best;
}

type Mutation = 'never-written' | 'future-write' | 'overwritten' | 'absent-after-put';

/**
 * Changes one known get's result so that the history is provably not linearizable (values are unique per put):
 * - never-written: a value never written to that key (one written to another key);
 * - future-write: the value of a put invoked after the get returned;
 * - overwritten: the value of a put p such that another put q on the key has p -> q -> get in real time;
 * - absent-after-put: null, while some put on the key returned before the get was invoked.
 * Returns the index of the mutated entry, or -1 if no get qualifies.
 */
function mutate(history: HistoryEntry[], kind: Mutation, rand: () => number): number {
  const known = (e: HistoryEntry) => e.returnedAt !== U;
  const putsByKey = new Map<string, HistoryEntry[]>();
  for (const e of history) if (e.op.kind === 'put') putsByKey.set(e.op.key, [...(putsByKey.get(e.op.key) ?? []), e]);
  const valueOf = (p: HistoryEntry | undefined) => (p?.op.kind === 'put' ? p.op.value : undefined);
  // Known gets in random order; mutate the first that qualifies.
  const gets = history.flatMap((e, i) => (e.op.kind === 'get' && known(e) ? [i] : []));
  for (let i = gets.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [gets[i], gets[j]] = [gets[j]!, gets[i]!];
  }
  for (const index of gets) {
    const g = history[index]!;
    const key = g.op.key;
    const puts = putsByKey.get(key) ?? [];
    let result: string | null | undefined;
    if (kind === 'never-written') {
      result = valueOf(history.find((e) => e.op.kind === 'put' && e.op.key !== key)) ?? `${key}=never`;
    } else if (kind === 'future-write') {
      result = valueOf(puts.find((p) => p.invokedAt > g.returnedAt));
    } else if (kind === 'overwritten') {
      // The put that returned first; if any pair p -> q -> g exists, one exists with this p.
      const p = puts.reduce<HistoryEntry | undefined>(
        (a, e) => (a === undefined || e.returnedAt < a.returnedAt ? e : a),
        undefined,
      );
      if (p !== undefined && puts.some((q) => p.returnedAt < q.invokedAt && q.returnedAt < g.invokedAt)) {
        result = valueOf(p);
      }
    } else if (puts.some((p) => p.returnedAt < g.invokedAt)) {
      result = null;
    }
    if (result === undefined) continue;
    assert.ok(g.op.kind === 'get' && g.op.result !== result, 'the original history would not be linearizable');
    history[index] = { ...g, op: { kind: 'get', key, result } };
    return index;
  }
  return -1;
}

const shapes: (Omit<GenOptions, 'seed'> & { seeds: number })[] = [
  { seeds: 5, ops: 3000, keys: 30, clients: 40, unknownPuts: 0, unknownGets: 0 },
  { seeds: 5, ops: 3000, keys: 20, clients: 60, unknownPuts: 0.1, unknownGets: 0.1 },
  { seeds: 5, ops: 1000, keys: 1, clients: 10, unknownPuts: 0, unknownGets: 0 },
  { seeds: 5, ops: 1000, keys: 1, clients: 10, unknownPuts: 0.05, unknownGets: 0.05 },
  { seeds: 3, ops: 3000, keys: 1, clients: 20, unknownPuts: 0.1, unknownGets: 0.1 },
  { seeds: 3, ops: 10000, keys: 50, clients: 100, unknownPuts: 0.05, unknownGets: 0.05 },
];

for (const shape of shapes) {
  const { seeds, ...rest } = shape;
  const label = `${rest.ops} ops, ${rest.keys} keys, ${rest.clients} clients, unknown puts ${rest.unknownPuts}, gets ${rest.unknownGets}`;
  test(`randomized: generated histories are accepted, mutated ones rejected (${label})`, (t) => {
    for (let seed = 1; seed <= seeds; seed++) {
      const history = generate({ seed, ...rest });
      const started = performance.now();
      const r = checkLinearizable(history);
      const ms = performance.now() - started;
      assert.equal(r.ok, true, `seed ${seed}: ${r.reason}`);
      assert.ok(r.explored < 50 * history.length, `seed ${seed}: explored ${r.explored}`);
      t.diagnostic(
        `seed ${seed}: max concurrency per key ${maxConcurrency(history)} (plus unknown-outcome ops), explored ${r.explored}, ${ms.toFixed(1)} ms`,
      );

      const rand = prng(seed * 7919);
      for (const kind of ['never-written', 'future-write', 'overwritten', 'absent-after-put'] as const) {
        const mutated = history.slice();
        const index = mutate(mutated, kind, rand);
        assert.notEqual(index, -1, `seed ${seed}: no get qualifies for ${kind}`);
        const m = checkLinearizable(mutated);
        assert.equal(m.ok, false, `seed ${seed}: ${kind} mutation of history[${index}] was accepted`);
        assert.equal(m.key, mutated[index]!.op.key);
      }
    }
  });
}
