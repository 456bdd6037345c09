// A deterministic harness over the pure core: N Raft instances, MemoryStorage, an explicit
// message queue and explicit time. Tests decide what is delivered, dropped or delayed.
import { Raft, type RaftOptions, type ReadState } from '../../src/core/raft.js';
import type { LogEntry, Message, ReplicaId, Snapshot } from '../../src/core/types.js';
import { MemoryStorage } from '../../src/storage/memory.js';
import { prng } from './prng.js';

export interface Cmd {
  id: string;
}
export type Msg = Message<Cmd, Uint8Array>;

export interface Node {
  id: ReplicaId;
  raft: Raft<Cmd, Uint8Array>;
  storage: MemoryStorage<Cmd, Uint8Array>;
  /** Transitions applied, in order (the noop included). */
  applied: Cmd[];
  /** State machine snapshot point: entries applied so far, as ids. */
  snapshotLoaded: Snapshot<Uint8Array> | null;
  up: boolean;
}

export type CoreOptions = Partial<Omit<RaftOptions<Cmd, Uint8Array>, 'id' | 'stored' | 'random' | 'noop'>>;

export const NOOP: Cmd = { id: 'noop' };

export class CoreNet {
  readonly nodes = new Map<ReplicaId, Node>();
  /** Messages in flight, in send order. */
  queue: Msg[] = [];
  /** Returns false to drop a message at delivery. */
  filter: (m: Msg) => boolean = () => true;
  /** Every message ever sent, for counting round trips. */
  sent: Msg[] = [];
  private readonly seed: number;
  readonly options: CoreOptions;
  readonly ids: ReplicaId[];

  constructor(ids: ReplicaId[], options: CoreOptions = {}, seed = 1) {
    this.ids = ids;
    this.options = options;
    this.seed = seed;
    for (const id of ids) {
      this.nodes.set(id, {
        id,
        raft: undefined!,
        storage: new MemoryStorage(),
        applied: [],
        snapshotLoaded: null,
        up: true,
      });
      this.boot(id);
    }
  }

  node(id: ReplicaId): Node {
    return this.nodes.get(id)!;
  }

  raft(id: ReplicaId): Raft<Cmd, Uint8Array> {
    return this.node(id).raft;
  }

  /** (Re)creates the core of `id` over its storage, as a process restart would. */
  boot(id: ReplicaId): void {
    const n = this.node(id);
    n.raft = new Raft<Cmd, Uint8Array>({
      id,
      bootstrap: { voters: this.ids, learners: [], outgoing: [] },
      heartbeatInterval: 10,
      electionTimeoutRange: [100, 200],
      random: prng(this.seed * 1000 + id + n.applied.length),
      noop: NOOP,
      stored: n.storage.load(),
      ...this.options,
    });
    n.applied = [];
    n.snapshotLoaded = null;
    const snap = n.raft.snapshot;
    if (snap) n.snapshotLoaded = snap;
    n.up = true;
  }

  crash(id: ReplicaId): void {
    this.node(id).up = false;
    this.queue = this.queue.filter((m) => m.to !== id && m.from !== id);
  }

  restart(id: ReplicaId): void {
    this.boot(id);
  }

  /** Collects every node's output: persists synchronously, queues its messages. */
  flush(): void {
    for (const n of this.nodes.values()) {
      if (!n.up) continue;
      for (let r = n.raft.ready(true); r; r = n.raft.ready(true)) {
        this.enqueue(r.messages);
        if (r.snapshot) n.snapshotLoaded = r.snapshot;
        for (const e of r.apply) if (e.transition) n.applied.push(e.transition);
        if (r.write) {
          n.storage.write(r.write);
          if (r.write.snapshot)
            n.raft.markStable(r.write.snapshot.lastIncludedIndex, r.write.snapshot.lastIncludedTerm);
          const last = r.write.entries?.at(-1);
          if (last) n.raft.markStable(last.index, last.term);
        }
        this.enqueue(r.afterWrite);
      }
    }
  }

  private enqueue(ms: Msg[]): void {
    for (const m of ms) {
      this.queue.push(m);
      this.sent.push(m);
    }
  }

  /** Delivers queued messages (and what they cause) until the network is quiet. */
  deliverAll(limit = 100_000): void {
    this.flush();
    let steps = 0;
    while (this.queue.length > 0) {
      if (++steps > limit) throw new Error('deliverAll: no quiescence');
      const m = this.queue.shift()!;
      const to = this.nodes.get(m.to);
      if (!to?.up || !this.filter(m)) continue;
      to.raft.step(m);
      this.flush();
    }
  }

  /** Advances every live node's clock by `ms` in steps of `step`, delivering after each. */
  advance(ms: number, step = 5): void {
    for (let t = 0; t < ms; t += step) {
      for (const n of this.nodes.values()) if (n.up) n.raft.tick(step);
      this.deliverAll();
    }
  }

  leaders(): ReplicaId[] {
    return [...this.nodes.values()].filter((n) => n.up && n.raft.role === 'leader').map((n) => n.id);
  }

  /** Runs time until exactly one live leader exists; returns it. */
  electLeader(maxMs = 5_000): ReplicaId {
    for (let t = 0; t < maxMs; t += 5) {
      this.advance(5);
      const leaders = this.leaders();
      const top = Math.max(...[...this.nodes.values()].filter((n) => n.up).map((n) => n.raft.term));
      const current = leaders.filter((id) => this.raft(id).term === top);
      if (current.length === 1) return current[0]!;
    }
    throw new Error('no leader elected');
  }

  propose(id: ReplicaId, ...cmds: string[]): number {
    const first = this.raft(id).propose(cmds.map((c) => ({ id: c })));
    this.deliverAll();
    return first;
  }

  /** Cuts all links between the two groups (both directions). */
  partition(a: ReplicaId[], b: ReplicaId[]): void {
    this.filter = (m) => !((a.includes(m.from) && b.includes(m.to)) || (b.includes(m.from) && a.includes(m.to)));
  }

  heal(): void {
    this.filter = () => true;
  }

  entries(id: ReplicaId): LogEntry<Cmd>[] {
    const log = this.raft(id).log;
    return log.slice(log.snapshotIndex + 1, log.lastIndex);
  }
}

/** Keeps every read answer each node's ready() gives out, whoever calls it (CoreNet.flush or a test). */
export function withReads(net: CoreNet): Map<ReplicaId, ReadState[]> {
  const reads = new Map<ReplicaId, ReadState[]>();
  for (const id of net.ids) {
    const list: ReadState[] = [];
    reads.set(id, list);
    const r = net.raft(id);
    const ready = r.ready.bind(r);
    r.ready = (canWrite) => {
      const out = ready(canWrite);
      if (out) list.push(...out.reads);
      return out;
    };
  }
  return reads;
}
