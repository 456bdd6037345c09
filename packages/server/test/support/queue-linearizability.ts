// Linearizability checker for lists used as FIFO queues: RPUSH of one value at the tail, LPOP or BLPOP at the head.
// (little-raft/sim's checker models independent registers only.)
//
// Each list is checked on its own (linearizability is local: a history is linearizable iff every object's
// sub-history is). Per list, Wing & Gong's search with Lowe's memoisation, as in little-raft/sim's register checker:
// the calls and returns form a time-sorted doubly-linked list; a depth-first search linearizes, one at a time,
// operations whose call precedes every return left ("minimal" ones); reaching a return means its operation was not
// linearized in time, so the search backtracks. A state is the set of linearized operations and the queue's contents;
// states explored once are not explored again.
//
// The model. push(v) appends v; pop() removes the head and returns it, or returns nil on an empty queue (a BLPOP's
// nil says the same: its first run, a write in the log, found the list empty). Pushed values are unique per list.
// Real time: a precedes b iff a.returnedAt < b.invokedAt (equal times are concurrent). An operation whose outcome is
// unknown (returnedAt Infinity) may take effect at any point after its call, or never; an unknown pop returns
// nothing we saw.
//
// Reductions, each keeping every verdict (the argument in brief; the unit tests cross-check them all against a
// brute-force search):
// - Early verdicts, patterns no linearization has: a value popped twice; a popped value never pushed, or popped before
//   its push was invoked; FIFO order broken (a's push returned before b's was invoked, b's pop returned before a's was
//   invoked); a nil pop during which the list surely held something at every instant (a value surely is there from
//   its push's return to its pop's call; an orphan (below), to the first unknown pop's call).
// - An unknown push of a value no known pop returned is dropped: v never reaches the head while a known pop runs, so
//   every state minus v is as legal (the unknown pop that took v, if any, goes too). One of a value a pop returned took
//   effect before that pop returned: that becomes its return.
// - Unknown pops can only take "orphans", values of known pushes no known pop returned (taking another value makes its
//   pop impossible; popping an empty queue changes nothing). With no orphan they are dropped.
// - Forced moves, taken before any choice and never choice points. Each applies to a minimal operation X (its call
//   precedes every return left); if a linearization L of what is left exists, one starting with X exists:
//   1. X pops the head's value. Before X, L only pushes (a pop would take that value); pushes commute with X on a
//      non-empty queue.
//   2. X is a nil pop and the queue is empty: it changes nothing.
//   3. The head is an orphan and X is an unknown pop. Until the orphan leaves, L only pushes, so it may leave now, by
//      X; the unknown pop L used for it, if any, takes X's later place in L (unknown pops have no deadline). Minimal
//      unknown pops are alike from here on: X is the first.
//   4. The queue is empty and X pushes v, whose pop is minimal too: push and pop v first. What L pushes before v it
//      pops before v's pop, the rest stays behind v: every other operation sees the same queue minus v.
// - Choices (pushes only). With no forced move, let Y be the operation whose return is the first left: whatever L
//   places before Y is minimal. If Y is a pop, L can only start with an orphan's push taken at once by an unknown pop
//   (queue empty): any other first pop would be forced (1, 3 or 4), and so would Y. If Y is a push, L pushes until Y
//   (no pops, likewise): the search tries pushes that may be ahead of Y (FIFO, below), and an orphan's only if it is Y
//   or is taken at once (one pushed sooner may move after the pushes that follow it, with the unknown pop that takes
//   it, if any, moved after the pop of the value that was behind it). Choices are tried in the order their values'
//   pops were invoked, orphans last: the likeliest queue order first, so a linearizable history seldom backtracks.
// - FIFO: v is not pushed while some w whose pop precedes v's pop in real time is not (a Fenwick tree over the pops'
//   returns counts them).
// - Dead ends: a state whose head cannot leave before some pending pop must return (the head's pop, or for an orphan
//   every unknown pop, is invoked after that return) is abandoned at once.
// - Orphans in the queue are alike (each waits for an unknown pop): they share cache entries.
//
// The search is bounded by `maxSteps` per list (default 1,000,000): exceeding it throws, never answers "ok". Refuting a
// long history that no early verdict catches may need the whole search of its prefix, and so hit the bound.

