// DiskStorage's identity file: the replica's member identity (see StoredIdentity), as JSON in
// `identity.json` beside the log. Replaced atomically (a synced temporary file renamed over it,
// then the directory synced), so a crash leaves the old file or the new one, never a mix.

import { open, readFile, rename } from 'node:fs/promises';
import { dirname, join } from 'node:path';

import type { StoredIdentity } from '../../core/types.js';
import { identityShapeError } from '../../encoding/identity-shape.js';
import { DiskCorruptionError } from '../../encoding/errors.js';

const FILE = 'identity.json';

/** The stored identity, or null when the directory has none yet. */
export async function readIdentityFile(dir: string): Promise<StoredIdentity | null> {
  const path = join(dir, FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new DiskCorruptionError(path, 0, 'the identity file is not JSON');
  }
  const problem = identityShapeError(value);
  if (problem !== null) throw new DiskCorruptionError(path, 0, problem);
  return value as StoredIdentity;
}

/** Replaces the identity file durably. */
export async function writeIdentityFile(dir: string, identity: StoredIdentity): Promise<void> {
  await replaceFileDurably(join(dir, FILE), JSON.stringify(identity) + '\n');
}

/**
 * Replaces the file at `path` with `text`, atomically and durably: a synced temporary file is
 * renamed over it, then its directory is synced. A crash leaves the old file or the new one.
 */
export async function replaceFileDurably(path: string, text: string): Promise<void> {
  const temporary = `${path}.tmp`;
  const file = await open(temporary, 'w');
  try {
    await file.writeFile(text);
    await file.sync();
  } finally {
    await file.close();
  }
  await rename(temporary, path);
  const handle = await open(dirname(path), 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
