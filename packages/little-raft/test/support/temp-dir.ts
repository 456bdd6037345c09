// Temporary directories under os.tmpdir(), removed when the test (or the process) ends.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';

const made = new Set<string>();
process.on('exit', () => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

/** A new empty directory, removed after `t` (or at exit). */
export function tempDir(t?: TestContext, prefix = 'little-raft-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.add(dir);
  t?.after(() => {
    rmSync(dir, { recursive: true, force: true });
    made.delete(dir);
  });
  return dir;
}
