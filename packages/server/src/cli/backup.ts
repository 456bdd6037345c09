// `little-raft backup`: downloads a node's GET /admin/backup into a file, verified before it is
// given its name.
//
// The file grows as `<out>.partial` and becomes `<out>` (rename, then a sync of its directory) only
// once readBackupFile has checked all of it, so `<out>` is never a damaged or partial backup; on any
// failure the partial file is removed and `<out>` is left as it was.

import type * as http from 'node:http';
import { open, rename, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

import { parseHostPort } from 'little-raft/tcp';
import { cliTarget } from '../tls/cli-options.js';
import { httpRequest, tlsFailureText, type ClientTls } from '../tls/http-client.js';
import { readBackupFile, syncDirectory } from '../ops/backup-file.js';
import { signAdminRequest } from '../ops/admin-auth.js';
import { readSecretFile } from './secret-file.js';
import { BackupError, StartupError } from '../errors.js';

export interface BackupOptions {
  node: string;
  secretFile?: string;
  /** HTTPS (src/tls/cli-options.ts). */
  cacert?: string;
  cert?: string;
  key?: string;
  out: string;
  timeout: number;
}

/** The `authorization` header value of a request (method, path with query), signed with the secret. */
type SignRequest = (method: string, pathWithQuery: string) => string;

const BACKUP_PATH = '/admin/backup';
/** An error answer is a short JSON object: a longer one is cut for the message. */
const MAX_ERROR_BODY = 4096;

export async function runBackup(o: BackupOptions): Promise<void> {
  const secret = o.secretFile === undefined ? null : await readSecretFile(o.secretFile);
  const sign: SignRequest | null =
    secret === null ? null : (method, path) => signAdminRequest(secret, method, path, new Uint8Array(0));
  const { address, tls } = await cliTarget(o);
  const partial = `${o.out}.partial`;
  try {
    const bytes = await download(address, tls, partial, sign, o.timeout);
    const backup = await readBackupFile(partial).catch((e: Error) => {
      throw new BackupError(`the backup ${o.node} sent is bad: ${e.message}`);
    });
    await rename(partial, o.out);
    await syncDirectory(dirname(o.out));
    console.log(`backup of cluster ${backup.cluster} at index ${backup.index}: ${bytes} bytes -> ${o.out}`);
  } catch (e) {
    await unlink(partial).catch(() => undefined);
    if (e instanceof StartupError) throw e;
    throw new BackupError(`backup to ${o.out} failed: ${(e as Error).message}`);
  }
}

/** Streams the node's backup into `file`, synced: resolves with its length in bytes. */
async function download(
  node: string,
  tls: ClientTls | undefined,
  file: string,
  sign: SignRequest | null,
  timeoutMs: number,
): Promise<number> {
  const { host, port } = parseHostPort(node);
  let timedOut = false;
  const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
    const headers: http.OutgoingHttpHeaders = sign === null ? {} : { authorization: sign('GET', BACKUP_PATH) };
    const req = httpRequest(tls, { host, port, path: BACKUP_PATH, headers, timeout: timeoutMs });
    req.on('response', resolve);
    req.end();
    // The socket's idle timeout: no answer, or a stream that stalls, for timeoutMs.
    req.on('timeout', () => {
      timedOut = true;
      req.destroy();
    });
    req.on('error', (e) =>
      reject(
        new Error(
          timedOut
            ? `no answer from ${node} within ${timeoutMs} ms`
            : `cannot reach ${node}: ${tlsFailureText(e, host) ?? e.message}`,
        ),
      ),
    );
  });
  if (res.statusCode !== 200) throw new Error(`${node} answered ${res.statusCode}: ${await errorOf(res)}`);

  const handle = await open(file, 'w');
  let bytes = 0;
  try {
    // The file takes the bytes as they come, and the socket waits while a write is in flight.
    const sink = new Writable({
      write(chunk: Buffer, _encoding, callback): void {
        bytes += chunk.length;
        handle.write(chunk).then(() => callback(), callback);
      },
    });
    try {
      await pipeline(res, sink);
    } catch (e) {
      const why = timedOut ? `it sent nothing for ${timeoutMs} ms` : (e as Error).message;
      throw new Error(`the download from ${node} broke off after ${bytes} bytes (${why})`);
    }
    if (!res.complete) throw new Error(`the download from ${node} broke off after ${bytes} bytes`);
    await handle.sync();
  } finally {
    await handle.close();
  }
  return bytes;
}

/** The error an answer other than 200 carries: its JSON `error`, or its text. */
async function errorOf(res: http.IncomingMessage): Promise<string> {
  let text = '';
  try {
    for await (const chunk of res as AsyncIterable<Buffer>) {
      text += chunk.toString('utf8');
      if (text.length > MAX_ERROR_BODY) break;
    }
  } catch {
    // The body is only the message's detail.
  }
  text = text.slice(0, MAX_ERROR_BODY).trim();
  try {
    const value = JSON.parse(text) as { error?: unknown };
    if (typeof value.error === 'string') return value.error;
  } catch {
    // Not JSON: the text itself.
  }
  return text.replace(/\s+/g, ' ') || (res.statusMessage ?? 'no reason given');
}
