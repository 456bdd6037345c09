// The backup file: a point-in-time copy of the key space, written as a stream and verified whole.
//
// Format (version 1), integers big-endian:
//
//   offset      bytes  field
//   0           8      magic "LRBACKUP"
//   8           4      format version (1)
//   12          4      header length H (2..65536)
//   16          4      the first 4 bytes of SHA-256 over bytes 0..15 (vouches for H)
//   20          H      header: UTF-8 JSON { cluster, index, term, createdAt, dataBytes }
//   20+H        32     SHA-256 over bytes 0..20+H-1 (vouches for the header, dataBytes included)
//   52+H        D      data: the key space snapshot (KvStateMachine.createSnapshot), D = dataBytes
//   52+H+D      32     SHA-256 over everything before it
//
// Why three checksums: the lengths are vouched for before they are believed, so a file that is
// shorter than its header says is told apart ("truncated") from a file whose length field was
// damaged ("checksum mismatch"); the trailer covers every byte. readBackupFile checks everything,
// data included (it must load into a KvStateMachine), before it returns anything: a caller never
// sees half a backup.

import { constants as bufferLimits } from 'node:buffer';
import { createHash } from 'node:crypto';
import { open, rename, unlink, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';

import { BackupError } from '../errors.js';
import { KvStateMachine } from '../store/state-machine.js';

const MAGIC = Buffer.from('LRBACKUP', 'latin1');
const VERSION = 1;
const PREAMBLE_BYTES = 20;
const PREAMBLE_CHECK_BYTES = 4;
const SHA256_BYTES = 32;
const MAX_HEADER_BYTES = 65536;
/** Writes of this size keep a large key space out of socket and file buffers all at once. */
const CHUNK_BYTES = 1 << 20;

/** What a backup holds: the key space at `index` (applied under `term`) of `cluster`. */
export interface BackupContents {
  cluster: string;
  index: number;
  term: number;
  /** When the backup was taken (ISO 8601, the node's clock). */
  createdAt: string;
  /** The key space snapshot, as KvStateMachine.createSnapshot makes it. */
  data: Uint8Array;
}

/** A backup read back: its contents and its trailing checksum (hex), which names the file's bytes. */
export interface VerifiedBackup extends BackupContents {
  checksum: string;
}

function sha256(...parts: Uint8Array[]): Buffer {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest();
}

/** Preamble, header and header checksum: the bytes before the data. */
function encodeBackupHeader(contents: BackupContents): Buffer {
  const header = Buffer.from(
    JSON.stringify({
      cluster: contents.cluster,
      index: contents.index,
      term: contents.term,
      createdAt: contents.createdAt,
      dataBytes: contents.data.length,
    }),
    'utf8',
  );
  if (header.length > MAX_HEADER_BYTES) throw new BackupError('the cluster name is too long for a backup header');
  const preamble = Buffer.alloc(PREAMBLE_BYTES);
  MAGIC.copy(preamble, 0);
  preamble.writeUInt32BE(VERSION, 8);
  preamble.writeUInt32BE(header.length, 12);
  sha256(preamble.subarray(0, 16)).copy(preamble, 16, 0, PREAMBLE_CHECK_BYTES);
  return Buffer.concat([preamble, header, sha256(preamble, header)]);
}

/** The length in bytes of the backup file of `contents`. */
export function backupFileLength(contents: BackupContents): number {
  return encodeBackupHeader(contents).length + contents.data.length + SHA256_BYTES;
}

/** The backup file of `contents`, in chunks of at most `chunkBytes` (the data is not copied). */
export function* backupFileChunks(contents: BackupContents, chunkBytes = CHUNK_BYTES): Generator<Uint8Array> {
  const hash = createHash('sha256');
  const head = encodeBackupHeader(contents);
  hash.update(head);
  yield head;
  const data = contents.data;
  for (let at = 0; at < data.length; at += chunkBytes) {
    const chunk = data.subarray(at, Math.min(at + chunkBytes, data.length));
    hash.update(chunk);
    yield chunk;
  }
  yield hash.digest();
}

/** Writes the backup file of `contents` at `path` durably: a synced temporary file renamed over it. */
export async function writeBackupFile(path: string, contents: BackupContents): Promise<void> {
  const temporary = `${path}.tmp`;
  const file = await open(temporary, 'w');
  try {
    for (const chunk of backupFileChunks(contents)) await file.write(chunk);
    await file.sync();
  } catch (e) {
    await file.close();
    await unlink(temporary).catch(() => undefined);
    throw e;
  }
  await file.close();
  await rename(temporary, path);
  await syncDirectory(dirname(path));
}

/** Makes a rename in `dir` durable. */
export async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Reads and verifies the backup file at `path`: magic, version, lengths, checksums, and that its
 * data loads as a key space. Throws BackupError, its message `<path>: <what is wrong>`.
 */
export async function readBackupFile(path: string): Promise<VerifiedBackup> {
  const fail = (reason: string): never => {
    throw new BackupError(`${path}: ${reason}`);
  };
  let file: FileHandle;
  try {
    file = await open(path, 'r');
  } catch (e) {
    return fail(`cannot open: ${(e as Error).message}`);
  }
  try {
    return await readOpenBackup(file, fail);
  } catch (e) {
    if (e instanceof BackupError) throw e;
    return fail(`cannot read: ${(e as Error).message}`);
  } finally {
    await file.close();
  }
}

async function readOpenBackup(file: FileHandle, fail: (reason: string) => never): Promise<VerifiedBackup> {
  const size = (await file.stat()).size;
  if (size === 0) fail('not a little-raft backup (the file is empty)');
  const preamble = await readExactly(file, 0, Math.min(size, PREAMBLE_BYTES));
  const magicSeen = Math.min(preamble.length, MAGIC.length);
  if (!preamble.subarray(0, magicSeen).equals(MAGIC.subarray(0, magicSeen))) fail('not a little-raft backup');
  if (preamble.length >= 12 && preamble.readUInt32BE(8) !== VERSION) {
    fail(`unsupported backup version ${preamble.readUInt32BE(8)}`);
  }
  if (preamble.length < PREAMBLE_BYTES) fail(`truncated: expected at least ${PREAMBLE_BYTES} bytes, found ${size}`);
  const check = sha256(preamble.subarray(0, 16)).subarray(0, PREAMBLE_CHECK_BYTES);
  if (!check.equals(preamble.subarray(16, PREAMBLE_BYTES))) fail('checksum mismatch: the file is damaged');

  const headerBytes = preamble.readUInt32BE(12);
  if (headerBytes < 2 || headerBytes > MAX_HEADER_BYTES) fail(`bad header length ${headerBytes}`);
  const dataStart = PREAMBLE_BYTES + headerBytes + SHA256_BYTES;
  if (size < dataStart) fail(`truncated: expected a header of ${dataStart} bytes, found ${size}`);
  const rest = await readExactly(file, PREAMBLE_BYTES, headerBytes + SHA256_BYTES);
  const header = rest.subarray(0, headerBytes);
  if (!sha256(preamble, header).equals(rest.subarray(headerBytes))) fail('checksum mismatch: the file is damaged');
  const meta = parseHeader(header, fail);

  const dataFound = Math.min(size - dataStart, meta.dataBytes);
  if (dataFound < meta.dataBytes) fail(`truncated: expected ${meta.dataBytes} bytes of data, found ${dataFound}`);
  const end = dataStart + meta.dataBytes + SHA256_BYTES;
  const trailerFound = size - dataStart - meta.dataBytes;
  if (size < end) fail(`truncated: expected ${SHA256_BYTES} bytes of checksum at the end, found ${trailerFound}`);
  if (size > end) fail(`damaged: ${size - end} bytes follow the end of the backup`);
  if (meta.dataBytes > bufferLimits.MAX_LENGTH) fail(`the data (${meta.dataBytes} bytes) is too large to load`);
  const data = await readExactly(file, dataStart, meta.dataBytes);
  const trailer = await readExactly(file, dataStart + meta.dataBytes, SHA256_BYTES);
  if (!sha256(preamble, rest, data).equals(trailer)) fail('checksum mismatch: the file is damaged');

  const backup: VerifiedBackup = { ...meta.contents, data, checksum: trailer.toString('hex') };
  const problem = keyspaceProblem(backup);
  if (problem !== null) fail(`the key space in it cannot be loaded: ${problem}`);
  return backup;
}

async function readExactly(file: FileHandle, position: number, length: number): Promise<Buffer> {
  const buffer = Buffer.allocUnsafe(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await file.read(buffer, done, Math.min(length - done, CHUNK_BYTES), position + done);
    if (bytesRead === 0) throw new Error(`the file shrank while it was read (at byte ${position + done})`);
    done += bytesRead;
  }
  return buffer;
}

function parseHeader(
  bytes: Buffer,
  fail: (reason: string) => never,
): { contents: Omit<BackupContents, 'data'>; dataBytes: number } {
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch {
    return fail('bad header: not JSON');
  }
  const h = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
  const count = (name: string): number => {
    const n = h[name];
    if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) fail(`bad header: ${name} is not a count`);
    return n;
  };
  if (typeof h['cluster'] !== 'string') fail('bad header: cluster is not a string');
  if (typeof h['createdAt'] !== 'string') fail('bad header: createdAt is not a string');
  return {
    contents: {
      cluster: h['cluster'],
      index: count('index'),
      term: count('term'),
      createdAt: h['createdAt'],
    },
    dataBytes: count('dataBytes'),
  };
}

/**
 * Why the backup's data would not load into a node, or null: a throwaway state machine parses all
 * of it (loadNow throws on any defect), so a restore never writes a directory a node cannot use.
 */
function keyspaceProblem(backup: VerifiedBackup): string | null {
  const machine = new KvStateMachine({
    applied: () => undefined,
    abandoned: () => undefined,
    pending: () => [],
    restored: () => undefined,
  });
  try {
    machine.loadNow({ lastIncludedIndex: backup.index, lastIncludedTerm: backup.term, data: backup.data });
    return null;
  } catch (e) {
    return (e as Error).message;
  }
}
