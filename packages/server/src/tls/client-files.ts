// Which scheme and TLS files a command uses to reach a node's HTTP port: `member` and `backup`
// (--node, --cacert, --cert, --key) and `serve --join` (--join, and the node's own
// --http-tls-ca/--http-tls-cert/--http-tls-key: a cluster serves HTTPS on every node or on none).

import { StartupError } from '../errors.js';
import { parseHttpTarget, type ClientTls } from './http-client.js';
import { checkKeyPair, readPemFile } from './server-files.js';

export interface ClientTlsFiles {
  ca?: string | undefined;
  cert?: string | undefined;
  key?: string | undefined;
}

export interface ResolvedTarget {
  /** 'host:port'. */
  address: string;
  /** Present: HTTPS with these; absent: plain HTTP. */
  tls?: ClientTls;
}

/**
 * `target` (host:port or http(s)://host:port) and the TLS files named by `flags` (their flag
 * names): https:// means HTTPS; a bare host:port means HTTPS when `httpsByDefault`. A StartupError
 * for files that are unreadable or do not fit together.
 */
export async function resolveTarget(
  targetFlag: string,
  target: string,
  files: ClientTlsFiles,
  flags: { ca: string; cert: string; key: string },
  httpsByDefault: boolean,
): Promise<ResolvedTarget> {
  let parsed;
  try {
    parsed = parseHttpTarget(target);
  } catch (e) {
    throw new StartupError(`${targetFlag}: ${(e as Error).message}`);
  }
  const https = parsed.scheme === null ? httpsByDefault : parsed.scheme === 'https';
  if (!https) return { address: parsed.address };
  if ((files.cert === undefined) !== (files.key === undefined)) {
    throw new StartupError(`${flags.cert} and ${flags.key} go together`);
  }
  const tls: ClientTls = {};
  if (files.ca !== undefined) tls.ca = await readPemFile(flags.ca, files.ca);
  if (files.cert !== undefined && files.key !== undefined) {
    const cert = await readPemFile(flags.cert, files.cert);
    const key = await readPemFile(flags.key, files.key);
    checkKeyPair({ flag: flags.cert, path: files.cert, pem: cert }, { flag: flags.key, path: files.key, pem: key });
    tls.cert = cert;
    tls.key = key;
  }
  return { address: parsed.address, tls };
}
