// The measurement behind DiskStorage's design (README, "Durable storage"): durable appends of
// 100-byte entries through lmdb-js against a plain file's write + datasync on the same disk, in
// the same run, rows interleaved; then reading 1,000,000 entries back from lmdb.
//
// lmdb is not a dependency of little-raft. To run this:
//   npm i --no-save lmdb@3.5.6 && node bench/lmdb-compare.mjs [seconds per row, default 3]
// (or LMDB_MODULE=/path/to/node_modules/lmdb/node-index.js node bench/lmdb-compare.mjs).
//
// lmdb-js resolves a write's promise when its transaction commits, not when it is flushed:
// durability needs `await env.flushed` (rows "lmdb + flushed") or `overlappingSync: false`.
import { mkdtemp, open as openFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';

const { open } = await import(process.env.LMDB_MODULE ?? 'lmdb');
const SECONDS = Number(process.argv[2] ?? 3);
const ENTRY = Buffer.from(JSON.stringify({ id: 1234567, payload: 'x'.repeat(80) }));

const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];

async function row(name, batch, step) {
  const loop = monitorEventLoopDelay({ resolution: 1 });
  loop.enable();
  const latencies = [];
  const start = performance.now();
  while (performance.now() - start < SECONDS * 1000) {
    const t = performance.now();
    await step(batch);
    latencies.push(performance.now() - t);
  }
  const seconds = (performance.now() - start) / 1000;
  loop.disable();
  const sorted = Float64Array.from(latencies).sort();
  console.log(
    `${name.padEnd(30)} ${String(batch).padStart(4)}  ${Math.round((latencies.length * batch) / seconds)
      .toLocaleString('en-US')
      .padStart(9)}  ${pct(sorted, 0.5).toFixed(2).padStart(7)}  ${pct(sorted, 0.99).toFixed(2).padStart(7)}  ` +
      `${(loop.percentile(99) / 1e6).toFixed(1).padStart(11)}  ${(loop.max / 1e6).toFixed(1).padStart(11)}`,
  );
}

const dir = await mkdtemp(join(tmpdir(), 'little-raft-lmdb-'));
try {
  console.log(`durable appends of ${ENTRY.length}-byte entries, one batch in flight, ${SECONDS} s per row`);
  console.log('what                           batch  entries/s   p50 ms   p99 ms  loop p99 ms  loop max ms');
  const file = await openFile(join(dir, 'raw'), 'w');
  let position = 0;
  const flushedEnv = open({ path: join(dir, 'flushed') });
  const flushedDb = flushedEnv.openDB({ name: 'log', keyEncoding: 'uint32', encoding: 'binary' });
  const syncEnv = open({ path: join(dir, 'sync'), overlappingSync: false });
  const syncDb = syncEnv.openDB({ name: 'log', keyEncoding: 'uint32', encoding: 'binary' });
  let a = 1;
  let b = 1;
  for (const batch of [1, 16, 256]) {
    const bytes = Buffer.concat(Array(batch).fill(ENTRY));
    await row('raw write + datasync', batch, async () => {
      await file.write(bytes, 0, bytes.length, position);
      position += bytes.length;
      await file.datasync();
    });
    await row('lmdb + flushed', batch, async (n) => {
      await flushedEnv.transaction(() => {
        for (let i = 0; i < n; i++) flushedDb.put(a++, ENTRY);
      });
      await flushedEnv.flushed;
    });
    await row('lmdb overlappingSync: false', batch, async (n) => {
      await syncEnv.transaction(() => {
        for (let i = 0; i < n; i++) syncDb.put(b++, ENTRY);
      });
    });
  }
  await file.close();
  await flushedEnv.close();
  await syncEnv.close();

  // Recovery: what load() would have to do with lmdb, read every entry after the snapshot.
  const path = join(dir, 'million');
  const env = open({ path });
  const db = env.openDB({ name: 'log', keyEncoding: 'uint32', encoding: 'binary' });
  for (let first = 1; first <= 1_000_000; first += 1000) {
    await env.transaction(() => {
      for (let i = 0; i < 1000; i++) db.put(first + i, ENTRY);
    });
  }
  await env.flushed;
  await env.close();
  const decoder = new TextDecoder();
  for (let round = 0; round < 2; round++) {
    let t = performance.now();
    const again = open({ path });
    const log = again.openDB({ name: 'log', keyEncoding: 'uint32', encoding: 'binary' });
    const openMs = performance.now() - t;
    t = performance.now();
    const values = [];
    for (const { value } of log.getRange({ start: 1 })) values.push(value);
    const readMs = performance.now() - t;
    t = performance.now();
    for (const v of values) JSON.parse(decoder.decode(v));
    const decodeMs = performance.now() - t;
    console.log(
      `lmdb over 1,000,000 entries: open ${openMs.toFixed(1)} ms, read every value ${readMs.toFixed(0)} ms, ` +
        `JSON-decode them ${decodeMs.toFixed(0)} ms`,
    );
    await again.close();
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
