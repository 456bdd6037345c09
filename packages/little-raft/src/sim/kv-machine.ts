import type { Snapshot } from '../core/types.js';
import type { StateMachine } from '../driver/replica.js';

/** A key-value transition: put a value, delete a key, or read a key through the log. */
export interface KvTransition {
  id: string;
  op: 'put' | 'get' | 'delete' | 'noop';
  key: string;
  value: string;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The simulator's default state machine: a map of strings, snapshotted as JSON bytes. */
export class KvMachine implements StateMachine<KvTransition, Uint8Array> {
  readonly data: Map<string, string>;
  /** What the last applied 'get' read. */
  lastRead: string | null = null;

  /** `initial`: the state before the first entry, the same on every replica (a new cluster's seed). */
  constructor(initial: Iterable<readonly [string, string]> = []) {
    this.data = new Map(initial);
  }

  registerTransitionState(): void {}

  applyTransition(t: KvTransition): void {
    if (t.op === 'put') this.data.set(t.key, t.value);
    else if (t.op === 'delete') this.data.delete(t.key);
    else if (t.op === 'get') this.lastRead = this.data.get(t.key) ?? null;
  }

  getPendingTransitions(): KvTransition[] {
    return [];
  }

  createSnapshot(lastIncludedIndex: number, lastIncludedTerm: number): Snapshot<Uint8Array> {
    const entries = [...this.data].sort((a, b) => (a[0] < b[0] ? -1 : 1));
    return { lastIncludedIndex, lastIncludedTerm, data: encoder.encode(JSON.stringify(entries)) };
  }

  setSnapshot(snapshot: Snapshot<Uint8Array>): void {
    this.data.clear();
    for (const [k, v] of JSON.parse(decoder.decode(snapshot.data)) as [string, string][]) this.data.set(k, v);
  }

  describe(): string {
    return JSON.stringify([...this.data].sort());
  }
}
