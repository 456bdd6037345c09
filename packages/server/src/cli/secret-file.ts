// Reading the cluster secret from --secret-file, the same way for every command: the file's text,
// trimmed (a trailing newline from an editor or `echo` is not part of the secret).

import { readFile } from 'node:fs/promises';

import { StartupError } from '../errors.js';

const MIN_SECRET_LENGTH = 16;

export async function readSecretFile(path: string): Promise<Uint8Array> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (e) {
    throw new StartupError(`cannot read --secret-file ${path}: ${(e as Error).message}`);
  }
  const text = bytes.toString('utf8').trim();
  if (text.length < MIN_SECRET_LENGTH) {
    throw new StartupError(`--secret-file ${path}: the secret must be at least ${MIN_SECRET_LENGTH} bytes`);
  }
  return Buffer.from(text, 'utf8');
}
