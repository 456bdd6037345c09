// HTTPS on the HTTP port and admin requests authenticated by a TLS client certificate, end to end:
// a cluster of mutual TLS between peers and no --secret-file (whose admin API was closed before),
// serving HTTPS with --http-tls-ca. /health answers clients without a certificate, /status only with the CA's;
// `member list`, `backup` and `serve --join` work with the CA's client certificate and are refused
// without one or with another CA's; a wrong --cacert or a certificate for another host name is
// told in one line.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { before, test, type TestContext } from 'node:test';

import { freePorts } from '../../../little-raft/test/support/tcp.js';
import { tempDir } from '../../../little-raft/test/support/temp-dir.js';
import { eventually } from '../support/eventually.js';
import { runCli } from '../support/run-cli.js';
import { makeTestCerts, type TestCerts } from '../support/test-certs.js';

const MAIN = join(import.meta.dirname, '../../src/cli/main.ts');

let certs: TestCerts;
before(() => {
  certs = makeTestCerts(tempDir(undefined, 'little-raft-certs-'));
});

interface Node {
  id: number;
  raft: number;
  redis: number;
  http: number;
  process: ChildProcess;
  output: string;
}

/** `little-raft serve` with peer TLS and HTTPS (client certificates of the CA for admin requests). */
async function startNode(
  t: TestContext,
  dir: string,
  id: number,
  membership: (raft: number) => string[],
): Promise<Node> {
  const [raft, redis, http] = (await freePorts(3)) as [number, number, number];
  const args = [
    '--import', 'tsx', MAIN, 'serve', '--id', String(id), ...membership(raft), '--data', join(dir, String(id)),
    '--redis', `127.0.0.1:${redis}`, '--http', `127.0.0.1:${http}`,
    '--tls-cert', certs.serverCert, '--tls-key', certs.serverKey, '--tls-ca', certs.ca,
    '--http-tls-cert', certs.serverCert, '--http-tls-key', certs.serverKey, '--http-tls-ca', certs.ca,
    '--heartbeat', '50', '--election-timeout', '500-1000', '--log-level', 'warn',
  ]; // prettier-ignore
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const node: Node = { id, raft, redis, http, process: child, output: '' };
  child.stdout.on('data', (c: Buffer) => (node.output += c.toString()));
  child.stderr.on('data', (c: Buffer) => (node.output += c.toString()));
  t.after(() => {
    child.kill('SIGKILL');
  });
  return node;
}

/** GET `path` over HTTPS, trusting the test CA; optionally with a client certificate. */
function get(port: number, path: string, client?: { cert: string; key: string }): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = https.get(
      { host: '127.0.0.1', port, path, ca: readFileSync(certs.ca), ...(client && { cert: readFileSync(client.cert), key: readFileSync(client.key) }), agent: false },
      (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
  });
} // prettier-ignore

async function healthy(port: number): Promise<boolean> {
  try {
    return (await get(port, '/health')).status === 200;
  } catch {
    return false;
  }
}

