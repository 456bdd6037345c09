// Crash consistency of DiskStorage with real processes: a child (disk-crash-child.ts) writes
// random batches into a directory and is killed with SIGKILL at a random moment; the parent
// then opens the directory itself. What it finds must be exactly the state after the last
// acknowledged write, or after the one write in flight when the child died (never a part of
// one), with every entry intact. The next child carries on from there. Kill delays are seeded.
// Two allowances: writes that change only the commit index are acknowledged without a sync of
// their own (they are synced with the next write), so the hard state found may be the one of
// the last acknowledged write that was not commit-only or of a commit-only write after it; and a compaction (a snapshot of entries
// the log holds) is acknowledged before its file is written, so the last ones may be missing,
// their entries still in the log.
import { spawn } from 'node:child_process';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';

import type { HardState, StorageWrite, StoredState } from '../../src/core/types.js';
import { DiskStorage } from '../../src/storage/disk/index.js';
import { MemoryStorage } from '../../src/storage/memory.js';
import { jsonCodec } from '../../src/encoding/codec.js';
import { CRASH_SEGMENT_BYTES, toWrite, type CrashBatch, type CrashTx } from './disk-crash-batches.js';
import { plainState } from './plain-state.js';
import { prng } from './prng.js';

const CHILD = fileURLToPath(new URL('./disk-crash-child.ts', import.meta.url));

export interface CrashOptions {
  dir: string;
  rounds: number;
  seed: number;
  /** Longest wait after the child is ready before killing it, in ms. */
  maxDelayMs?: number;
  log?: (line: string) => void;
}

export interface CrashReport {
  rounds: number;
  /** Writes acknowledged over all rounds. */
  acked: number;
  /** Rounds where the write in flight at the kill turned out durable. */
  inFlightDurable: number;
  /** Rounds where the write in flight at the kill was lost (as it may be). */
  inFlightLost: number;
  /** Torn tails cut off on reopening. */
  tornTails: number;
  /** Rounds where acknowledged commit-only writes were lost (as they may be). */
  commitLost: number;
  /** Rounds that ended with acknowledged compactions not named by the log yet (as they may be). */
  compactionsUnnamed: number;
  lastIndex: number;
}

interface Run {
  lines: string[];
  stderr: string;
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** Runs the child until `delayMs` after it reports ready, then kills it with SIGKILL. */
function runChild(dir: string, seed: number, delayMs: number): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, dir, String(seed)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let stderr = '';
    let timer: NodeJS.Timeout | null = null;
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      out += chunk;
      if (timer === null && /^ready /m.test(out)) timer = setTimeout(() => child.kill('SIGKILL'), delayMs);
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => (stderr += chunk));
    // A child that never gets ready is killed as well (and the round fails below).
    const guard = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(guard);
      if (timer) clearTimeout(timer);
      // Only complete lines count: the last one may have been cut by the kill.
      const lines = out.split('\n');
      lines.pop();
      resolve({ lines, stderr, code, signal });
    });
  });
}

function copy(m: MemoryStorage<CrashTx, string>): MemoryStorage<CrashTx, string> {
  const s = m.load();
  return new MemoryStorage<CrashTx, string>({
    hardState: s.hardState,
    entries: s.entries,
    ...(s.snapshot && { snapshot: s.snapshot }),
  });
}

async function open(dir: string): Promise<[StoredState<CrashTx, string>, DiskStorage<CrashTx, string>]> {
  const s = new DiskStorage<CrashTx, string>({
    dir,
    segmentBytes: CRASH_SEGMENT_BYTES,
    snapshotCodec: jsonCodec<string>(),
    onWarning: () => {},
  });
  const state = plainState(await s.load());
  await s.close();
  return [state, s];
}

export async function runCrashRounds(o: CrashOptions): Promise<CrashReport> {
  const random = prng(o.seed);
  const maxDelay = o.maxDelayMs ?? 150;
  let model = new MemoryStorage<CrashTx, string>();
  const report: CrashReport = {
    rounds: 0,
    acked: 0,
    inFlightDurable: 0,
    inFlightLost: 0,
    tornTails: 0,
    commitLost: 0,
    compactionsUnnamed: 0,
    lastIndex: 0,
  };
  for (let round = 0; round < o.rounds; round++) {
    const delay = Math.floor(random() * maxDelay);
    const run = await runChild(o.dir, o.seed * 100_000 + round, delay);
    if (run.signal !== 'SIGKILL') {
      throw new Error(`round ${round}: the child exited by itself (code ${run.code}):\n${run.stderr}`);
    }
    let pending: CrashBatch | null = null;
    let readyAt = -1;
    const startIndex = model.lastIndex;
    const acked: StorageWrite<CrashTx, string>[] = [];
    for (const line of run.lines) {
      if (line.startsWith('ready ')) {
        readyAt = Number(line.slice(6));
      } else if (line.startsWith('intent ')) {
        pending = JSON.parse(line.slice(7)) as CrashBatch;
      } else if (line === 'ack') {
        assert.ok(pending, `round ${round}: ack without intent`);
        acked.push(toWrite(pending));
        pending = null;
        report.acked++;
      }
    }
    if (readyAt >= 0) assert.equal(readyAt, startIndex, `round ${round}: the child loaded another log`);
    const [found, storage] = await open(o.dir);
    if (storage.recovery?.tornTail) report.tornTails++;
    const match = explain(found, model, acked, pending === null ? null : toWrite(pending));
    if (match === null) {
      // Fails with the difference against the acknowledged state.
      assert.deepEqual(
        found,
        replay(model, acked, acked.length).model.load(),
        `round ${round} (seed ${o.seed}): the reopened store is neither the acknowledged state nor that plus the write in flight`,
      );
      throw new Error('unreachable');
    }
    model = match.model;
    if (match.commitLost) report.commitLost++;
    if (match.unnamed) report.compactionsUnnamed++;
    if (pending) {
      if (match.inFlight) report.inFlightDurable++;
      else report.inFlightLost++;
    }
    report.rounds++;
    report.lastIndex = model.lastIndex;
    o.log?.(
      `round ${round}: killed ${delay} ms after ready, ${run.lines.filter((l) => l === 'ack').length} acks, last index ${model.lastIndex}, snapshot ${model.snapshotIndex}`,
    );
  }
  return report;
}

