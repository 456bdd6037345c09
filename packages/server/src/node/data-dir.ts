// Which node and cluster a data directory belongs to, and how many times that node has started.
//
// `node.json` in the data directory: { cluster, id, incarnation, clusterId? }. A node refuses a
// directory of another id or cluster (a mix-up that would otherwise corrupt the cluster's log), and
// bumps the incarnation durably at every start, so batch seqs (dedupe.ts) are never reused after a
// restart. `clusterId` tells apart clusters of the same name: a cluster restored from a backup gets
// a new one (and its peers a transport key of their own), so it never talks to the cluster it was
// copied from; a cluster started from --peers has none.

import { mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

import { replaceFileDurably } from 'little-raft/disk';
import { DataDirError } from '../errors.js';

export interface NodeIdentity {
  cluster: string;
  id: number;
  incarnation: number;
  /** Set for a cluster restored from a backup, or joined by a node that was told it: see above. */
  clusterId?: string;
}

const FILE = 'node.json';
/** Seqs are incarnation * 2^32 + counter and must stay safe integers. */
const MAX_INCARNATION = 2 ** 21 - 1;

/** Creates `dir` (and its parents) if absent; a precise DataDirError if it cannot be a directory. */
export async function ensureDataDir(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw new DataDirError(`data directory ${dir} is a file, not a directory`);
    if (code === 'ENOTDIR') {
      throw new DataDirError(`cannot create data directory ${dir}: a part of its path is a file, not a directory`);
    }
    throw new DataDirError(`cannot create data directory ${dir}: ${(e as Error).message}`);
  }
}

/** Reads (or creates) the identity in `dir`, checks it, and durably records one more start. */
export async function claimDataDir(dir: string, cluster: string, id: number): Promise<NodeIdentity> {
  await ensureDataDir(dir);
  const path = join(dir, FILE);
  let previous: NodeIdentity | null = null;
  try {
    previous = parseIdentity(await readFile(path, 'utf8'), path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') {
      if (e instanceof DataDirError) throw e;
      throw new DataDirError(`cannot read ${path}: ${(e as Error).message}`);
    }
  }
  if (previous !== null && previous.id !== id) {
    throw new DataDirError(`data directory ${dir} belongs to node ${previous.id}, not node ${id}`);
  }
  if (previous !== null && previous.cluster !== cluster) {
    throw new DataDirError(`data directory ${dir} belongs to cluster '${previous.cluster}', not '${cluster}'`);
  }
  const incarnation = (previous?.incarnation ?? 0) + 1;
  if (incarnation > MAX_INCARNATION) throw new DataDirError(`${path}: incarnation ${incarnation} is too large`);
  const identity: NodeIdentity = { cluster, id, incarnation };
  if (previous?.clusterId !== undefined) identity.clusterId = previous.clusterId;
  await replaceFileDurably(path, JSON.stringify(identity) + '\n');
  return identity;
}

/** Records the cluster identity a joining node was told by the member that took it in. */
export async function adoptClusterId(dir: string, identity: NodeIdentity, clusterId: string): Promise<void> {
  identity.clusterId = clusterId;
  await replaceFileDurably(join(dir, FILE), JSON.stringify(identity) + '\n');
}

/**
 * Makes `dir` (absent or empty) the data directory of a member of a new cluster (restore): its
 * identity, with the new cluster's id, before the node first starts there.
 */
export async function createDataDir(dir: string, identity: NodeIdentity): Promise<void> {
  let entries: string[];
  try {
    await mkdir(dir, { recursive: true });
    entries = await readdir(dir);
  } catch (e) {
    throw new DataDirError(`cannot create data directory ${dir}: ${(e as Error).message}`);
  }
  if (entries.length > 0) throw new DataDirError(`data directory ${dir} is not empty`);
  await replaceFileDurably(join(dir, FILE), JSON.stringify(identity) + '\n');
}

/**
 * Records that this node's batches must be numbered from `incarnation` on: the replicated dedupe
 * table already holds batches of an incarnation this directory had forgotten (node.json was lost
 * while the cluster remembered the node), and seqs must never be reused.
 */
export async function raiseIncarnation(dir: string, identity: NodeIdentity, incarnation: number): Promise<void> {
  if (incarnation > MAX_INCARNATION) throw new DataDirError(`incarnation ${incarnation} is too large`);
  identity.incarnation = incarnation;
  await replaceFileDurably(join(dir, FILE), JSON.stringify(identity) + '\n');
}

function parseIdentity(text: string, path: string): NodeIdentity {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new DataDirError(`${path} is not valid JSON: is this a little-raft data directory?`);
  }
  const v = value as Partial<NodeIdentity> | null;
  if (
    v === null ||
    typeof v !== 'object' ||
    typeof v.cluster !== 'string' ||
    !Number.isSafeInteger(v.id) ||
    !Number.isSafeInteger(v.incarnation) ||
    v.incarnation! < 0
  ) {
    throw new DataDirError(`${path} does not hold { cluster, id, incarnation }`);
  }
  if (v.clusterId !== undefined && (typeof v.clusterId !== 'string' || !/^[0-9a-f]{32}$/.test(v.clusterId))) {
    throw new DataDirError(`${path}: clusterId must be 32 hex digits`);
  }
  const identity: NodeIdentity = { cluster: v.cluster, id: v.id!, incarnation: v.incarnation! };
  if (v.clusterId !== undefined) identity.clusterId = v.clusterId;
  return identity;
}
