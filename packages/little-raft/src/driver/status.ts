import type { Raft } from '../core/raft.js';
import { isVoter } from '../core/quorum.js';
import type { ReplicaId, StateMachineTransition } from '../core/types.js';
import type { MemberIdentities } from './identity.js';

/** A plain snapshot of a replica's state, from {@link Replica.status}. */
export interface ReplicaStatus {
  id: ReplicaId;
  role: 'follower' | 'candidate' | 'leader' | 'learner';
  term: number;
  leaderId: ReplicaId | null;
  commitIndex: number;
  lastApplied: number;
  lastLogIndex: number;
  snapshotIndex: number;
  voters: ReplicaId[];
  learners: ReplicaId[];
  /**
   * The log index of the entry `voters` and `learners` come from (0: from the options at start).
   * A configuration is in force once appended, but final only once this is at most commitIndex:
   * until then a new leader may still replace it.
   */
  configIndex: number;
  /**
   * On the leader, how far each other member's log is known to match its own (the highest index
   * it acknowledged); empty on other replicas.
   */
  matchIndex: Record<ReplicaId, number>;
  /** Who this member is beyond its id (see "Member identity"); null when its storage keeps none. */
  identity: MemberIdentityStatus | null;
}

/** Who a member is beyond its id (docs/storage.md, "Member identity"): part of {@link ReplicaStatus}. */
export interface MemberIdentityStatus {
  /** Random, made when this replica's storage was new. */
  uid: number;
  /** The other members' uids as this replica knows them, by id. */
  peers: Record<ReplicaId, number>;
  /**
   * Set when member `by` knows this id under another uid: this replica's storage was lost or
   * replaced, and it takes no part in the cluster any more (remove the id, join under a new one).
   */
  excluded: { by: ReplicaId; uid: number } | null;
}

/** The options a replica's status reads before it has started. */
interface Configured {
  readonly id: ReplicaId;
  readonly peerIds: readonly ReplicaId[];
  readonly join?: boolean;
}

/** The status of a replica: from its options until started (`core` null), then from its core. */
export function replicaStatus<T extends StateMachineTransition, D>(
  o: Configured,
  core: Raft<T, D> | null,
  identities: MemberIdentities | null,
): ReplicaStatus {
  if (!core) {
    const voters = o.join ? [] : [...new Set([o.id, ...o.peerIds])];
    const base = {
      term: 0,
      leaderId: null,
      commitIndex: 0,
      lastApplied: 0,
      lastLogIndex: 0,
      snapshotIndex: 0,
    };
    const role = o.join ? 'learner' : 'follower';
    return { id: o.id, role, ...base, voters, learners: [], configIndex: 0, matchIndex: {}, identity: null };
  }
  const roles = {
    follower: 'follower',
    'pre-candidate': 'candidate',
    candidate: 'candidate',
    leader: 'leader',
  } as const;
  let role: ReplicaStatus['role'] = roles[core.role];
  if (role === 'follower' && !isVoter(core.config, core.id)) role = 'learner';
  return {
    id: core.id,
    role,
    term: core.term,
    leaderId: core.leaderId,
    commitIndex: core.commit,
    lastApplied: core.applied,
    lastLogIndex: core.log.lastIndex,
    snapshotIndex: core.log.snapshotIndex,
    voters: [...new Set([...core.config.voters, ...core.config.outgoing])],
    learners: [...core.config.learners],
    configIndex: core.configIndex,
    matchIndex: matchIndexes(core),
    identity: identityStatus(identities),
  };
}

function matchIndexes<T extends StateMachineTransition, D>(core: Raft<T, D>): Record<ReplicaId, number> {
  const out: Record<ReplicaId, number> = {};
  if (core.role !== 'leader') return out;
  const { voters, learners, outgoing } = core.config;
  for (const id of [...voters, ...learners, ...outgoing]) if (id !== core.id) out[id] = core.matchIndex(id);
  return out;
}

function identityStatus(identities: MemberIdentities | null): MemberIdentityStatus | null {
  if (!identities?.enabled) return null;
  const excluded = identities.excluded;
  const peers = Object.fromEntries(identities.known());
  return { uid: identities.uid, peers, excluded: excluded && { ...excluded } };
}
