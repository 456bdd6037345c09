// HTTPS on the HTTP port (--http-tls-cert/--http-tls-key). With --http-tls-ca the server asks every
// client for a certificate without requiring one (Prometheus and load balancers reach /metrics and
// /health with none); an admin request whose certificate that CA signed is authenticated by it,
// as a signed one is by the cluster secret.

import type * as http from 'node:http';
import type * as https from 'node:https';
import { TLSSocket } from 'node:tls';

import { MIN_TLS_VERSION, type ServerTlsFiles } from './server-files.js';

export function httpsServerOptions(files: ServerTlsFiles): https.ServerOptions {
  return {
    cert: files.cert,
    key: files.key,
    // Asked for, not required: without one a client still gets the open pages; checked per request.
    ...(files.ca !== undefined && { ca: files.ca, requestCert: true, rejectUnauthorized: false }),
    minVersion: MIN_TLS_VERSION,
  };
}

/**
 * Whether the request came with a client certificate that --http-tls-ca signed (and is valid now).
 * A server that asks for none (no --http-tls-ca) never marks a connection authorized. The
 * certificate must be there too: Node marks a resumed TLS 1.3 session authorized without one, and
 * a client that showed none gets a session ticket like any other.
 */
export function certifiedByClientCertificate(req: http.IncomingMessage): boolean {
  const socket = req.socket;
  return socket instanceof TLSSocket && socket.authorized && Object.keys(socket.getPeerCertificate()).length > 0;
}
