// One process at a time in a data directory: a second node on the same directory would be a second
// copy of the same member (same id, same log), which Raft's safety cannot survive.
//
// The lock is the file `lock` in the directory, holding who took it: { pid, host, started, token }.
// It is created whole or not at all: written under a temporary name, then hard-linked into place,
// which fails if the name exists (O_EXCL, with the content already there). A process that dies
// without releasing it (SIGKILL, power loss) leaves it behind; the next process on the same host
// sees that the holder is gone and takes it over. A lock of another host is never taken over: that
// process cannot be checked from here.
//
// Taking over is where processes starting together could both win (each removing the stale lock,
// one removing the other's new one). So a stale lock is never removed: it is replaced, by rename,
// and only by the process that first created `lock.<stale token>` (the claim, itself a lock taken
// the same way). Only a claim holder changes the file while it holds that token, so the one that
// still finds the token there after claiming it is the only one that can replace it.

import { randomBytes } from 'node:crypto';
import { link, open, readFile, rename, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';

import { DataDirError } from '../errors.js';
import { ensureDataDir } from './data-dir.js';

export interface DataDirLock {
  /**
   * Set when the lock was left behind by a process that did not stop cleanly and is gone: worth a
   * log line (that process may have been killed, or the machine restarted).
   */
  readonly takenOver: string | null;
  /** Removes the lock (if it is still this process's). Safe to call more than once. */
  release(): Promise<void>;
}

interface Holder {
  pid: number;
  host: string;
  /** When the process started (Linux: boot id and start time), so a reused pid is told apart; else null. */
  started: string | null;
  /** Unique to one taking of one lock file. */
  token: string;
}

/** The lock is held by a live process: who. */
class InUse extends Error {
  constructor(readonly holder: Holder) {
    super(`in use by process ${holder.pid}`);
  }
}

const LOCK_FILE = 'lock';
/** Claims of claims are needed only when takers died while taking over; this many in a row is not chance. */
const MAX_CLAIM_DEPTH = 5;
/** Each round takes the lock, throws, or saw it change hands while looking; it cannot change hands forever. */
const MAX_ROUNDS = 20;

/**
 * Tokens of the lock files this process holds or is taking: a lock naming our own pid is ours
 * only if its token is here (else a process before us had our pid: a container restarted).
 */
const ownTokens = new Set<string>();

/** Takes the lock of `dir` (created if absent), or throws DataDirError saying who holds it. */
export async function lockDataDir(dir: string): Promise<DataDirLock> {
  await ensureDataDir(dir);
  const path = resolve(join(dir, LOCK_FILE));
  const me = await newHolder();
  let stale: (Holder & { gone: string }) | null;
  try {
    stale = await acquire(path, me, 0);
  } catch (e) {
    ownTokens.delete(me.token);
    if (!(e instanceof InUse)) throw e;
    const { pid, host } = e.holder;
    if (host === me.host) throw new DataDirError(`data directory ${dir} is in use by process ${pid} (${path})`);
    throw new DataDirError(
      `data directory ${dir} is in use by process ${pid} on host ${host} (${path}); if it no longer runs there, delete the lock file`,
    );
  }
  const takenOver =
    stale &&
    `took over the lock of data directory ${dir} from process ${stale.pid}, which ${stale.gone} (it did not stop cleanly)`;
  return {
    takenOver,
    release: async () => {
      if (!ownTokens.delete(me.token)) return;
      await releaseFile(path, me.token);
    },
  };
}

/**
 * Makes `path` name `me`: creates it, or replaces a stale one (returned). Throws InUse if a live
 * process holds it, or is taking it over.
 */
async function acquire(path: string, me: Holder, depth: number): Promise<(Holder & { gone: string }) | null> {
  if (depth > MAX_CLAIM_DEPTH) {
    throw new DataDirError(`cannot take over the lock ${path}: processes taking it over keep dying`);
  }
  for (let round = 0; round < MAX_ROUNDS; round++) {
    if (await place(path, me, 'create')) return null;
    const holder = await readHolder(path);
    if (holder === 'absent') continue;
    const gone = await goneReason(holder);
    if (gone === null) throw new InUse(holder);
    const claim = `${path}.${holder.token}`;
    const claimer = await newHolder();
    try {
      await acquire(claim, claimer, depth + 1);
    } catch (e) {
      ownTokens.delete(claimer.token);
      if (!(e instanceof InUse)) throw e;
      // Another process is taking it over: the holder to name, unless it is done already (look again).
      if ((await tokenOf(path)) !== holder.token) continue;
      throw e;
    }
    try {
      if ((await tokenOf(path)) === holder.token) {
        await place(path, me, 'replace');
        return { ...holder, gone };
      }
    } finally {
      await releaseFile(claim, claimer.token);
      ownTokens.delete(claimer.token);
    }
  }
  throw new DataDirError(`the lock ${path} keeps changing hands: are other nodes starting on this directory?`);
}

async function newHolder(): Promise<Holder> {
  const holder = { pid: process.pid, host: hostname(), started: await startOf(process.pid), token: newToken() };
  ownTokens.add(holder.token);
  return holder;
}

/**
 * Writes `holder` to `path`, whole: to a temporary file, synced (after a power loss the lock file
 * is whole or absent, never empty), then linked into place (false if `path` exists) or renamed
 * over it.
 */
async function place(path: string, holder: Holder, how: 'create' | 'replace'): Promise<boolean> {
  const temporary = `${path}.${process.pid}.${newToken()}.tmp`;
  try {
    const file = await open(temporary, 'wx');
    try {
      await file.writeFile(JSON.stringify(holder) + '\n');
      await file.sync();
    } finally {
      await file.close();
    }
    if (how === 'replace') {
      await rename(temporary, path);
      return true;
    }
    await link(temporary, path);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST' && how === 'create') return false;
    throw new DataDirError(`cannot write the lock file ${path}: ${(e as Error).message}`);
  } finally {
    await unlink(temporary).catch(() => undefined);
  }
}

async function readHolder(path: string): Promise<Holder | 'absent'> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 'absent';
    throw new DataDirError(`cannot read the lock file ${path}: ${(e as Error).message}`);
  }
  const holder = parseHolder(text);
  if (holder === null) {
    throw new DataDirError(
      `the lock file ${path} is not one little-raft wrote; delete it if no little-raft process uses the directory`,
    );
  }
  return holder;
}

