// DiskStorage benchmark (`npm run bench -- --only disk`, or `tsx bench/disk.ts`):
//
// 1. Append throughput and sync latency at batch sizes 1/16/256 (100-byte transitions, a hard
//    state with every batch, one write in flight as the Replica drives it), against the floor
//    of the same disk in the same run: FileHandle.write of the same number of bytes + datasync.
//    For each row, the event loop's delay (monitorEventLoopDelay) while the syncs run, next to
//    an idle baseline measured in the same run (the machine's own noise).
// 2. Recovery: open + load() over a log of 1,000,000 entries (no snapshot: every entry is
//    returned), written 1,000 entries per write. load() decodes no transition (each is decoded
//    when read), so the rows time the open alone and the open plus reading every transition
//    once with the JSON codec (what a replica does when it applies the whole log at start);
//    wall and CPU time, and the heap the loaded log takes (besides the segments' bytes, MB read,
//    which the entries keep outside the heap). Then once more after a snapshot 10,000 entries
//    before the end, as a compacting replica leaves its log. Then over as many entries written
//    one per write (one frame each, ~190 bytes), as a leader with one proposal in flight writes.
//
// Options:
//   --seconds S            measured seconds per append row (default 3)
//   --batches 1,16,256     batch sizes
//   --recovery-entries N   entries in the recovery log (default 1000000; 0: skip)
//   --dir PATH             where to put the temporary stores (default os.tmpdir())
//   --recovery-only        skip the append rows
import { mkdir, mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

import type { LogEntry } from 'little-raft';
import { DiskStorage } from 'little-raft/disk';
import {
  Builder,
  FORMAT_VERSION,
  frame,
  HAS_TRANSITION,
  REC_ENTRIES,
  REC_HARD,
  REC_HEADER,
} from '../dist/storage/disk/format.js';
import { integerListFlag, numberFlag, parseFlags } from './args.js';
import { fmt, percentile, printTable } from './stats.js';

interface Tx {
  id: number;
  payload: string;
}

interface Options {
  seconds: number;
  batches: number[];
  recoveryEntries: number;
  dir: string;
  recoveryOnly: boolean;
}

const PAYLOAD = 'x'.repeat(100);

setFlagsFromString('--expose-gc');
/** A full garbage collection, so that heap figures count live objects only. */
const gc = runInNewContext('gc') as () => void;

function parseOptions(argv: string[]): Options {
  return parseFlags(
    import.meta.url,
    argv,
    { strings: ['seconds', 'batches', 'recovery-entries', 'dir'], booleans: ['recovery-only'] },
    (v) => ({
      seconds: numberFlag('seconds', v.seconds, 3, { above: true }),
      batches: integerListFlag('batches', v.batches, [1, 16, 256]),
      recoveryEntries: numberFlag('recovery-entries', v['recovery-entries'], 1_000_000, { integer: true }),
      dir: v.dir ?? tmpdir(),
      recoveryOnly: v['recovery-only'] ?? false,
    }),
  );
}

interface Row {
  what: string;
  batch: number;
  entriesPerSecond: number;
  p50: number;
  p99: number;
  loopP99: number;
  loopMax: number;
}

/** Runs `step` (one batch) back to back for `seconds`; latency per step, loop delay throughout. */
async function measure(what: string, batch: number, seconds: number, step: () => Promise<void>): Promise<Row> {
  const latencies: number[] = [];
  const loop = monitorEventLoopDelay({ resolution: 1 });
  loop.enable();
  const started = performance.now();
  const end = started + seconds * 1000;
  let now = started;
  while (now < end) {
    await step();
    const after = performance.now();
    latencies.push(after - now);
    now = after;
  }
  loop.disable();
  const elapsed = (now - started) / 1000;
  const sorted = Float64Array.from(latencies).sort();
  return {
    what,
    batch,
    entriesPerSecond: (latencies.length * batch) / elapsed,
    p50: percentile(sorted, 0.5),
    p99: percentile(sorted, 0.99),
    loopP99: loop.percentile(99) / 1e6,
    loopMax: loop.max / 1e6,
  };
}

/** The event loop's delay with nothing to do but a 1 ms timer: the machine's own noise. */
async function idleLoop(seconds: number): Promise<Row> {
  return measure('idle event loop (baseline)', 0, seconds, () => new Promise((resolve) => setTimeout(resolve, 1)));
}

function entries(first: number, n: number): LogEntry<Tx>[] {
  const out = new Array<LogEntry<Tx>>(n);
  for (let i = 0; i < n; i++) out[i] = { index: first + i, term: 1, transition: { id: first + i, payload: PAYLOAD } };
  return out;
}

async function appendRows(o: Options, root: string): Promise<Row[]> {
  const rows: Row[] = [await idleLoop(Math.min(o.seconds, 2))];
  for (const batch of o.batches) {
    // DiskStorage: one write in flight, as a Replica drives it.
    const dir = join(root, `append-${batch}`);
    const storage = new DiskStorage<Tx>({ dir });
    await storage.load();
    let next = 1;
    let written = 0;
    const disk = await measure('DiskStorage.write', batch, o.seconds, async () => {
      await storage.write({ entries: entries(next, batch), hardState: { term: 1, vote: 1, commit: next - 1 } });
      next += batch;
      written++;
    });
    await storage.close();
    // The bytes one such write appends, from what the store holds.
    const reopened = new DiskStorage<Tx>({ dir });
    await reopened.load();
    const bytesPerWrite = Math.round(reopened.recovery!.bytes / written);
    await reopened.close();
    await rm(dir, { recursive: true, force: true });

    // The floor: the same bytes appended to a plain file, then datasync.
    const file = await open(join(root, `raw-${batch}`), 'w');
    const bytes = Buffer.alloc(bytesPerWrite, 0x61);
    let position = 0;
    const raw = await measure(`raw write+datasync (${fmt(bytesPerWrite)} B)`, batch, o.seconds, async () => {
      await file.write(bytes, 0, bytes.length, position);
      position += bytes.length;
      await file.datasync();
    });
    await file.close();
    await rm(join(root, `raw-${batch}`), { force: true });
    rows.push(raw, disk);
  }
  return rows;
}

interface RecoveryRow {
  codec: string;
  entries: number;
  segments: number;
  megabytes: number;
  openMs: number;
  /** CPU time (user + system, all threads) of the open. */
  cpuMs: number;
  heapMb: number;
}

/** Opens the store at `dir` and loads it; the loaded state stays alive until the heap is read. */
async function openOnce(dir: string, name: string, readAll: boolean): Promise<RecoveryRow> {
  gc();
  const before = process.memoryUsage();
  const cpuBefore = process.cpuUsage();
  const t0 = performance.now();
  const storage = new DiskStorage<unknown>({ dir });
  const state = await storage.load();
  // As a replica applying the whole log at start: every transition read once.
  let ids = 0;
  if (readAll) for (const e of state.entries) ids += (e.transition as Tx).id > 0 ? 1 : 0;
  const openMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpuBefore);
  gc();
  const after = process.memoryUsage();
  const heapMb = (after.heapUsed - before.heapUsed) / 2 ** 20;
  if (readAll && ids !== state.entries.length) throw new Error('a transition did not read back');
  const r = storage.recovery!;
  await storage.close();
  return {
    codec: name,
    entries: state.entries.length,
    segments: r.segments,
    megabytes: r.bytes / 2 ** 20,
    openMs,
    cpuMs: (cpu.user + cpu.system) / 1000,
    heapMb,
  };
}