/** An operation on one list: RPUSH of one value, or LPOP / BLPOP and what it returned (null: nil). */
type QueueOperation =
  { kind: 'push'; list: string; value: string } | { kind: 'pop'; list: string; result: string | null };

/** One client operation of a history; `returnedAt` is Infinity when its outcome is unknown (a pop's result is then ignored). */
export interface QueueHistoryEntry {
  client: number;
  op: QueueOperation;
  invokedAt: number;
  returnedAt: number;
}

/** What {@link checkQueueLinearizable} found: `ok`, or the first list with no linearization and why. */
export interface QueueCheckResult {
  ok: boolean;
  list?: string;
  /** Search steps, summed over the lists. */
  explored: number;
  reason?: string;
}

const DEFAULT_MAX_STEPS = 1_000_000;

/**
 * Checks that `history` is linearizable for lists used as FIFO queues (initially empty). Throws a TypeError on
 * malformed entries or a value pushed twice to one list, and an Error when a list's search exceeds `maxSteps`.
 */
export function checkQueueLinearizable(
  history: readonly QueueHistoryEntry[],
  options: { maxSteps?: number } = {},
): QueueCheckResult {
  const maxSteps = options.maxSteps ?? DEFAULT_MAX_STEPS;
  if (!(maxSteps >= 1)) throw new RangeError(`maxSteps must be positive, got ${maxSteps}`);
  const byList = new Map<string, QueueHistoryEntry[]>();
  const pushed = new Map<string, Set<string>>();
  history.forEach((entry, i) => {
    validate(entry, i);
    const { list } = entry.op;
    if (entry.op.kind === 'push') {
      const values = pushed.get(list) ?? new Set<string>();
      if (values.has(entry.op.value)) {
        throw new TypeError(`history[${i}]: ${JSON.stringify(entry.op.value)} pushed twice to ${JSON.stringify(list)}`);
      }
      pushed.set(list, values.add(entry.op.value));
    }
    const entries = byList.get(list);
    if (entries === undefined) byList.set(list, [entry]);
    else entries.push(entry);
  });
  let explored = 0;
  for (const [list, entries] of byList) {
    const prepared = prepare(list, entries);
    if ('reason' in prepared) return { ok: false, list, explored, reason: prepared.reason };
    const search = new Search(list, prepared, maxSteps);
    const ok = search.run();
    explored += search.steps;
    if (!ok) return { ok: false, list, explored, reason: search.failure() };
  }
  return { ok: true, explored };
}

function validate(entry: QueueHistoryEntry, i: number): void {
  const where = `history[${i}]`;
  const op = entry?.op;
  if (op === null || typeof op !== 'object' || typeof op.list !== 'string') {
    throw new TypeError(`${where}: op must be an object with a string list`);
  }
  if (op.kind === 'push') {
    if (typeof op.value !== 'string') throw new TypeError(`${where}: a push's value must be a string`);
  } else if (op.kind === 'pop') {
    if (op.result !== null && typeof op.result !== 'string') {
      throw new TypeError(`${where}: a pop's result must be a string or null`);
    }
  } else {
    throw new TypeError(`${where}: unknown op kind ${JSON.stringify((op as { kind: unknown }).kind)}`);
  }
  if (typeof entry.invokedAt !== 'number' || !Number.isFinite(entry.invokedAt)) {
    throw new TypeError(`${where}: invokedAt must be a finite number, got ${entry.invokedAt}`);
  }
  if (typeof entry.returnedAt !== 'number' || Number.isNaN(entry.returnedAt) || entry.returnedAt < entry.invokedAt) {
    throw new TypeError(`${where}: returnedAt must be a number >= invokedAt (or Infinity), got ${entry.returnedAt}`);
  }
}

