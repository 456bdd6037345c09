import type { ReplicaId } from '../core/types.js';
import { coreOf, type Replica } from '../driver/replica.js';
import { OP_TIMEOUT } from './clients.js';
import type { SimCluster, SimNode, Tx } from './cluster.js';
import type { SimKernel } from './kernel.js';
import type { KvMachine } from './kv-machine.js';
import { forgetAddress, recordAddress, recordedMembers } from './member-addresses.js';

/** Voters the changes keep between: fewer would leave no room for a crash, more is rare in practice. */
const MIN_VOTERS = 3;
const MAX_VOTERS = 5;

/**
 * The membership fault, made the way the server makes changes, one member at a time: to add a
 * member, commit its address record, then put it in as a learner; promote a learner to voter once
 * its match index reaches the leader's commit index; to remove a member, commit a configuration
 * without it, then delete its record. Records go through the log like the clients' writes, under
 * the same faults: a step that fails ends the change there (an address recorded for nothing is
 * deleted by a later step). Without the key-value workload there are no records, only the changes.
 */
export class MembershipFault {
  /** Changes started. */
  changes = 0;
  added = 0;
  promoted = 0;
  removed = 0;
  private busy = false;
  private seq = 0;

  constructor(
    private readonly kernel: SimKernel,
    private readonly cluster: SimCluster,
    /** Keep address records (the key-value workload's machine holds them). */
    private readonly addresses: boolean,
  ) {}

  /** Starts one change, chosen at random among those the leader's configuration allows now; false if none. */
  step(): boolean {
    const { rng } = this.kernel;
    const leader = this.cluster.leaderNode();
    const core = leader && coreOf(leader.replica);
    if (!leader || !core || this.busy) return false;
    // One change at a time, as the server makes them: none while a configuration is not committed.
    if (core.configIndex > core.commit || core.config.outgoing.length > 0) return false;
    const { voters, learners } = core.config;
    const members = [...voters, ...learners];
    const status = leader.replica.status();
    const caughtUp = learners.filter((id) => (status.matchIndex[id] ?? 0) >= status.commitIndex);
    if (caughtUp.length > 0 && voters.length < MAX_VOTERS && rng.chance(0.7)) {
      this.promote(leader, rng.pick(caughtUp));
      return true;
    }
    const outsiders = this.cluster.ids.filter((id) => !members.includes(id));
    const removable = voters.length > MIN_VOTERS ? members : learners;
    const orphans = this.addresses
      ? recordedMembers(leader.machine.inner as KvMachine).filter((id) => !members.includes(id))
      : [];
    const kinds = [
      ...(outsiders.length > 0 ? (['add'] as const) : []),
      ...(removable.length > 0 ? (['remove'] as const) : []),
      ...(orphans.length > 0 ? (['forget'] as const) : []),
    ];
    if (kinds.length === 0) return false;
    const kind = rng.pick(kinds);
    if (kind === 'add') this.add(leader, rng.pick(outsiders));
    else if (kind === 'remove') this.remove(leader, rng.pick(removable));
    else this.forget(leader, rng.pick(orphans));
    return true;
  }

  /** Records the address, then adds the member as a learner. */
  private add(leader: SimNode, id: ReplicaId): void {
    const replica = leader.replica;
    this.run(`n${leader.id} adds n${id} as a learner`, async () => {
      if (this.addresses) await this.propose(replica, recordAddress(id, this.seq++));
      const { voters, learners } = configOf(replica);
      await replica.changeMembership({ voters, learners: [...learners, id] });
      this.added++;
    });
  }

  private promote(leader: SimNode, id: ReplicaId): void {
    const replica = leader.replica;
    this.run(`n${leader.id} promotes learner n${id} to voter`, async () => {
      const { voters, learners } = configOf(replica);
      await replica.changeMembership({ voters: [...voters, id], learners: learners.filter((x) => x !== id) });
      this.promoted++;
    });
  }

  /** Commits a configuration without the member, then deletes its address record. */
  private remove(leader: SimNode, id: ReplicaId): void {
    const replica = leader.replica;
    this.run(`n${leader.id} removes n${id}`, async () => {
      const { voters, learners } = configOf(replica);
      const without = (ids: ReplicaId[]) => ids.filter((x) => x !== id);
      await replica.changeMembership({ voters: without(voters), learners: without(learners) });
      this.removed++;
      if (!this.addresses) return;
      // A leader that removed itself has stepped down: whoever leads now deletes the record.
      const now = this.cluster.leaderNode();
      if (!now) throw new Error(`no leader to delete n${id}'s address record`);
      await this.propose(now.replica, forgetAddress(id, this.seq++));
    });
  }

  /** Deletes the record of a member that is not in the (committed) configuration. */
  private forget(leader: SimNode, id: ReplicaId): void {
    const replica = leader.replica;
    this.run(`n${leader.id} deletes the address record of non-member n${id}`, () =>
      this.propose(replica, forgetAddress(id, this.seq++)),
    );
  }

  private run(what: string, change: () => Promise<void>): void {
    this.busy = true;
    this.changes++;
    this.kernel.log(what);
    this.kernel.track(
      change().finally(() => (this.busy = false)),
      what,
    );
  }

  /** Resolves once `t` is applied on `replica`; rejects if it is abandoned or not applied in time. */
  private propose(replica: Replica<Tx, Uint8Array>, t: Tx): Promise<void> {
    return new Promise((resolve, reject) => {
      const timeout = this.kernel.at(OP_TIMEOUT, () =>
        reject(new Error(`${String(t.id)} not applied within ${OP_TIMEOUT} ms`)),
      );
      replica.propose(t).then(
        () => {
          timeout.cancelled = true;
          resolve();
        },
        (error: unknown) => {
          timeout.cancelled = true;
          reject(error instanceof Error ? error : new Error(String(error)));
        },
      );
    });
  }
}

/** The replica's current configuration (it is running: it just led, or its change fails on being stopped). */
function configOf(replica: Replica<Tx, Uint8Array>): { voters: ReplicaId[]; learners: ReplicaId[] } {
  const core = coreOf(replica);
  return { voters: [...(core?.config.voters ?? [])], learners: [...(core?.config.learners ?? [])] };
}
