// --maxmemory's value (issue 16): Redis's units (k, m, g powers of 1000; kb, mb, gb of 1024; any
// case; 0: no limit), and a bad value from the flag or LITTLE_RAFT_MAXMEMORY refused in one line
// naming the flag, before anything starts.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { byteSize } from '../../src/cli/byte-size.js';
import { runCli } from '../support/run-cli.js';

test('sizes in Redis units', () => {
  const cases: [string, number][] = [
    ['0', 0],
    ['512000', 512000],
    ['100mb', 100 * 1024 * 1024],
    ['100MB', 100 * 1024 * 1024],
    ['1gb', 1024 ** 3],
    ['1Gb', 1024 ** 3],
    ['64kb', 65536],
    ['1k', 1000],
    ['2m', 2_000_000],
    ['3G', 3_000_000_000],
  ];
  for (const [text, bytes] of cases) assert.equal(byteSize(text), bytes, text);
  for (const bad of ['', 'lots', '-1', '1.5gb', '10tb', '1e6', 'mb', '0x10', '99999999999999999999']) {
    assert.throws(() => byteSize(bad), /expected a size in bytes/, bad);
  }
});

/** The first line of stderr of a serve that must not start, and its exit code. */
async function refused(args: string[], env?: Record<string, string>): Promise<{ code: number | null; line: string }> {
  const base = ['serve', '--id', '1', '--peers', '1=127.0.0.1:1', '--data', '/nonexistent/never-made', '--insecure'];
  const r = await runCli([...base, ...args], env === undefined ? {} : { env });
  assert.equal(r.stdout, '');
  return { code: r.code, line: r.stderr.split('\n')[0]! };
}

test('a bad --maxmemory or LITTLE_RAFT_MAXMEMORY: one line naming the flag, exit 1', async () => {
  assert.deepEqual(await refused(['--maxmemory', '1.5gb']), {
    code: 1,
    line: "error: option '--maxmemory <bytes>' argument '1.5gb' is invalid. expected a size in bytes: a whole number, optionally with kb, mb or gb (512mb).",
  });
  assert.deepEqual(await refused([], { LITTLE_RAFT_MAXMEMORY: 'lots' }), {
    code: 1,
    line: "error: option '--maxmemory <bytes>' value 'lots' from env 'LITTLE_RAFT_MAXMEMORY' is invalid. expected a size in bytes: a whole number, optionally with kb, mb or gb (512mb).",
  });
});