const PUSH = 0;
const POP = 1; // known result: a value
const NIL_POP = 2; // known result: nil
const LOST_POP = 3; // unknown outcome
type Kind = typeof PUSH | typeof POP | typeof NIL_POP | typeof LOST_POP;

/** One operation of a list's sub-history, as the search sees it. */
interface Op {
  entry: QueueHistoryEntry;
  /** Position in the list's sub-history (a tie-break that keeps the search deterministic). */
  index: number;
  invokedAt: number;
  /** Effective return: the entry's, or for an unknown push, its value's pop's. */
  returnedAt: number;
  kind: Kind;
  /** A push's value, or a known pop's result. */
  value: string | null;
}

/** A list's operations, ready for the search. */
interface Prepared {
  /** Operations with a (possibly derived) return, by invocation; then the unknown pops, by invocation. */
  ops: Op[];
  /** How many operations have a finite return (they come first). */
  known: number;
  /** For a push: the index of the pop returning its value, or -1 (an orphan). For a pop of a value: its push. */
  partner: Int32Array;
}

/** Early verdicts, effective returns, and the operations in bit order (see the reductions in the header). */
function prepare(list: string, entries: readonly QueueHistoryEntry[]): Prepared | { reason: string } {
  const pushes = new Map<string, QueueHistoryEntry>();
  for (const e of entries) if (e.op.kind === 'push') pushes.set(e.op.value, e);
  const popOf = new Map<string, QueueHistoryEntry>();
  for (const e of entries) {
    if (e.op.kind !== 'pop' || e.op.result === null || e.returnedAt === Infinity) continue;
    const v = e.op.result;
    const first = popOf.get(v);
    if (first !== undefined)
      return { reason: `${describe(first)} and ${describe(e)} both popped ${JSON.stringify(v)}` };
    const push = pushes.get(v);
    if (push === undefined) return { reason: `${describe(e)} popped a value never pushed to ${JSON.stringify(list)}` };
    if (e.returnedAt < push.invokedAt)
      return { reason: `${describe(e)} returned before ${describe(push)} was invoked` };
    popOf.set(v, e);
  }
  const bad = fifoViolation(pushes, popOf) ?? nilViolation(entries, pushes, popOf);
  if (bad !== null) return { reason: bad };
  const ops: Op[] = [];
  let orphans = 0;
  for (const [index, e] of entries.entries()) {
    const base = { entry: e, index, invokedAt: e.invokedAt, returnedAt: e.returnedAt };
    if (e.op.kind === 'push') {
      const pop = popOf.get(e.op.value);
      if (e.returnedAt === Infinity) {
        if (pop === undefined) continue; // never seen: irrelevant
        base.returnedAt = Math.max(e.invokedAt, pop.returnedAt);
      } else if (pop === undefined) orphans++;
      ops.push({ ...base, kind: PUSH, value: e.op.value });
    } else if (e.returnedAt === Infinity) {
      ops.push({ ...base, kind: LOST_POP, value: null });
    } else {
      ops.push({ ...base, kind: e.op.result === null ? NIL_POP : POP, value: e.op.result });
    }
  }
  const kept = orphans > 0 ? ops : ops.filter((op) => op.kind !== LOST_POP);
  kept.sort(
    (a, b) =>
      Number(a.returnedAt === Infinity) - Number(b.returnedAt === Infinity) ||
      a.invokedAt - b.invokedAt ||
      a.index - b.index,
  );
  let known = 0;
  while (known < kept.length && kept[known]!.returnedAt !== Infinity) known++;
  const partner = new Int32Array(kept.length).fill(-1);
  const pushAt = new Map<string, number>();
  kept.forEach((op, i) => op.kind === PUSH && pushAt.set(op.value!, i));
  kept.forEach((op, i) => {
    if (op.kind !== POP) return;
    const p = pushAt.get(op.value!)!;
    partner[i] = p;
    partner[p] = i;
  });
  return { ops: kept, known, partner };
}

