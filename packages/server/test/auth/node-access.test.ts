// What guards /status (src/auth/node-access.ts statusGuard): open only with --open-status or on an
// --insecure cluster without users. A cluster whose peers authenticate by mutual TLS (no
// --secret-file), or whose HTTP port takes client certificates, keeps /status closed as it keeps
// its admin API: it shows every member's addresses and the cluster's state.
import assert from 'node:assert/strict';
import type * as http from 'node:http';
import { test } from 'node:test';

import { AccessControl } from '../../src/auth/access-control.js';
import { sha256 } from '../../src/auth/acl-user.js';
import type { HttpGuard } from '../../src/auth/http-access.js';
import { statusGuard } from '../../src/auth/node-access.js';

/** The status a guard answers a GET /status with no credentials; 0 when it lets it through. */
function statusWithoutCredentials(guard: HttpGuard | null): number {
  if (guard === null) return 0;
  const req = { method: 'GET', url: '/status', headers: {} } as http.IncomingMessage;
  let status = 0;
  const res = {
    writeHead(code: number) {
      status = code;
      return { end: () => undefined };
    },
  } as unknown as http.ServerResponse;
  return guard(req, res) ? status : 0;
}

const open = new AccessControl();
const secret = new Uint8Array([1, 2, 3]);

test('/status is open on an --insecure cluster without users, and with --open-status', () => {
  assert.equal(statusWithoutCredentials(statusGuard({}, undefined, open, false)), 0);
  assert.equal(statusWithoutCredentials(statusGuard({ openStatus: true }, secret, open, true)), 0);
});

test('/status needs credentials with a secret or a password', () => {
  assert.equal(statusWithoutCredentials(statusGuard({}, secret, open, false)), 401);
  const passworded = new AccessControl({ requirepassDigest: sha256(Buffer.from('pw')) });
  assert.equal(statusWithoutCredentials(statusGuard({}, undefined, passworded, false)), 401);
});

test('/status needs credentials on a cluster authenticated by TLS only (peers or client certificates)', () => {
  assert.equal(statusWithoutCredentials(statusGuard({}, undefined, open, true)), 401);
});
