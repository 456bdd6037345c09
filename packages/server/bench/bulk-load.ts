// Loads keys fast, the way a Redis user does a bulk import: SET commands pipelined on one
// connection, a bounded number of them unanswered at a time. The same loader fills little-raft
// and redis-server in the big key space bench (bench/bigkeys.ts), so that their memory is
// compared for the same data arriving the same way.
import * as net from 'node:net';

/** The name of key `i` (fixed width, as redis-benchmark's `key:000000000001`). */
export function keyName(i: number): string {
  return `key:${String(i).padStart(12, '0')}`;
}

/** The 100-byte value every key gets. */
export const VALUE = Buffer.alloc(100, 'v');

/** Commands per write() and most commands unanswered at once. */
const BATCH = 1000;
const UNANSWERED = 32 * BATCH;

/** One string, one Buffer per batch: the loader, not the server, was the limit with a Buffer per command. */
function setCommands(from: number, to: number): Buffer {
  const value = `$${VALUE.length}\r\n${VALUE.toString('latin1')}\r\n`;
  let text = '';
  for (let i = from; i < to; i++) {
    const key = keyName(i);
    text += `*3\r\n$3\r\nSET\r\n$${key.length}\r\n${key}\r\n${value}`;
  }
  return Buffer.from(text, 'latin1');
}

/**
 * SETs keys 0 .. count-1 to VALUE through `port` on 127.0.0.1; resolves once every one is
 * answered +OK. Rejects on the first error reply (with its text), on a closed connection, or
 * after `deadlineMs`. `onProgress` is told how many are answered, about every 5 s.
 */
export function bulkLoad(
  port: number,
  count: number,
  deadlineMs: number,
  onProgress: (answered: number) => void = () => undefined,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.setNoDelay(true);
    let sent = 0;
    let answered = 0;
    // Each SET answer is one line: +OK, or an error line starting with '-'.
    let atLineStart = true;
    let errorLine: string | null = null;
    let settled = false;
    const finish = (error: Error | null): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearInterval(progress);
      socket.destroy();
      if (error === null) resolve();
      else reject(error);
    };
    const timer = setTimeout(
      () => finish(new Error(`loading ${count} keys on port ${port}: only ${answered} answered in ${deadlineMs} ms`)),
      deadlineMs,
    );
    const progress = setInterval(() => onProgress(answered), 5000);
    let draining = false;
    const fill = (): void => {
      if (draining) return;
      while (sent < count && sent - answered < UNANSWERED) {
        const to = Math.min(count, sent + BATCH);
        const buffer = setCommands(sent, to);
        sent = to;
        if (!socket.write(buffer)) {
          draining = true;
          socket.once('drain', () => {
            draining = false;
            fill();
          });
          return;
        }
      }
    };
    socket.on('connect', fill);
    socket.on('data', (data: Buffer) => {
      for (let i = 0; i < data.length; i++) {
        const byte = data[i]!;
        if (errorLine !== null) {
          if (byte === 0x0a) {
            return finish(new Error(`loading keys on port ${port}: SET answered ${errorLine.trimEnd()}`));
          }
          errorLine += String.fromCharCode(byte);
          continue;
        }
        if (atLineStart && byte === 0x2d /* - */) errorLine = '-';
        atLineStart = byte === 0x0a;
        if (atLineStart) answered++;
      }
      if (answered === count) finish(null);
      else fill();
    });
    socket.on('error', (error) => finish(new Error(`loading keys on port ${port}: ${error.message}`)));
    socket.on('close', () => finish(new Error(`loading keys on port ${port}: connection closed after ${answered}`)));
  });
}
