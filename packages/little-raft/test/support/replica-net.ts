// An in-process cluster of real Replicas for driver-level tests: a calculator state
// machine (little_raft's test machine), a Cluster per replica with seeded drops, shuffling,
// partitions and an optional byte codec, one ManualClock for everyone, and MemoryStorage per
// replica that outlives restarts. Time moves only through run()/until(); between clock steps
// the driver's setImmediate batches are flushed.
import { Replica, type Cluster, type ReplicaOptions, type StateMachine } from '../../src/driver/replica.js';
import type { AbandonedReason, Message, ReplicaId, Snapshot, TransitionState } from '../../src/core/types.js';
import { MemoryStorage } from '../../src/storage/memory.js';
import { decodeMessage, encodeMessage, type MessageCodecs } from '../../src/encoding/codec.js';
import { ManualClock } from './manual-clock.js';
import { prng } from './prng.js';

/** little_raft's ArithmeticOperation. */
export interface Op {
  id: number | string;
  delta: number;
}
export type Msg = Message<Op, Uint8Array>;

/** little_raft's noop: id 0, adds nothing. */
export const NOOP: Op = { id: 0, delta: 0 };

export type StateRecord = [id: Op['id'], state: TransitionState, reason?: AbandonedReason];

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** little_raft's Calculator: a number that transitions add to, plus a record of every call. */
export class Calculator implements StateMachine<Op, Uint8Array> {
  value = 0;
  /** Ids of the transitions reflected in `value`, in order (a loaded snapshot's included). */
  history: Op['id'][] = [];
  /** Transitions passed to applyTransition by this instance. */
  appliedHere: Op[] = [];
  /** Every registerTransitionState call. */
  states: StateRecord[] = [];
  /** What getPendingTransitions will hand out next. */
  queue: Op[] = [];
  created: Snapshot<Uint8Array>[] = [];
  loaded: Snapshot<Uint8Array>[] = [];

  submit(...ops: Op[]): void {
    this.queue.push(...ops);
  }

  registerTransitionState(id: Op['id'], state: TransitionState, reason?: AbandonedReason): void {
    this.states.push(reason === undefined ? [id, state] : [id, state, reason]);
  }

  applyTransition(op: Op): void {
    this.value += op.delta;
    this.history.push(op.id);
    this.appliedHere.push(op);
  }

  getPendingTransitions(): Op[] {
    return this.queue.splice(0);
  }

  /** What getSnapshot returns (little_raft's way for a machine that saves its own snapshots). */
  own: Snapshot<Uint8Array> | null = null;
  getSnapshotCalls = 0;

  getSnapshot(): Snapshot<Uint8Array> | null {
    this.getSnapshotCalls++;
    return this.own;
  }

  createSnapshot(
    lastIncludedIndex: number,
    lastIncludedTerm: number,
  ): Snapshot<Uint8Array> | Promise<Snapshot<Uint8Array>> {
    return this.snapshotNow(lastIncludedIndex, lastIncludedTerm);
  }

  /** The snapshot of the state now (what createSnapshot hands over, at once). */
  snapshotNow(lastIncludedIndex: number, lastIncludedTerm: number): Snapshot<Uint8Array> {
    const data = encoder.encode(JSON.stringify({ value: this.value, history: this.history }));
    const snapshot = { lastIncludedIndex, lastIncludedTerm, data };
    this.created.push(snapshot);
    return snapshot;
  }

  setSnapshot(snapshot: Snapshot<Uint8Array>): void {
    const { value, history } = JSON.parse(decoder.decode(snapshot.data)) as { value: number; history: Op['id'][] };
    this.value = value;
    this.history = history;
    this.loaded.push(snapshot);
  }

  /** The states registered for one transition id, as [state, reason?] pairs. */
  statesOf(id: Op['id']): string[] {
    return this.states.filter((s) => s[0] === id).map((s) => (s[2] ? `${s[1]}:${s[2]}` : s[1]));
  }
}

/** A promise's outcome, readable synchronously once settled. */
export interface Tracked<V> {
  settled: boolean;
  value?: V;
  error?: unknown;
}

export function track<V>(promise: Promise<V>): Tracked<V> {
  const t: Tracked<V> = { settled: false };
  promise.then(
    (value) => {
      t.settled = true;
      t.value = value;
    },
    (error: unknown) => {
      t.settled = true;
      t.error = error;
    },
  );
  return t;
}

/** Lets every queued setImmediate (and the promise jobs they cause) run once. */
export function turn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

export type ExtraOptions = Partial<Omit<ReplicaOptions<Op, Uint8Array>, 'id' | 'cluster' | 'stateMachine'>>;

