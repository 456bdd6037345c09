// `little-raft restore`: turns a backup into the data directory of one member of a NEW cluster.
//
// Every member is restored from the same file with the same --peers (as with etcd). The new
// cluster's id is a hash of the backup's checksum and the sorted --peers, so those restores agree
// on it without talking to each other, and it is never the id of the cluster the backup came from.
// The backup is verified whole before anything is written; a failure half-way removes what was.

import { createHash } from 'node:crypto';
import { rmdir, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';

import { createDataDir } from '../node/data-dir.js';
import { writeRestoreFiles } from '../node/restore-dir.js';
import { readBackupFile } from '../ops/backup-file.js';
import { StartupError } from '../errors.js';

export interface RestoreOptions {
  from: string;
  id: number;
  peers: Record<number, string>;
  data: string;
}

/** What restore writes into the directory (with the temporary files of their durable writes). */
const WRITTEN = ['node.json', 'restore.json', 'restore.backup'].flatMap((name) => [name, `${name}.tmp`]);

export async function runRestore(o: RestoreOptions): Promise<void> {
  const ids = Object.keys(o.peers).map(Number);
  if (o.peers[o.id] === undefined) throw new StartupError(`--id ${o.id} is not in --peers (${ids.join(', ')})`);
  const backup = await readBackupFile(o.from);
  const peerList = ids
    .sort((a, b) => a - b)
    .map((id) => `${id}=${o.peers[id]}`)
    .join(',');
  const clusterId = createHash('sha256').update(`${backup.checksum}\n${peerList}`).digest('hex').slice(0, 32);

  const existed = await stat(o.data).then(
    () => true,
    () => false,
  );
  await createDataDir(o.data, { cluster: backup.cluster, id: o.id, incarnation: 0, clusterId });
  try {
    await writeRestoreFiles(o.data, backup, o.peers);
  } catch (e) {
    for (const name of WRITTEN) await unlink(join(o.data, name)).catch(() => undefined);
    if (!existed) await rmdir(o.data).catch(() => undefined);
    throw new StartupError(`cannot restore into ${o.data}: ${(e as Error).message}`);
  }

  console.log(
    `restored cluster ${backup.cluster} at index ${backup.index} (backup of ${backup.createdAt}) into ${o.data}: ` +
      `node ${o.id} of a new cluster, id ${clusterId}`,
  );
  console.log('restore every member from this file with the same --peers, then start each one; here:');
  console.log(
    `  little-raft serve --id ${o.id} --peers ${peerList} --data ${shellWord(o.data)} ` +
      `--cluster ${shellWord(backup.cluster)} --secret-file FILE --redis HOST:PORT --http HOST:PORT`,
  );
}

/** `word` as one shell word. */
function shellWord(word: string): string {
  return /^[\w./:=@%+-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}
