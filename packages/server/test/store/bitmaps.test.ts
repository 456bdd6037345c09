// The bitmap commands against a Keyspace: reply for reply byte-identical to a real redis-server 7.0
// given the same commands (test/support/bitmap-cases.ts), in RESP2 and RESP3; and where Redis
// signals a key as changed (a WATCH on it fails EXEC), the Keyspace gives the key a new version,
// and nowhere else. Then the few things checked without Redis: the deliberate size limit.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { Keyspace } from '../../src/store/keyspace.js';
import { MAX_VALUE_LENGTH } from '../../src/store/families/strings.js';
import { cmd, plain } from '../support/kv-helpers.js';
import { BITMAP_CASES } from '../support/bitmap-cases.js';
import { compareWithRedis } from '../support/redis-cases.js';

/** The key a command writes: BITOP's destination, else the first key. */
const writtenKey = (argv: readonly string[]): string => (argv[0]!.toLowerCase() === 'bitop' ? argv[2] : argv[1]) ?? '';

test('bitmaps: the same replies as redis-server, byte for byte, and the same keys signalled', async (t) => {
  await compareWithRedis(t, BITMAP_CASES, writtenKey);
});

test('bitmaps: a write past the longest string answers the proto-max-bulk-len error and changes nothing', () => {
  const ks = new Keyspace();
  const lastBit = String(MAX_VALUE_LENGTH * 8 - 1);
  const tooFar = String(MAX_VALUE_LENGTH * 8);
  const tooBig = '-ERR string exceeds maximum allowed size (proto-max-bulk-len)';
  assert.equal(plain(ks.applyWrite(cmd(`setbit k ${tooFar} 1`), 0)), tooBig);
  assert.equal(plain(ks.applyWrite(cmd(`bitfield k set u8 ${String(MAX_VALUE_LENGTH * 8 - 7)} 1`), 0)), tooBig);
  assert.equal(
    plain(ks.applyWrite(cmd(`bitfield k overflow fail incrby u2 ${String(MAX_VALUE_LENGTH * 8 - 1)} 9`), 0)),
    tooBig,
  );
  assert.equal(plain(ks.read(cmd('exists k'), 0)), 0);
  assert.equal(plain(ks.read(cmd(`getbit k ${tooFar}`), 0)), 0, 'reads past it are zeros');
  assert.deepEqual(plain(ks.read(cmd(`bitfield_ro k get u8 ${tooFar}`), 0)), [0]);
  assert.equal(plain(ks.applyWrite(cmd(`setbit k ${lastBit} 1`), 0)), 0, 'the last bit of the longest string');
  assert.equal(plain(ks.read(cmd('strlen k'), 0)), MAX_VALUE_LENGTH);
});
