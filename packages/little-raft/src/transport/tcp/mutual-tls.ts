// Mutual TLS for TcpCluster: the server and client sockets, and binding a peer's claimed id to
// its certificate (TcpTlsOptions.checkPeerId).

import * as tls from 'node:tls';

import type { ReplicaId } from '../../core/types.js';
import type { TcpTlsOptions } from './options.js';

/** A TLS server that requires a client certificate signed by the cluster's CA. */
export function createTlsServer(t: TcpTlsOptions, handshakeTimeout: number): tls.Server {
  return tls.createServer({
    key: t.key,
    cert: t.cert,
    ca: t.ca,
    requestCert: true,
    rejectUnauthorized: true,
    handshakeTimeout,
    minVersion: 'TLSv1.2',
  });
}

/** Dials a peer over TLS, presenting this replica's certificate. */
export function connectTls(t: TcpTlsOptions, host: string, port: number): tls.TLSSocket {
  return tls.connect({
    host,
    port,
    key: t.key,
    cert: t.cert,
    ca: t.ca,
    rejectUnauthorized: true,
    minVersion: 'TLSv1.2',
    // Peers are addressed by id, not host name: the CA and the handshake identify them.
    checkServerIdentity: () => undefined,
  });
}

/** Whether the certificate `socket`'s other end presented belongs to replica `id`. */
export function certificateIsPeers(
  check: NonNullable<TcpTlsOptions['checkPeerId']>,
  socket: tls.TLSSocket,
  id: ReplicaId,
): boolean {
  const certificate = socket.getPeerCertificate();
  return typeof check === 'function' ? check(id, certificate) : conventionMatches(id, certificate);
}

/** The checkPeerId convention: CN or a DNS subjectAltName is `replica-<id>`. */
function conventionMatches(id: ReplicaId, certificate: tls.PeerCertificate): boolean {
  const name = `replica-${id}`;
  if (certificate.subject?.CN === name) return true;
  const sans = (certificate.subjectaltname ?? '').split(',').map((s) => s.trim());
  return sans.includes(`DNS:${name}`);
}
