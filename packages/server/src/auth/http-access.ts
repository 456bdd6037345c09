// Who may read the HTTP port's /status (and any page other than /metrics and /health, which
// Prometheus and load balancers read without credentials): a request signed with the cluster
// secret (LittleRaft-HMAC, as the CLI signs admin calls: ops/admin-auth.ts), or HTTP Basic auth
// of a --users-file user with every @admin command (for browsers and curl). Others get 401 with a
// WWW-Authenticate challenge (403 for a user without @admin), and nothing about the node.

import type * as http from 'node:http';

import type { AdminAuthenticator } from '../ops/admin-auth.js';
import type { AccessControl } from './access-control.js';

const NO_BODY = new Uint8Array(0);
const CHALLENGE = 'Basic realm="little-raft", charset="UTF-8"';

/** Answers a request it refuses (true), or lets it through (false). */
export type HttpGuard = (req: http.IncomingMessage, res: http.ServerResponse) => boolean;

/**
 * HTTP Basic credentials of an admin user: null when they are, else why not; `forbidden` when the
 * password is right but the user lacks @admin.
 */
export function basicAdminProblem(
  access: AccessControl,
  header: string,
): { problem: string; forbidden: boolean } | null {
  const decoded = Buffer.from(header.slice('Basic '.length).trim(), 'base64');
  const colon = decoded.indexOf(0x3a);
  if (colon < 0) return { problem: 'malformed Basic credentials', forbidden: false };
  const user = access.authenticate(decoded.subarray(0, colon), decoded.subarray(colon + 1));
  decoded.fill(0);
  if (user === null) return { problem: 'invalid username-password pair or user is disabled', forbidden: false };
  if (!user.admin) return { problem: `user '${user.name}' may not run @admin commands`, forbidden: true };
  return null;
}

/**
 * The guard of a node whose HTTP port needs credentials: the cluster secret (`signed`) or an admin
 * user (`access`); with neither, only a client certificate (checked before: ops/http.ts).
 */
export function httpGuard(signed: AdminAuthenticator | null, access: AccessControl | null): HttpGuard {
  const ways = [
    ...(signed !== null ? ['sign the request with the cluster secret'] : []),
    ...(access !== null ? ["use an admin user's HTTP Basic auth"] : []),
  ];
  // Neither: a cluster authenticated by TLS only, where a client certificate is the way in.
  const remedy =
    ways.length > 0 ? ways.join(', or ') : "present a client certificate signed by the node's --http-tls-ca";
  return (req, res) => {
    const header = req.headers.authorization ?? '';
    let refused: { problem: string; forbidden: boolean } | null = { problem: 'credentials needed', forbidden: false };
    if (header.startsWith('LittleRaft-HMAC ') && signed !== null) {
      const problem = signed.verify(req.method ?? 'GET', req.url ?? '/', NO_BODY, header);
      refused = problem === null ? null : { problem, forbidden: false };
    } else if (header.startsWith('Basic ') && access !== null) {
      refused = basicAdminProblem(access, header);
    }
    if (refused === null) return false;
    const status = refused.forbidden ? 403 : 401;
    res
      .writeHead(status, { 'content-type': 'text/plain', ...(status === 401 && { 'www-authenticate': CHALLENGE }) })
      .end(`${refused.problem}: ${remedy}\n`);
    return true;
  };
}
