// Byte-exact Redis conversations for tests that compare replies with a real redis-server: a raw
// RESP connection that returns each reply's bytes as sent, and a redis-server started for a test.
import { spawn } from 'node:child_process';
import * as net from 'node:net';
import type { TestContext } from 'node:test';

import { freePorts } from '../../../little-raft/test/support/tcp.js';

/** Where the reply that starts at `pos` ends, or -1 if `buf` does not hold all of it yet. */
function replyEnd(buf: Buffer, pos: number): number {
  if (pos >= buf.length) return -1;
  const eol = buf.indexOf('\r\n', pos);
  if (eol < 0) return -1;
  const type = String.fromCharCode(buf[pos]!);
  const n = Number(buf.toString('latin1', pos + 1, eol));
  switch (type) {
    case '$':
    case '=':
    case '!':
      if (n < 0) return eol + 2;
      return buf.length >= eol + 2 + n + 2 ? eol + 2 + n + 2 : -1;
    case '*':
    case '~':
    case '>':
    case '%':
    case '|': {
      let end = eol + 2;
      const items = type === '%' || type === '|' ? 2 * n : n;
      for (let i = 0; i < items; i++) {
        end = replyEnd(buf, end);
        if (end < 0) return -1;
      }
      return end;
    }
    default: // + - : _ , # (
      return eol + 2;
  }
}

/** One RESP connection; `call` sends a command and resolves with its reply's exact bytes. */
export class RawConnection {
  private buffer = Buffer.alloc(0);
  private readonly waiting: ((reply: Buffer) => void)[] = [];

  private constructor(private readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      for (;;) {
        const end = replyEnd(this.buffer, 0);
        if (end < 0 || this.waiting.length === 0) break;
        const reply = this.buffer.subarray(0, end);
        this.buffer = this.buffer.subarray(end);
        this.waiting.shift()!(reply);
      }
    });
  }

  static open(port: number): Promise<RawConnection> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('error', reject);
      socket.once('connect', () => {
        socket.off('error', reject);
        socket.on('error', () => undefined);
        resolve(new RawConnection(socket));
      });
    });
  }

  /** Sends `argv` (strings are latin1: one char per byte) and resolves with the reply's bytes. */
  call(argv: readonly (string | Uint8Array)[]): Promise<Buffer> {
    const parts: Buffer[] = [Buffer.from(`*${argv.length}\r\n`)];
    for (const arg of argv) {
      const bytes = typeof arg === 'string' ? Buffer.from(arg, 'latin1') : Buffer.from(arg);
      parts.push(Buffer.from(`$${bytes.length}\r\n`), bytes, Buffer.from('\r\n'));
    }
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      this.socket.write(Buffer.concat(parts));
    });
  }

  close(): void {
    this.socket.destroy();
  }
}

/**
 * A redis-server of its own for the test (one database, as the KV service has, no persistence),
 * stopped after it; its port.
 */
export async function startRedisServer(t: TestContext): Promise<number> {
  const [port] = await freePorts(1);
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--databases', '1'],
    { stdio: 'ignore' },
  );
  t.after(() => {
    child.kill('SIGKILL');
  });
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      const c = await RawConnection.open(port!);
      const pong = await c.call(['PING']);
      c.close();
      if (pong.toString() === '+PONG\r\n') return port!;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline || child.exitCode !== null) throw new Error('redis-server did not start');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
