import type { ReplicaId } from '../core/types.js';
import type { SimCluster, SimMessage, SimNode } from './cluster.js';
import type { SimKernel } from './kernel.js';
import type { TimelineMessage } from './timeline.js';

/** What the timeline says of a message: its type, term and the log indexes it carries or names. */
function describe(from: SimNode, to: ReplicaId, m: SimMessage) {
  let first: number | null = null;
  let last: number | null = null;
  let entries = 0;
  if (m.type === 'append') {
    entries = m.entries.length;
    if (entries > 0) [first, last] = [m.prevLogIndex + 1, m.prevLogIndex + entries];
  } else if (m.type === 'append-response') first = last = m.index;
  else if (m.type === 'vote-request') first = last = m.lastLogIndex;
  else if (m.type === 'snapshot' || m.type === 'snapshot-response') first = last = m.lastIncludedIndex;
  else if (m.type === 'read-index-response') first = last = m.readIndex;
  return { kind: 'message', from: from.id, to, type: m.type, term: m.term, first, last, entries } as const;
}

/**
 * The simulated network: delivers messages after a short delay, and while faults run drops,
 * duplicates, reorders and delays them, and cuts links (partitions, one-way cuts).
 */
export class SimNetwork {
  /** No more drops, duplicates, long delays or cuts: set when the faults heal. */
  healed = false;
  private readonly blocked = new Set<string>();
  private readonly dropRate: number;
  private readonly duplicateRate: number;
  private readonly reorder: boolean;
  private readonly delay: boolean;

  constructor(
    private readonly kernel: SimKernel,
    private readonly cluster: SimCluster,
    faults: { drop: boolean; duplicate: boolean; reorder: boolean; delay: boolean },
  ) {
    this.dropRate = faults.drop ? kernel.rng.next() * 0.2 : 0;
    this.duplicateRate = faults.duplicate ? kernel.rng.next() * 0.1 : 0;
    this.reorder = faults.reorder;
    this.delay = faults.delay;
  }

  send(from: SimNode, to: ReplicaId, m: SimMessage): void {
    if (!from.up) return;
    const { rng } = this.kernel;
    const cut = this.blocked.has(`${from.id}>${to}`);
    const tracing = this.kernel.tracing;
    if (cut || (!this.healed && rng.chance(this.dropRate))) {
      if (tracing) {
        const text =
          m.type === 'append-response' ? undefined : `cut ${m.type} n${from.id}->n${to}${cut ? ' (partition)' : ''}`;
        const fate = cut ? 'cut' : 'dropped';
        const arrives = this.kernel.time + 2;
        this.kernel.record({ ...describe(from, to, m), arrives, fate, duplicate: false, text });
      }
      return;
    }
    const copies = !this.healed && rng.chance(this.duplicateRate) ? 2 : 1;
    for (let i = 0; i < copies; i++) {
      let delay = this.reorder ? rng.int(1, 8) : 2;
      if (!this.healed && this.delay && rng.chance(0.01)) delay += rng.int(100, 2_000);
      const arrives = this.kernel.time + delay;
      const recorded = tracing
        ? (this.kernel.record({
            ...describe(from, to, m),
            arrives,
            fate: 'delivered',
            duplicate: i > 0,
          }) as TimelineMessage)
        : null;
      this.kernel.at(delay, () => {
        const target = this.cluster.node(to);
        if (!target.up) {
          if (recorded) recorded.fate = 'receiver-down';
          return;
        }
        target.inbox.push(m);
        target.replica.notifyMessages();
      });
    }
  }

  /** Mends every cut link. */
  mend(): void {
    this.blocked.clear();
  }

  /** Mends every link, and ends drops, duplicates and long delays for good. */
  heal(): void {
    this.healed = true;
    this.blocked.clear();
  }

  /** Splits the replicas in two random groups that cannot talk to each other. */
  split(): void {
    const { rng } = this.kernel;
    const ids = this.cluster.ids;
    const shuffled = [...ids].sort(() => rng.next() - 0.5);
    const k = rng.int(1, ids.length - 1);
    const a = shuffled.slice(0, k);
    const b = shuffled.slice(k);
    this.cutBetween(a, b);
    this.recordCuts(`partition {${a.join(',')}} | {${b.join(',')}}`);
  }

  /** Cuts one link in one direction. */
  cutOneWay(): void {
    const { rng } = this.kernel;
    const ids = this.cluster.ids;
    const from = rng.pick(ids);
    const to = rng.pick(ids.filter((id) => id !== from));
    this.blocked.add(`${from}>${to}`);
    this.recordCuts(`one-way cut n${from}->n${to}`);
  }

  /** Cuts the leader off from everyone (or splits at random when there is no leader). */
  isolateLeader(): void {
    const leader = this.cluster.leaderNode();
    if (!leader) return this.split();
    this.cutBetween(
      [leader.id],
      this.cluster.ids.filter((id) => id !== leader.id),
    );
    this.recordCuts(`leader n${leader.id} isolated`);
  }

  /** Records the cut links as they now stand, with the trace line that says why. */
  recordCuts(text: string): void {
    if (!this.kernel.tracing) return;
    const cuts = [...this.blocked].map((link) => link.split('>').map(Number) as [ReplicaId, ReplicaId]);
    this.kernel.record({ kind: 'network', cuts, text });
  }

  private cutBetween(a: ReplicaId[], b: ReplicaId[]): void {
    for (const x of a) for (const y of b) this.blocked.add(`${x}>${y}`).add(`${y}>${x}`);
  }
}
