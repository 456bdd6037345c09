// serve's TLS flags read and checked (src/tls/serve-tls.ts): each bad combination or file is a
// StartupError whose one line names the flag; good ones give the PEM texts, the TLS-beside address
// and how --join is reached.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, test } from 'node:test';

import { StartupError } from '../../src/errors.js';
import { loadServeTls, type ServeTlsFlags } from '../../src/tls/serve-tls.js';
import { tempDir } from '../../../little-raft/test/support/temp-dir.js';
import { makeTestCerts, type TestCerts } from '../support/test-certs.js';

let certs: TestCerts;
let dir: string;
before(() => {
  dir = tempDir(undefined, 'little-raft-certs-');
  certs = makeTestCerts(dir);
  writeFileSync(join(dir, 'not-pem'), 'hello\n');
});

async function refusal(flags: ServeTlsFlags): Promise<string> {
  try {
    await loadServeTls(flags);
  } catch (e) {
    assert.ok(e instanceof StartupError, String(e));
    assert.doesNotMatch(e.message, /\n/);
    return e.message;
  }
  throw new Error(`accepted: ${JSON.stringify(flags)}`);
}

test('bad files and combinations are refused with the flag named', async () => {
  const { serverCert: cert, serverKey: key, clientKey, ca } = certs;
  const absent = join(dir, 'absent.pem');
  const notPem = join(dir, 'not-pem');
  const cases: [ServeTlsFlags, RegExp][] = [
    [{ redisTlsCert: absent, redisTlsKey: key }, /^cannot read --redis-tls-cert .*absent\.pem: ENOENT/],
    [{ redisTlsCert: cert, redisTlsKey: absent }, /^cannot read --redis-tls-key .*absent\.pem: ENOENT/],
    [{ redisTlsCert: cert, redisTlsKey: key, redisTlsCa: absent }, /^cannot read --redis-tls-ca /],
    [{ redisTlsCert: notPem, redisTlsKey: key }, /^--redis-tls-cert .*not-pem is not a PEM file$/],
    [{ redisTlsCert: key, redisTlsKey: key }, /^--redis-tls-cert .*server\.key holds no valid certificate/],
    [{ redisTlsCert: cert, redisTlsKey: cert }, /^--redis-tls-key .*server\.pem holds no valid private key/],
    [{ redisTlsCert: cert, redisTlsKey: clientKey }, /^--redis-tls-key .*client\.key is not the key of --redis-tls-cert /],
    [{ redisTlsCert: cert }, /^--redis-tls-cert and --redis-tls-key go together$/],
    [{ redisTlsKey: key }, /^--redis-tls-cert and --redis-tls-key go together$/],
    [{ redisTlsCa: ca }, /^--redis-tls-ca needs --redis-tls-cert and --redis-tls-key$/],
    [{ redisTls: '127.0.0.1:6380' }, /^--redis-tls needs --redis-tls-cert and --redis-tls-key$/],
    [{ httpTlsCert: cert, httpTlsKey: clientKey }, /^--http-tls-key .*client\.key is not the key of --http-tls-cert /],
    [{ httpTlsCert: cert, httpTlsKey: key, httpTlsCa: key }, /^--http-tls-ca .*server\.key holds no valid certificate/],
    [{ join: 'ftp://127.0.0.1:1' }, /^--join: 'ftp:\/\/127\.0\.0\.1:1' is neither host:port nor http\(s\):\/\/host:port$/],
  ]; // prettier-ignore
  for (const [flags, expected] of cases) assert.match(await refusal(flags), expected, JSON.stringify(flags));
});

test('good flags give the PEM texts, where TLS is served beside --redis, and how --join is reached', async () => {
  const pem = (file: string): string => readFileSync(file, 'utf8');
  const tls = await loadServeTls({
    redisTls: '127.0.0.1:6380',
    redisTlsCert: certs.serverCert,
    redisTlsKey: certs.serverKey,
    redisTlsCa: certs.ca,
    httpTlsCert: certs.serverCert,
    httpTlsKey: certs.serverKey,
    httpTlsCa: certs.ca,
    join: '127.0.0.1:8080',
  });
  assert.deepEqual(tls.redis, { cert: pem(certs.serverCert), key: pem(certs.serverKey), ca: pem(certs.ca) });
  assert.deepEqual(tls.redisTlsAddress, { host: '127.0.0.1', port: 6380 });
  assert.deepEqual(tls.http, tls.redis);
  // A node that serves HTTPS joins over HTTPS, presenting its own certificate.
  assert.deepEqual(tls.join, { address: '127.0.0.1:8080', tls: tls.redis });
  // Without TLS flags: nothing; --join stays plain unless it says https://.
  const plain = await loadServeTls({ join: '127.0.0.1:8080' });
  assert.deepEqual(plain, { redis: null, redisTlsAddress: null, http: null, join: { address: '127.0.0.1:8080' } });
  const https = await loadServeTls({ join: 'https://127.0.0.1:8080' });
  assert.deepEqual(https.join, { address: '127.0.0.1:8080', tls: {} });
});
