// The queue linearizability checker (support/queue-linearizability.ts): hand-made histories with each kind of
// anomaly, a fast-check cross-check against a brute-force search over all orders, and histories recorded from a real
// sequential queue (linearizable by construction), small and large, and mutated into provably wrong ones.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import fc from 'fast-check';

import { checkQueueLinearizable, type QueueHistoryEntry } from '../support/queue-linearizability.js';

const U = Infinity; // unknown outcome

function push(client: number, value: string, invokedAt: number, returnedAt: number, list = 'q'): QueueHistoryEntry {
  return { client, op: { kind: 'push', list, value }, invokedAt, returnedAt };
}
function pop(
  client: number,
  result: string | null,
  invokedAt: number,
  returnedAt: number,
  list = 'q',
): QueueHistoryEntry {
  return { client, op: { kind: 'pop', list, result }, invokedAt, returnedAt };
}

function accepts(history: QueueHistoryEntry[], message = 'expected linearizable'): void {
  const r = checkQueueLinearizable(history);
  assert.equal(r.ok, true, `${message}: ${r.reason}`);
  assert.equal(r.list, undefined);
}
function rejects(history: QueueHistoryEntry[], list = 'q'): string {
  const r = checkQueueLinearizable(history);
  assert.equal(r.ok, false, 'expected not linearizable');
  assert.equal(r.list, list);
  return r.reason!;
}

test('empty histories, sequential ones, and only unknown outcomes are accepted', () => {
  assert.deepEqual(checkQueueLinearizable([]), { ok: true, explored: 0 });
  accepts([
    pop(1, null, 0, 1),
    push(1, 'a', 2, 3),
    push(2, 'b', 4, 5),
    pop(2, 'a', 6, 7),
    push(1, 'c', 8, 9),
    pop(1, 'b', 10, 11),
    pop(2, 'c', 12, 13),
    pop(1, null, 14, 15),
  ]);
  accepts([push(1, 'a', 0, U), pop(2, 'zzz', 1, U), pop(3, null, 2, U)]);
});

test('an element popped twice is rejected', () => {
  const reason = rejects([push(1, 'a', 0, 1), pop(2, 'a', 2, 3), pop(3, 'a', 4, 5)]);
  assert.match(reason, /client 2's pop -> "a" \[invoked 2, returned 3\] and client 3's pop .* both popped "a"/);
  // Even by two concurrent pops.
  rejects([push(1, 'a', 0, 1), pop(2, 'a', 2, 10), pop(3, 'a', 2, 10)]);
});

