// The server side of a TcpCluster: the listening socket (plain TCP or mutual TLS), the address
// it bound, and every socket it accepted, so close() can end them all. What an accepted
// connection goes through is Connections' business (connections.ts).

import * as net from 'node:net';
import type * as tls from 'node:tls';

import type { HostPort } from './address.js';
import type { TcpLog } from './log.js';
import { createTlsServer } from './mutual-tls.js';
import type { TcpSettings } from './options.js';

export interface ListenerEvents {
  /** A connection came in (with TLS: its TLS handshake is done). */
  accept(socket: net.Socket): void;
  /** A TLS handshake with a connecting client failed. */
  tlsError(error: Error, socket: tls.TLSSocket): void;
}

export class Listener {
  private readonly server: net.Server;
  /** Every accepted socket, TLS handshakes in progress included, so close() can end them all. */
  private readonly sockets = new Set<net.Socket>();
  private bound: HostPort | null = null;
  /** Resolves with the bound address once listening; rejects if listening failed. */
  readonly listening: Promise<HostPort>;

  /** Starts listening at once; at most `maxConnections` sockets are open at a time. */
  constructor(
    settings: Pick<TcpSettings<unknown, unknown>, 'tls' | 'handshakeTimeout' | 'listen' | 'listenAddress'>,
    maxConnections: number,
    log: TcpLog,
    events: ListenerEvents,
  ) {
    const t = settings.tls;
    const server = t ? createTlsServer(t, settings.handshakeTimeout) : net.createServer();
    this.server = server;
    if (t) server.on('tlsClientError', (error: Error, socket: tls.TLSSocket) => events.tlsError(error, socket));
    server.on(t ? 'secureConnection' : 'connection', (socket: net.Socket) => events.accept(socket));
    server.maxConnections = maxConnections;
    server.on('connection', (socket: net.Socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
      // A TLS server's raw socket: errors surface as tlsClientError; this keeps them from throwing.
      if (t) socket.on('error', () => {});
    });
    this.listening = new Promise<HostPort>((resolve, reject) => {
      server.once('listening', () => {
        const a = server.address() as net.AddressInfo;
        this.bound = { host: a.address, port: a.port };
        resolve(this.bound);
      });
      server.on('error', (error: Error) => {
        log.warn('listen', `cannot listen on ${settings.listen}: ${error.message}`);
        reject(error);
      });
    });
    this.listening.catch(() => {}); // reported through the logger; awaiting listening() rethrows
    server.listen({ host: settings.listenAddress.host, port: settings.listenAddress.port });
  }

  /** Sockets open at a time, at most, from now on (the cluster's peers changed). */
  setMaxConnections(maxConnections: number): void {
    this.server.maxConnections = maxConnections;
  }

  /** The bound address once listening (port 0 resolved), else null. */
  address(): HostPort | null {
    return this.bound;
  }

  /** Ends every accepted socket and stops listening; resolves once the server is closed. */
  close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    // Called before the bind completes, server.close() would not stop it: wait for it first.
    return this.listening.then(
      () => new Promise<void>((resolve) => this.server.close(() => resolve())),
      () => undefined,
    );
  }
}
