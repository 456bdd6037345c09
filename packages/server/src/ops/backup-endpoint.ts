// GET /admin/backup: the node's key space at one applied index, streamed as a backup file
// (backup-file.ts) without pausing the node. The route and its authentication are the caller's.
//
// A failure before the first byte is a JSON error; after it the response is destroyed, so the
// client sees a connection cut short of its content-length and a file that the format calls
// truncated.

import type * as http from 'node:http';

import { backupFileChunks, backupFileLength, type BackupContents } from './backup-file.js';
import type { KvNode } from '../node/node.js';

export async function handleBackup(node: Pick<KvNode, 'backupSnapshot'>, res: http.ServerResponse): Promise<void> {
  let contents: BackupContents;
  let length: number;
  try {
    contents = { ...(await node.backupSnapshot()), createdAt: new Date().toISOString() };
    length = backupFileLength(contents);
  } catch (e) {
    // No consistent copy now (no leader, stopping, ...): another try, or another node, may work.
    if (!res.headersSent && !res.destroyed) {
      const body = JSON.stringify({ error: (e as Error).message }) + '\n';
      res.writeHead(503, { 'content-type': 'application/json' }).end(body);
    }
    return;
  }
  if (res.destroyed) return;
  try {
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': length });
    for (const chunk of backupFileChunks(contents)) {
      if (!(await written(res, chunk))) return; // the client went away
    }
    res.end();
  } catch (e) {
    res.destroy(e as Error);
  }
}

/** Writes `chunk`, waiting for the socket to drain when it is full: false if the response closed. */
function written(res: http.ServerResponse, chunk: Uint8Array): Promise<boolean> {
  if (res.destroyed) return Promise.resolve(false);
  if (res.write(chunk)) return Promise.resolve(true);
  return new Promise((resolve) => {
    const settle = (drained: boolean): void => {
      res.off('drain', onDrain);
      res.off('close', onClose);
      resolve(drained);
    };
    const onDrain = (): void => settle(true);
    const onClose = (): void => settle(false);
    res.on('drain', onDrain);
    res.on('close', onClose);
  });
}