test('a pop of a value never pushed, or before its push was invoked, is rejected', () => {
  assert.match(rejects([push(1, 'a', 0, 1), pop(2, 'b', 2, 3)]), /popped a value never pushed to "q"/);
  rejects([push(1, 'b', 0, 1, 'other'), pop(2, 'b', 2, 3)]); // pushed, but to another list
  assert.match(rejects([pop(2, 'a', 0, 1), push(1, 'a', 2, 3)]), /returned before client 1's push "a"/);
  accepts([pop(2, 'a', 0, 2), push(1, 'a', 2, 3)]); // equal times are concurrent
  rejects([pop(2, 'a', 0, 1), push(1, 'a', 2, U)]); // an unknown push cannot take effect before its call either
});

test('a lost element is rejected: an acknowledged push, then an empty queue with no pop that could have taken it', () => {
  const reason = rejects([push(1, 'a', 0, 1), pop(2, null, 2, 3)]);
  assert.match(reason, /client 2's pop -> nil \[invoked 2, returned 3\] found the list empty, but it surely held/);
  rejects([push(1, 'a', 0, 1), push(1, 'b', 2, 3), pop(2, 'b', 4, 5)]); // b popped while a sits ahead of it
  // A pop of unknown outcome may have taken it (its reply lost), if invoked before the queue was seen empty...
  accepts([push(1, 'a', 0, 1), pop(3, null, 0.5, U), pop(2, null, 2, 3)]);
  accepts([push(1, 'a', 0, 1), pop(3, null, 2.5, U), push(1, 'b', 2, 3), pop(2, 'b', 4, 5)]);
  // ...not if invoked after.
  rejects([push(1, 'a', 0, 1), pop(3, null, 4, U), pop(2, null, 2, 3)]);
  // One unknown pop takes one element, not two.
  const oneOfTwo = rejects([push(1, 'a', 0, 1), push(1, 'b', 0, 1), pop(3, null, 0, U), pop(2, null, 2, 3)]);
  assert.match(oneOfTwo, /no linearization of the 4 operations on list "q".*cannot place client 2's pop -> nil/);
  accepts([push(1, 'a', 0, 1), push(1, 'b', 0, 1), pop(3, null, 0, U), pop(4, null, 0, U), pop(2, null, 2, 3)]);
  // Two unknown pops take the two values pushed ahead of c; x, pushed concurrently with them, may be behind c.
  const takenAhead = (second: QueueHistoryEntry[]): QueueHistoryEntry[] => [
    pop(0, null, 0, U),
    push(1, 'x', 0, 2),
    push(2, 'a', 0, 0),
    push(0, 'c', 1, 1),
    ...second,
    push(3, 'b', 0, 0),
    pop(0, 'c', 3, 3),
  ];
  accepts(takenAhead([pop(0, null, 2, U)]));
  rejects(takenAhead([]));
  rejects(takenAhead([pop(0, null, 3.5, U)]));
  // Elements never popped and never seen missing are fine: they may still be there.
  accepts([push(1, 'a', 0, 1), push(1, 'b', 2, 3), pop(2, 'a', 4, 5)]);
});

test('FIFO order violated is rejected; concurrent pushes may land in either order', () => {
  const pushes = [push(1, 'a', 0, 1), push(2, 'b', 2, 3)];
  accepts([...pushes, pop(3, 'a', 4, 5), pop(3, 'b', 6, 7)]);
  rejects([...pushes, pop(3, 'b', 4, 5), pop(3, 'a', 6, 7)]);
  // The pops overlap: a's may have been first.
  accepts([...pushes, pop(3, 'b', 4, 7), pop(4, 'a', 4, 7)]);
  const concurrent = [push(1, 'a', 0, 3), push(2, 'b', 0, 3)];
  accepts([...concurrent, pop(3, 'a', 4, 5), pop(3, 'b', 6, 7)]);
  accepts([...concurrent, pop(3, 'b', 4, 5), pop(3, 'a', 6, 7)]);
  // c went in after a completed, so a is out before c, whatever b did.
  const three = [...concurrent, push(5, 'c', 4, 5)];
  accepts([...three, pop(3, 'b', 6, 7), pop(3, 'a', 8, 9), pop(4, 'c', 10, 11)]);
  rejects([...three, pop(3, 'b', 6, 7), pop(3, 'c', 8, 9), pop(4, 'a', 10, 11)]);
});

test('a nil pop while an element was surely present the whole time is rejected', () => {
  rejects([push(1, 'a', 0, 1), pop(2, null, 2, 3), pop(3, 'a', 4, 5)]);
  accepts([push(1, 'a', 0, 1), pop(2, null, 2, 4), pop(3, 'a', 3, 5)]); // the pop of a may have come first
  accepts([push(1, 'a', 2, 4), pop(2, null, 0, 3), pop(3, 'a', 5, 6)]); // or the push after the nil
  // A nil spanning a long time (a BLPOP that timed out) is fine if the queue was empty at any instant of it.
  const busy = [push(1, 'a', 0, 1), pop(3, 'a', 2, 3), push(1, 'b', 4, 5), pop(3, 'b', 6, 7), push(1, 'c', 8, 9)];
  accepts([...busy, pop(2, null, 0.5, 100)]);
  accepts([...busy, pop(2, null, 3.5, 4.5)]);
  rejects([...busy, pop(2, null, 1.5, 1.9)]);
  rejects([...busy, pop(2, null, 9.5, 100)]); // c is never popped
});

test('a stale pop, answered from an old state of the queue, is rejected', () => {
  // After a completed push and pop, a third client's pop finds the element of the first (an old copy of the list).
  rejects([push(1, 'a', 0, 1), push(1, 'b', 2, 3), pop(2, 'a', 4, 5), pop(3, 'a', 6, 7)]);
  // Or finds the queue empty as it was before a push that completed.
  rejects([push(1, 'a', 0, 1), pop(2, 'a', 2, 3), push(1, 'b', 4, 5), pop(3, null, 6, 7), pop(2, 'b', 8, 9)]);
  // Or pops the second element as if the first pop had happened, when it had not been invoked yet.
  rejects([push(1, 'a', 0, 1), push(1, 'b', 2, 3), pop(3, 'b', 4, 5), pop(2, 'a', 6, 7)]);
});

test('pushes of unknown outcome: visible from their call on, or never', () => {
  accepts([push(1, 'a', 0, U), pop(2, 'a', 5, 6)]);
  accepts([push(1, 'a', 0, U), pop(2, null, 5, 6), pop(2, 'a', 100, 101)]); // took effect late
  accepts([push(1, 'a', 0, U), pop(2, null, 5, 6), pop(2, null, 100, 101)]); // never
  accepts([push(1, 'a', 0, U), push(1, 'b', 1, 2), pop(2, 'b', 5, 6), pop(3, null, 7, 8), pop(3, 'a', 9, 10)]);
  // Popped before b, which was pushed first: it cannot have been invoked after b's push returned.
  rejects([push(1, 'b', 0, 1), push(2, 'a', 2, U), pop(3, 'a', 3, 4), pop(3, 'b', 5, 6)]);
  accepts([push(1, 'b', 0, 1), push(2, 'a', 2, U), pop(3, 'b', 3, 4), pop(3, 'a', 5, 6)]);
  // Many unknown pushes nobody popped, around a real anomaly: still rejected, and quickly.
  const noise = Array.from({ length: 40 }, (_, i) => push(10 + i, `n${i}`, i, U));
  rejects([...noise, push(1, 'a', 0, 1), pop(2, null, 2, 3), pop(2, 'a', 4, 5)]);
  accepts([...noise, push(1, 'a', 0, 1), pop(2, 'a', 2, 3), pop(2, null, 4, 5)]);
});

test('equal timestamps are concurrent', () => {
  accepts([push(1, 'a', 0, 5), pop(2, null, 5, 6)]);
  accepts([push(1, 'a', 0, 5), pop(2, 'a', 5, 6)]);
  rejects([push(1, 'a', 0, 5), pop(2, null, 6, 7)]);
  accepts([push(1, 'a', 3, 3), pop(2, null, 3, 3), pop(3, 'a', 3, 3)]);
  rejects([push(1, 'a', 3, 3), pop(3, 'a', 3, 3), pop(2, 'a', 3, 3)]);
});

test('lists are checked separately and the first one with an anomaly is reported', () => {
  // As one queue this would be wrong (b popped while a sits ahead); as two lists it is fine.
  const fine = [push(1, 'a', 0, 1, 'x'), push(1, 'b', 2, 3, 'y'), pop(2, 'b', 4, 5, 'y'), pop(2, null, 6, 7, 'y')];
  accepts(fine);
  rejects([...fine, pop(3, null, 8, 9, 'x')], 'x');
  rejects([pop(1, 'zz', 0, 1, 'z'), ...fine, pop(3, null, 8, 9, 'x')], 'z');
  // The same value in two lists is two elements.
  accepts([push(1, 'a', 0, 1, 'x'), push(1, 'a', 0, 1, 'y'), pop(2, 'a', 2, 3, 'x'), pop(2, 'a', 2, 3, 'y')]);
});

test('malformed entries are rejected with a TypeError, a bad bound with a RangeError', () => {
  assert.throws(() => checkQueueLinearizable([push(1, 'a', 5, 4)]), TypeError);
  assert.throws(() => checkQueueLinearizable([push(1, 'a', NaN, 4)]), TypeError);
  assert.throws(() => checkQueueLinearizable([pop(1, null, 0, NaN)]), TypeError);
  assert.throws(() => checkQueueLinearizable([pop(1, null, U, U)]), TypeError);
  assert.throws(() => checkQueueLinearizable([push(1, 'a', 0, 1), push(2, 'a', 2, U)]), /pushed twice to "q"/);
  assert.throws(() => checkQueueLinearizable([push(1, 'a', 0, 1)], { maxSteps: 0 }), RangeError);
});

test('maxSteps bounds the search per list, and exceeding it throws', () => {
  const seq = (list: string, n: number): QueueHistoryEntry[] =>
    Array.from({ length: n }, (_, i) => [
      push(1, `${i}`, 4 * i, 4 * i + 1, list),
      pop(2, `${i}`, 4 * i + 2, 4 * i + 3, list),
    ]).flat();
  const { explored: perList } = checkQueueLinearizable(seq('p', 100));
  assert.ok(perList >= 200, `explored ${perList}`);
  const history = [...seq('p', 100), ...seq('r', 100)];
  assert.deepEqual(checkQueueLinearizable(history, { maxSteps: perList }), { ok: true, explored: 2 * perList });
  assert.throws(() => checkQueueLinearizable(history, { maxSteps: perList - 1 }), {
    message: new RegExp(`exceeded maxSteps \\(${perList - 1}\\) for list "p"`),
  });
  // A hard one: 7 concurrent pushes, two of them never popped and one unknown pop to take one of them, the other pops
  // concurrent afterwards, then a nil. Refuting it means trying every order of the pushes.
  const hard = [
    ...Array.from({ length: 7 }, (_, i) => push(i, `v${i}`, 0, 10)),
    ...Array.from({ length: 5 }, (_, i) => pop(20 + i, `v${i}`, 11, 20)),
    pop(39, null, 0, U),
    pop(40, null, 21, 22),
  ];
  const r = checkQueueLinearizable(hard);
  assert.equal(r.ok, false);
  assert.ok(r.explored > 10_000, `explored ${r.explored}`);
  assert.throws(() => checkQueueLinearizable(hard, { maxSteps: 10_000 }), /exceeded maxSteps \(10000\) for list "q"/);
  assert.equal(checkQueueLinearizable(hard.slice(0, -1)).ok, true);
});

// ---- Against a brute-force rendering of the definition ----

/**
 * Is there, per list, an order of all known-outcome operations plus some subset of the unknown ones that respects real
 * time (a before b when a.returnedAt < b.invokedAt) and is legal for a FIFO queue starting empty? An unknown pop pops
 * whatever is at the head (or nothing).
 */
function bruteForce(history: readonly QueueHistoryEntry[]): boolean {
  const byList = new Map<string, QueueHistoryEntry[]>();
  for (const e of history) byList.set(e.op.list, [...(byList.get(e.op.list) ?? []), e]);
  const search = (remaining: QueueHistoryEntry[], queue: readonly string[]): boolean =>
    remaining.length === 0 ||
    remaining.some((o, i) => {
      if (remaining.some((x) => x.returnedAt < o.invokedAt)) return false;
      let next: readonly string[];
      if (o.op.kind === 'push') next = [...queue, o.op.value];
      else if (o.returnedAt === U) next = queue.slice(1);
      else if (o.op.result === null) {
        if (queue.length > 0) return false;
        next = queue;
      } else {
        if (queue[0] !== o.op.result) return false;
        next = queue.slice(1);
      }
      return search(
        remaining.filter((_, j) => j !== i),
        next,
      );
    });
  return [...byList.values()].every((ops) => {
    const unknown = ops.filter((e) => e.returnedAt === U);
    const known = ops.filter((e) => e.returnedAt !== U);
    for (let mask = 0; mask < 1 << unknown.length; mask++) {
      if (search([...known, ...unknown.filter((_, i) => mask & (1 << i))], [])) return true;
    }
    return false;
  });
}

/** Small histories: pushes of unique values, pops of pushed values, nil or a stranger; many equal times. */
const smallHistory = fc
  .array(
    fc.record({
      isPush: fc.boolean(),
      list: fc.constantFrom('x', 'x', 'x', 'y'),
      invokedAt: fc.nat({ max: 6 }),
      duration: fc.nat({ max: 4 }),
      unknown: fc.nat({ max: 9 }),
      result: fc.nat({ max: 7 }),
    }),
    { minLength: 1, maxLength: 8 },
  )
  .map((specs) =>
    specs.map((s, i): QueueHistoryEntry => {
      const returnedAt = s.unknown < (s.isPush ? 2 : 1) ? U : s.invokedAt + s.duration;
      if (s.isPush) return push(i, `v${i}`, s.invokedAt, returnedAt, s.list);
      // Mostly values pushed somewhere in the history (maybe to the other list), sometimes nil or never pushed.
      const result = s.result === 0 ? null : s.result === 7 ? 'stranger' : `v${(s.result * 3 + i) % specs.length}`;
      return pop(i, result, s.invokedAt, returnedAt, s.list);
    }),
  );

test('property: agrees with a brute-force search on small random histories', () => {
  const counts = { accepted: 0, rejected: 0 };
  fc.assert(
    fc.property(smallHistory, (history) => {
      const expected = bruteForce(history);
      const r = checkQueueLinearizable(history);
      assert.equal(r.ok, expected, `${JSON.stringify(history)}: ${r.reason}`);
      counts[expected ? 'accepted' : 'rejected']++;
    }),
    { numRuns: 5000 },
  );
  assert.ok(counts.accepted > 800 && counts.rejected > 800, JSON.stringify(counts));
});

// ---- Histories recorded from a real queue ----

/** One client operation of a plan: what, how long after the client's previous one, and when it takes effect. */
interface PlannedOp {
  client: number;
  isPush: boolean;
  list: number;
  think: number;
  /** From the call to the effect, and from the effect to the return. */
  before: number;
  after: number;
  /** 0: known outcome; 1: unknown, took effect; 2: unknown, never took effect. */
  unknown: number;
}

function planned(o: { clients: number; lists: number; ops: number; unknownPercent: number; longWaits: boolean }) {
  const delay = o.longWaits ? fc.oneof(fc.nat({ max: 5 }), fc.nat({ max: 60 })) : fc.nat({ max: 5 });
  return fc.array(
    fc.record({
      client: fc.nat({ max: o.clients - 1 }),
      isPush: fc.boolean(),
      list: fc.nat({ max: o.lists - 1 }),
      think: fc.nat({ max: 3 }),
      before: delay,
      after: fc.nat({ max: 5 }),
      unknown: fc.nat({ max: 199 }).map((r) => (r >= 2 * o.unknownPercent ? 0 : (r % 2) + 1)),
    }),
    { minLength: Math.ceil(o.ops * 0.8), maxLength: o.ops },
  );
}

/**
 * The history of a plan: each client runs its operations one at a time; each takes effect at call + before (an
 * unknown one at that point or never), in that order on real queues, which gives the pops' results. Linearizable by
 * construction. Values are unique.
 */
function record(plan: readonly PlannedOp[]): QueueHistoryEntry[] {
  const free = new Map<number, number>();
  const events: { entry: QueueHistoryEntry; at: number }[] = [];
  const history: QueueHistoryEntry[] = [];
  plan.forEach((p, i) => {
    const invokedAt = (free.get(p.client) ?? 0) + p.think;
    const at = invokedAt + p.before;
    const returnedAt = p.unknown === 0 ? at + p.after : U;
    const list = `l${p.list}`;
    const entry = p.isPush
      ? push(p.client, `v${i}`, invokedAt, returnedAt, list)
      : pop(p.client, null, invokedAt, returnedAt, list);
    history.push(entry);
    if (p.unknown !== 2) events.push({ entry, at });
    free.set(p.client, p.unknown === 0 ? returnedAt : invokedAt + p.before + p.after);
  });
  const queues = new Map<string, string[]>();
  for (const { entry } of events.sort((a, b) => a.at - b.at)) {
    const queue = queues.get(entry.op.list) ?? [];
    queues.set(entry.op.list, queue);
    if (entry.op.kind === 'push') queue.push(entry.op.value);
    else entry.op.result = queue.shift() ?? null;
  }
  return history;
}

test('property: small histories recorded from a real queue are accepted (and brute force agrees)', () => {
  fc.assert(
    fc.property(planned({ clients: 3, lists: 1, ops: 7, unknownPercent: 15, longWaits: true }), (plan) => {
      const history = record(plan);
      assert.equal(bruteForce(history), true);
      const r = checkQueueLinearizable(history);
      assert.equal(r.ok, true, `${JSON.stringify(history)}: ${r.reason}`);
    }),
    { numRuns: 2000 },
  );
});

/**
 * Changes a recorded history a little, so that it may or may not stay linearizable: a known pop's result (to nil or
 * to another pushed value), two pops' results swapped, a known operation's window shrunk, or made unknown.
 */
function mutate(history: QueueHistoryEntry[], m: { kind: number; which: number; pick: number }): void {
  const known = history.filter((e) => e.returnedAt !== U);
  const pops = known.filter((e) => e.op.kind === 'pop');
  const values = history.flatMap((e) => (e.op.kind === 'push' ? [e.op.value] : []));
  const at = <T>(xs: readonly T[], i: number): T | undefined => xs[i % Math.max(xs.length, 1)];
  const target = m.kind < 2 ? at(pops, m.which) : at(known, m.which);
  if (target === undefined) return;
  const i = history.indexOf(target);
  if (m.kind === 0 && target.op.kind === 'pop') {
    history[i] = { ...target, op: { ...target.op, result: m.pick % 3 === 0 ? null : (at(values, m.pick) ?? null) } };
  } else if (m.kind === 1 && target.op.kind === 'pop') {
    const other = at(pops, m.pick)!;
    const j = history.indexOf(other);
    if (other.op.kind !== 'pop') return;
    history[i] = { ...target, op: { ...target.op, result: other.op.result } };
    history[j] = { ...other, op: { ...other.op, result: target.op.result } };
  } else if (m.kind === 2) {
    history[i] = {
      ...target,
      returnedAt: target.invokedAt + ((target.returnedAt - target.invokedAt) * (m.pick % 4)) / 4,
    };
  } else {
    history[i] = { ...target, returnedAt: U };
  }
}

test('property: agrees with a brute-force search on mutated histories of a real queue (unknown outcomes, orphans)', () => {
  const counts = { accepted: 0, rejected: 0 };
  const mutation = fc.record({ kind: fc.nat({ max: 3 }), which: fc.nat(), pick: fc.nat() });
  fc.assert(
    fc.property(
      planned({ clients: 3, lists: 1, ops: 8, unknownPercent: 25, longWaits: true }),
      fc.array(mutation, { minLength: 1, maxLength: 2 }),
      (plan, mutations) => {
        const history = record(plan);
        for (const m of mutations) mutate(history, m);
        const expected = bruteForce(history);
        const r = checkQueueLinearizable(history);
        assert.equal(r.ok, expected, `${JSON.stringify(history)}: ${r.reason}`);
        counts[expected ? 'accepted' : 'rejected']++;
      },
    ),
    { numRuns: 3000 },
  );
  assert.ok(counts.accepted > 500 && counts.rejected > 500, JSON.stringify(counts));
});

const largePlan = planned({ clients: 10, lists: 1, ops: 400, unknownPercent: 5, longWaits: true });

test('property: large histories recorded from a real queue (400 operations, 10 clients) are accepted quickly', () => {
  fc.assert(
    fc.property(largePlan, (plan) => {
      const r = checkQueueLinearizable(record(plan), { maxSteps: 200_000 });
      assert.equal(r.ok, true, r.reason);
    }),
    { numRuns: 50 },
  );
});

/** Known pops of values, with their values' pushes. */
function popsWithPushes(history: readonly QueueHistoryEntry[]): { pop: QueueHistoryEntry; push: QueueHistoryEntry }[] {
  const pushes = new Map(history.flatMap((e) => (e.op.kind === 'push' ? [[e.op.value, e] as const] : [])));
  return history.flatMap((pop) =>
    pop.op.kind === 'pop' && pop.op.result !== null && pop.returnedAt !== U
      ? [{ pop, push: pushes.get(pop.op.result)! }]
      : [],
  );
}

test('property: large recorded histories made provably wrong are rejected, saying why', () => {
  let rejected = 0;
  fc.assert(
    fc.property(largePlan, fc.nat(), fc.boolean(), (plan, pick, fifo) => {
      const history = record(plan);
      const pairs = popsWithPushes(history);
      if (fifo) {
        // Pops of a and b, one after the other, of values pushed one after the other: swapped, b leaves before a.
        const candidates = pairs.flatMap((x) =>
          pairs
            .filter((y) => x.push.returnedAt < y.push.invokedAt && x.pop.returnedAt < y.pop.invokedAt)
            .map((y) => [x, y] as const),
        );
        if (candidates.length === 0) return;
        const [x, y] = candidates[pick % candidates.length]!;
        const [a, b] = [x.pop, y.pop].map((e) => history.indexOf(e)) as [number, number];
        history[a] = { ...x.pop, op: { ...x.pop.op, kind: 'pop', result: (y.pop.op as { result: string }).result } };
        history[b] = { ...y.pop, op: { ...y.pop.op, kind: 'pop', result: (x.pop.op as { result: string }).result } };
      } else {
        // A nil pop while a value is surely there: after its push returned, before its pop was invoked.
        const candidates = pairs.filter((x) => x.push.returnedAt + 2 < x.pop.invokedAt);
        if (candidates.length === 0) return;
        const x = candidates[pick % candidates.length]!;
        history.push(pop(99, null, x.push.returnedAt + 1, x.pop.invokedAt - 1, x.pop.op.list));
      }
      const r = checkQueueLinearizable(history);
      assert.equal(r.ok, false);
      // (Swapped, a pop may even return before its value's push was invoked.)
      const why = fifo
        ? /^FIFO order: |returned before .* was invoked/
        : /found the list empty, but it surely held something/;
      assert.match(r.reason!, why);
      rejected++;
    }),
    { numRuns: 40 },
  );
  assert.ok(rejected >= 20, `only ${rejected} histories had a place for the anomaly`);
});
