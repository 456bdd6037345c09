// `little-raft restore`: a verified backup becomes the data directory of a member of a new cluster
// (its identity, the backup and the plan, which loadRestoredSnapshot reads back at the node's start);
// members restored from the same file with the same --peers agree on the new cluster id; a bad
// file, a non-empty directory or an --id outside --peers is refused with nothing written.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';

import { writeBackupFile } from '../../src/ops/backup-file.js';
import { claimDataDir } from '../../src/node/data-dir.js';
import { loadRestoredSnapshot } from '../../src/node/restore-dir.js';
import { DataDirError } from '../../src/errors.js';
import { sampleBackup } from '../support/backup-sample.js';
import { runCli, type CliRun } from '../support/run-cli.js';
import { tempDir } from '../../../little-raft/test/support/temp-dir.js';

const PEERS = '1=10.0.0.1:7001,2=10.0.0.2:7001,3=10.0.0.3:7001';
const SAMPLE = await sampleBackup(50, 20, 42, 'prod');

async function backupFile(t: TestContext): Promise<{ dir: string; file: string }> {
  const dir = tempDir(t);
  const file = join(dir, 'cluster.backup');
  await writeBackupFile(file, SAMPLE);
  return { dir, file };
}

function restore(file: string, id: number, peers: string, data: string): Promise<CliRun> {
  return runCli(['restore', '--from', file, '--id', String(id), '--peers', peers, '--data', data]);
}

function identityIn(dir: string): { cluster: string; id: number; incarnation: number; clusterId: string } {
  return JSON.parse(readFileSync(join(dir, 'node.json'), 'utf8')) as ReturnType<typeof identityIn>;
}

function assertFailed(r: CliRun, line: string | RegExp): void {
  assert.equal(r.code, 1, r.stderr);
  assert.equal(r.stdout, '');
  assert.equal(r.stderr.split('\n').filter((l) => l !== '').length, 1, r.stderr);
  if (typeof line === 'string') assert.equal(r.stderr, line + '\n');
  else assert.match(r.stderr.trimEnd(), line);
}

test('restore makes a new member: identity with a new cluster id, the backup, the plan; the node loads it', async (t) => {
  const { dir, file } = await backupFile(t);
  const data = join(dir, 'data', '1');
  const r = await restore(file, 1, PEERS, data);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, '');
  const identity = identityIn(data);
  assert.match(identity.clusterId, /^[0-9a-f]{32}$/);
  assert.deepEqual(identity, { cluster: 'prod', id: 1, incarnation: 0, clusterId: identity.clusterId });
  assert.deepEqual(readdirSync(data).sort(), ['node.json', 'restore.backup', 'restore.json']);
  assert.match(
    r.stdout,
    new RegExp(`^restored cluster prod at index 42 .* node 1 of a new cluster, id ${identity.clusterId}\n`),
  );
  assert.ok(r.stdout.includes(`little-raft serve --id 1 --peers ${PEERS} --data ${data} --cluster prod `), r.stdout);

  const restored = await loadRestoredSnapshot(data);
  assert.ok(restored !== null);
  assert.equal(restored.index, 42);
  assert.equal(restored.term, 3);
  assert.deepEqual(Buffer.from(restored.data), Buffer.from(SAMPLE.data));
  assert.deepEqual(restored.peers, { 1: '10.0.0.1:7001', 2: '10.0.0.2:7001', 3: '10.0.0.3:7001' });

  // The node's own start accepts the directory and keeps the new cluster id.
  const claimed = await claimDataDir(data, 'prod', 1);
  assert.deepEqual(claimed, { cluster: 'prod', id: 1, incarnation: 1, clusterId: identity.clusterId });
});

test('every member restored from one file with the same --peers gets the same cluster id; other peers, another', async (t) => {
  const { dir, file } = await backupFile(t);
  const reordered = '3=10.0.0.3:7001,1=10.0.0.1:7001,2=10.0.0.2:7001';
  const runs = await Promise.all([
    restore(file, 1, PEERS, join(dir, 'a')),
    restore(file, 2, reordered, join(dir, 'b')),
    restore(file, 1, '1=10.0.0.1:7001,2=10.0.0.2:7001,3=10.0.0.9:7001', join(dir, 'c')),
  ]);
  for (const r of runs) assert.equal(r.code, 0, r.stderr);
  const [a, b, c] = ['a', 'b', 'c'].map((name) => identityIn(join(dir, name)).clusterId);
  assert.equal(a, b, 'same file, same peers in another order, another member');
  assert.notEqual(a, c, 'another peer address: another cluster');

  // Another backup (another checksum) with the same peers: another cluster too.
  const other = join(dir, 'other.backup');
  await writeBackupFile(other, { ...SAMPLE, createdAt: '2024-05-02T00:00:00.000Z' });
  assert.equal((await restore(other, 1, PEERS, join(dir, 'd'))).code, 0);
  assert.notEqual(identityIn(join(dir, 'd')).clusterId, a);
});

