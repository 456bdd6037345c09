import type { Membership, ReplicaId } from '../core/types.js';

/** The configuration {@link Replica.changeMembership} moves the cluster to. */
export interface MembershipChange {
  voters: ReplicaId[];
  learners?: ReplicaId[];
}

/** Validates a requested change and returns the target configuration, or throws a clear error. */
export function targetMembership(change: MembershipChange): Membership {
  const ids = (list: unknown, name: string): ReplicaId[] => {
    if (!Array.isArray(list)) throw new TypeError(`changeMembership: ${name} must be an array of replica ids`);
    for (const id of list) {
      if (!Number.isSafeInteger(id) || id < 0)
        throw new TypeError(`changeMembership: ${name} has a bad id ${String(id)}`);
    }
    return [...new Set(list as ReplicaId[])].sort((a, b) => a - b);
  };
  const voters = ids(change.voters, 'voters');
  const learners = ids(change.learners ?? [], 'learners');
  if (voters.length === 0) throw new RangeError('changeMembership: a configuration needs at least one voter');
  const both = learners.filter((id) => voters.includes(id));
  if (both.length > 0) throw new RangeError(`changeMembership: ${both.join(', ')} cannot be both voter and learner`);
  return { voters, learners, outgoing: [] };
}

export function sameMembers(a: readonly ReplicaId[], b: readonly ReplicaId[]): boolean {
  return a.length === b.length && a.every((id) => b.includes(id));
}

export function sameMembership(a: Membership, b: Membership): boolean {
  return sameMembers(a.voters, b.voters) && sameMembers(a.learners, b.learners) && sameMembers(a.outgoing, b.outgoing);
}

/** First step: voters to be added join as learners, so they catch up before they count. */
export function withNewVotersAsLearners(current: Membership, target: Membership): Membership | null {
  const added = target.voters.filter((id) => !current.voters.includes(id) && !current.outgoing.includes(id));
  const missing = added.filter((id) => !current.learners.includes(id));
  if (missing.length === 0) return null;
  return { voters: current.voters, learners: [...current.learners, ...missing].sort((a, b) => a - b), outgoing: [] };
}
