// Linearizability checker for histories of a key-value store whose keys are independent registers.
//
// Algorithm: Wing & Gong's search for a linearization, with Lowe's memoisation (the approach of Knossos and
// Porcupine), run separately on each key's sub-history (P-compositionality: a history of independent registers is
// linearizable iff every key's sub-history is).
//
// Per key, the calls and returns of the operations form a doubly-linked list sorted by time. A depth-first search with
// an explicit stack walks the list from its head: at a call it tries to linearize that operation next (allowed if the
// register model accepts it); linearized operations are unlinked from the list together with their return, and the
// search restarts from the head. Reaching a return means the operation that returns there was not linearized before
// it returned, so the search backtracks. The set of linearized operations (a bitset) and the register's value
// identify the search state; states already explored are cached and not explored again.
//
// Three refinements, each sound and complete (the differential test checks them against a brute-force search):
// - A get returning the current value, whose call precedes every return left, is linearized at once and is not a
//   choice point: if any linearization exists from here, moving that get to the front of it leaves one.
// - Likewise a put whose value no pending get returns, when no pending get returns the current value either.
// - A put that would overwrite the current value while a pending get still returns it, and no pending put writes it
//   again, is not tried: that get could never be linearized. Values no pending get returns are all alike to the
//   search and share cache entries.
// Gets thus never branch, and only puts whose values are read are ordered by search, which keeps histories with tens
// of concurrent operations per key cheap.
//
// Conventions:
// - Real-time order: operation a precedes operation b iff a.returnedAt < b.invokedAt (strictly). Equal times are
//   concurrent: an operation invoked at the very instant another returns may be ordered either way. (In the event
//   list, a call sorts before a return at the same time.)
// - The initial value of every key is absent (null). There is no delete, so once a put on a key has taken effect no
//   later get on that key returns null.
// - A get whose outcome is unknown (returnedAt Infinity) says nothing and is ignored.
// - A put whose outcome is unknown (returnedAt Infinity) may take effect at any point after its invocation, or never.
//   Two sound reductions keep such puts from inflating the search: a put of a value that no get on its key returns is
//   dropped (whether and when it took effect cannot matter: no read depends on it, and a put never makes a later read
//   possible that was impossible without it); and when it is the only put of its value on its key and some get
//   returns that value, it must have taken effect before the earliest-returning such get returned, so that becomes
//   its return time. Any that remain (values written more than once) keep an infinite return; once every operation
//   with a known outcome is linearized they are linearized last, or never, which affects no read.
// - Keys are checked in the order of their first appearance in the history; the result names the first key found
//   not linearizable.
// - The search is bounded by `maxSteps` per key (default 1,000,000). Exceeding it throws: the history was neither
//   proved linearizable nor refuted, and a silent "ok" would hide bugs.

/** An operation on one key. A get's `result` is null when the key was absent. */
export type KvOperation =
  { kind: 'put'; key: string; value: string } | { kind: 'get'; key: string; result: string | null };

/** One client operation of a history: what it did, when it was invoked and when it returned (Infinity when its outcome is unknown). */
export interface HistoryEntry {
  client: number;
  op: KvOperation;
  /** Virtual time of the call. */
  invokedAt: number;
  /** Virtual time of the response; Infinity when the outcome is unknown (it may or may not have taken effect). */
  returnedAt: number;
}

/** What {@link checkLinearizable} found: `ok`, and otherwise the key whose history is not linearizable and why. */
export interface LinearizabilityResult {
  ok: boolean;
  /** The first key whose history is not linearizable. */
  key?: string;
  /** Search steps, summed over the keys checked. */
  explored: number;
  /** Why the history is not linearizable (when ok is false). */
  reason?: string;
}

const DEFAULT_MAX_STEPS = 1_000_000;

/**
 * Checks that `history` is linearizable with respect to a map of independent registers (initially all absent).
 * Throws a TypeError on malformed entries, and an Error when the search for some key exceeds `maxSteps` steps.
 */
