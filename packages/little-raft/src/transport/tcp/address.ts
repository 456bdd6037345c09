// Addresses: the 'host:port' strings of the options, and how a socket's other end is named in logs.

import type * as net from 'node:net';

/** A 'host:port' string, split. */
export interface HostPort {
  host: string;
  port: number;
}

/** Parses 'host:port' or '[v6]:port'. */
export function parseHostPort(address: string, allowPortZero = false): HostPort {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(address);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535 || (port === 0 && !allowPortZero)) {
    throw new TypeError(`'${address}' is not a 'host:port' address${allowPortZero ? '' : ' (port 1-65535)'}`);
  }
  return { host: (m[1] ?? m[2])!, port };
}

/** The other end of `socket` as 'host:port' ('[v6]:port'), for logs. */
export function remoteOf(socket: net.Socket): string {
  const host = socket.remoteAddress ?? '?';
  return `${host.includes(':') ? `[${host}]` : host}:${socket.remotePort ?? '?'}`;
}
