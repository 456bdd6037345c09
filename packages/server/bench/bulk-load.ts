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
function setCommands(keyAt: (i: number) => number, from: number, to: number): Buffer {
  const value = `$${VALUE.length}\r\n${VALUE.toString('latin1')}\r\n`;
  let text = '';
  for (let i = from; i < to; i++) {
    const key = keyName(keyAt(i));
    text += `*3\r\n$3\r\nSET\r\n$${key.length}\r\n${key}\r\n${value}`;
  }
  return Buffer.from(text, 'latin1');
}

/** What a load came to: error answers by their text (each such SET was sent again). */
export interface LoadResult {
  errors: Map<string, number>;
  passes: number;
}

/** Passes over the keys answered with an error before the load gives up. */
const PASSES = 5;

/**
 * SETs keys 0 .. count-1 to VALUE through `port` on 127.0.0.1; resolves once every one is
 * answered +OK. A SET answered with an error (a -TIMEOUT while the server stalls, a -TRYAGAIN
 * during an election) is sent again in a later pass, SET being idempotent; the errors are in
 * the result. Rejects on a closed connection, when keys still fail after 5 passes, or after
 * `deadlineMs`. `onProgress` is told how many are answered, about every 5 s.
 */
export async function bulkLoad(
  port: number,
  count: number,
  deadlineMs: number,
  onProgress: (answered: number) => void = () => undefined,
): Promise<LoadResult> {
  const deadline = performance.now() + deadlineMs;
  const errors = new Map<string, number>();
  let failed: number[] = [];
  for (let pass = 1; pass <= PASSES; pass++) {
    const again = failed;
    failed =
      pass === 1
        ? await loadPass(port, count, (i) => i, deadline, errors, onProgress)
        : await loadPass(port, again.length, (i) => again[i]!, deadline, errors, onProgress);
    if (failed.length === 0) return { errors, passes: pass };
  }
  const texts = [...errors].map(([text, n]) => `${n}x ${text}`).join('; ');
  throw new Error(
    `loading keys on port ${port}: ${failed.length} SETs still failing after ${PASSES} passes (${texts})`,
  );
}

/**
 * SETs keys keyAt(0) .. keyAt(count - 1) pipelined on one connection; resolves with the key
 * numbers answered with an error.
 */
function loadPass(
  port: number,
  count: number,
  keyAt: (i: number) => number,
  deadline: number,
  errors: Map<string, number>,
  onProgress: (answered: number) => void,
): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.setNoDelay(true);
    const failed: number[] = [];
    let sent = 0;
    let answered = 0;
    // Each SET answer is one line: +OK, or an error line starting with '-'; answers come in order.
    let atLineStart = true;
    let errorLine: string | null = null;
    let settled = false;
    const finish = (error: Error | null): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearInterval(progress);
      socket.destroy();
      if (error === null) resolve(failed);
      else reject(error);
    };
    const timer = setTimeout(
      () => finish(new Error(`loading ${count} keys on port ${port}: only ${answered} answered in time`)),
      Math.max(0, deadline - performance.now()),
    );
    const progress = setInterval(() => onProgress(answered), 5000);
    let draining = false;
    const fill = (): void => {
      if (draining) return;
      while (sent < count && sent - answered < UNANSWERED) {
        const to = Math.min(count, sent + BATCH);
        const buffer = setCommands(keyAt, sent, to);
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
        if (errorLine !== null && byte !== 0x0a) {
          errorLine += String.fromCharCode(byte);
          continue;
        }
        if (atLineStart && byte === 0x2d /* - */) {
          errorLine = '-';
          continue;
        }
        atLineStart = byte === 0x0a;
        if (!atLineStart) continue;
        if (errorLine !== null) {
          const text = errorLine.trimEnd();
          errors.set(text, (errors.get(text) ?? 0) + 1);
          failed.push(keyAt(answered));
          errorLine = null;
        }
        answered++;
      }
      if (answered === count) finish(null);
      else fill();
    });
    socket.on('error', (error) => finish(new Error(`loading keys on port ${port}: ${error.message}`)));
    socket.on('close', () => finish(new Error(`loading keys on port ${port}: connection closed after ${answered}`)));
  });
}
