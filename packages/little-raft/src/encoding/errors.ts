// Every error class the library throws to its users, in one place, so that callers match them
// with instanceof (never by name).

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

/** A cluster operation did not complete in time. */
export class TimeoutError extends Error {
  override readonly name = 'TimeoutError';
}

/** Raised for any message that cannot be encoded or decoded. */
export class CodecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CodecError';
  }
}

/** Raised when a file holds something other than what DiskStorage wrote there. */
export class DiskCorruptionError extends Error {
  /** Full path of the file. */
  readonly file: string;
  /** Byte offset in the file where the defect was found. */
  readonly position: number;
  constructor(file: string, position: number, detail: string) {
    super(`DiskStorage: ${file} is corrupt at byte ${position}: ${detail}`);
    this.name = 'DiskCorruptionError';
    this.file = file;
    this.position = position;
  }
}
