// The client side of HTTPS for the commands that talk to a node's HTTP port (member, backup,
// serve --join): which scheme a --node address asks for, the request itself, and a one-line
// reason for each TLS failure a person can fix (which CA, which host name).

import * as http from 'node:http';
import * as https from 'node:https';

import { MIN_TLS_VERSION } from './server-files.js';

/** PEM texts: the CA the node's certificate must chain to (absent: the system's), our certificate. */
export interface ClientTls {
  ca?: string;
  cert?: string;
  key?: string;
}

/** A --node / --join value: 'host:port', 'http://host:port' or 'https://host:port'. */
export interface HttpTarget {
  /** 'host:port', as the member table records HTTP addresses. */
  address: string;
  /** 'https' or 'http' when the value says so, else null (decided by the other flags). */
  scheme: 'http' | 'https' | null;
}

export function parseHttpTarget(value: string): HttpTarget {
  const m = /^(https?):\/\/([^/]*)\/?$/i.exec(value);
  if (m !== null) return { address: m[2]!, scheme: m[1]!.toLowerCase() as 'http' | 'https' };
  if (value.includes('://')) throw new Error(`'${value}' is neither host:port nor http(s)://host:port`);
  return { address: value, scheme: null };
}

/** A request over HTTPS when `tls` is given, else plain HTTP; redirects keep the same `tls`. */
export function httpRequest(tls: ClientTls | undefined, options: http.RequestOptions): http.ClientRequest {
  if (tls === undefined) return http.request(options);
  return https.request({ ...options, ...tls, minVersion: MIN_TLS_VERSION });
}

const UNKNOWN_CA = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_SIGNATURE_FAILURE',
]);

/** Why a TLS connection failed, for a person; null when `e` is no TLS failure. */
export function tlsFailureText(e: NodeJS.ErrnoException, host: string): string | null {
  const code = e.code ?? '';
  if (UNKNOWN_CA.has(code)) {
    return `its certificate is not signed by a trusted CA (${code}; give the CA that signed it with --cacert)`;
  }
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    return `its certificate is not for ${host} (${e.message}); reach it by a name or IP address in the certificate's subjectAltName`;
  }
  if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID') return `its certificate is not valid now (${code})`;
  if (/wrong version number|packet length too long|http request/i.test(e.message)) {
    return 'it does not speak TLS here (a plain HTTP port: use http://host:port without --cacert)';
  }
  if (/certificate required/i.test(e.message)) return 'it requires a client certificate: give --cert and --key';
  if (/alert (unknown ca|bad certificate|certificate unknown)/i.test(e.message)) {
    return `it refused our client certificate (${e.message})`;
  }
  if (code.startsWith('ERR_SSL_') || code === 'EPROTO') return `TLS failed: ${e.message}`;
  return null;
}