async function tokenOf(path: string): Promise<string | null> {
  const holder = await readHolder(path);
  return holder === 'absent' ? null : holder.token;
}

function parseHolder(text: string): Holder | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  const v = value as Partial<Holder> | null;
  if (
    typeof v !== 'object' ||
    v === null ||
    !Number.isSafeInteger(v.pid) ||
    v.pid! < 1 ||
    typeof v.host !== 'string' ||
    (typeof v.started !== 'string' && v.started !== null) ||
    typeof v.token !== 'string' ||
    !/^[0-9a-f]{16}$/.test(v.token)
  ) {
    return null;
  }
  return { pid: v.pid!, host: v.host, started: v.started, token: v.token };
}

/** Why the holder no longer holds the lock ('is no longer running', ...), or null if it may. */
async function goneReason(holder: Holder): Promise<string | null> {
  if (holder.host !== hostname()) return null;
  if (holder.pid === process.pid) {
    return ownTokens.has(holder.token) ? null : 'had the same process id as this one';
  }
  try {
    process.kill(holder.pid, 0);
  } catch (e) {
    // EPERM: the process exists (another user's).
    if ((e as NodeJS.ErrnoException).code === 'ESRCH') return 'is no longer running';
    return null;
  }
  if (holder.started !== null) {
    const started = await startOf(holder.pid);
    if (started !== null && started !== holder.started) return 'is no longer running (its process id was reused)';
  }
  return null;
}

/** Removes `path` if it still holds `token`. */
async function releaseFile(path: string, token: string): Promise<void> {
  // Not ours any more (deleted by hand and taken by another process): not ours to remove.
  if ((await tokenOf(path).catch(() => null)) !== token) return;
  await unlink(path).catch((e: NodeJS.ErrnoException) => {
    if (e.code !== 'ENOENT') throw e;
  });
}

/** Linux: '<boot id> <start time in clock ticks>' of process `pid`; null where /proc does not tell. */
async function startOf(pid: number): Promise<string | null> {
  try {
    const [boot, stat] = await Promise.all([
      readFile('/proc/sys/kernel/random/boot_id', 'utf8'),
      readFile(`/proc/${pid}/stat`, 'utf8'),
    ]);
    // Fields after the command name (which may hold spaces and parentheses): field 22 is the start time.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const start = fields[19];
    return start !== undefined && /^\d+$/.test(start) ? `${boot.trim()} ${start}` : null;
  } catch {
    return null;
  }
}

function newToken(): string {
  return randomBytes(8).toString('hex');
}