const SEGMENT_BYTES = 16 * 1024 * 1024;
const segmentPath = (dir: string, seq: number): string => join(dir, `wal-${seq.toString(16).padStart(16, '0')}.log`);

/**
 * Writes into `dir` (new) the segments that DiskStorage (default options, JSON codec) leaves
 * after `n` writes of one entry each with a hard state, { entries: [entry i], hardState:
 * { term: 1, vote: 1, commit: i - 1 } }, awaited one by one (a leader with one proposal in flight):
 * one frame per write. Built here byte for byte, since 1,000,000 real writes with a datasync
 * each would take minutes; {@link checkOneEntryPerWrite} compares it with DiskStorage's own.
 */
export async function writeOneEntryPerWrite(dir: string, n: number, segmentBytes = SEGMENT_BYTES): Promise<number> {
  await mkdir(dir, { recursive: true });
  const enc = new TextEncoder();
  const header = (seq: number, commit: number): Buffer => {
    const b = new Builder();
    b.u8(REC_HEADER);
    b.u8(FORMAT_VERSION);
    b.f64(seq);
    b.u8(REC_HARD);
    b.f64(seq === 1 ? 0 : 1);
    b.f64(seq === 1 ? -1 : 1);
    b.f64(commit);
    return frame([b.finish()]);
  };
  let seq = 1;
  let parts: Buffer[] = [header(1, 0)];
  let size = parts[0]!.length;
  for (let i = 1; i <= n; i++) {
    const b = new Builder(256);
    b.u8(REC_ENTRIES);
    b.f64(i);
    b.u32(1);
    b.f64(1);
    b.u8(HAS_TRANSITION);
    b.lengthPrefixed(enc.encode(JSON.stringify({ id: i, payload: PAYLOAD })));
    b.u8(REC_HARD);
    b.f64(1);
    b.f64(1);
    b.f64(i - 1);
    const body = frame([b.finish()]);
    if (size >= segmentBytes) {
      await writeFile(segmentPath(dir, seq), Buffer.concat(parts));
      seq++;
      parts = [header(seq, i - 2)];
      size = parts[0]!.length;
    }
    parts.push(body);
    size += body.length;
  }
  await writeFile(segmentPath(dir, seq), Buffer.concat(parts));
  return seq;
}

/**
 * Throws unless {@link writeOneEntryPerWrite} writes what DiskStorage does: a few hundred writes
 * into small segments, so that segment headers after a rollover are compared too.
 */
