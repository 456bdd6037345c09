// The TLS listener of the Redis-protocol port (--redis-tls-cert/--redis-tls-key, and
// --redis-tls-ca to require client certificates, Redis's tls-auth-clients yes). Connections
// reach the RespServer only once their handshake is done; a client that fails it (plain RESP on
// the TLS port, an unknown CA, no certificate) is logged at debug and dropped, and no one else
// notices.

import type * as net from 'node:net';
import * as tls from 'node:tls';

import type { Logger } from 'pino';

import { MIN_TLS_VERSION, type ServerTlsFiles } from './server-files.js';

/** How long a client may take over its handshake before it is dropped (it holds a socket meanwhile). */
const HANDSHAKE_TIMEOUT_MS = 10_000;

export function createRedisTlsServer(
  files: ServerTlsFiles,
  accept: (socket: net.Socket) => void,
  log: Pick<Logger, 'debug'>,
): tls.Server {
  const requireClientCert = files.ca !== undefined;
  const server = tls.createServer(
    {
      cert: files.cert,
      key: files.key,
      ...(requireClientCert && { ca: files.ca, requestCert: true, rejectUnauthorized: true }),
      minVersion: MIN_TLS_VERSION,
      handshakeTimeout: HANDSHAKE_TIMEOUT_MS,
    },
    accept,
  );
  server.on('tlsClientError', (e: NodeJS.ErrnoException, socket: tls.TLSSocket) => {
    log.debug(
      { remote: `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`, code: e.code },
      `Redis TLS handshake failed: ${e.message}`,
    );
    socket.destroy();
  });
  return server;
}