export interface NetOptions {
  ids?: ReplicaId[];
  seed?: number;
  /** Probability that sendMessage silently drops a message. */
  dropRate?: number;
  /** Shuffle the batch on every receiveMessages. */
  shuffle?: boolean;
  /** Carry messages as bytes: encode on send, decode on receive. */
  codecs?: MessageCodecs<Op, Uint8Array>;
  /** Options for every replica (overridable per start()). */
  replica?: ExtraOptions;
  /** Virtual milliseconds per clock step in run(). */
  step?: number;
}

export class ReplicaNet {
  readonly clock = new ManualClock();
  readonly ids: ReplicaId[];
  readonly replicas = new Map<ReplicaId, Replica<Op>>();
  readonly machines = new Map<ReplicaId, Calculator>();
  readonly storages = new Map<ReplicaId, MemoryStorage<Op, Uint8Array>>();
  /** registerLeader calls per replica since its last start. */
  readonly leaderCalls = new Map<ReplicaId, (ReplicaId | null)[]>();
  /** Outcome of each replica's current start() promise. */
  readonly runs = new Map<ReplicaId, Tracked<void>>();
  /** Replicas whose cluster.halt() returns true. */
  readonly halted = new Set<ReplicaId>();
  /** Replicas not running: messages to them are lost. */
  readonly down = new Set<ReplicaId>();
  /** Links cut, as `${from}>${to}`. */
  readonly cut = new Set<string>();
  /** Messages for which this answers true are lost (null: none). */
  dropIf: ((from: ReplicaId, to: ReplicaId, message: Msg) => boolean) | null = null;
  /** Every message a replica handed to sendMessage, in order. */
  readonly sent: Msg[] = [];
  /** Items received but not decodable (codec mode). */
  readonly undecodable: unknown[] = [];
  readonly options: NetOptions;
  private readonly inboxes = new Map<ReplicaId, unknown[]>();
  private readonly random: () => number;
  private starts = 0;
  private activity = 0;

  constructor(options: NetOptions = {}) {
    this.options = options;
    this.ids = options.ids ?? [1, 2, 3];
    this.random = prng(options.seed ?? 1);
    for (const id of this.ids) {
      this.storages.set(id, new MemoryStorage<Op, Uint8Array>());
      this.inboxes.set(id, []);
      this.down.add(id);
    }
  }

  /** Starts every replica. */
  startAll(extra: ExtraOptions = {}): void {
    for (const id of this.ids) this.start(id, extra);
  }

  /** Starts a new Replica for `id` over its storage, with a fresh Calculator. */
  start(id: ReplicaId, extra: ExtraOptions = {}, machine = new Calculator()): Replica<Op> {
    const calls: (ReplicaId | null)[] = [];
    const replica = new Replica<Op>({
      id,
      peerIds: this.ids.filter((p) => p !== id),
      cluster: this.clusterFor(id, calls),
      stateMachine: machine,
      noopTransition: NOOP,
      heartbeatTimeout: 50,
      electionTimeoutRange: [150, 300],
      storage: this.storages.get(id)!,
      clock: this.clock,
      random: prng((this.options.seed ?? 1) * 1000 + id * 10 + this.starts++),
      ...this.options.replica,
      ...extra,
    });
    this.replicas.set(id, replica);
    this.machines.set(id, machine);
    this.leaderCalls.set(id, calls);
    this.inboxes.set(id, []);
    this.down.delete(id);
    this.halted.delete(id);
    this.runs.set(id, track(replica.start()));
    return replica;
  }

  /** Stops `id` and waits for its start() promise. */
  async stop(id: ReplicaId): Promise<void> {
    this.down.add(id);
    await this.replica(id).stop();
    await this.flush();
    const run = this.runs.get(id)!;
    if (!run.settled) throw new Error(`replica ${id}: start() still pending after stop()`);
    // eslint-disable-next-line @typescript-eslint/only-throw-error -- rethrows start()'s own rejection reason
    if (run.error !== undefined) throw run.error;
  }

  async restart(id: ReplicaId, extra: ExtraOptions = {}, machine = new Calculator()): Promise<Replica<Op>> {
    await this.stop(id);
    const replica = this.start(id, extra, machine);
    await this.flush();
    return replica;
  }

  async stopAll(): Promise<void> {
    for (const id of this.ids) if (!this.down.has(id)) await this.stop(id);
  }

  /** Started, not marked down, and its start() promise not settled. */
  isRunning(id: ReplicaId): boolean {
    return !this.down.has(id) && this.runs.get(id)?.settled === false;
  }

  replica(id: ReplicaId): Replica<Op> {
    return this.replicas.get(id)!;
  }

  machine(id: ReplicaId): Calculator {
    return this.machines.get(id)!;
  }

  /** Cuts every link to and from `id`. */
  isolate(id: ReplicaId): void {
    for (const other of this.ids) {
      if (other === id) continue;
      this.cut.add(`${id}>${other}`);
      this.cut.add(`${other}>${id}`);
    }
  }

  heal(): void {
    this.cut.clear();
  }