/**
 * Values a and b whose pushes are ordered (a's returned before b's was invoked) and whose pops are ordered the other
 * way round: b left before a arrived at the head. Elements by push call; a sweep keeps, of the pushes returned before
 * that call, the one whose value's pop was invoked last.
 */
function fifoViolation(
  pushes: ReadonlyMap<string, QueueHistoryEntry>,
  popOf: ReadonlyMap<string, QueueHistoryEntry>,
): string | null {
  const popped = [...popOf.keys()].map((v) => ({ push: pushes.get(v)!, pop: popOf.get(v)! }));
  const byCall = [...popped].sort((x, y) => x.push.invokedAt - y.push.invokedAt);
  const byReturn = popped.filter((x) => x.push.returnedAt !== Infinity);
  byReturn.sort((x, y) => x.push.returnedAt - y.push.returnedAt);
  let latest: (typeof popped)[number] | null = null;
  let r = 0;
  for (const b of byCall) {
    for (; r < byReturn.length && byReturn[r]!.push.returnedAt < b.push.invokedAt; r++) {
      if (latest === null || byReturn[r]!.pop.invokedAt > latest.pop.invokedAt) latest = byReturn[r]!;
    }
    if (latest !== null && b.pop.returnedAt < latest.pop.invokedAt) {
      return (
        `FIFO order: ${describe(latest.push)} returned before ${describe(b.push)} was invoked, but ` +
        `${describe(b.pop)} returned before ${describe(latest.pop)} was invoked`
      );
    }
  }
  return null;
}

/**
 * A nil pop during which the list surely held something at every instant: a value is surely there after its push
 * returned and before its pop was invoked (an orphan: before any unknown pop was invoked). A sweep over those
 * intervals, by start, with the furthest end reached so far.
 */
function nilViolation(
  entries: readonly QueueHistoryEntry[],
  pushes: ReadonlyMap<string, QueueHistoryEntry>,
  popOf: ReadonlyMap<string, QueueHistoryEntry>,
): string | null {
  let firstUnknownPop = Infinity;
  for (const e of entries)
    if (e.op.kind === 'pop' && e.returnedAt === Infinity) firstUnknownPop = Math.min(firstUnknownPop, e.invokedAt);
  const present: { from: number; to: number; push: QueueHistoryEntry }[] = [];
  for (const [v, push] of pushes) {
    const to = popOf.get(v)?.invokedAt ?? firstUnknownPop;
    if (push.returnedAt < to) present.push({ from: push.returnedAt, to, push });
  }
  present.sort((x, y) => x.from - y.from);
  const reach: { to: number; push: QueueHistoryEntry }[] = []; // the furthest `to` among present[0..i]
  for (const [i, x] of present.entries()) reach.push(i > 0 && reach[i - 1]!.to >= x.to ? reach[i - 1]! : x);
  /** The furthest-reaching interval starting strictly before `t`, if any. */
  const furthest = (t: number): { to: number; push: QueueHistoryEntry } | undefined => {
    let lo = 0;
    let hi = present.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (present[mid]!.from < t) lo = mid + 1;
      else hi = mid;
    }
    return lo > 0 ? reach[lo - 1] : undefined;
  };
  for (const n of entries) {
    if (n.op.kind !== 'pop' || n.op.result !== null || n.returnedAt === Infinity) continue;
    // Every instant of [call, return] lies strictly inside some interval.
    let t = n.invokedAt;
    let witness: QueueHistoryEntry | null = null;
    for (;;) {
      const x = furthest(t);
      if (x === undefined || x.to <= t) break;
      witness ??= x.push;
      if (x.to > n.returnedAt) {
        return `${describe(n)} found the list empty, but it surely held something throughout (${describe(witness)} for one)`;
      }
      t = x.to;
    }
  }
  return null;
}

