// GET /admin/backup's handler: it streams the node's backupSnapshot as a backup file, one chunk of at
// most 1 MiB at a time, each only once the one before has drained; an error before the first byte
// is a JSON 503; a client that goes away ends the stream.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { test } from 'node:test';

import { handleBackup } from '../../src/ops/backup-endpoint.js';
import { readBackupFile, type BackupContents } from '../../src/ops/backup-file.js';
import { keyIn, sampleBackup, valueOf } from '../support/backup-sample.js';
import { tempDir } from '../../../little-raft/test/support/temp-dir.js';

type Snapshot = Omit<BackupContents, 'createdAt'>;

function nodeWith(snapshot: Snapshot | Error): { backupSnapshot(): Promise<Snapshot> } {
  return {
    backupSnapshot: () => (snapshot instanceof Error ? Promise.reject(snapshot) : Promise.resolve(snapshot)),
  };
}

async function serveBackups(node: { backupSnapshot(): Promise<Snapshot> }): Promise<{ url: string; close(): void }> {
  const server = http.createServer((_req, res) => void handleBackup(node, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/admin/backup`, close: () => server.close() };
}

async function get(url: string): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      })
      .on('error', reject);
  });
}

test('the handler streams the snapshot as a backup file that reads back whole', async (t) => {
  const sample = await sampleBackup(3000, 1000); // about 3 MB: several 1 MiB chunks
  const server = await serveBackups(nodeWith(sample));
  t.after(() => server.close());
  const before = Date.now();
  const { status, headers, body } = await get(server.url);
  assert.equal(status, 200);
  assert.equal(headers['content-type'], 'application/octet-stream');
  assert.equal(Number(headers['content-length']), body.length);

  const path = join(tempDir(t), 'got.backup');
  writeFileSync(path, body);
  const back = await readBackupFile(path);
  assert.deepEqual([back.cluster, back.index, back.term], ['c1', 42, 3]);
  assert.deepEqual(Buffer.from(back.data), Buffer.from(sample.data));
  assert.ok(Date.parse(back.createdAt) >= before - 1000, `createdAt ${back.createdAt} is when it was taken`);
  assert.equal(keyIn(back.data, 'key:2999'), valueOf(2999, 1000));
});

test('when the node cannot give a consistent copy, the answer is a JSON 503 with its reason', async (t) => {
  const server = await serveBackups(nodeWith(new Error('TRYAGAIN no leader is available; try again')));
  t.after(() => server.close());
  const { status, headers, body } = await get(server.url);
  assert.equal(status, 503);
  assert.equal(headers['content-type'], 'application/json');
  assert.deepEqual(JSON.parse(body.toString()), { error: 'TRYAGAIN no leader is available; try again' });
});

/** A response whose writes complete only when the test says so: every write() reports it is full. */
class HeldResponse extends Writable {
  status = 0;
  headersSent = false;
  readonly received: Buffer[] = [];
  private readonly held: (() => void)[] = [];

  constructor() {
    super({ highWaterMark: 1 });
  }

  writeHead(status: number): this {
    this.status = status;
    this.headersSent = true;
    return this;
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void {
    this.received.push(chunk);
    this.held.push(callback);
  }

  release(): void {
    this.held.shift()!();
  }

  /** Waits until `count` chunks were handed to the socket; then what else the handler queued. */
  async nextWrite(count: number): Promise<number> {
    const deadline = Date.now() + 30000;
    while (this.received.length < count && !this.writableFinished) {
      assert.ok(Date.now() < deadline, `write ${count} never came`);
      await new Promise((resolve) => setImmediate(resolve));
    }
    // The handler runs on promises only: a few more turns let it queue anything it would.
    for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
    return this.writableLength;
  }
}

test('the handler writes chunks of at most 1 MiB, the next only after the last one drained', async (t) => {
  const sample = await sampleBackup(3000, 1000);
  const res = new HeldResponse();
  const done = handleBackup(nodeWith(sample), res as unknown as http.ServerResponse);
  const dataChunks = Math.ceil(sample.data.length / (1 << 20));
  assert.ok(dataChunks >= 3);
  for (let n = 1; n <= dataChunks + 2; n++) {
    const queued = await res.nextWrite(n);
    assert.equal(res.received.length, n);
    assert.equal(queued, res.received[n - 1]!.length, `after write ${n}: only that chunk is in flight`);
    assert.ok(res.received[n - 1]!.length <= 1 << 20);
    res.release();
  }
  await done;
  assert.equal(res.status, 200);
  assert.equal(res.received.length, dataChunks + 2, 'header, data chunks, checksum');
  const path = join(tempDir(t), 'held.backup');
  writeFileSync(path, Buffer.concat(res.received));
  assert.deepEqual(Buffer.from((await readBackupFile(path)).data), Buffer.from(sample.data));
});

test('a client that goes away mid-stream ends the handler, with nothing more written', async () => {
  const res = new HeldResponse();
  const write = res.write.bind(res);
  let writes = 0;
  res.write = ((...args: Parameters<typeof write>) => {
    writes++;
    return write(...args);
  }) as typeof res.write;
  const done = handleBackup(nodeWith(await sampleBackup(3000, 1000)), res as unknown as http.ServerResponse);
  await res.nextWrite(1);
  res.release();
  await res.nextWrite(2);
  res.destroy(); // what the server does when the socket closes
  let timer: NodeJS.Timeout | undefined;
  const never = new Promise((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error('the handler still waits for a closed client')), 30000);
  });
  await Promise.race([done, never]).finally(() => clearTimeout(timer));
  assert.equal(writes, 2);
});
