// Runs the test suite with Node's built-in test runner, TypeScript loaded through tsx.
// Node 20's `--test` takes no globs, so the test files are listed here.
// Usage: node scripts/run-tests.mjs [file-or-directory ...]   (default: test/)
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

function collect(path, out) {
  if (statSync(path).isDirectory()) {
    for (const name of readdirSync(path).sort()) {
      if (name === 'node_modules' || name.startsWith('.')) continue;
      collect(join(path, name), out);
    }
  } else if (/\.test\.[cm]?ts$/.test(path)) {
    out.push(path);
  }
  return out;
}

const roots = process.argv.slice(2);
const files = [];
for (const root of roots.length > 0 ? roots : ['test']) collect(root, files);
if (files.length === 0) {
  console.error(`no test files (*.test.ts) under ${roots.join(' ') || 'test'}`);
  process.exit(1);
}

// TAP when not on a terminal (CI), so the run always ends with `# pass N` / `# fail N`.
const reporter = process.stdout.isTTY ? 'spec' : 'tap';
// A test that waits for something that never happens fails after 10 minutes instead of hanging CI.
const testTimeoutMs = 10 * 60 * 1000;
// Two test files at once (Node's default is one less than the cores: one on a 2-core machine).
// Most files wait on real processes, timers and disks, not on the CPU, and every test must hold
// on a loaded machine anyway.
const child = spawn(
  process.execPath,
  [
    '--import',
    'tsx',
    '--test',
    '--test-concurrency=2',
    `--test-timeout=${testTimeoutMs}`,
    `--test-reporter=${reporter}`,
    ...files,
  ],
  {
    stdio: 'inherit',
  },
);
child.on('exit', (code, signal) => {
  if (signal) {
    console.error(`test runner killed by ${signal}`);
    process.exit(1);
  }
  process.exit(code ?? 1);
});
