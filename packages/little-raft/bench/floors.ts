// Raw floors that cluster figures are put next to: one write + datasync on a disk, and one
// TCP round trip over loopback between two processes.
import { spawn } from 'node:child_process';
import { open, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';

import { percentile } from './stats.js';

export interface Floor {
  count: number;
  perSecond: number;
  p50: number;
  p99: number;
}

function summarize(latencies: number[], ms: number): Floor {
  const sorted = Float64Array.from(latencies).sort();
  return {
    count: latencies.length,
    perSecond: latencies.length / (ms / 1000),
    p50: percentile(sorted, 0.5),
    p99: percentile(sorted, 0.99),
  };
}

/**
 * The disk's floor: `bytes` appended to a plain file in `dir`, then datasync (fdatasync),
 * back to back, until `seconds` have passed or `count` syncs are done, whichever is first.
 */
export async function syncFloor(
  dir: string,
  bytes: number,
  { seconds = Infinity, count = Infinity }: { seconds?: number; count?: number },
): Promise<Floor> {
  const path = join(dir, `raw-sync-${process.pid}`);
  const file = await open(path, 'w');
  const buffer = Buffer.alloc(bytes, 0x61);
  const latencies: number[] = [];
  try {
    const started = performance.now();
    let now = started;
    let position = 0;
    while (now - started < seconds * 1000 && latencies.length < count) {
      await file.write(buffer, 0, bytes, position);
      position += bytes;
      await file.datasync();
      const after = performance.now();
      latencies.push(after - now);
      now = after;
    }
    return summarize(latencies, now - started);
  } finally {
    await file.close();
    await rm(path, { force: true });
  }
}

// An echo server in its own process: prints its port, echoes every byte, exits with its parent.
const ECHO_SERVER = `
const server = require('node:net').createServer((socket) => {
  socket.setNoDelay(true);
  socket.on('data', (data) => socket.write(data));
  socket.on('error', () => {});
});
server.listen(0, '127.0.0.1', () => console.log(server.address().port));
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
`;

/**
 * One loopback TCP round trip between two Node processes: `count` 16-byte messages, each
 * sent when the previous one came back (no delay, the connection kept).
 */
export async function loopbackRoundTrip(count: number): Promise<Floor> {
  const child = spawn(process.execPath, ['-e', ECHO_SERVER], { stdio: ['pipe', 'pipe', 'inherit'] });
  try {
    const port = await new Promise<number>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('\n')) resolve(Number(out.trim()));
      });
      child.once('exit', (code) => reject(new Error(`echo server exited (${code})`)));
      child.once('error', reject);
    });
    const socket = connect({ host: '127.0.0.1', port, noDelay: true });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    try {
      const message = Buffer.alloc(16, 0x62);
      const latencies: number[] = [];
      const started = performance.now();
      let now = started;
      let received = 0;
      await new Promise<void>((resolve, reject) => {
        socket.on('error', reject);
        socket.on('data', (d: Buffer) => {
          received += d.length;
          if (received < message.length) return;
          received -= message.length;
          const after = performance.now();
          latencies.push(after - now);
          now = after;
          if (latencies.length === count) resolve();
          else socket.write(message);
        });
        socket.write(message);
      });
      return summarize(latencies, now - started);
    } finally {
      socket.destroy();
    }
  } finally {
    child.stdin.end();
    child.kill();
  }
}
