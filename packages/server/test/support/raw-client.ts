// A Redis-port client that sends exact bytes and keeps what comes back as text, for tests of how
// the server answers (and closes) at the byte level; and a process's resident memory.
import { readFileSync } from 'node:fs';
import * as net from 'node:net';

import { eventually } from './eventually.js';

export class RawClient {
  readonly socket: net.Socket;
  /** Everything received, as latin1 text. */
  text = '';
  /** The server closed the connection (or it failed). */
  closed = false;

  private constructor(socket: net.Socket) {
    this.socket = socket;
    socket.on('data', (d: Buffer) => (this.text += d.toString('latin1')));
    socket.on('error', () => undefined); // a reset once the server hangs up; 'close' follows
    socket.on('close', () => (this.closed = true));
  }

  static connect(port: number): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('error', reject);
      socket.once('connect', () => {
        socket.off('error', reject);
        resolve(new RawClient(socket));
      });
    });
  }

  /** Resolves once the received text satisfies `done`, or fails with what came (deadline: it never does). */
  async until(done: (text: string) => boolean, what: string, ms = 20_000): Promise<string> {
    await eventually(
      () => done(this.text),
      () => `${what}; received ${JSON.stringify(this.text.slice(0, 200))}`,
      ms,
    );
    return this.text;
  }

  /** Waits until the server has closed the connection; the text received. */
  async untilClosed(ms = 20_000): Promise<string> {
    await eventually(
      () => this.closed,
      () => `the server to close; received ${JSON.stringify(this.text.slice(0, 200))}`,
      ms,
    );
    return this.text;
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** The resident memory of process `pid`, in bytes (Linux). */
export function rssBytes(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (m === null) throw new Error(`no VmRSS for process ${pid}`);
  return Number(m[1]) * 1024;
}
