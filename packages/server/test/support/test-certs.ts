// Certificates for the TLS tests, made at run time with the openssl command (never committed): a
// CA, a server certificate for 127.0.0.1 and localhost signed by it, a client certificate signed
// by it, one for another host name, and a CA, server and client certificate of another CA. P-256 keys: quick to make.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface TestCerts {
  dir: string;
  ca: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  /** Signed by the CA for another host name (elsewhere.example) than the tests reach. */
  elsewhereCert: string;
  elsewhereKey: string;
  /** Another CA, its own certificate and key, and a client certificate it signed. */
  otherCa: string;
  otherServerCert: string;
  otherServerKey: string;
  otherClientCert: string;
  otherClientKey: string;
}

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

function makeCa(dir: string, name: string): void {
  openssl(dir, [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
    '-keyout', `${name}.key`, '-out', `${name}.pem`, '-days', '2', '-subj', `/CN=${name}`,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
  ]); // prettier-ignore
}

function makeLeaf(dir: string, ca: string, name: string, extensions: string): void {
  writeFileSync(join(dir, `${name}.ext`), extensions);
  openssl(dir, [
    'req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
    '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`,
  ]); // prettier-ignore
  openssl(dir, [
    'x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.pem`, '-CAkey', `${ca}.key`, '-CAcreateserial',
    '-out', `${name}.pem`, '-days', '2', '-extfile', `${name}.ext`,
  ]); // prettier-ignore
}

const SERVER_EXT = 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n';
const CLIENT_EXT = 'extendedKeyUsage=clientAuth\n';

/** Makes the certificates in `dir` (a temp directory of the test). */
export function makeTestCerts(dir: string): TestCerts {
  makeCa(dir, 'ca');
  makeCa(dir, 'other-ca');
  makeLeaf(dir, 'ca', 'server', SERVER_EXT);
  makeLeaf(dir, 'ca', 'client', CLIENT_EXT);
  makeLeaf(dir, 'ca', 'elsewhere', 'subjectAltName=DNS:elsewhere.example\n');
  makeLeaf(dir, 'other-ca', 'other-server', SERVER_EXT);
  makeLeaf(dir, 'other-ca', 'other-client', CLIENT_EXT);
  const f = (name: string): string => join(dir, name);
  return {
    dir,
    ca: f('ca.pem'),
    serverCert: f('server.pem'),
    serverKey: f('server.key'),
    clientCert: f('client.pem'),
    clientKey: f('client.key'),
    elsewhereCert: f('elsewhere.pem'),
    elsewhereKey: f('elsewhere.key'),
    otherCa: f('other-ca.pem'),
    otherServerCert: f('other-server.pem'),
    otherServerKey: f('other-server.key'),
    otherClientCert: f('other-client.pem'),
    otherClientKey: f('other-client.key'),
  };
}