test('HTTPS with client certificates: open pages, admin by certificate, member list / backup / join over HTTPS', async (t) => {
  const dir = tempDir(t, 'little-raft-https-');
  // A secret no node has: a request signed with it is not authenticated.
  const secretFile = join(dir, 'secret');
  writeFileSync(secretFile, 'a secret that no node of this test has\n');
  const n1 = await startNode(t, dir, 1, (raft) => ['--peers', `1=127.0.0.1:${raft}`]);
  await eventually(
    () => healthy(n1.http),
    () => `node 1 serves /health over HTTPS\n${n1.output}`,
    30_000,
  );
  const node = `https://127.0.0.1:${n1.http}`;
  const client = ['--cacert', certs.ca, '--cert', certs.clientCert, '--key', certs.clientKey];

  // /health needs no certificate; /status does (no secret, no users: a certificate is the only way in).
  const closed = await get(n1.http, '/status');
  assert.equal(closed.status, 401, closed.body);
  assert.match(closed.body, /client certificate/);
  assert.equal((await get(n1.http, '/status', { cert: certs.otherClientCert, key: certs.otherClientKey })).status, 401);
  const status = await get(n1.http, '/status', { cert: certs.clientCert, key: certs.clientKey });
  assert.equal(status.status, 200);
  assert.equal((JSON.parse(status.body) as { id: number }).id, 1);
  // The admin API does: without one it is 401, with the CA's it answers.
  const bare = await get(n1.http, '/admin/members');
  assert.equal(bare.status, 401, bare.body);
  const otherCa = await get(n1.http, '/admin/members', { cert: certs.otherClientCert, key: certs.otherClientKey });
  assert.equal(otherCa.status, 401, otherCa.body);
  const certified = await get(n1.http, '/admin/members', { cert: certs.clientCert, key: certs.clientKey });
  assert.equal(certified.status, 200, certified.body);

  // member list over HTTPS with the client certificate: no --secret-file needed.
  const listed = await runCli(['member', 'list', '--node', node, ...client, '--json']);
  assert.equal(listed.code, 0, listed.stderr);
  assert.deepEqual(
    (JSON.parse(listed.stdout) as { id: number; role: string }[]).map((m) => [m.id, m.role]),
    [[1, 'leader']],
  );
  // --cacert alone (no certificate) is refused by the node.
  const noCert = await runCli(['member', 'list', '--node', node, '--cacert', certs.ca, '--secret-file', secretFile]);
  assert.equal(noCert.code, 1);
  assert.match(noCert.stderr, /^little-raft: authentication failed: present a client certificate signed by the CA/);
  // Another CA's certificate too.
  const other = ['--cacert', certs.ca, '--cert', certs.otherClientCert, '--key', certs.otherClientKey];
  const wrongCert = await runCli(['member', 'list', '--node', node, ...other]);
  assert.equal(wrongCert.code, 1);
  assert.match(wrongCert.stderr, /^little-raft: authentication failed/);
  // A --cacert that did not sign the node's certificate: one line that says so.
  const wrongCa = await runCli(['member', 'list', '--node', node, '--cacert', certs.otherCa, '--cert', certs.clientCert, '--key', certs.clientKey]); // prettier-ignore
  assert.equal(wrongCa.code, 1);
  assert.equal(wrongCa.stderr.trim().split('\n').length, 1, wrongCa.stderr);
  assert.match(
    wrongCa.stderr,
    /^little-raft: cannot reach node https:\/\/127\.0\.0\.1:\d+: its certificate is not signed by a trusted CA/,
  );
  // Plain HTTP to the HTTPS port: told to use https://.
  const plain = await runCli(['member', 'list', '--node', `127.0.0.1:${n1.http}`, '--secret-file', secretFile]);
  assert.equal(plain.code, 1);
  assert.match(plain.stderr, /use --node https:\/\/host:port/);

  // backup over HTTPS with the client certificate.
  const out = join(dir, 'cluster.backup');
  const backup = await runCli(['backup', '--node', node, ...client, '--out', out]);
  assert.equal(backup.code, 0, backup.stderr);
  assert.match(backup.stdout, /^backup of cluster little-raft at index \d+/);

  // serve --join https://...: the new node presents its --http-tls-cert to the member it joins.
  const n2 = await startNode(t, dir, 2, (raft) => ['--join', node, '--raft', `127.0.0.1:${raft}`]);
  await eventually(
    async () => {
      const r = await runCli(['member', 'list', '--node', node, ...client, '--json']);
      const members = r.code === 0 ? (JSON.parse(r.stdout) as { id: number; role: string }[]) : [];
      return members.some((m) => m.id === 2 && m.role === 'follower');
    },
    () => `node 2 joins over HTTPS and becomes a voter\n--- node 2:\n${n2.output}\n--- node 1:\n${n1.output}`,
    45_000,
  );
});

test('a certificate for another host name is refused with a line that names the host', async (t) => {
  // The CA's certificate for elsewhere.example, on 127.0.0.1.
  const server = https.createServer(
    { cert: readFileSync(certs.elsewhereCert), key: readFileSync(certs.elsewhereKey) },
    (_req, res) => res.end('{}'),
  );
  await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: 0 }, resolve));
  t.after(() => server.close());
  const port = (server.address() as AddressInfo).port;
  const r = await runCli(['member', 'list', '--node', `https://127.0.0.1:${port}`, '--cacert', certs.ca, '--cert', certs.clientCert, '--key', certs.clientKey]); // prettier-ignore
  assert.equal(r.code, 1);
  assert.match(
    r.stderr,
    /^little-raft: cannot reach node https:\/\/127\.0\.0\.1:\d+: its certificate is not for 127\.0\.0\.1/,
  );
});
