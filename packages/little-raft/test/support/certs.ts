// Test certificates made on the spot with the openssl command line (node:crypto cannot make
// X.509 certificates). No network: keys are generated locally, in a temporary directory.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** True when the openssl command line can be run. */
export function hasOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export interface Pem {
  key: string;
  cert: string;
}

/** A certificate authority that signs leaf certificates (EC P-256, valid two days). */
export class TestCa {
  readonly pem: Pem;
  private serial = 1;

  private constructor(
    private readonly dir: string,
    readonly name: string,
  ) {
    const key = join(dir, `${name}.key`);
    const cert = join(dir, `${name}.crt`);
    openssl([
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '2',
      '-subj',
      `/CN=${name}`,
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ]);
    this.pem = { key: readFileSync(key, 'utf8'), cert: readFileSync(cert, 'utf8') };
  }

  /** A CA in a fresh temporary directory; call dispose() when done. */
  static create(name: string, dir = mkdtempSync(join(tmpdir(), 'little-raft-certs-'))): TestCa {
    return new TestCa(dir, name);
  }

  /** Another CA sharing this one's directory (disposed with it). */
  sibling(name: string): TestCa {
    return new TestCa(this.dir, name);
  }

  /** A leaf certificate for `cn` (also a DNS subjectAltName), for both TLS client and server use. */
  issue(cn: string): Pem {
    const base = join(this.dir, `${this.name}-${cn}-${this.serial}`);
    const ext = `${base}.ext`;
    writeFileSync(
      ext,
      `basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth,clientAuth\nsubjectAltName=DNS:${cn}\n`,
    );
    openssl([
      'req',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      `${base}.key`,
      '-out',
      `${base}.csr`,
      '-subj',
      `/CN=${cn}`,
    ]);
    openssl([
      'x509',
      '-req',
      '-in',
      `${base}.csr`,
      '-CA',
      join(this.dir, `${this.name}.crt`),
      '-CAkey',
      join(this.dir, `${this.name}.key`),
      '-set_serial',
      String(this.serial++),
      '-days',
      '2',
      '-extfile',
      ext,
      '-out',
      `${base}.crt`,
    ]);
    return { key: readFileSync(`${base}.key`, 'utf8'), cert: readFileSync(`${base}.crt`, 'utf8') };
  }

  dispose(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function openssl(args: string[]): void {
  execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'], timeout: 30000 });
}
