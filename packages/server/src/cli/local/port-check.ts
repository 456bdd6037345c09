// Before `little-raft local` spawns anything, every port it needs is tried: a cluster already
// running on them (another `npm start`) is named at once, instead of the nodes failing one by one
// while this supervisor shows the other cluster's leader as its own.

import * as net from 'node:net';

import { StartupError } from '../../errors.js';

export interface WantedPort {
  port: number;
  /** What it is for, as the error names it: "node 2's Redis port". */
  use: string;
}

/** Ports held by this process until release(): nothing else (a proxy's port 0) can take them meanwhile. */
export interface HeldPorts {
  release(): Promise<void>;
}

/** Listens on each of `ports` at `host`; throws a one-line StartupError for the first one taken. */
export async function holdPorts(host: string, ports: readonly WantedPort[]): Promise<HeldPorts> {
  const servers: net.Server[] = [];
  const release = (): Promise<void> =>
    Promise.all(servers.map((s) => new Promise<void>((done) => s.close(() => done())))).then(() => undefined);
  for (const wanted of ports) {
    const server = net.createServer();
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen({ host, port: wanted.port, exclusive: true }, () => resolve());
      });
    } catch (e) {
      await release();
      throw new StartupError(portProblem(host, wanted, e as NodeJS.ErrnoException));
    }
    servers.push(server);
  }
  return { release };
}

function portProblem(host: string, wanted: WantedPort, e: NodeJS.ErrnoException): string {
  const where = `${host}:${wanted.port} (${wanted.use})`;
  switch (e.code) {
    case 'EADDRINUSE':
      return `port ${where} is held by another process (another cluster running?); stop it or choose other ports`;
    case 'EACCES':
      return `no permission to listen on ${where}`;
    case 'EADDRNOTAVAIL':
      return `${host} is not an address of this host (${where})`;
    default:
      return `cannot listen on ${where}: ${e.message}`;
  }
}