const NIL = -1;
const HEAD = 0;

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
    // Infinity - Infinity is NaN: `|| ...` then falls through to the tie-breaks, as for equal times.
    events.sort((a, b) => timeOf(a) - timeOf(b) || (a & 1) - (b & 1) || (a >> 1) - (b >> 1) || 0);
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

/** Counts of marked positions below a bound (a Fenwick tree). */
class Counts {
  private readonly tree: Int32Array;
  constructor(size: number) {
    this.tree = new Int32Array(size + 1);
  }
  add(position: number, delta: number): void {
    for (let i = position + 1; i < this.tree.length; i += i & -i) this.tree[i]! += delta;
  }
  /** How many marks at positions < `bound`. */
  below(bound: number): number {
    let sum = 0;
    for (let i = bound; i > 0; i -= i & -i) sum += this.tree[i]!;
    return sum;
  }
}

/**
 * The depth-first search for a linearization of one list's operations, with its explicit stack and its cache of
 * explored states. The linearized set is a bitset, summarised in cache keys as the register checker does: `low`,
 * the number of leading finite-return operations all linearized, `high`, the highest linearized one, the gaps
 * between, and the linearized unknown pops; then the queue's contents.
 */
class Search {
  steps = 0;
  private readonly ops: readonly Op[];
  private readonly kind: Uint8Array;
  private readonly partner: Int32Array;
  private readonly n: number;
  private readonly known: number;
  private readonly list: EventList;
  private readonly bits: Uint32Array;
  private low = 0;
  private high = -1;
  private readonly cache = new Set<string>();
  /** The queue: push indices in queue[qHead, qTail). Undoing in reverse order restores it exactly. */
  private readonly queue: Int32Array;
  private qHead = 0;
  private qTail = 0;
  /** For a push whose value is popped: its pop's rank by return time, and how many such pops return before its pop is invoked. */
  private readonly popRank: Int32Array;
  private readonly popsBefore: Int32Array;
  /** Pushed values' pops, by rank. */
  private readonly pushedByPopRank: Counts;
  /** The order choices are tried in: pushes by their values' pops' calls, orphans last. */
  private readonly choiceRank: Int32Array;
  private readonly stackOp: Int32Array;
  private readonly stackForced: Uint8Array;
  private readonly stackLow: Int32Array;
  private readonly stackHigh: Int32Array;
  private depth = 0;
  /** The longest partial linearization, the operation it could not place, and the queue then. */
  private deepest = -1;
  private blocker = -1;
  private deepestQueue: number[] = [];
  /** Operations seen minimal by the latest forcedMove carry its round number. */
  private readonly minimalMark: Uint32Array;
  private markRound = 0;

