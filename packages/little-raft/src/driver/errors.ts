import type { ReplicaId } from '../core/types.js';

/** A transition was not (or could no longer be) taken in by a leader. */
export class NotLeaderError extends Error {
  override readonly name = 'NotLeaderError';
  /** The leader this replica knows of, if any: retry there. */
  readonly leaderId: ReplicaId | null;

  constructor(leaderId: ReplicaId | null, message?: string) {
    super(message ?? (leaderId === null ? 'not the leader; no leader known' : `not the leader; leader is ${leaderId}`));
    this.leaderId = leaderId;
  }
}

/** The replica stopped (or never started) before the request could complete. */
export class ReplicaStoppedError extends Error {
  override readonly name = 'ReplicaStoppedError';
}
