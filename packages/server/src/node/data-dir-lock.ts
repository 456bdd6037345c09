// One process at a time in a data directory: a second node on the same directory would be a second
// copy of the same member (same id, same log), which Raft's safety cannot survive.
//
// The lock is the file `lock` in the directory, holding who took it: { pid, host, started, token }.
// It is created whole or not at all (written under a temporary name, then hard-linked into place,
// which fails if the name exists). A process that dies without releasing it (SIGKILL, power loss)
// leaves it behind; the next process on the same host sees that the holder is gone and takes it
// over. A lock of another host is never taken over: that process cannot be checked from here.

import { randomBytes } from 'node:crypto';
import { link, mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';

import { DataDirError } from '../errors.js';

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
  /** Unique to one taking of the lock. */
  token: string;
}

const LOCK_FILE = 'lock';

/** Lock files this process holds (absolute paths): a pid equal to ours is only ours if listed here. */
const heldHere = new Set<string>();

/** Takes the lock of `dir` (created if absent), or throws DataDirError saying who holds it. */
export async function lockDataDir(dir: string): Promise<DataDirLock> {
  try {
    await mkdir(dir, { recursive: true });
  } catch (e) {
    throw new DataDirError(`cannot create data directory ${dir}: ${(e as Error).message}`);
  }
  const path = resolve(join(dir, LOCK_FILE));
  const me: Holder = { pid: process.pid, host: hostname(), started: await startOf(process.pid), token: newToken() };
  const text = JSON.stringify(me) + '\n';
  let takenOver: string | null = null;
  // Each round either takes the lock, throws, or saw the lock change hands while looking at it.
  for (let round = 0; round < 10; round++) {
    if (await createExclusively(path, text)) {
      heldHere.add(path);
      return { takenOver, release: () => release(path, me.token) };
    }
    const holder = await readHolder(path);
    if (holder === 'absent') continue;
    const gone = await goneReason(holder, path);
    if (gone === null) {
      const where = holder.host === me.host ? '' : ` on host ${holder.host}`;
      const hint = holder.host === me.host ? '' : `; if it no longer runs there, delete the lock file`;
      throw new DataDirError(`data directory ${dir} is in use by process ${holder.pid}${where} (${path})${hint}`);
    }
    if (await removeIfStill(path, holder)) {
      takenOver = `took over the lock of data directory ${dir} from process ${holder.pid}, which ${gone} (it did not stop cleanly)`;
    }
  }
  throw new DataDirError(
    `data directory ${dir}: its lock (${path}) keeps changing hands; is another node starting there?`,
  );
}

/** Creates `path` holding `text`, whole; false if it exists. */
async function createExclusively(path: string, text: string): Promise<boolean> {
  const temporary = `${path}.${process.pid}.${newToken()}`;
  try {
    // Synced before it is linked: after a power loss the lock file is whole or absent, never empty.
    const file = await open(temporary, 'wx');
    try {
      await file.writeFile(text);
      await file.sync();
    } finally {
      await file.close();
    }
  } catch (e) {
    throw new DataDirError(`cannot create the lock file ${path}: ${(e as Error).message}`);
  }
  try {
    await link(temporary, path);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw new DataDirError(`cannot create the lock file ${path}: ${(e as Error).message}`);
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
    typeof v.token !== 'string'
  ) {
    return null;
  }
  return { pid: v.pid!, host: v.host, started: v.started, token: v.token };
}

/** Why the holder no longer holds the lock ('is no longer running', ...), or null if it may. */
async function goneReason(holder: Holder, path: string): Promise<string | null> {
  if (holder.host !== hostname()) return null;
  if (holder.pid === process.pid) {
    // Our pid in a lock we did not take: a process before us had it (a container restarted, its
    // node again pid 1).
    return heldHere.has(path) ? null : 'had the same process id as this one';
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

/**
 * Removes the stale lock file if it is still the one `holder` left; true if this call removed it.
 * It is first renamed to a name of our own, so of several processes taking over one stale lock at
 * once only one removes it; one that finds a live lock there instead (taken in between) puts it
 * back.
 */
async function removeIfStill(path: string, holder: Holder): Promise<boolean> {
  const aside = `${path}.stale.${process.pid}.${newToken()}`;
  try {
    await rename(path, aside);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw new DataDirError(`cannot take over the lock file ${path}: ${(e as Error).message}`);
  }
  const moved = parseHolder(await readFile(aside, 'utf8').catch(() => ''));
  if (moved?.token === holder.token) {
    await unlink(aside);
    return true;
  }
  // Someone took the lock between our read and our rename: give it back.
  await link(aside, path).catch(() => undefined);
  await unlink(aside);
  return false;
}

async function release(path: string, token: string): Promise<void> {
  if (!heldHere.has(path)) return;
  heldHere.delete(path);
  const holder = await readHolder(path).catch(() => 'absent' as const);
  // Not ours any more (deleted by hand and taken by another process): not ours to remove.
  if (holder === 'absent' || holder.token !== token) return;
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
