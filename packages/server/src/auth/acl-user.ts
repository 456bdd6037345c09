// An ACL user, as Redis has them (a subset): a name, on or off, the SHA-256 digests of its
// passwords, and the commands it may run. Key and channel patterns are not kept: every user
// reaches every key and channel that its commands do.

import { createHash, timingSafeEqual } from 'node:crypto';

import type { CommandSpec } from '../commands/command-table.js';

export interface AclUser {
  readonly name: string;
  readonly enabled: boolean;
  /** Any password is accepted: only the default user of a node with no password configured. */
  readonly nopass: boolean;
  /** SHA-256 digests (32 bytes each) of its passwords. */
  readonly passwordDigests: readonly Buffer[];
  /** The full names ('get', 'config|set') of the commands it may run; null: every command. */
  readonly allowed: ReadonlySet<string> | null;
  /** It may run every @admin command: it may also use the HTTP port's /status and admin API. */
  readonly admin: boolean;
}

export function sha256(bytes: Uint8Array): Buffer {
  return createHash('sha256').update(bytes).digest();
}

/** A digest no password has, compared against when the user is unknown, so timing tells nothing. */
const NO_DIGEST = sha256(Buffer.from('little-raft: no such user'));

/**
 * Whether `password` is one of `user`'s (a missing or disabled user: never). Compares digests in
 * constant time, and does the same work whether the user exists or not.
 */
export function passwordMatches(user: AclUser | undefined, password: Uint8Array): boolean {
  const digest = sha256(password);
  const digests = user?.passwordDigests.length ? user.passwordDigests : [NO_DIGEST];
  let match = false;
  for (const d of digests) if (timingSafeEqual(d, digest)) match = true;
  return user !== undefined && user.enabled && (user.nopass || (match && user.passwordDigests.length > 0));
}

/** Whether `user` may run the command `spec` (a subcommand for container commands). */
export function mayRun(user: AclUser, spec: CommandSpec): boolean {
  // AUTH, HELLO, QUIT and RESET: every user, as in Redis (their no_auth flag).
  return user.allowed === null || user.allowed.has(spec.name) || spec.flags.includes('no_auth');
}
