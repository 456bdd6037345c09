// The PEM files of a TLS listener (--redis-tls-* or --http-tls-*), read and checked at start-up: each
// problem (a file missing or unreadable, not PEM, a key that does not belong to the certificate)
// is one line that names the flag, before any port is opened.

import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import * as tls from 'node:tls';

import { StartupError } from '../errors.js';

/** TLS 1.0 and 1.1 are broken and deprecated (RFC 8996); Redis's default is 1.2 and 1.3 too. */
export const MIN_TLS_VERSION = 'TLSv1.2';

export interface ServerTlsFiles {
  cert: string;
  key: string;
  /** CA that signs the client certificates that are accepted (absent: clients show none). */
  ca?: string;
}

/** `--<prefix>-cert` etc. as given (paths); all absent: no TLS. */
export interface ServerTlsFlags {
  cert?: string | undefined;
  key?: string | undefined;
  ca?: string | undefined;
}

export async function readPemFile(flag: string, path: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new StartupError(`cannot read ${flag} ${path}: ${(e as Error).message}`);
  }
  if (!text.includes('-----BEGIN ')) throw new StartupError(`${flag} ${path} is not a PEM file`);
  return text;
}

function certificate(flag: string, path: string, pem: string): X509Certificate {
  try {
    return new X509Certificate(pem);
  } catch (e) {
    throw new StartupError(`${flag} ${path} holds no valid certificate: ${(e as Error).message}`);
  }
}

function privateKey(flag: string, path: string, pem: string): KeyObject {
  try {
    return createPrivateKey(pem);
  } catch (e) {
    throw new StartupError(`${flag} ${path} holds no valid private key: ${(e as Error).message}`);
  }
}

/** Checks that the key file holds the private key of the certificate file (each named by its flag). */
export function checkKeyPair(
  cert: { flag: string; path: string; pem: string },
  key: { flag: string; path: string; pem: string },
): void {
  const x509 = certificate(cert.flag, cert.path, cert.pem);
  if (!x509.checkPrivateKey(privateKey(key.flag, key.path, key.pem))) {
    throw new StartupError(`${key.flag} ${key.path} is not the key of ${cert.flag} ${cert.path}`);
  }
}

/**
 * Reads and checks the files of `--<prefix>-cert/-key/-ca`: null when none is given; a
 * StartupError when they are incomplete or bad.
 */
export async function loadServerTls(prefix: string, flags: ServerTlsFlags): Promise<ServerTlsFiles | null> {
  const [certFlag, keyFlag, caFlag] = [`--${prefix}-cert`, `--${prefix}-key`, `--${prefix}-ca`];
  if (flags.cert === undefined && flags.key === undefined) {
    if (flags.ca !== undefined) throw new StartupError(`${caFlag} needs ${certFlag} and ${keyFlag}`);
    return null;
  }
  if (flags.cert === undefined || flags.key === undefined) {
    throw new StartupError(`${certFlag} and ${keyFlag} go together`);
  }
  const cert = await readPemFile(certFlag, flags.cert);
  const key = await readPemFile(keyFlag, flags.key);
  const ca = flags.ca === undefined ? undefined : await readPemFile(caFlag, flags.ca);
  checkKeyPair({ flag: certFlag, path: flags.cert, pem: cert }, { flag: keyFlag, path: flags.key, pem: key });
  if (ca !== undefined) certificate(caFlag, flags.ca!, ca);
  try {
    // What OpenSSL itself says of the whole (a CA bundle with a bad entry, say).
    tls.createSecureContext({ cert, key, ...(ca !== undefined && { ca }), minVersion: MIN_TLS_VERSION });
  } catch (e) {
    throw new StartupError(`${certFlag}/${keyFlag}/${caFlag}: ${(e as Error).message}`);
  }
  return { cert, key, ...(ca !== undefined && { ca }) };
}
