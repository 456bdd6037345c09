// `npm run soak:disk [-- --rounds N --seed S --max-delay MS]`: the crash-consistency test of
// test/storage/disk-crash.test.ts for many more rounds (default 300): a child writing through
// DiskStorage is killed with SIGKILL at random (seeded) moments and the store is checked after
// every kill. Runs in a temporary directory, removed afterwards. Exits non-zero on a failure.
import { rmSync } from 'node:fs';

import { runCrashRounds } from '../support/disk-crash.js';
import { tempDir } from '../support/temp-dir.js';

const args = process.argv.slice(2);
const option = (name: string, fallback: number): number => {
  const at = args.indexOf(name);
  return at >= 0 ? Number(args[at + 1]) : fallback;
};
const rounds = option('--rounds', 300);
const seed = option('--seed', Date.now() % 100_000);
const maxDelayMs = option('--max-delay', 200);
const dir = tempDir(undefined, 'little-raft-soak-');
console.log(`disk crash soak: ${rounds} rounds, seed ${seed}, kills up to ${maxDelayMs} ms after the child is ready`);
const started = performance.now();
try {
  const report = await runCrashRounds({
    dir,
    rounds,
    seed,
    maxDelayMs,
    log: (line) => console.log(line),
  });
  console.log(
    `ok: ${report.rounds} kills, ${report.acked} acknowledged writes all recovered; the write in flight at the kill ` +
      `was durable ${report.inFlightDurable} times, lost ${report.inFlightLost} times; ${report.tornTails} torn tails cut; ` +
      `commit-only writes lost in ${report.commitLost} rounds; compactions not yet named in ${report.compactionsUnnamed}; ` +
      `last index ${report.lastIndex}; ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
