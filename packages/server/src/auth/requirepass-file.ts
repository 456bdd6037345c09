// --requirepass-file: the default user's password, the file's bytes less one trailing newline
// (what an editor or `echo` adds). Only its SHA-256 digest is kept.

import { readFile } from 'node:fs/promises';

import { StartupError } from '../errors.js';
import { sha256 } from './acl-user.js';

export async function readRequirepassFile(path: string): Promise<Buffer> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (e) {
    throw new StartupError(`cannot read --requirepass-file ${path}: ${(e as Error).message}`);
  }
  let end = bytes.length;
  if (bytes[end - 1] === 0x0a) end -= bytes[end - 2] === 0x0d ? 2 : 1;
  if (end === 0) throw new StartupError(`--requirepass-file ${path} is empty: it must hold the password`);
  const digest = sha256(bytes.subarray(0, end));
  bytes.fill(0);
  return digest;
}
