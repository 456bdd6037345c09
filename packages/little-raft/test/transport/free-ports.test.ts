// The tests' free ports (test/support/tcp.ts): a port handed out to one process is not handed out
// to another while it lives, however the random picks fall, and is free again once it is gone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

import { freePorts, reservePort } from '../support/tcp.js';

const TCP = fileURLToPath(new URL('../support/tcp.ts', import.meta.url));

/** Whether a child process could take `port`; then it exits, or is killed before it can clean up. */
function takenByChild(port: number, end: 'exit' | 'SIGKILL' = 'exit'): boolean {
  const die = end === 'SIGKILL' ? "process.kill(process.pid, 'SIGKILL');" : '';
  const code = `import { reservePort } from ${JSON.stringify(TCP)};
process.stdout.write(String(reservePort(${port})), () => { ${die} });`;
  const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
    encoding: 'utf8',
  });
  assert.equal(child.signal ?? 'exit', end, child.stderr);
  return child.stdout === 'true';
}

test('a port one process has is not given to another; a port whose process has ended is', async () => {
  const [mine] = (await freePorts(1)) as [number];
  assert.equal(takenByChild(mine), false, 'held by this process');
  assert.equal(reservePort(mine), false, 'and not handed out again, even here');

  // Ports nobody is meant to hold (the files, not the sockets, are what is tested).
  const base = 31_000 + Math.floor(Math.random() * 900) * 2;
  assert.equal(takenByChild(base), true);
  assert.equal(reservePort(base), true, 'given back by a process as it exits');

  assert.equal(takenByChild(base + 1, 'SIGKILL'), true);
  assert.equal(reservePort(base + 1), false, 'left by a killed process: cleared when met, not taken at once');
  assert.equal(reservePort(base + 1), true, 'then free');
});