async function checkOneEntryPerWrite(root: string): Promise<void> {
  const n = 300;
  const segmentBytes = 16 * 1024;
  const real = join(root, 'check-real');
  const storage = new DiskStorage<Tx>({ dir: real, segmentBytes });
  await storage.load();
  for (let i = 1; i <= n; i++)
    await storage.write({ entries: entries(i, 1), hardState: { term: 1, vote: 1, commit: i - 1 } });
  await storage.close();
  const built = join(root, 'check-built');
  const segments = await writeOneEntryPerWrite(built, n, segmentBytes);
  for (let seq = 1; seq <= segments + 1; seq++) {
    const [a, b] = await Promise.all([
      readFile(segmentPath(real, seq)).catch(() => null),
      readFile(segmentPath(built, seq)).catch(() => null),
    ]);
    if (a === null ? b !== null : b === null || !a.equals(b)) {
      throw new Error(`bench/disk: segment ${seq} of the one-entry-per-write log differs from DiskStorage's`);
    }
  }
  await Promise.all([rm(real, { recursive: true, force: true }), rm(built, { recursive: true, force: true })]);
}

async function recoveryRows(o: Options, root: string): Promise<RecoveryRow[]> {
  const n = o.recoveryEntries;
  const dir = join(root, 'recovery');
  const writer = new DiskStorage<Tx>({ dir });
  await writer.load();
  const started = performance.now();
  for (let first = 1; first <= n; first += 1000) {
    await writer.write({ entries: entries(first, Math.min(1000, n - first + 1)) });
  }
  await writer.close();
  console.log(`(wrote ${fmt(n)} entries in ${fmt((performance.now() - started) / 1000, 1)} s)`);

  const rows: RecoveryRow[] = [];
  const kinds: [string, boolean][] = [
    ['open (JSON codec)', false],
    ['open + every transition read', true],
  ];
  for (const [name, readAll] of [...kinds, ...kinds, ...kinds]) rows.push(await openOnce(dir, name, readAll));
  // As a replica compacting its log leaves it: a snapshot 10,000 entries before the end;
  // the segments it covers are deleted and never read again.
  const compacting = new DiskStorage<Tx>({ dir });
  await compacting.load();
  const config = { voters: [1, 2, 3], learners: [], outgoing: [] };
  const at = Math.max(0, n - 10_000);
  await compacting.write({
    snapshot: { lastIncludedIndex: at, lastIncludedTerm: 1, data: new Uint8Array(1024), config, termStarts: [1, 1] },
  });
  await compacting.load(); // waits for the deletion of the segments the snapshot covers
  await compacting.close();
  rows.push(await openOnce(dir, `open, snapshot at ${fmt(at)}`, false));
  await rm(dir, { recursive: true, force: true });

  // The same number of entries written one per write (a leader with one proposal in
  // flight): a frame of ~190 bytes per entry, so the per-frame work (checksum, parse) shows.
  await checkOneEntryPerWrite(root);
  const single = join(root, 'recovery-single');
  await writeOneEntryPerWrite(single, n);
  for (let i = 0; i < 3; i++) rows.push(await openOnce(single, 'open, 1 entry per write', false));
  await rm(single, { recursive: true, force: true });
  return rows;
}

export async function runDiskBench(argv: string[]): Promise<void> {
  const o = parseOptions(argv);
  const root = await mkdtemp(join(o.dir, 'little-raft-disk-bench-'));
  try {
    console.log(
      `DiskStorage bench: ${root}; 100-byte transitions (JSON codec) + a hard state per write, ` +
        `one write in flight; ${o.seconds} s per row; node ${process.version}`,
    );
    const rows = o.recoveryOnly ? [] : await appendRows(o, root);
    console.log();
    if (rows.length > 0)
      printTable(
        ['what', 'batch', 'entries/s', 'p50 ms', 'p99 ms', 'loop p99 ms', 'loop max ms'],
        rows.map((r) => [
          r.what,
          r.batch === 0 ? '-' : fmt(r.batch),
          r.batch === 0 ? '-' : fmt(r.entriesPerSecond),
          r.batch === 0 ? '-' : fmt(r.p50, 2),
          r.batch === 0 ? '-' : fmt(r.p99, 2),
          fmt(r.loopP99, 1),
          fmt(r.loopMax, 1),
        ]),
      );
    if (o.recoveryEntries > 0) {
      console.log();
      const rec = await recoveryRows(o, root);
      printTable(
        ['recovery: open + load()', 'entries', 'segments', 'MB read', 'wall ms', 'CPU ms', 'heap MB'],
        rec.map((r) => [
          r.codec,
          fmt(r.entries),
          fmt(r.segments),
          fmt(r.megabytes, 1),
          fmt(r.openMs),
          fmt(r.cpuMs),
          Number.isFinite(r.heapMb) ? fmt(r.heapMb) : '-',
        ]),
      );
    }
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await runDiskBench(process.argv.slice(2));
