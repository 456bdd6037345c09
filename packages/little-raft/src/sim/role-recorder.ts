import type { ReplicaId } from '../core/types.js';
import { coreOf } from '../driver/replica.js';
import type { SimNode } from './cluster.js';
import type { SimKernel } from './kernel.js';

/**
 * Records each replica's role and term in the timeline as they change (the core announces none of
 * it): looked at after every event of a traced run, as the checkers look at the logs.
 */
export class RoleRecorder {
  private readonly seen = new Map<ReplicaId, string>();

  constructor(private readonly kernel: SimKernel) {}

  look(nodes: readonly SimNode[]): void {
    for (const node of nodes) {
      const core = node.up ? coreOf(node.replica) : undefined;
      // A down replica has no role: the timeline shows its crash; its first role after a restart is new again.
      const now = core ? `${core.role}@${core.term}` : 'down';
      if (this.seen.get(node.id) === now) continue;
      this.seen.set(node.id, now);
      if (core) this.kernel.record({ kind: 'role', node: node.id, role: core.role, term: core.term });
    }
  }
}
