// `npm run sim -- --seed S --html FILE` (src/sim/cli.ts): writes the run's page; bad input (no
// file name, a directory that is not there, a path through a file, --html without one seed) gets
// one precise line and exit code 2, before any run and with no file written.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { tempDir } from '../support/temp-dir.js';

const CLI = fileURLToPath(new URL('../../src/sim/cli.ts', import.meta.url));

async function sim(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, ['--import', 'tsx', CLI, ...args]);
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

test('--html writes the page of one seed; bad input gets one precise line', async (t) => {
  const dir = tempDir(t);
  const aFile = join(dir, 'a-file');
  writeFileSync(aFile, '');
  const page = join(dir, 'run.html');
  const [ok, missing, flagged, noDir, throughFile, noSeed] = await Promise.all([
    sim('--seed', '2', '--html', page),
    sim('--seed', '2', '--html'),
    sim('--seed', '2', '--html', '--trace'),
    sim('--seed', '2', '--html', join(dir, 'missing', 'run.html')),
    sim('--seed', '2', '--html', join(aFile, 'run.html')),
    sim('--seeds', '2', '--html', page + '.2'),
  ]);
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(ok.stderr, `sim: wrote ${page}: open it in a browser\n`);
  const html = readFileSync(page, 'utf8');
  assert.ok(html.startsWith('<!doctype html>') && html.includes('id="run-data"'));
  assert.equal((JSON.parse(ok.stdout) as { seed: number }).seed, 2);

  const expected: [typeof ok, string][] = [
    [missing, 'sim: --html: expected a file name, as in --html run.html\n'],
    [flagged, 'sim: --html: expected a file name, as in --html run.html\n'],
    [noDir, `sim: --html: cannot write ${join(dir, 'missing', 'run.html')}: no such directory\n`],
    [throughFile, `sim: --html: cannot write ${join(aFile, 'run.html')}: a parent is not a directory\n`],
    [noSeed, 'sim: --html: needs --seed S (one run)\n'],
  ];
  for (const [result, line] of expected) {
    assert.equal(result.stderr, line);
    assert.equal(result.code, 2);
    assert.equal(result.stdout, '', 'refused before any run');
  }
  assert.ok(!existsSync(page + '.2'));
});
