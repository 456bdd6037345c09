import { test } from 'node:test';
import assert from 'node:assert/strict';

import { crc32, crc32js } from '../../src/storage/crc32.js';
import { prng } from '../support/prng.js';

test('crc32 matches the standard check value and agrees with itself on random input', () => {
  const check = new TextEncoder().encode('123456789');
  assert.equal(crc32js(check), 0xcbf43926);
  assert.equal(crc32(check), 0xcbf43926);
  assert.equal(crc32js(new Uint8Array(0)), 0);
  const random = prng(9);
  for (let n = 0; n < 300; n += 7) {
    const bytes = new Uint8Array(n + 20).map(() => Math.floor(random() * 256));
    // Sub-ranges, with lengths on either side of the 8-byte stride.
    assert.equal(crc32js(bytes, 5, 5 + n), crc32(bytes, 5, 5 + n), `length ${n}`);
    assert.equal(crc32js(bytes, 5, 5 + n), crc32js(bytes.slice(5, 5 + n)), `length ${n}`);
  }
});
