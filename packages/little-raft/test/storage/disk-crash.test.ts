// Crash consistency with real processes (a bounded share; `npm run soak:disk` runs hundreds
// of rounds): a child writing through DiskStorage is killed with SIGKILL at random moments;
// after each kill every acknowledged write is there, intact, and nothing partial.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { runCrashRounds } from '../support/disk-crash.js';
import { tempDir } from '../support/temp-dir.js';

test('SIGKILL at random moments: every acknowledged write survives, no partial write appears', async (t) => {
  const report = await runCrashRounds({ dir: tempDir(t), rounds: 30, seed: 7 });
  assert.equal(report.rounds, 30);
  assert.ok(report.acked > 30, `the children acknowledged ${report.acked} writes`);
  assert.ok(report.lastIndex > 0);
});