export function checkLinearizable(
  history: readonly HistoryEntry[],
  options: { maxSteps?: number } = {},
): LinearizabilityResult {
  const maxSteps = options.maxSteps ?? DEFAULT_MAX_STEPS;
  if (!(maxSteps >= 1) || (!Number.isInteger(maxSteps) && maxSteps !== Infinity)) {
    throw new RangeError(`maxSteps must be a positive integer or Infinity, got ${maxSteps}`);
  }
  const byKey = new Map<string, HistoryEntry[]>();
  history.forEach((entry, i) => {
    validate(entry, i);
    if (entry.op.kind === 'get' && entry.returnedAt === Infinity) return;
    const list = byKey.get(entry.op.key);
    if (list === undefined) byKey.set(entry.op.key, [entry]);
    else list.push(entry);
  });
  let explored = 0;
  for (const [key, entries] of byKey) {
    const result = checkKey(key, entries, maxSteps);
    explored += result.explored;
    if (result.reason !== undefined) return { ok: false, key, explored, reason: result.reason };
  }
  return { ok: true, explored };
}

function validate(entry: HistoryEntry, i: number): void {
  const where = `history[${i}]`;
  const op = entry?.op;
  if (op === null || typeof op !== 'object' || typeof op.key !== 'string') {
    throw new TypeError(`${where}: op must be an object with a string key`);
  }
  if (op.kind === 'put') {
    if (typeof op.value !== 'string') throw new TypeError(`${where}: put value must be a string`);
  } else if (op.kind === 'get') {
    if (op.result !== null && typeof op.result !== 'string') {
      throw new TypeError(`${where}: get result must be a string or null`);
    }
  } else {
    throw new TypeError(`${where}: unknown op kind ${JSON.stringify((op as { kind: unknown }).kind)}`);
  }
  if (typeof entry.invokedAt !== 'number' || !Number.isFinite(entry.invokedAt)) {
    throw new TypeError(`${where}: invokedAt must be a finite number, got ${entry.invokedAt}`);
  }
  if (typeof entry.returnedAt !== 'number' || Number.isNaN(entry.returnedAt) || entry.returnedAt < entry.invokedAt) {
    throw new TypeError(
      `${where}: returnedAt must be a number >= invokedAt (or Infinity), got ${entry.returnedAt} (invokedAt ${entry.invokedAt})`,
    );
  }
}

/** One operation of a key's sub-history, as the search sees it. */
interface Op {
  entry: HistoryEntry;
  /** Position in the key's sub-history (a tie-break that keeps the search deterministic). */
  index: number;
  invokedAt: number;
  /** Effective return time: the entry's, or a bound derived for an unknown-outcome put (see the conventions). */
  returnedAt: number;
  isGet: boolean;
  /** Value id: what a put writes, or what a get returned. 0 is "absent". */
  value: number;
}

interface KeyResult {
  explored: number;
  /** Set when the key's sub-history is not linearizable. */
  reason?: string;
}

const NIL = -1;
const HEAD = 0;

/** Checks one key's sub-history: prepares its operations, searches for a linearization, and says why none exists. */
function checkKey(key: string, entries: readonly HistoryEntry[], maxSteps: number): KeyResult {
  const prepared = prepareOperations(key, entries);
  if ('reason' in prepared) return { explored: 0, reason: prepared.reason };
  const search = new Search(key, prepared, maxSteps);
  if (search.run()) return { explored: search.steps };
  return { explored: search.steps, reason: search.failure() };
}

/** A key's operations, ready for the search. */
interface Prepared {
  /** Known-return operations by invocation time, then the unknown-return ones. */
  ops: Op[];
  /** How many operations have a known return (they come first in `ops`). */
  known: number;
  /** Distinct values written, so value ids run from 0 (absent) to `values`. */
  values: number;
}

/**
 * Value ids, effective return times (see the conventions: unknown-outcome puts no get reads are dropped, and a
 * value's only writer returns by the first read of it), and the operations in bit order. A get of a value never
 * written needs no search.
 */
