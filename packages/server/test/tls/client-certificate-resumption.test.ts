// Admin by client certificate (src/tls/https-server.ts) and TLS session resumption: the HTTPS
// port asks for a certificate without requiring one, so a client without one still completes its
// handshake and gets a TLS 1.3 session ticket. Node marks a resumed TLS 1.3 session `authorized`
// without any peer certificate; such a client must not count as certified.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import * as tls from 'node:tls';
import { after, before, test } from 'node:test';

import { certifiedByClientCertificate, httpsServerOptions } from '../../src/tls/https-server.js';
import { tempDir } from '../../../little-raft/test/support/temp-dir.js';
import { makeTestCerts, type TestCerts } from '../support/test-certs.js';

let certs: TestCerts;
let server: https.Server;
let port: number;

before(async () => {
  certs = makeTestCerts(tempDir(undefined, 'little-raft-certs-'));
  const read = (path: string): string => readFileSync(path, 'utf8');
  server = https.createServer(
    httpsServerOptions({ cert: read(certs.serverCert), key: read(certs.serverKey), ca: read(certs.ca) }),
    (req, res) => {
      res.end(`${certifiedByClientCertificate(req)} ${(req.socket as tls.TLSSocket).isSessionReused()}`);
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
after(() => server.close());

/** One request; what the server said (certified, resumed) and the session to resume next. */
function request(
  client: { cert?: string; key?: string },
  session?: Buffer,
): Promise<{ certified: boolean; resumed: boolean; session: Buffer | undefined }> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({
      host: '127.0.0.1',
      port,
      ca: readFileSync(certs.ca, 'utf8'),
      ...(client.cert !== undefined && { cert: readFileSync(client.cert, 'utf8') }),
      ...(client.key !== undefined && { key: readFileSync(client.key, 'utf8') }),
      ...(session !== undefined && { session }),
    });
    let ticket: Buffer | undefined;
    let text = '';
    socket.on('session', (s: Buffer) => (ticket = s));
    socket.on('secureConnect', () => socket.write('GET /status HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n'));
    socket.on('data', (d: Buffer) => (text += d.toString('latin1')));
    socket.on('error', reject);
    socket.on('close', () => {
      const m = /\r\n\r\n(true|false) (true|false)$/.exec(text);
      if (m === null) reject(new Error(`unexpected answer: ${text}`));
      else resolve({ certified: m[1] === 'true', resumed: m[2] === 'true', session: ticket });
    });
  });
}

test('a resumed session without a client certificate is not certified', async () => {
  const first = await request({});
  assert.equal(first.certified, false);
  assert.ok(first.session, 'the server gave a session ticket');
  const again = await request({}, first.session);
  assert.equal(again.resumed, true, 'the session was resumed (else this test checks nothing)');
  assert.equal(again.certified, false);
});

test("a resumed session of another CA's client certificate is not certified", async () => {
  const other = { cert: certs.otherClientCert, key: certs.otherClientKey };
  const first = await request(other);
  assert.equal(first.certified, false);
  const again = await request(other, first.session);
  assert.equal(again.resumed, true);
  assert.equal(again.certified, false);
});

test("the CA's client certificate is certified, resumed or not", async () => {
  const good = { cert: certs.clientCert, key: certs.clientKey };
  const first = await request(good);
  assert.equal(first.certified, true);
  const again = await request(good, first.session);
  assert.equal(again.resumed, true);
  assert.equal(again.certified, true);
});