type Model = MemoryStorage<CrashTx, string>;
type Write = StorageWrite<CrashTx, string>;

interface Match {
  model: Model;
  commitLost: boolean;
  unnamed: boolean;
  inFlight: boolean;
}

/**
 * Which state allowed after `acked` (applied to `start`) with `pending` in flight `found` is, or
 * null. Allowed: the acknowledged writes' state; with the commit-only writes since the last
 * synced write lost; with the write in flight too; and with the compactions from some point on
 * not named yet (their files written beside the log: the store then still holds their entries).
 */
function explain(
  found: StoredState<CrashTx, string>,
  start: Model,
  acked: Write[],
  pending: Write | null,
): Match | null {
  for (let named = acked.length; named >= 0; named--) {
    const { model, unsynced, compactions } = replay(start, acked, named);
    const unnamed = compactions > 0;
    if (named < acked.length && !unnamed) continue;
    if (isDeepEqual(found, model.load())) return { model, commitLost: false, unnamed, inFlight: false };
    for (const hardState of unsynced) {
      const withoutCommits = copy(model);
      withoutCommits.write({ hardState });
      if (isDeepEqual(found, withoutCommits.load())) {
        return { model: withoutCommits, commitLost: true, unnamed, inFlight: false };
      }
    }
    if (pending) {
      for (const write of isCompaction(model, pending) ? [pending, withoutSnapshot(pending)] : [pending]) {
        const withPending = copy(model);
        withPending.write(write);
        if (isDeepEqual(found, withPending.load()))
          return { model: withPending, commitLost: false, unnamed, inFlight: true };
      }
    }
  }
  return null;
}

/**
 * `acked` applied to a copy of `start`, the compactions from position `named` on without their
 * snapshot; how many compactions were left out; the hard states a crash may leave instead of the
 * last one: as of the last write synced, or of a commit-only write after it (a later write's sync
 * makes the commit-only ones before it durable).
 */
function replay(
  start: Model,
  acked: Write[],
  named: number,
): { model: Model; unsynced: HardState[]; compactions: number } {
  const model = copy(start);
  let unsynced: HardState[] = [model.load().hardState];
  let compactions = 0;
  acked.forEach((w, i) => {
    const compaction = isCompaction(model, w);
    const commitOnly = isCommitOnly(compaction ? withoutSnapshot(w) : w, model.load().hardState);
    if (compaction && i >= named) {
      model.write(withoutSnapshot(w));
      compactions++;
    } else {
      model.write(w);
    }
    if (commitOnly) unsynced.push(model.load().hardState);
    else unsynced = [model.load().hardState];
  });
  unsynced.pop(); // the last one is the model's own
  return { model, unsynced, compactions };
}

/** As DiskStorage judges it: a snapshot of entries the log holds, with no truncation. */
function isCompaction(m: Model, w: Write): boolean {
  const s = w.snapshot;
  if (s === undefined || w.truncateFrom !== undefined) return false;
  const entry = m.load().entries.find((e) => e.index === s.lastIncludedIndex);
  return s.lastIncludedIndex > m.snapshotIndex && entry?.term === s.lastIncludedTerm;
}

function withoutSnapshot(w: Write): Write {
  const rest = { ...w };
  delete rest.snapshot;
  return rest;
}

/** Does `w` change only the commit index of a store whose hard state is `before`? */
function isCommitOnly(w: StorageWrite<CrashTx, string>, before: HardState): boolean {
  const h = w.hardState;
  return (
    h !== undefined &&
    w.snapshot === undefined &&
    w.truncateFrom === undefined &&
    (w.entries === undefined || w.entries.length === 0) &&
    h.term === before.term &&
    h.vote === before.vote
  );
}

function isDeepEqual(a: unknown, b: unknown): boolean {
  try {
    assert.deepStrictEqual(a, b);
    return true;
  } catch {
    return false;
  }
}