function prepareOperations(key: string, entries: readonly HistoryEntry[]): Prepared | { reason: string } {
  // Value ids, how many puts write each value, and the earliest return of a get returning it.
  const valueIds = new Map<string, number>();
  const writers = new Map<string, number>();
  const firstReadReturn = new Map<string, number>();
  for (const e of entries) {
    if (e.op.kind === 'put') {
      writers.set(e.op.value, (writers.get(e.op.value) ?? 0) + 1);
      if (!valueIds.has(e.op.value)) valueIds.set(e.op.value, valueIds.size + 1);
    }
  }
  for (const e of entries) {
    if (e.op.kind !== 'get' || e.op.result === null) continue;
    if (!writers.has(e.op.result)) {
      return { reason: `${describe(e)} returned a value never written to key ${JSON.stringify(key)}` };
    }
    const prev = firstReadReturn.get(e.op.result);
    if (prev === undefined || e.returnedAt < prev) firstReadReturn.set(e.op.result, e.returnedAt);
  }
  const idOf = (value: string | null): number => (value === null ? 0 : valueIds.get(value)!);

  const ops: Op[] = [];
  for (const [index, e] of entries.entries()) {
    if (e.op.kind === 'get') {
      ops.push({
        entry: e,
        index,
        invokedAt: e.invokedAt,
        returnedAt: e.returnedAt,
        isGet: true,
        value: idOf(e.op.result),
      });
      continue;
    }
    let returnedAt = e.returnedAt;
    if (returnedAt === Infinity) {
      const firstRead = firstReadReturn.get(e.op.value);
      if (firstRead === undefined) continue; // never observed: irrelevant
      // If a get returned the value before this put was invoked, no linearization exists either way; clamping keeps
      // the interval well-formed and the search rejects it.
      if (writers.get(e.op.value) === 1) returnedAt = Math.max(firstRead, e.invokedAt);
    }
    ops.push({ entry: e, index, invokedAt: e.invokedAt, returnedAt, isGet: false, value: idOf(e.op.value) });
  }

  // Bit indices: operations with a known return by invocation time, then those without. (Any order would be correct;
  // this one keeps the cache keys short, see `Search.cacheKey`.)
  ops.sort(
    (a, b) =>
      Number(a.returnedAt === Infinity) - Number(b.returnedAt === Infinity) ||
      a.invokedAt - b.invokedAt ||
      a.index - b.index,
  );
  let known = 0;
  while (known < ops.length && ops[known]!.returnedAt !== Infinity) known++;
  return { ops, known, values: valueIds.size };
}

/**
 * The calls and returns of the operations as a doubly-linked list sorted by time, a call before a return at equal
 * times (equal times are concurrent), then by operation. Node 0 is the head; the others each hold one event.
 */
class EventList {
  readonly next: Int32Array;
  readonly prev: Int32Array;
  readonly callNode: Int32Array;
  readonly returnNode: Int32Array;
  readonly nodeOp: Int32Array;
  readonly nodeIsCall: Uint8Array;

  constructor(ops: readonly Op[]) {
    const n = ops.length;
    // Event e (0 <= e < 2n) is the call of op e >> 1 if e is even, its return if odd.
    const events = Array.from({ length: 2 * n }, (_, e) => e);
    const timeOf = (e: number): number => (e & 1 ? ops[e >> 1]!.returnedAt : ops[e >> 1]!.invokedAt);
    events.sort((a, b) => timeOf(a) - timeOf(b) || (a & 1) - (b & 1) || (a >> 1) - (b >> 1) || 0);
    // Infinity - Infinity is NaN: `|| ...` then falls through to the tie-breaks, as for equal times.

    // Node p + 1 holds events[p].
    const next = (this.next = new Int32Array(2 * n + 1));
    const prev = (this.prev = new Int32Array(2 * n + 1));
    const callNode = (this.callNode = new Int32Array(n));
    const returnNode = (this.returnNode = new Int32Array(n));
    const nodeOp = (this.nodeOp = new Int32Array(2 * n + 1));
    const nodeIsCall = (this.nodeIsCall = new Uint8Array(2 * n + 1));
    for (let node = 0; node <= 2 * n; node++) {
      prev[node] = node - 1;
      next[node] = node === 2 * n ? NIL : node + 1;
      if (node === HEAD) continue;
      const e = events[node - 1]!;
      nodeOp[node] = e >> 1;
      if (e & 1) returnNode[e >> 1] = node;
      else {
        callNode[e >> 1] = node;
        nodeIsCall[node] = 1;
      }
    }
  }

  unlink(node: number): void {
    const { next, prev } = this;
    next[prev[node]!] = next[node]!;
    if (next[node] !== NIL) prev[next[node]!] = prev[node]!;
  }

  relink(node: number): void {
    const { next, prev } = this;
    next[prev[node]!] = node;
    if (next[node] !== NIL) prev[next[node]!] = node;
  }
}

/**
 * The depth-first search for a linearization of one key's operations, with its explicit stack and its cache of
 * explored states.
 *
 * The linearized set is a bitset, plus two summaries of it: `low`, the number of leading known-return operations
 * (by invocation) all linearized, and `high`, the highest linearized known-return operation (-1 if none). Cache keys
 * are exact and canonical: the value, low, high, the operations in (low, high) not linearized, and the linearized
 * unknown-return operations. An operation below high that is not linearized was invoked before op high, and had not
 * returned when op high was linearized: it overlaps that instant, so the list is bounded by the concurrency, not by
 * the length of the history.
 */
