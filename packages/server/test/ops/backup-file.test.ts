// The backup file format: what is written reads back the same, and every damaged or truncated file
// is refused with the error that says what is wrong with it (never half a backup).
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

import { backupFileChunks, backupFileLength, readBackupFile, writeBackupFile } from '../../src/ops/backup-file.js';
import { BackupError } from '../../src/errors.js';
import { keyIn, sampleBackup, valueOf } from '../support/backup-sample.js';
import { tempDir } from '../../../little-raft/test/support/temp-dir.js';

/** Where the regions of a version-1 file start (backup-file.ts). */
function layout(file: Buffer): { dataStart: number; dataBytes: number } {
  const headerBytes = file.readUInt32BE(12);
  const header = JSON.parse(file.subarray(20, 20 + headerBytes).toString('utf8')) as { dataBytes: number };
  return { dataStart: 20 + headerBytes + 32, dataBytes: header.dataBytes };
}

/** The reason readBackupFile gives for the file holding `bytes` (the part after "<path>: "). */
async function refusal(path: string, bytes: Uint8Array): Promise<string> {
  writeFileSync(path, bytes);
  try {
    await readBackupFile(path);
  } catch (e) {
    assert.ok(e instanceof BackupError, `a BackupError, not ${String(e)}`);
    assert.ok(e.message.startsWith(`${path}: `), e.message);
    return e.message.slice(path.length + 2);
  }
  return 'accepted';
}

test('a backup file reads back as written, in chunks of any size, and its data loads as the key space', async (t) => {
  const dir = tempDir(t);
  const contents = await sampleBackup(300, 100); // about 32 KB of data
  const path = join(dir, 'a.backup');
  await writeBackupFile(path, contents);
  const file = readFileSync(path);
  assert.equal(file.length, backupFileLength(contents));
  const chunks = [...backupFileChunks(contents, 1000)];
  assert.deepEqual(Buffer.concat(chunks), file, 'chunking changes no byte');
  assert.equal(chunks.length, 1 + Math.ceil(contents.data.length / 1000) + 1, 'header, data chunks, trailer');
  assert.ok(
    chunks.every((chunk) => chunk.length <= 1000),
    'chunks of at most chunkBytes',
  );
  assert.equal(file.subarray(0, 8).toString('latin1'), 'LRBACKUP');

  const back = await readBackupFile(path);
  assert.equal(back.cluster, 'c1');
  assert.equal(back.index, 42);
  assert.equal(back.term, 3);
  assert.equal(back.createdAt, contents.createdAt);
  assert.deepEqual(Buffer.from(back.data), Buffer.from(contents.data));
  assert.equal(back.checksum, createHash('sha256').update(file.subarray(0, -32)).digest('hex'));
  assert.equal(back.checksum, file.subarray(-32).toString('hex'), 'the trailer is the SHA-256 of what precedes it');
  assert.equal(keyIn(back.data, 'key:299'), valueOf(299, 100));
});

test('flipping any one byte of a backup (header, data or trailer) is detected, with what it damaged', async (t) => {
  const dir = tempDir(t);
  const file = Buffer.concat([...backupFileChunks(await sampleBackup(5))]);
  const { dataStart, dataBytes } = layout(file);
  assert.ok(dataBytes > 0 && dataStart + dataBytes + 32 === file.length);
  const path = join(dir, 'flipped.backup');
  for (let at = 0; at < file.length; at++) {
    for (const mask of [0x01, 0x80]) {
      const damaged = Buffer.from(file);
      damaged[at]! ^= mask;
      const expected =
        at < 8
          ? 'not a little-raft backup'
          : at < 12
            ? `unsupported backup version ${damaged.readUInt32BE(8)}`
            : 'checksum mismatch: the file is damaged';
      assert.equal(await refusal(path, damaged), expected, `byte ${at} ^ ${mask} (data from ${dataStart})`);
    }
  }
});

test('a backup cut short anywhere is called truncated, saying what is missing', async (t) => {
  const dir = tempDir(t);
  const file = Buffer.concat([...backupFileChunks(await sampleBackup(5))]);
  const { dataStart, dataBytes } = layout(file);
  const path = join(dir, 'cut.backup');
  assert.equal(await refusal(path, file.subarray(0, 0)), 'not a little-raft backup (the file is empty)');
  for (let length = 1; length < file.length; length++) {
    const expected =
      length < 20
        ? `truncated: expected at least 20 bytes, found ${length}`
        : length < dataStart
          ? `truncated: expected a header of ${dataStart} bytes, found ${length}`
          : length < dataStart + dataBytes
            ? `truncated: expected ${dataBytes} bytes of data, found ${length - dataStart}`
            : `truncated: expected 32 bytes of checksum at the end, found ${length - dataStart - dataBytes}`;
    assert.equal(await refusal(path, file.subarray(0, length)), expected, `cut at ${length}`);
  }
  const longer = Buffer.concat([file, Buffer.from('more')]);
  assert.equal(await refusal(path, longer), 'damaged: 4 bytes follow the end of the backup');
});

test('another file, another format version, data that is no key space, a missing file: each refused', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'other.backup');
  assert.equal(await refusal(path, Buffer.from('{"cluster":"c1"}\n')), 'not a little-raft backup');
  assert.equal(await refusal(path, Buffer.from('LRBACK')), 'truncated: expected at least 20 bytes, found 6');

  // Version 2, with its preamble check made right: the version is what is refused.
  const file = Buffer.concat([...backupFileChunks(await sampleBackup(5))]);
  const v2 = Buffer.from(file);
  v2.writeUInt32BE(2, 8);
  createHash('sha256').update(v2.subarray(0, 16)).digest().copy(v2, 16, 0, 4);
  assert.equal(await refusal(path, v2), 'unsupported backup version 2');

  // Framing and checksums all right, but the data is not a key space snapshot.
  const junk = { ...(await sampleBackup(1)), data: Buffer.from('not a snapshot of anything') };
  assert.equal(
    await refusal(path, Buffer.concat([...backupFileChunks(junk)])),
    'the key space in it cannot be loaded: KV snapshot: not a little-raft KV snapshot',
  );
  // A snapshot cut short inside (the file's own checksums made over the cut data) fails to load too.
  const sample = await sampleBackup(5);
  const cut = { ...sample, data: sample.data.subarray(0, sample.data.length - 3) };
  assert.match(
    await refusal(path, Buffer.concat([...backupFileChunks(cut)])),
    /^the key space in it cannot be loaded: /,
  );

  await assert.rejects(readBackupFile(join(dir, 'absent.backup')), (e: Error) => {
    assert.ok(e instanceof BackupError);
    assert.match(e.message, /absent\.backup: cannot open: ENOENT/);
    return true;
  });
});
