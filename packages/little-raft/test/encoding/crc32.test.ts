import { test } from 'node:test';
import assert from 'node:assert/strict';

import { crc32, crc32js, crc32Pieces, wordsOf } from '../../src/encoding/crc32.js';
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

test('crc32js reading aligned words agrees at every alignment and length, in a Buffer inside a larger one', () => {
  const random = prng(11);
  const outer = new Uint8Array(1000).map(() => Math.floor(random() * 256));
  for (let offset = 0; offset < 8; offset++) {
    // A view that starts off a word boundary of its ArrayBuffer, as a pooled Buffer may.
    const bytes = Buffer.from(outer.buffer, offset + 3, 900);
    const words = wordsOf(bytes);
    for (let start = 0; start < 9; start++) {
      for (let n = 0; n < 80; n++) {
        const expected = crc32js(bytes.slice(start, start + n));
        assert.equal(
          crc32js(bytes, start, start + n, words),
          expected,
          `offset ${offset}, start ${start}, length ${n}`,
        );
        assert.equal(crc32(bytes, start, start + n), expected, `offset ${offset}, start ${start}, length ${n}`);
      }
    }
    assert.equal(crc32js(bytes, 0, 900, words), crc32(bytes), `offset ${offset}, whole`);
  }
  // An ArrayBuffer whose length is no multiple of 4: the last bytes are summed one by one.
  const odd = new Uint8Array(103).map(() => Math.floor(random() * 256));
  assert.equal(crc32js(odd, 0, 103, wordsOf(odd)), crc32js(odd.slice()));
  assert.equal(crc32js(odd, 50, 103, wordsOf(odd)), crc32(odd, 50, 103));
});

test('crc32Pieces and crc32js with a previous sum chain as zlib does: the sum of the pieces joined', () => {
  const random = prng(13);
  const bytes = new Uint8Array(5000).map(() => Math.floor(random() * 256));
  for (const cuts of [[], [0], [1], [7, 8, 9], [100, 4096], [4999]]) {
    const pieces: Uint8Array[] = [];
    let from = 0;
    for (const at of [...cuts, bytes.length]) {
      pieces.push(bytes.subarray(from, at));
      from = at;
    }
    assert.equal(crc32Pieces(pieces), crc32js(bytes), `cut at ${cuts.join(', ')}`);
    let c = 0;
    for (const piece of pieces) c = crc32js(piece, 0, piece.length, null, c);
    assert.equal(c, crc32js(bytes), `crc32js chained, cut at ${cuts.join(', ')}`);
  }
  assert.equal(crc32Pieces([]), 0);
});
