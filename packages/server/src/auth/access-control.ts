// Who may connect and run what on the Redis port: the users (the default user, and those of
// --users-file), how a client authenticates (AUTH, HELLO ... AUTH), and which commands each user
// may run. One per node.

import { StartupError } from '../errors.js';
import { passwordMatches, type AclUser } from './acl-user.js';

export interface AccessOptions {
  /** SHA-256 of --requirepass-file's password: the default user's. */
  requirepassDigest?: Buffer;
  /** The users of --users-file. */
  users?: ReadonlyMap<string, AclUser>;
}

/** Redis's default user with no password configured: anyone, every command. */
const OPEN_DEFAULT: AclUser = {
  name: 'default',
  enabled: true,
  nopass: true,
  passwordDigests: [],
  allowed: null,
  admin: true,
};

export class AccessControl {
  private readonly users: ReadonlyMap<string, AclUser>;
  private readonly defaultUser: AclUser;
  /** A password or users are configured: clients must authenticate (and protected mode is off). */
  readonly secured: boolean;

  constructor(o: AccessOptions = {}) {
    const fileDefault = o.users?.get('default');
    if (fileDefault !== undefined && o.requirepassDigest !== undefined) {
      throw new StartupError(
        "--users-file defines the user 'default', whose password --requirepass-file gives: use one of them",
      );
    }
    if (o.requirepassDigest !== undefined) {
      this.defaultUser = { ...OPEN_DEFAULT, nopass: false, passwordDigests: [o.requirepassDigest] };
    } else if (fileDefault !== undefined) {
      this.defaultUser = fileDefault;
    } else if (o.users !== undefined) {
      // Unlike Redis (where it stays on, without a password): users were configured so that
      // clients authenticate, and an open default user would let anyone skip that.
      this.defaultUser = { ...OPEN_DEFAULT, enabled: false, nopass: false, admin: false, allowed: new Set() };
    } else this.defaultUser = OPEN_DEFAULT;
    this.users = new Map([...(o.users ?? []), ['default', this.defaultUser]]);
    this.secured = this.defaultUser !== OPEN_DEFAULT;
  }

  /** The user a new (or RESET) connection runs as: the default user when it needs no password, else null (must AUTH). */
  get initialUser(): AclUser | null {
    return this.defaultUser.nopass && this.defaultUser.enabled ? this.defaultUser : null;
  }

  /** The default user has no password: `AUTH <password>` is an error, as in Redis. */
  get defaultWithoutPassword(): boolean {
    return this.defaultUser.nopass;
  }

  /** The user `name` if `password` is one of its passwords and it is on, else null. Constant time in the password. */
  authenticate(name: Uint8Array, password: Uint8Array): AclUser | null {
    const user = this.users.get(Buffer.from(name).toString('utf8'));
    return passwordMatches(user, password) ? user! : null;
  }
}
