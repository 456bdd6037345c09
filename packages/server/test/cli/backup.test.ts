// `little-raft backup` against small HTTP servers in the test: a good stream becomes --out, verified;
// a stream cut short, a damaged one or an error answer is one line, exit 1, and no --out file
// (an older one is left as it was), no partial file.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';

import { handleBackup } from '../../src/ops/backup-endpoint.js';
import { backupFileChunks, readBackupFile } from '../../src/ops/backup-file.js';
import { sampleBackup } from '../support/backup-sample.js';
import { runCli, type CliRun } from '../support/run-cli.js';
import { tempDir } from '../../../little-raft/test/support/temp-dir.js';

const SAMPLE = await sampleBackup(2000, 1000); // about 2 MB
const FILE = Buffer.concat([...backupFileChunks(SAMPLE)]);

interface Seen {
  method: string;
  url: string;
  authorization: string | undefined;
}

/** An HTTP server on a free port answering with `handle`; what each request asked is in `seen`. */
async function server(
  t: TestContext,
  handle: (res: http.ServerResponse) => void,
): Promise<{ address: string; seen: Seen[]; close(done: () => void): void }> {
  const seen: Seen[] = [];
  const s = http.createServer((req, res) => {
    seen.push({ method: req.method!, url: req.url!, authorization: req.headers.authorization });
    handle(res);
  });
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    s.closeAllConnections();
    s.close();
  });
  return { address: `127.0.0.1:${(s.address() as AddressInfo).port}`, seen, close: (done) => s.close(done) };
}

function streamOf(bytes: Buffer, cutAt = bytes.length): (res: http.ServerResponse) => void {
  return (res) => {
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': bytes.length });
    if (cutAt === bytes.length) {
      res.end(bytes);
    } else {
      res.write(bytes.subarray(0, cutAt), () => res.destroy());
    }
  };
}

/** Asserts a failed run: exit 1, nothing on stdout, one line on stderr matching `line`. */
function assertFailed(r: CliRun, line: RegExp): void {
  assert.equal(r.code, 1, r.stderr);
  assert.equal(r.stdout, '');
  assert.equal(r.stderr.split('\n').filter((l) => l !== '').length, 1, r.stderr);
  assert.match(r.stderr.trimEnd(), line);
}

function files(t: TestContext): { dir: string; out: string; secret: string } {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'secret'), 'a secret for the backup tests\n');
  return { dir, out: join(dir, 'cluster.backup'), secret: join(dir, 'secret') };
}

test('backup writes the streamed file to --out once verified, signing its request with the secret', async (t) => {
  const node = await server(t, (res) => void handleBackup({ backupSnapshot: () => Promise.resolve(SAMPLE) }, res));
  const { out, secret } = files(t);
  writeFileSync(out, 'an older backup');
  const r = await runCli(['backup', '--node', node.address, '--secret-file', secret, '--out', out]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, '');
  const size = readFileSync(out).length;
  assert.equal(r.stdout, `backup of cluster c1 at index 42: ${size} bytes -> ${out}\n`);
  const back = await readBackupFile(out);
  assert.deepEqual(Buffer.from(back.data), Buffer.from(SAMPLE.data));
  assert.equal(existsSync(`${out}.partial`), false);

  assert.equal(node.seen.length, 1);
  assert.equal(node.seen[0]!.method, 'GET');
  assert.equal(node.seen[0]!.url, '/admin/backup');
  assert.match(node.seen[0]!.authorization ?? '', /^LittleRaft-HMAC ts=\d+,nonce=[0-9a-f]{32},sig=[0-9a-f]{64}$/);

  // Without --secret-file (a cluster without one) the request goes unsigned.
  const { out: out2 } = files(t);
  const r2 = await runCli(['backup', '--node', node.address, '--out', out2]);
  assert.equal(r2.code, 0, r2.stderr);
  assert.equal(node.seen[1]!.authorization, undefined);
});

test('a stream cut midway: exit 1, one line, no --out file, and an older one is left as it was', async (t) => {
  const node = await server(t, streamOf(FILE, Math.floor(FILE.length / 2)));
  const { dir, out, secret } = files(t);
  const r = await runCli(['backup', '--node', node.address, '--secret-file', secret, '--out', out]);
  assertFailed(r, /^little-raft: backup to .* failed: the download from 127\.0\.0\.1:\d+ broke off after \d+ bytes/);
  assert.equal(existsSync(out), false);
  assert.equal(existsSync(`${out}.partial`), false);

  const older = join(dir, 'older.backup');
  writeFileSync(older, 'an older backup');
  const r2 = await runCli(['backup', '--node', node.address, '--secret-file', secret, '--out', older]);
  assert.equal(r2.code, 1);
  assert.equal(readFileSync(older, 'utf8'), 'an older backup');
});

test('a whole stream with one byte damaged: exit 1 on the checksum, no --out file', async (t) => {
  const damaged = Buffer.from(FILE);
  damaged[FILE.length - 1000]! ^= 0x10;
  const node = await server(t, streamOf(damaged));
  const { out, secret } = files(t);
  const r = await runCli(['backup', '--node', node.address, '--secret-file', secret, '--out', out]);
  assertFailed(r, /^little-raft: the backup 127\.0\.0\.1:\d+ sent is bad: .*: checksum mismatch: the file is damaged$/);
  assert.equal(existsSync(out), false);
  assert.equal(existsSync(`${out}.partial`), false);
});

test("the node's error answer, an unreachable node, a short secret: one line each, exit 1", async (t) => {
  const failing = { backupSnapshot: () => Promise.reject(new Error('TRYAGAIN no leader is available; try again')) };
  const node = await server(t, (res) => void handleBackup(failing, res));
  const { dir, out, secret } = files(t);
  assertFailed(
    await runCli(['backup', '--node', node.address, '--secret-file', secret, '--out', out]),
    /^little-raft: backup to .* failed: 127\.0\.0\.1:\d+ answered 503: TRYAGAIN no leader is available; try again$/,
  );
  assert.equal(existsSync(out), false);

  const closed = await server(t, () => undefined);
  const silent = closed.address; // answers nothing: the idle timeout ends the wait
  assertFailed(
    await runCli(['backup', '--node', silent, '--secret-file', secret, '--out', out, '--timeout', '300']),
    /^little-raft: backup to .* failed: no answer from 127\.0\.0\.1:\d+ within 300 ms$/,
  );
  assert.equal(existsSync(out), false);

  const gone = await server(t, () => undefined);
  await new Promise<void>((resolve) => gone.close(resolve)); // nothing listens there any more
  assertFailed(
    await runCli(['backup', '--node', gone.address, '--secret-file', secret, '--out', out]),
    /^little-raft: backup to .* failed: cannot reach 127\.0\.0\.1:\d+: connect ECONNREFUSED/,
  );

  writeFileSync(join(dir, 'short'), 'too short\n');
  assertFailed(
    await runCli(['backup', '--node', node.address, '--secret-file', join(dir, 'short'), '--out', out]),
    /^little-raft: --secret-file .*short: the secret must be at least 16 bytes$/,
  );
});