class Search {
  /** Search steps taken. */
  steps = 0;
  private readonly ops: readonly Op[];
  private readonly n: number;
  private readonly known: number;
  private readonly list: EventList;
  /** Unlinearized gets returning each value, and unlinearized puts writing it. */
  private readonly pendingReaders: Int32Array;
  private readonly pendingWriters: Int32Array;
  private readonly bits: Uint32Array;
  private low = 0;
  private high = -1;
  private readonly cache = new Set<string>();
  private readonly stackOp: Int32Array;
  private readonly stackValue: Int32Array;
  private readonly stackForced: Uint8Array;
  private readonly stackLow: Int32Array;
  private readonly stackHigh: Int32Array;
  private depth = 0;
  /** The register's current value. */
  private value = 0;
  /** The longest partial linearization, and the operation it could not place. */
  private deepest = -1;
  private blocker = -1;

  constructor(
    private readonly key: string,
    { ops, known, values }: Prepared,
    private readonly maxSteps: number,
  ) {
    const n = ops.length;
    this.ops = ops;
    this.n = n;
    this.known = known;
    this.list = new EventList(ops);
    this.pendingReaders = new Int32Array(values + 1);
    this.pendingWriters = new Int32Array(values + 1);
    for (const op of ops) (op.isGet ? this.pendingReaders : this.pendingWriters)[op.value]!++;
    this.bits = new Uint32Array((n + 31) >>> 5);
    this.stackOp = new Int32Array(n);
    this.stackValue = new Int32Array(n);
    this.stackForced = new Uint8Array(n);
    this.stackLow = new Int32Array(n);
    this.stackHigh = new Int32Array(n);
  }

  /**
   * True if a linearization exists. At each new state, take a forced move if there is one; otherwise scan the list
   * from the head, trying each pending put as the next operation. A put is pointless while a pending get still needs
   * the current value and no pending put can write it again. Reaching a return means its operation had to be
   * linearized before.
   */
  run(): boolean {
    const { ops, pendingReaders, pendingWriters } = this;
    const { next, nodeOp, nodeIsCall } = this.list;
    let node = NIL;
    let fresh = true;
    for (;;) {
      if (fresh) {
        fresh = false;
        const f = this.forcedMove();
        if (f >= 0) {
          if (this.tryLinearize(f, true)) fresh = true;
          else if ((node = this.backtrack()) === NIL) return false;
          continue;
        }
        node = next[HEAD]!;
      }
      if (node === NIL) return true; // everything linearized
      this.step();
      const i = nodeOp[node]!;
      const op = ops[i]!;
      if (nodeIsCall[node]) {
        const value = this.value;
        const allowed = !op.isGet && (op.value === value || pendingReaders[value] === 0 || pendingWriters[value]! > 0);
        if (allowed && this.tryLinearize(i, false)) fresh = true;
        else node = next[node]!;
        continue;
      }
      // The first return still in the list. If it has no known time, neither has any later one: every operation
      // with a known outcome is linearized, and the remaining puts go last (or never), where they affect no read.
      if (op.returnedAt === Infinity) return true;
      if (this.depth > this.deepest) {
        this.deepest = this.depth;
        this.blocker = i;
      }
      if ((node = this.backtrack()) === NIL) return false;
    }
  }

  /** Why no linearization exists, after `run` found none. */
  failure(): string {
    const blocker = this.blocker;
    const stuck = blocker >= 0 ? `, then cannot place ${describe(this.ops[blocker]!.entry)} before it returns` : '';
    return (
      `no linearization of the ${this.n} operations on key ${JSON.stringify(this.key)}: the longest partial ` +
      `linearization found orders ${Math.max(this.deepest, 0)} of them${stuck}`
    );
  }

  private step(): void {
    if (++this.steps > this.maxSteps) {
      throw new Error(
        `linearizability check exceeded maxSteps (${this.maxSteps}) for key ${JSON.stringify(this.key)} (${this.n} operations)`,
      );
    }
  }

  private isSet(i: number): boolean {
    return (this.bits[i >>> 5]! & (1 << (i & 31))) !== 0;
  }