  /** Puts anything at all into `to`'s inbox (as a misbehaving cluster would) and notifies it. */
  inject(to: ReplicaId, item: unknown): void {
    this.inboxes.get(to)!.push(item);
    this.activity++;
    if (!this.down.has(to)) this.replica(to).notifyMessages();
  }

  private clusterFor(id: ReplicaId, calls: (ReplicaId | null)[]): Cluster<Op, Uint8Array> {
    const codecs = this.options.codecs;
    return {
      sendMessage: (to, message) => {
        this.activity++;
        this.sent.push(message);
        if (!this.isRunning(to) || this.cut.has(`${id}>${to}`)) return;
        if (this.dropIf?.(id, to, message)) return;
        if (this.options.dropRate && this.random() < this.options.dropRate) return;
        const inbox = this.inboxes.get(to);
        if (!inbox) return;
        inbox.push(codecs ? encodeMessage(message, codecs) : structuredClone(message));
        this.replica(to).notifyMessages();
      },
      receiveMessages: () => {
        const items = this.inboxes.get(id)!.splice(0);
        if (items.length > 0) this.activity++;
        if (this.options.shuffle) shuffle(items, this.random);
        if (!codecs) return items as Msg[];
        const out: Msg[] = [];
        for (const item of items) {
          try {
            out.push(item instanceof Uint8Array ? decodeMessage(item, codecs) : (item as Msg));
          } catch {
            this.undecodable.push(item);
          }
        }
        return out;
      },
      halt: () => this.halted.has(id),
      registerLeader: (leaderId) => {
        this.activity++;
        calls.push(leaderId);
      },
    };
  }

  /** Runs setImmediate turns until the replicas have nothing left to do. */
  async flush(): Promise<void> {
    let quiet = 0;
    for (let i = 0; quiet < 2; i++) {
      if (i > 10_000) throw new Error('flush: the replicas never went quiet');
      const before = this.activity;
      await turn();
      const waiting = this.ids.some((id) => this.isRunning(id) && this.inboxes.get(id)!.length > 0);
      quiet = this.activity === before && !waiting ? quiet + 1 : 0;
    }
  }

  /** Advances virtual time by `ms`, a step at a time, flushing after every step. */
  async run(ms: number): Promise<void> {
    const step = this.options.step ?? 5;
    for (let t = 0; t < ms; t += step) {
      this.clock.advance(Math.min(step, ms - t));
      await this.flush();
    }
  }

  /** Runs virtual time until `condition` holds; fails after `maxMs` virtual milliseconds. */
  async until(condition: () => boolean, what: string, maxMs = 30_000): Promise<void> {
    await this.flush();
    const step = this.options.step ?? 5;
    for (let t = 0; !condition(); t += step) {
      if (t >= maxMs) throw new Error(`not reached within ${maxMs} virtual ms: ${what}`);
      await this.run(step);
    }
  }

  /** Runs virtual time until `promise` settles; returns its value or throws its error. */
  async settle<V>(promise: Promise<V>, what = 'the promise settles'): Promise<V> {
    const t = track(promise);
    await this.until(() => t.settled, what);
    // eslint-disable-next-line @typescript-eslint/only-throw-error -- rethrows the promise's own rejection reason
    if (t.error !== undefined) throw t.error;
    return t.value as V;
  }

  /** The running replica that leads at the highest term among running replicas, if any. */
  leader(): ReplicaId | null {
    const up = this.ids.filter((id) => !this.down.has(id));
    const top = Math.max(...up.map((id) => this.replica(id).status().term));
    const leaders = up.filter((id) => {
      const s = this.replica(id).status();
      return s.role === 'leader' && s.term === top;
    });
    return leaders.length === 1 ? leaders[0]! : null;
  }

  /** Runs until a leader is elected and every running, connected replica follows it. */
  async waitForLeader(among: ReplicaId[] = this.ids.filter((id) => !this.down.has(id))): Promise<ReplicaId> {
    let leader: ReplicaId | null = null;
    await this.until(
      () => {
        const l = this.leader();
        leader = l !== null && among.includes(l) ? l : null;
        return leader !== null && among.every((id) => this.replica(id).status().leaderId === leader);
      },
      `a leader among ${among.join(',')}`,
    );
    return leader!;
  }

  /** Runs until each of `ids` has applied everything the leader has committed. */
  async waitForApplied(ids: ReplicaId[] = this.ids.filter((id) => !this.down.has(id))): Promise<void> {
    await this.until(
      () => {
        const leader = this.leader();
        if (leader === null) return false;
        const commit = this.replica(leader).status().commitIndex;
        return ids.every((id) => this.replica(id).status().lastApplied >= commit);
      },
      `replicas ${ids.join(',')} caught up with the leader's commit index`,
    );
  }

  followers(leader: ReplicaId): ReplicaId[] {
    return this.ids.filter((id) => id !== leader);
  }
}

function shuffle<V>(items: V[], random: () => number): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
}
