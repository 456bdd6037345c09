// How `serve` puts the access rules together from its flags: the Redis port's users and
// passwords, the admin API's extra way in (an admin user's HTTP Basic auth), and the guard of
// /status.

import type { AdminAuthenticate } from '../ops/admin-api.js';
import { AdminAuthenticator } from '../ops/admin-auth.js';
import { AccessControl } from './access-control.js';
import { basicAdminProblem, httpGuard, type HttpGuard } from './http-access.js';
import { readRequirepassFile } from './requirepass-file.js';
import { readUsersFile } from './users-file.js';

export interface AccessFlags {
  requirepassFile?: string;
  usersFile?: string;
  /** --open-status: /status needs no credentials (`little-raft local`, on loopback). */
  openStatus?: boolean;
}

/** The node's users from --requirepass-file and --users-file (one-line StartupErrors for bad files). */
export async function loadAccess(o: AccessFlags): Promise<AccessControl> {
  const requirepassDigest = o.requirepassFile ? await readRequirepassFile(o.requirepassFile) : undefined;
  const users = o.usersFile ? await readUsersFile(o.usersFile) : undefined;
  return new AccessControl({
    ...(requirepassDigest !== undefined && { requirepassDigest }),
    ...(users !== undefined && { users }),
  });
}

/**
 * The admin API's check: a request with HTTP Basic credentials is let in by an admin user (when
 * users or a password are configured), any other goes to `signed` (the cluster secret's check;
 * null: an --insecure cluster, open unless users are configured).
 */
export function withBasicAdmin(signed: AdminAuthenticate | null, access: AccessControl): AdminAuthenticate | null {
  if (!access.secured) return signed;
  return (method, path, body, header) => {
    if (header?.startsWith('Basic ')) return basicAdminProblem(access, header)?.problem ?? null;
    return signed === null ? 'credentials needed (an admin user, HTTP Basic)' : signed(method, path, body, header);
  };
}

/**
 * What guards /status: nothing with --open-status, or on an --insecure cluster without users; else
 * httpGuard. `tlsAuthenticated`: peers authenticate by mutual TLS or the HTTP port takes client
 * certificates (--http-tls-ca): such a cluster keeps /status closed, as its admin API, even without
 * a secret or users (a client certificate still opens it: ops/http.ts).
 */
export function statusGuard(
  o: AccessFlags,
  secret: Uint8Array | undefined,
  access: AccessControl,
  tlsAuthenticated: boolean,
): HttpGuard | null {
  if (o.openStatus === true || (secret === undefined && !access.secured && !tlsAuthenticated)) return null;
  return httpGuard(secret === undefined ? null : new AdminAuthenticator(secret), access.secured ? access : null);
}
