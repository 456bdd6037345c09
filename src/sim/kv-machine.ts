import type { AbandonedReason, Snapshot, TransitionState } from '../core/types.js';
import type { StateMachine } from '../replica.js';

/** A key-value transition: put a value, or read a key through the log. */
export interface KvTransition {
  id: string;
  op: 'put' | 'get' | 'noop';
  key: string;
  value: string;
}

export interface KvEvents {
  /** Called for each applied transition with its log index. */
  applied(index: number, transition: KvTransition, result: string | null): void;
  state(id: string, state: TransitionState, reason?: AbandonedReason): void;
  snapshotLoaded(snapshot: Snapshot<Uint8Array>): void;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The simulator's state machine: a map of strings, snapshotted as JSON bytes. */
export class KvMachine implements StateMachine<KvTransition, Uint8Array> {
  readonly data = new Map<string, string>();
  /** Log index of the last applied entry. */
  index = 0;
  private queue: KvTransition[] = [];

  constructor(private readonly events: KvEvents) {}

  submit(transition: KvTransition): void {
    this.queue.push(transition);
  }

  registerTransitionState(id: string, state: TransitionState, reason?: AbandonedReason): void {
    this.events.state(id, state, reason);
  }

  applyTransition(t: KvTransition, index?: number): void {
    this.index = index ?? this.index + 1;
    let result: string | null = null;
    if (t.op === 'put') this.data.set(t.key, t.value);
    else if (t.op === 'get') result = this.data.get(t.key) ?? null;
    this.events.applied(this.index, t, result);
  }

  getPendingTransitions(): KvTransition[] {
    const queue = this.queue;
    this.queue = [];
    return queue;
  }

  getSnapshot(): null {
    return null;
  }

  createSnapshot(lastIncludedIndex: number, lastIncludedTerm: number): Snapshot<Uint8Array> {
    const entries = [...this.data].sort((a, b) => (a[0] < b[0] ? -1 : 1));
    return { lastIncludedIndex, lastIncludedTerm, data: encoder.encode(JSON.stringify(entries)) };
  }

  setSnapshot(snapshot: Snapshot<Uint8Array>): void {
    this.data.clear();
    for (const [k, v] of JSON.parse(decoder.decode(snapshot.data)) as [string, string][]) this.data.set(k, v);
    this.index = snapshot.lastIncludedIndex;
    this.events.snapshotLoaded(snapshot);
  }
}