  /** The state after linearizing an operation that leaves `value` in the register. */
  private cacheKey(value: number): string {
    const { bits, low, high, known, n } = this;
    // A value no pending get returns can never be observed: all such values are the same to the search.
    let k = (this.pendingReaders[value] === 0 ? '-:' : value + ':') + low;
    if (high > low) {
      k += '-' + high;
      for (let w = (low + 1) >>> 5; w <= (high - 1) >>> 5; w++) {
        let x = ~bits[w]!;
        if (w === (low + 1) >>> 5) x &= ~((1 << ((low + 1) & 31)) - 1);
        while (x !== 0) {
          const lowest = x & -x;
          const i = w * 32 + 31 - Math.clz32(lowest);
          if (i >= high) break;
          k += ',' + i;
          x ^= lowest;
        }
      }
    }
    if (known < n) {
      k += '|';
      for (let i = known; i < n; i++) if (this.isSet(i)) k += ',' + i;
    }
    return k;
  }

  /** Linearizes op i next, unless the resulting state was explored before. */
  private tryLinearize(i: number, forced: boolean): boolean {
    const op = this.ops[i]!;
    const counts = op.isGet ? this.pendingReaders : this.pendingWriters;
    const bits = this.bits;
    const oldLow = this.low;
    const oldHigh = this.high;
    counts[op.value]!--;
    bits[i >>> 5]! |= 1 << (i & 31);
    if (i === this.low) while (this.low < this.known && this.isSet(this.low)) this.low++;
    if (i < this.known && i > this.high) this.high = i;
    const k = this.cacheKey(op.value);
    if (this.cache.has(k)) {
      counts[op.value]!++;
      bits[i >>> 5]! &= ~(1 << (i & 31));
      this.low = oldLow;
      this.high = oldHigh;
      return false;
    }
    this.cache.add(k);
    const depth = this.depth;
    this.stackOp[depth] = i;
    this.stackValue[depth] = this.value;
    this.stackForced[depth] = forced ? 1 : 0;
    this.stackLow[depth] = oldLow;
    this.stackHigh[depth] = oldHigh;
    this.depth = depth + 1;
    this.value = op.value;
    this.list.unlink(this.list.callNode[i]!);
    this.list.unlink(this.list.returnNode[i]!);
    return true;
  }

  /** Undoes linearizations back to the latest choice point; returns the node where the search resumes, or NIL. */
  private backtrack(): number {
    const list = this.list;
    while (this.depth > 0) {
      const depth = --this.depth;
      const i = this.stackOp[depth]!;
      const op = this.ops[i]!;
      this.value = this.stackValue[depth]!;
      this.low = this.stackLow[depth]!;
      this.high = this.stackHigh[depth]!;
      (op.isGet ? this.pendingReaders : this.pendingWriters)[op.value]!++;
      this.bits[i >>> 5]! &= ~(1 << (i & 31));
      list.relink(list.returnNode[i]!);
      list.relink(list.callNode[i]!);
      if (!this.stackForced[depth]) return list.next[list.callNode[i]!]!;
    }
    return NIL;
  }

  /**
   * A move that loses no generality, if some pending operation allows one (its call precedes every return left, so
   * nothing left must precede it):
   * - a get returning the current value: if a linearization exists, moving the get to the front of its remainder
   *   leaves one (a get changes nothing);
   * - when no pending get returns the current value (it is dead), a put whose value no pending get returns: moved to
   *   the front, it replaces one dead value by another, and the reads that followed it already followed another put.
   */
  private forcedMove(): number {
    const { ops, pendingReaders, value } = this;
    const { next, nodeOp, nodeIsCall } = this.list;
    const dead = pendingReaders[value] === 0;
    for (let c = next[HEAD]!; c !== NIL && nodeIsCall[c]; c = next[c]!) {
      this.step();
      const i = nodeOp[c]!;
      const op = ops[i]!;
      if (op.isGet ? op.value === value : dead && pendingReaders[op.value] === 0) return i;
    }
    return -1;
  }
}

function describe(e: HistoryEntry): string {
  const what =
    e.op.kind === 'put'
      ? `put ${JSON.stringify(e.op.value)}`
      : `get -> ${e.op.result === null ? 'absent' : JSON.stringify(e.op.result)}`;
  const returned = e.returnedAt === Infinity ? 'unknown' : String(e.returnedAt);
  return `client ${e.client}'s ${what} [invoked ${e.invokedAt}, returned ${returned}]`;
}
