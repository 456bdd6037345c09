// SORT and SORT_RO against a Keyspace: reply for reply byte-identical to a real redis-server 7.0
// given the same commands (test/support/sort-cases.ts), in RESP2 and RESP3; and the key STORE writes
// (or the key a setup command writes) gets a new version exactly when Redis signals it.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { Keyspace } from '../../src/store/keyspace.js';
import { cmd, plain } from '../support/kv-helpers.js';

import { compareWithRedis } from '../support/redis-cases.js';
import { SORT_CASES } from '../support/sort-cases.js';

/** STORE's destination, else the first key; none for a SORT without STORE (it signals nothing). */
function writtenKey(argv: readonly string[]): string {
  for (let i = argv.length - 2; i > 1; i--) if (argv[i]!.toLowerCase() === 'store') return argv[i + 1]!;
  return argv[1] ?? '';
}

test('SORT: the same replies as redis-server, byte for byte, and the same keys signalled', async (t) => {
  await compareWithRedis(t, SORT_CASES, writtenKey);
});

test('SORT refuses numbers out of range (strtod: ERANGE), and then sorts numbers in range again', () => {
  const ks = new Keyspace();
  const refused = "-ERR One or more scores can't be converted into double";
  ks.applyWrite(cmd('rpush big 1 1e400'), 0);
  ks.applyWrite(cmd('rpush tiny 1 1e-310'), 0);
  ks.applyWrite(cmd('rpush fine 2.5 1.5 2.2250738585072014e-308'), 0);
  assert.equal(plain(ks.applyWrite(cmd('sort big'), 0)), refused);
  assert.equal(plain(ks.applyWrite(cmd('sort tiny'), 0)), refused);
  assert.equal(plain(ks.applyWrite(cmd('sort tiny store dst'), 0)), refused);
  assert.equal(plain(ks.read(cmd('exists dst'), 0)), 0, 'a refused SORT stores nothing');
  // Redis 7.0.15 refuses these too while its errno is left at ERANGE (a deliberate difference).
  assert.deepEqual(plain(ks.applyWrite(cmd('sort fine'), 0)), ['2.2250738585072014e-308', '1.5', '2.5']);
  assert.deepEqual(plain(ks.applyWrite(cmd('sort big alpha'), 0)), ['1', '1e400']);
});
