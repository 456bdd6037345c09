// The frame format and its incremental parser, without sockets.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import {
  encodeFrame,
  encodeMessageFrame,
  FrameDecoder,
  FrameError,
  FrameKind,
} from '../../src/transport/tcp/frames.js';
import { prng } from '../support/prng.js';

function bytes(...values: number[]): Uint8Array {
  return Uint8Array.from(values);
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

test('a frame is a big-endian u32 length and the body; message frames carry their kind byte', () => {
  assert.deepEqual(encodeFrame(bytes(7, 8, 9)), bytes(0, 0, 0, 3, 7, 8, 9));
  assert.deepEqual(encodeMessageFrame(bytes(1, 2)), bytes(0, 0, 0, 3, FrameKind.message, 1, 2));
  assert.throws(() => encodeFrame(new Uint8Array(0)), RangeError);
  const big = new Uint8Array(300);
  assert.deepEqual(encodeFrame(big).subarray(0, 4), bytes(0, 0, 1, 44));
});

test('frames round trip whole, concatenated, and split at every byte boundary', () => {
  const random = prng(11);
  const bodies = Array.from({ length: 40 }, (_, i) =>
    Uint8Array.from({ length: 1 + Math.floor(random() * (i % 5 === 0 ? 3000 : 40)) }, () => Math.floor(random() * 256)),
  );
  const stream = concat(bodies.map(encodeFrame));

  // All in one chunk.
  assert.deepEqual(new FrameDecoder(4096).push(stream), bodies);

  // One byte at a time.
  const d1 = new FrameDecoder(4096);
  const got1: Uint8Array[] = [];
  for (let i = 0; i < stream.length; i++) got1.push(...d1.push(stream.subarray(i, i + 1)));
  assert.deepEqual(got1, bodies);
  assert.equal(d1.buffered, 0);
  assert.equal(d1.partial, false);

  // Split in two at every position of the first few frames.
  const head = stream.subarray(0, 200);
  for (let cut = 0; cut <= head.length; cut++) {
    const d = new FrameDecoder(4096);
    const got = [...d.push(stream.subarray(0, cut)), ...d.push(stream.subarray(cut))];
    assert.deepEqual(got, bodies, `cut at ${cut}`);
  }

  // Random chunkings.
  for (let round = 0; round < 50; round++) {
    const d = new FrameDecoder(4096);
    const got: Uint8Array[] = [];
    for (let at = 0; at < stream.length;) {
      const n = Math.min(stream.length - at, 1 + Math.floor(random() * 700));
      got.push(...d.push(stream.subarray(at, at + n)));
      assert.ok(d.buffered <= 4 + 4096);
      at += n;
    }
    assert.deepEqual(got, bodies);
  }
});

test('bodies are copies: reusing the chunk afterwards does not change them', () => {
  const chunk = encodeFrame(bytes(1, 2, 3));
  const d = new FrameDecoder(10);
  const [body] = d.push(chunk);
  chunk.fill(0);
  assert.deepEqual(body, bytes(1, 2, 3));
});

test('feed/next hands out one frame at a time, so the limit can change between frames', () => {
  const small = encodeFrame(bytes(1, 2));
  const large = encodeFrame(new Uint8Array(100).fill(5));
  const d = new FrameDecoder(10);
  d.feed(concat([small, large]));
  assert.deepEqual(d.next(), bytes(1, 2));
  d.setLimit(100);
  assert.equal(d.next()!.length, 100);
  assert.equal(d.next(), null);
  assert.throws(() => {
    d.feed(small);
    d.feed(small);
  }, /previous chunk is not consumed/);
});

test('an empty frame or a length over the limit fails the stream, before allocating the body', () => {
  const d = new FrameDecoder(16);
  assert.deepEqual(d.push(encodeFrame(new Uint8Array(16))).length, 1);
  const e = assert.throws(() => d.push(bytes(0, 0, 0, 17)), FrameError);
  void e;
  assert.equal(d.allocated, 4);
  // Stays failed.
  assert.throws(
    () => d.push(encodeFrame(bytes(1))),
    (err: unknown) => {
      return (
        err instanceof FrameError &&
        err.reason === 'oversized-frame' &&
        /17 bytes exceeds the limit of 16/.test(err.message)
      );
    },
  );

  const empty = new FrameDecoder(16);
  assert.throws(
    () => empty.push(bytes(0, 0, 0, 1, 9, 0, 0, 0, 0)),
    (err: unknown) => {
      return err instanceof FrameError && err.reason === 'empty-frame';
    },
  );

  // The largest length a u32 can say is refused without allocating 4 GiB.
  const huge = new FrameDecoder(1 << 20);
  assert.throws(() => huge.push(bytes(0xff, 0xff, 0xff, 0xff)), FrameError);
  assert.throws(() => new FrameDecoder(0), RangeError);
  assert.throws(() => new FrameDecoder(2 ** 32), RangeError);
});

test('a partial frame is reported and held in at most 4 + limit bytes', () => {
  const d = new FrameDecoder(1000);
  assert.deepEqual(d.push(bytes(0, 0)), []);
  assert.equal(d.partial, true);
  assert.equal(d.buffered, 2);
  assert.deepEqual(d.push(bytes(3, 232, 1, 2, 3)), []);
  assert.equal(d.buffered, 7);
  assert.equal(d.allocated, 1004);
});
