import type { AbandonedReason, ReplicaId, Snapshot, StateMachineTransition, TransitionState } from '../core/types.js';
import type { StateMachine } from '../driver/replica.js';
import { KvMachine, type KvTransition } from './kv-machine.js';
import { seedAddresses } from './member-addresses.js';
import type { Random } from './random.js';

/**
 * What the simulated clients run. The default is a key-value store whose history is also
 * checked for linearizability; bring your own state machine with a workload of your own
 * (every other invariant is checked for it).
 */
export interface SimWorkload<T extends StateMachineTransition> {
  /** Appended by every new leader; applying it must change nothing. */
  noop: T;
  /** A fresh state machine for a (re)started replica. Snapshots, if any, must be Uint8Array. */
  createMachine(): StateMachine<T, Uint8Array>;
  /** The next transition a client proposes; ids must be unique within a run. */
  nextTransition(random: Random, client: number, seq: number): T;
  /** A canonical description of a machine's state: every member must end with the same one. */
  describe?(machine: StateMachine<T, Uint8Array>): string;
}

const KV_NOOP: KvTransition = { id: 'noop', op: 'noop', key: '', value: '' };

export interface RecorderEvents<T> {
  applied(index: number, transition: T): void;
  state(id: string, state: TransitionState, reason?: AbandonedReason): void;
  snapshot(snapshot: Snapshot<Uint8Array>): void;
}

/** Wraps a replica's state machine: feeds it the clients' transitions and reports what it does. */
export class RecordingMachine<T extends StateMachineTransition> implements StateMachine<T, Uint8Array> {
  /** Log index of the last applied entry. */
  index = 0;
  private queue: T[] = [];
  readonly getSnapshot?: () => Snapshot<Uint8Array> | null;
  readonly createSnapshot?: (index: number, term: number) => Snapshot<Uint8Array>;

  constructor(
    readonly inner: StateMachine<T, Uint8Array>,
    private readonly events: RecorderEvents<T>,
  ) {
    const getSnapshot = inner.getSnapshot?.bind(inner);
    const createSnapshot = inner.createSnapshot?.bind(inner);
    if (getSnapshot) this.getSnapshot = () => getSnapshot();
    if (createSnapshot) {
      this.createSnapshot = (index, term) => {
        const snapshot = createSnapshot(index, term);
        // Virtual time runs without an event loop: a promise would never settle in it.
        if (snapshot instanceof Promise) throw new TypeError('the simulator needs snapshots taken synchronously');
        events.snapshot(snapshot);
        return snapshot;
      };
    }
  }

  submit(transition: T): void {
    this.queue.push(transition);
  }

  registerTransitionState(id: T['id'], state: TransitionState, reason?: AbandonedReason): void {
    this.inner.registerTransitionState(id, state, reason);
    this.events.state(String(id), state, reason);
  }

  applyTransition(transition: T, index?: number): void {
    this.index = index ?? this.index + 1;
    this.inner.applyTransition(transition, this.index);
    this.events.applied(this.index, transition);
  }

  getPendingTransitions(): T[] {
    const own = this.inner.getPendingTransitions();
    const queue = this.queue;
    this.queue = [];
    return own.length === 0 ? queue : [...queue, ...own];
  }

  setSnapshot(snapshot: Snapshot<Uint8Array>): void {
    if (!this.inner.setSnapshot) throw new Error('the state machine has no setSnapshot');
    this.inner.setSnapshot(snapshot);
    this.index = snapshot.lastIncludedIndex;
    this.events.snapshot(snapshot);
  }
}

/**
 * The default workload: puts and gets on a few keys (the simulator adds ReadIndex reads). Every
 * machine starts with the address records of `members`, the cluster's bootstrap members.
 */
export function kvWorkload(keys: number, members: readonly ReplicaId[] = []): SimWorkload<KvTransition> {
  const seeded = seedAddresses(members);
  return {
    noop: KV_NOOP,
    createMachine: () => new KvMachine(seeded),
    nextTransition(random, client, seq) {
      const key = `k${random.int(0, keys - 1)}`;
      const put = random.chance(0.5);
      return { id: `c${client}.${seq}`, op: put ? 'put' : 'get', key, value: put ? `v${seq}` : '' };
    },
    describe: (machine) => (machine as KvMachine).describe(),
  };
}
