// What `little-raft restore` leaves in a data directory for the node's first start, and how the
// node reads it back.
//
// Next to node.json (data-dir.ts): `restore.json` { peers, index, term }, written first, and
// `restore.backup`, the verified backup file, written second (each durably: synced temporary
// file, rename). restore.json without restore.backup, or the other way round, is a restore that did
// not finish: the node refuses to start there rather than start empty under the new cluster's
// identity. The node hands the snapshot to its state machine (getSnapshot) while its Raft storage
// holds none, so it is used only until the node's own first snapshot. Once a start finds one,
// the restore is retired: restore.json gains `done: true` (durably), then restore.backup goes; a
// retired plan is ignored (and a backup left beside it removed).

import { access, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';

import { replaceFileDurably } from 'little-raft/disk';
import { DataDirError } from '../errors.js';
import { readBackupFile, writeBackupFile, type VerifiedBackup } from '../ops/backup-file.js';

const PLAN_FILE = 'restore.json';
const BACKUP_FILE = 'restore.backup';

/** The key space a restored member starts from, and the members the restore was made for. */
export interface RestoredSnapshot {
  index: number;
  term: number;
  data: Uint8Array;
  peers: Record<number, string>;
}

/** Writes the restore files into `dir` (a fresh data directory): see above. */
export async function writeRestoreFiles(
  dir: string,
  backup: VerifiedBackup,
  peers: Record<number, string>,
): Promise<void> {
  const plan = { peers, index: backup.index, term: backup.term };
  await replaceFileDurably(join(dir, PLAN_FILE), JSON.stringify(plan) + '\n');
  await writeBackupFile(join(dir, BACKUP_FILE), backup);
}

/**
 * The snapshot `little-raft restore` left in `dir`, verified again (it may have been damaged on
 * disk since), or null if `dir` was not made by a restore. Throws DataDirError on a damaged or
 * unfinished restore.
 */
export async function loadRestoredSnapshot(dir: string): Promise<RestoredSnapshot | null> {
  const planPath = join(dir, PLAN_FILE);
  const backupPath = join(dir, BACKUP_FILE);
  const unfinished = (missing: string): DataDirError =>
    new DataDirError(
      `the restore into ${dir} did not finish (${missing} is missing): run little-raft restore again into an empty directory`,
    );
  const planText = await readFile(planPath, 'utf8').catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return null;
    throw new DataDirError(`cannot read ${planPath}: ${e.message}`);
  });
  const backupThere = await access(backupPath).then(
    () => true,
    () => false,
  );
  if (planText === null) {
    if (backupThere) throw unfinished(PLAN_FILE);
    return null;
  }
  const plan = parsePlan(planText, planPath);
  if (plan.done) {
    if (backupThere) await rm(backupPath, { force: true });
    return null;
  }
  if (!backupThere) throw unfinished(BACKUP_FILE);
  let backup: VerifiedBackup;
  try {
    backup = await readBackupFile(backupPath);
  } catch (e) {
    throw new DataDirError((e as Error).message);
  }
  if (backup.index !== plan.index || backup.term !== plan.term) {
    throw new DataDirError(
      `${backupPath} is not the backup ${planPath} names (index ${plan.index}, term ${plan.term})`,
    );
  }
  return { index: backup.index, term: backup.term, data: backup.data, peers: plan.peers };
}

/** Marks the restore in `dir` as no longer needed (durably), then removes its backup file. */
export async function retireRestoreFiles(dir: string): Promise<void> {
  const planPath = join(dir, PLAN_FILE);
  const plan = parsePlan(await readFile(planPath, 'utf8'), planPath);
  const { peers, index, term } = plan;
  await replaceFileDurably(planPath, JSON.stringify({ peers, index, term, done: true }) + '\n');
  await rm(join(dir, BACKUP_FILE), { force: true });
}

interface RestorePlan {
  peers: Record<number, string>;
  index: number;
  term: number;
  /** Retired: the node has a snapshot of its own. */
  done: boolean;
}

function parsePlan(text: string, path: string): RestorePlan {
  const bad = (): DataDirError => new DataDirError(`${path} does not hold { peers, index, term }`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw bad();
  }
  const v = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
  const count = (n: unknown): n is number => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;
  if (!count(v['index']) || !count(v['term'])) throw bad();
  const peers = v['peers'];
  if (typeof peers !== 'object' || peers === null || Array.isArray(peers)) throw bad();
  const parsed: Record<number, string> = {};
  for (const [id, address] of Object.entries(peers as Record<string, unknown>)) {
    if (!/^[1-9]\d*$/.test(id) || typeof address !== 'string') throw bad();
    parsed[Number(id)] = address;
  }
  const done = v['done'] ?? false;
  if (typeof done !== 'boolean') throw bad();
  return { peers: parsed, index: v['index'], term: v['term'], done };
}