  constructor(
    private readonly listName: string,
    { ops, known, partner }: Prepared,
    private readonly maxSteps: number,
  ) {
    const n = (this.n = ops.length);
    this.ops = ops;
    this.known = known;
    this.partner = partner;
    this.kind = Uint8Array.from(ops, (op) => op.kind);
    this.list = new EventList(ops);
    this.bits = new Uint32Array((n + 31) >>> 5);
    this.queue = new Int32Array(n);
    this.minimalMark = new Uint32Array(n);
    this.stackOp = new Int32Array(n);
    this.stackForced = new Uint8Array(n);
    this.stackLow = new Int32Array(n);
    this.stackHigh = new Int32Array(n);
    // The FIFO prune's bookkeeping.
    const popped = ops.flatMap((op, i) => (op.kind === PUSH && partner[i]! >= 0 ? [i] : []));
    const popReturn = (push: number): number => ops[partner[push]!]!.returnedAt;
    popped.sort((a, b) => popReturn(a) - popReturn(b) || a - b);
    this.popRank = new Int32Array(n).fill(-1);
    this.popsBefore = new Int32Array(n);
    popped.forEach((push, rank) => (this.popRank[push] = rank));
    for (const push of popped) {
      const invoked = ops[partner[push]!]!.invokedAt;
      let lo = 0;
      let hi = popped.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (popReturn(popped[mid]!) < invoked) lo = mid + 1;
        else hi = mid;
      }
      this.popsBefore[push] = lo;
    }
    this.pushedByPopRank = new Counts(popped.length);
    const popCall = (i: number): number => (partner[i]! >= 0 ? ops[partner[i]!]!.invokedAt : Infinity);
    const order = ops.flatMap((op, i) => (op.kind === PUSH ? [i] : []));
    order.sort((a, b) => popCall(a) - popCall(b) || a - b);
    this.choiceRank = new Int32Array(n);
    order.forEach((i, rank) => (this.choiceRank[i] = rank));
  }

  /**
   * True if a linearization exists. At a new state: a forced move if there is one; else, unless the state is a dead
   * end, the allowed pushes one after the other, in the order their values are likely to leave the queue (by their
   * pops' calls; orphans last), which is the order the real run most likely pushed them in.
   */
  run(): boolean {
    let tried = -1; // the choice last tried at the current state, -1 before the first
    let fresh = true;
    for (;;) {
      if (fresh) {
        fresh = false;
        tried = -1;
        const first = this.firstReturn();
        // Every operation with a known outcome linearized: unknown pops left go last, or never.
        if (first === NIL || this.kind[this.list.nodeOp[first]!] === LOST_POP) return true;
        const f = this.forcedMove();
        if (f >= 0) {
          if (this.tryLinearize(f, true)) fresh = true;
          else if ((tried = this.backtrack()) < 0) return false;
          continue;
        }
        const doomed = this.headBlocks();
        if (doomed >= 0) {
          this.noteDeadEnd(doomed);
          if ((tried = this.backtrack()) < 0) return false;
          continue;
        }
      }
      const choice = this.nextChoice(tried);
      if (choice >= 0) {
        if (this.tryLinearize(choice, false)) fresh = true;
        else tried = choice;
        continue;
      }
      this.noteDeadEnd(this.list.nodeOp[this.firstReturn()]!);
      if ((tried = this.backtrack()) < 0) return false;
    }
  }

  /** The first return node left (NIL when the list is empty). */
  private firstReturn(): number {
    const { next, nodeIsCall } = this.list;
    let node = next[HEAD]!;
    while (node !== NIL && nodeIsCall[node]) {
      this.step();
      node = next[node]!;
    }
    return node;
  }

  /** The allowed push that comes next after `after` (-1: the first) in the order of `choiceRank`, or -1. */
  private nextChoice(after: number): number {
    const { kind, choiceRank } = this;
    const { next, nodeIsCall, nodeOp } = this.list;
    let first = next[HEAD]!;
    while (nodeIsCall[first]) first = next[first]!;
    const w = nodeOp[first]!;
    const floor = after < 0 ? -1 : choiceRank[after]!;
    let best = -1;
    for (let node = next[HEAD]!; node !== first; node = next[node]!) {
      this.step();
      const i = nodeOp[node]!;
      if (kind[i] !== PUSH || choiceRank[i]! <= floor || (best >= 0 && choiceRank[i]! >= choiceRank[best]!)) continue;
      if (this.mayPush(i, w)) best = i;
    }
    return best;
  }

  /** Remembers the longest partial linearization, and which operation could not be placed after it. */
  private noteDeadEnd(blocker: number): void {
    if (this.depth <= this.deepest) return;
    this.deepest = this.depth;
    this.blocker = blocker;
    this.deepestQueue = Array.from(this.queue.subarray(this.qHead, this.qTail));
  }

  /**
   * A pending pop that must return before the head of the queue can leave, or -1. The head leaves by its own pop, or
   * (an orphan) by an unknown pop; every other pop, value or nil, comes after that, so it must return no earlier than
   * that pop is invoked: in the event list, that call comes before its return.
   */
  private headBlocks(): number {
    if (this.qHead === this.qTail) return -1;
    const { kind } = this;
    const { next, nodeOp, nodeIsCall } = this.list;
    const headPop = this.partner[this.queue[this.qHead]!]!;
    for (let node = next[HEAD]!; node !== NIL; node = next[node]!) {
      this.step();
      const i = nodeOp[node]!;
      if (nodeIsCall[node]) {
        if (headPop < 0 ? kind[i] === LOST_POP : i === headPop) return -1;
      } else if (kind[i] !== PUSH && kind[i] !== LOST_POP) return i;
    }
    return -1;
  }

  /** Why no linearization exists, after `run` found none. */
  failure(): string {
    const { ops } = this;
    const stuck =
      this.blocker >= 0 ? `, then cannot place ${describe(ops[this.blocker]!.entry)} before it returns` : '';
    const queue = this.deepestQueue.map((p) => JSON.stringify(ops[p]!.value)).join(', ');
    return (
      `no linearization of the ${this.n} operations on list ${JSON.stringify(this.listName)}: the longest partial ` +
      `linearization found orders ${Math.max(this.deepest, 0)} of them${stuck} (the queue then: [${queue}])`
    );
  }

  private step(): void {
    if (++this.steps > this.maxSteps) {
      throw new Error(
        `queue linearizability check exceeded maxSteps (${this.maxSteps}) for list ${JSON.stringify(this.listName)} ` +
          `(${this.n} operations)`,
      );
    }
  }

  /** Whether push i may go next, when w's return is the first left (the header's choices). */
  private mayPush(i: number, w: number): boolean {
    const { partner } = this;
    if (this.kind[w] !== PUSH) return partner[i]! < 0 && this.cancellable();
    if (partner[i]! < 0) return i === w || this.cancellable();
    // FIFO: every push whose value must be popped before this one's has been linearized.
    const before = this.popsBefore[i]!;
    return this.pushedByPopRank.below(before) === before;
  }

  /** Whether an orphan pushed now can be popped at once by an unknown pop: the queue is empty and one is minimal. */
  private cancellable(): boolean {
    if (this.qHead !== this.qTail) return false;
    const { next, nodeIsCall, nodeOp } = this.list;
    for (let n = next[HEAD]!; n !== NIL && nodeIsCall[n]; n = next[n]!)
      if (this.kind[nodeOp[n]!] === LOST_POP) return true;
    return false;
  }

  /**
   * A minimal operation that goes next without loss of generality (the header's forced moves 1 to 4), or -1. The
   * minimal operations are the calls before the first return left.
   */
  private forcedMove(): number {
    const { kind, partner, queue, minimalMark } = this;
    const { next, nodeOp, nodeIsCall } = this.list;
    const empty = this.qHead === this.qTail;
    const head = empty ? -1 : queue[this.qHead]!;
    const orphanHead = head >= 0 && partner[head]! < 0;
    const mark = ++this.markRound;
    for (let c = next[HEAD]!; c !== NIL && nodeIsCall[c]; c = next[c]!) {
      this.step();
      const i = nodeOp[c]!;
      minimalMark[i] = mark;
      if (kind[i] === POP ? partner[i] === head : kind[i] === NIL_POP ? empty : kind[i] === LOST_POP && orphanHead) {
        return i;
      }
    }
    if (!empty) return -1;
    // Move 4: a push and its pop, both minimal, on an empty queue.
    for (let c = next[HEAD]!; c !== NIL && nodeIsCall[c]; c = next[c]!) {
      const i = nodeOp[c]!;
      if (kind[i] === PUSH && partner[i]! >= 0 && minimalMark[partner[i]!] === mark) return i;
    }
    return -1;
  }

  private isSet(i: number): boolean {
    return (this.bits[i >>> 5]! & (1 << (i & 31))) !== 0;
  }

  private cacheKey(): string {
    const { bits, low, high, known, n } = this;
    let k = String(low);
    if (high > low) {
      k += '-' + high;
      for (let i = low + 1; i < high; i++) if ((bits[i >>> 5]! & (1 << (i & 31))) === 0) k += ',' + i;
    }
    if (known < n) {
      k += '|';
      for (let i = known; i < n; i++) if (this.isSet(i)) k += ',' + i;
    }
    k += '/';
    for (let q = this.qHead; q < this.qTail; q++) {
      const p = this.queue[q]!;
      k += (this.partner[p]! < 0 ? '*' : p) + ',';
    }
    return k;
  }

  /** Linearizes op i next, unless the resulting state was explored before. */
  private tryLinearize(i: number, forced: boolean): boolean {
    const oldLow = this.low;
    const oldHigh = this.high;
    this.apply(i);
    this.bits[i >>> 5]! |= 1 << (i & 31);
    if (i === this.low) while (this.low < this.known && this.isSet(this.low)) this.low++;
    if (i < this.known && i > this.high) this.high = i;
    const k = this.cacheKey();
    if (this.cache.has(k)) {
      this.bits[i >>> 5]! &= ~(1 << (i & 31));
      this.low = oldLow;
      this.high = oldHigh;
      this.undo(i);
      return false;
    }
    this.cache.add(k);
    const depth = this.depth++;
    this.stackOp[depth] = i;
    this.stackForced[depth] = forced ? 1 : 0;
    this.stackLow[depth] = oldLow;
    this.stackHigh[depth] = oldHigh;
    this.list.unlink(this.list.callNode[i]!);
    this.list.unlink(this.list.returnNode[i]!);
    return true;
  }

  private apply(i: number): void {
    const k = this.kind[i]!;
    if (k === PUSH) {
      this.queue[this.qTail++] = i;
      if (this.popRank[i]! >= 0) this.pushedByPopRank.add(this.popRank[i]!, 1);
    } else if (k !== NIL_POP) {
      this.qHead++; // a pop of the head (forced moves 1 and 3 only run on a queue holding it)
    }
  }

  private undo(i: number): void {
    const k = this.kind[i]!;
    if (k === PUSH) {
      this.qTail--;
      if (this.popRank[i]! >= 0) this.pushedByPopRank.add(this.popRank[i]!, -1);
    } else if (k !== NIL_POP) {
      this.qHead--;
    }
  }

  /** Undoes linearizations back to the latest choice point; returns the push chosen there, or -1 at the root. */
  private backtrack(): number {
    const list = this.list;
    while (this.depth > 0) {
      const depth = --this.depth;
      const i = this.stackOp[depth]!;
      this.low = this.stackLow[depth]!;
      this.high = this.stackHigh[depth]!;
      this.bits[i >>> 5]! &= ~(1 << (i & 31));
      this.undo(i);
      list.relink(list.returnNode[i]!);
      list.relink(list.callNode[i]!);
      if (!this.stackForced[depth]) return i;
    }
    return -1;
  }
}

function describe(e: QueueHistoryEntry): string {
  const what = e.op.kind === 'push' ? `push ${JSON.stringify(e.op.value)}` : `pop -> ${popResult(e)}`;
  const returned = e.returnedAt === Infinity ? 'unknown' : String(e.returnedAt);
  return `client ${e.client}'s ${what} [invoked ${e.invokedAt}, returned ${returned}]`;
}

function popResult(e: QueueHistoryEntry): string {
  if (e.returnedAt === Infinity || e.op.kind !== 'pop') return '?';
  return e.op.result === null ? 'nil' : JSON.stringify(e.op.result);
}
