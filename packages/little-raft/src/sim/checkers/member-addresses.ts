import { members } from '../../core/quorum.js';
import type { Raft } from '../../core/raft.js';
import type { Membership, ReplicaId } from '../../core/types.js';
import { coreOf } from '../../driver/replica.js';
import type { SimNode, Tx } from '../cluster.js';
import type { SimKernel } from '../kernel.js';
import type { KvMachine, KvTransition } from '../kv-machine.js';
import { addressOf, forgottenMember } from '../member-addresses.js';

type Core = Readonly<Raft<Tx, Uint8Array>>;

/**
 * Members' addresses, as the server relies on them (its nodes reach the members of their
 * configuration at the addresses in their applied state): on every replica, each member of the
 * configuration in force at its applied index (committed, since applied) has an address record
 * in its applied state; and a record is deleted only where a configuration without the member
 * precedes the deletion in the log (so it is committed wherever the deletion is applied).
 */
export class AddressChecker {
  private readonly bootstrap: Membership;
  /** Per replica, what its last check saw: nothing to check again until it applies more (or restarts). */
  private readonly checked = new Map<ReplicaId, { core: Core; applied: number; configIndex: number }>();

  constructor(
    private readonly kernel: SimKernel,
    /** The cluster's configuration before its first configuration entry. */
    initialVoters: readonly ReplicaId[],
  ) {
    this.bootstrap = { voters: [...initialVoters], learners: [], outgoing: [] };
  }

  /** After an event: every up replica knows the address of every member of its applied configuration. */
  check(nodes: readonly SimNode[]): void {
    for (const node of nodes) {
      const core = node.up ? coreOf(node.replica) : undefined;
      if (!core) continue;
      const seen = this.checked.get(node.id);
      if (seen?.core === core && seen.applied === core.applied && seen.configIndex === core.configIndex) continue;
      this.checked.set(node.id, { core, applied: core.applied, configIndex: core.configIndex });
      const config = this.configAt(core, core.applied);
      const machine = node.machine.inner as KvMachine;
      for (const id of members(config)) {
        if (addressOf(machine, id) === undefined) {
          this.kernel.fail(
            `member addresses: n${node.id} applied ${core.applied}, past the configuration ` +
              `${describe(config)}, without an address record for its member n${id}`,
          );
        }
      }
    }
  }

  /** As a replica applies a transition: one that deletes a record must follow a configuration without that member. */
  applied(node: SimNode, index: number, t: Tx): void {
    const id = forgottenMember(t as KvTransition);
    if (id === undefined) return;
    const core = coreOf(node.replica);
    if (!core) return;
    const config = this.configAt(core, index - 1);
    if (members(config).includes(id)) {
      this.kernel.fail(
        `member addresses: n${node.id} deleted member n${id}'s address record at index ${index}, ` +
          `while n${id} is in the committed configuration ${describe(config)}`,
      );
    }
  }

  /** The configuration in force at `index` on a replica: the last one in its log at or before `index`. */
  private configAt(core: Core, index: number): Membership {
    if (core.configIndex <= index) return core.config;
    const log = core.log;
    for (let i = Math.min(index, log.lastIndex); i > log.snapshotIndex; i--) {
      const config = log.entry(i).config;
      if (config) return config;
    }
    // A snapshot a replica took before any configuration reached it holds its own empty one.
    const fromSnapshot = core.snapshot?.config;
    return fromSnapshot && fromSnapshot.voters.length > 0 ? fromSnapshot : this.bootstrap;
  }
}

function describe(m: Membership): string {
  const outgoing = m.outgoing.length > 0 ? ` outgoing {${m.outgoing.join(',')}}` : '';
  return `voters {${m.voters.join(',')}} learners {${m.learners.join(',')}}${outgoing}`;
}
