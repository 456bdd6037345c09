import type { Membership, ReplicaId } from './types.js';

/** The largest index that a majority of `ids` has reached (Infinity for an empty set). */
function majorityIndex(ids: readonly ReplicaId[], match: (id: ReplicaId) => number): number {
  // A typed array sorts numerically without a comparator; ascending, a majority has reached
  // the middle-low element.
  const acked = new Float64Array(ids.length);
  for (let i = 0; i < ids.length; i++) acked[i] = match(ids[i]!);
  return ids.length === 0 ? Infinity : acked.sort()[(ids.length - 1) >> 1]!;
}

/** The largest index every quorum of the (possibly joint) configuration has reached. */
export function quorumIndex(m: Membership, match: (id: ReplicaId) => number): number {
  return Math.min(majorityIndex(m.voters, match), majorityIndex(m.outgoing, match));
}

export type VoteOutcome = 'won' | 'lost' | 'pending';

function majorityVote(ids: readonly ReplicaId[], votes: ReadonlyMap<ReplicaId, boolean>): VoteOutcome {
  if (ids.length === 0) return 'won';
  let yes = 0;
  let no = 0;
  for (const id of ids) {
    const v = votes.get(id);
    if (v === true) yes++;
    else if (v === false) no++;
  }
  const need = (ids.length >> 1) + 1;
  if (yes >= need) return 'won';
  return ids.length - no < need ? 'lost' : 'pending';
}

/** An election needs a majority of each half of a joint configuration. */
export function voteOutcome(m: Membership, votes: ReadonlyMap<ReplicaId, boolean>): VoteOutcome {
  const a = majorityVote(m.voters, votes);
  const b = majorityVote(m.outgoing, votes);
  if (a === 'lost' || b === 'lost') return 'lost';
  return a === 'won' && b === 'won' ? 'won' : 'pending';
}

/** Does the set `ok` contain a quorum of the configuration? */
export function hasQuorum(m: Membership, ok: (id: ReplicaId) => boolean): boolean {
  const votes = new Map<ReplicaId, boolean>();
  for (const id of [...m.voters, ...m.outgoing]) votes.set(id, ok(id));
  return voteOutcome(m, votes) === 'won';
}

export function isVoter(m: Membership, id: ReplicaId): boolean {
  return m.voters.includes(id) || m.outgoing.includes(id);
}

/** Every member that receives the log: voters (both halves) and learners. */
export function members(m: Membership): ReplicaId[] {
  return [...new Set([...m.voters, ...m.outgoing, ...m.learners])];
}