test('restore refuses a non-empty directory and an --id outside --peers, leaving everything as it was', async (t) => {
  const { dir, file } = await backupFile(t);
  const busy = join(dir, 'busy');
  mkdirSync(busy);
  writeFileSync(join(busy, 'something'), 'mine');
  assertFailed(await restore(file, 1, PEERS, busy), `little-raft: data directory ${busy} is not empty`);
  assert.deepEqual(readdirSync(busy), ['something']);

  const fresh = join(dir, 'fresh');
  assertFailed(await restore(file, 4, PEERS, fresh), 'little-raft: --id 4 is not in --peers (1, 2, 3)');
  assert.equal(existsSync(fresh), false);
});

test('a damaged or truncated backup is refused before anything is written', async (t) => {
  const { dir, file } = await backupFile(t);
  const bytes = readFileSync(file);
  const damaged = Buffer.from(bytes);
  damaged[bytes.length - 40]! ^= 0x01; // in the data
  writeFileSync(join(dir, 'damaged.backup'), damaged);
  writeFileSync(join(dir, 'truncated.backup'), bytes.subarray(0, bytes.length - 100));
  const empty = join(dir, 'empty');
  mkdirSync(empty);
  for (const [name, reason] of [
    ['damaged.backup', 'checksum mismatch: the file is damaged'],
    ['truncated.backup', /truncated: expected \d+ bytes of data, found \d+/],
  ] as const) {
    const path = join(dir, name);
    const absent = join(dir, `absent-${name}`);
    const r = await restore(path, 1, PEERS, absent);
    if (typeof reason === 'string') assertFailed(r, `little-raft: ${path}: ${reason}`);
    else assertFailed(r, new RegExp(`^little-raft: ${path}: ${reason.source}$`));
    assert.equal(existsSync(absent), false, 'no directory made');
    assert.equal((await restore(path, 1, PEERS, empty)).code, 1);
    assert.deepEqual(readdirSync(empty), [], 'the empty directory stays empty');
  }
});

test('loadRestoredSnapshot: null for a directory no restore made; a damaged or unfinished restore is refused', async (t) => {
  const { dir, file } = await backupFile(t);
  const plain = join(dir, 'plain');
  await claimDataDir(plain, 'prod', 1);
  assert.equal(await loadRestoredSnapshot(plain), null);

  const data = join(dir, 'restored');
  assert.equal((await restore(file, 2, PEERS, data)).code, 0);
  const backupBytes = readFileSync(join(data, 'restore.backup'));
  const refused = async (pattern: RegExp): Promise<void> => {
    await assert.rejects(loadRestoredSnapshot(data), (e: Error) => {
      assert.ok(e instanceof DataDirError, String(e));
      assert.match(e.message, pattern);
      return true;
    });
  };

  const damaged = Buffer.from(backupBytes);
  damaged[damaged.length - 50]! ^= 0x04;
  writeFileSync(join(data, 'restore.backup'), damaged);
  await refused(/restore\.backup: checksum mismatch: the file is damaged$/);

  rmSync(join(data, 'restore.backup'));
  await refused(/^the restore into .* did not finish \(restore\.backup is missing\)/);

  writeFileSync(join(data, 'restore.backup'), backupBytes);
  const plan = readFileSync(join(data, 'restore.json'));
  writeFileSync(join(data, 'restore.json'), JSON.stringify({ peers: {}, index: 41, term: 3 }));
  await refused(/restore\.backup is not the backup .*restore\.json names \(index 41, term 3\)$/);
  writeFileSync(join(data, 'restore.json'), '{"peers":');
  await refused(/restore\.json does not hold \{ peers, index, term \}$/);

  rmSync(join(data, 'restore.json'));
  await refused(/^the restore into .* did not finish \(restore\.json is missing\)/);

  writeFileSync(join(data, 'restore.json'), plan);
  assert.equal((await loadRestoredSnapshot(data))?.index, 42, 'whole again');
});
