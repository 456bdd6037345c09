// Helpers shared by the core scenario tests (not a test file itself).
import { CoreNet, type Cmd, type CoreOptions, type Msg } from '../support/core-net.js';
import type { HardState, LogEntry, Membership, ReplicaId, StoredSnapshot, StoredState } from '../../src/core/types.js';
import { MemoryStorage } from '../../src/storage/memory.js';

/** Entries first..first+terms.length-1 with the given terms; ids are `${index}@${term}` plus a tag. */
export function entriesOf(terms: number[], first = 1, tag = ''): LogEntry<Cmd>[] {
  return terms.map((term, i) => ({ index: first + i, term, transition: { id: `${first + i}@${term}${tag}` } }));
}

/** `count` copies of `term`. */
export function run(term: number, count: number): number[] {
  return new Array<number>(count).fill(term);
}

export function membership(ids: ReplicaId[]): Membership {
  return { voters: ids, learners: [], outgoing: [] };
}

export function bytes(n: number, seed = 7): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i * 31 + seed * 17 + (i >> 8)) & 0xff;
  return out;
}

export interface InitialState {
  hardState: HardState;
  entries?: LogEntry<Cmd>[];
  snapshot?: StoredSnapshot<Uint8Array>;
}

/** A CoreNet whose nodes start from the given stored states (others start empty). */
export function netFrom(
  ids: ReplicaId[],
  states: Record<number, InitialState>,
  options: CoreOptions = {},
  seed = 1,
): CoreNet {
  const net = new CoreNet(ids, options, seed);
  for (const [key, s] of Object.entries(states)) {
    const id = Number(key);
    const initial: Partial<StoredState<Cmd, Uint8Array>> = { hardState: s.hardState, entries: s.entries ?? [] };
    if (s.snapshot) initial.snapshot = s.snapshot;
    net.node(id).storage = new MemoryStorage<Cmd, Uint8Array>(initial);
    net.boot(id);
  }
  return net;
}

/** Advances only `id`'s clock, `step` ms at a time, delivering after each step. */
export function tickOne(net: CoreNet, id: ReplicaId, ms: number, step = 5): void {
  for (let t = 0; t < ms; t += step) {
    net.raft(id).tick(step);
    net.deliverAll();
  }
}

/** Ticks only `id` until it leads (other clocks stand still, so nobody else campaigns). */
export function campaignAlone(net: CoreNet, id: ReplicaId, maxMs = 2_000): void {
  for (let t = 0; t < maxMs; t += 5) {
    tickOne(net, id, 5);
    if (net.raft(id).role === 'leader') return;
  }
  throw new Error(`${id} did not become leader`);
}

/** [index, term] of every entry `id` holds after its snapshot point. */
export function termsOf(net: CoreNet, id: ReplicaId): [number, number][] {
  return net.entries(id).map((e) => [e.index, e.term]);
}

export function count(msgs: Msg[], pred: (m: Msg) => boolean): number {
  let n = 0;
  for (const m of msgs) if (pred(m)) n++;
  return n;
}

/** Collects the node's output by calling ready() directly, without delivering anything. */
export function drain(net: CoreNet, id: ReplicaId): { messages: Msg[]; afterWrite: Msg[] } {
  const n = net.node(id);
  const messages: Msg[] = [];
  const afterWrite: Msg[] = [];
  for (let r = n.raft.ready(true); r; r = n.raft.ready(true)) {
    messages.push(...r.messages);
    afterWrite.push(...r.afterWrite);
    for (const e of r.apply) if (e.transition) n.applied.push(e.transition);
    if (r.snapshot) n.snapshotLoaded = r.snapshot;
    if (r.write) {
      n.storage.write(r.write);
      if (r.write.snapshot) n.raft.markStable(r.write.snapshot.lastIncludedIndex, r.write.snapshot.lastIncludedTerm);
      const last = r.write.entries?.at(-1);
      if (last) n.raft.markStable(last.index, last.term);
    }
  }
  return { messages, afterWrite };
}

/** Compacts `id`'s log up to its applied index with the given snapshot data. */
export function compactAt(net: CoreNet, id: ReplicaId, data: Uint8Array, index = net.raft(id).applied): void {
  const raft = net.raft(id);
  raft.compact({ lastIncludedIndex: index, lastIncludedTerm: raft.log.term(index)!, data });
  net.flush();
}
