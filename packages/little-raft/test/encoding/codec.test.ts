import { test } from 'node:test';
import assert from 'node:assert/strict';

import type { Message } from '../../src/core/types.js';
import { CodecError } from '../../src/encoding/errors.js';
import {
  CODEC_VERSION,
  bytesCodec,
  decodeMessage,
  encodeMessage,
  encodeMessageParts,
  jsonCodec,
  type MessageCodecs,
} from '../../src/encoding/codec.js';
import { prng } from '../support/prng.js';

/** Messages without member identities are written in version 1 of the format. */
const V1 = 1;

type T = { id: string | number; key?: string; value?: string };
type D = { kv: Record<string, string> };

const codecs: MessageCodecs<T, D> = { transition: jsonCodec<T>(), snapshot: jsonCodec<D>() };
const byteCodecs: MessageCodecs<T, Uint8Array> = { transition: jsonCodec<T>(), snapshot: bytesCodec };

const BIG = Number.MAX_SAFE_INTEGER;

/** One or more samples of every message type, including boundary values. */
function samples(): Message<T, D>[] {
  return [
    {
      type: 'vote-request',
      from: 1,
      to: 2,
      term: 7,
      lastLogIndex: 100,
      lastLogTerm: 6,
      preVote: true,
      transfer: false,
    },
    {
      type: 'vote-request',
      from: 0,
      to: BIG,
      term: BIG,
      lastLogIndex: 0,
      lastLogTerm: 0,
      preVote: false,
      transfer: true,
    },
    { type: 'vote-response', from: 2, to: 1, term: 7, granted: true, preVote: false },
    { type: 'vote-response', from: 2, to: 1, term: 8, granted: false, preVote: true },
    {
      type: 'append',
      from: 1,
      to: 3,
      term: 5,
      prevLogIndex: 10,
      prevLogTerm: 4,
      entries: [],
      leaderCommit: 9,
      seq: 3,
    },
    {
      type: 'append',
      from: 1,
      to: 3,
      term: 5,
      prevLogIndex: 10,
      prevLogTerm: 4,
      entries: [
        { index: 11, term: 5, transition: { id: 'noop' } },
        { index: 12, term: 5, transition: { id: 42, key: 'k', value: 'v'.repeat(300) } },
        { index: 13, term: 5, config: { voters: [1, 2, 3], learners: [4], outgoing: [] } },
        {
          index: 14,
          term: 5,
          config: { voters: [1, 2, 3, 4], learners: [], outgoing: [1, 2, 3] },
        },
        { index: 15, term: 5, transition: { id: 'é€😀', value: '' } },
      ],
      leaderCommit: 12,
      seq: 2 ** 40,
    },
    {
      type: 'append-response',
      from: 3,
      to: 1,
      term: 5,
      success: true,
      index: 15,
      hintIndex: 0,
      hintTerm: 0,
      seq: 4,
    },
    {
      type: 'append-response',
      from: 3,
      to: 1,
      term: 5,
      success: false,
      index: 10,
      hintIndex: 7,
      hintTerm: 3,
      seq: 5,
    },
    {
      type: 'snapshot',
      from: 1,
      to: 2,
      term: 9,
      lastIncludedIndex: 1000,
      lastIncludedTerm: 8,
      config: { voters: [1, 2, 3], learners: [], outgoing: [] },
      termStarts: [1, 1, 40, 3, 41, 5, 900, 8],
      offset: 0,
      data: { kv: { a: '1', b: '2' } },
      done: true,
      seq: 11,
    },
    {
      type: 'snapshot',
      from: 1,
      to: 2,
      term: 9,
      lastIncludedIndex: 1000,
      lastIncludedTerm: 8,
      config: { voters: [1, 2], learners: [3, 4], outgoing: [1, 2, 5] },
      termStarts: [],
      offset: 65536,
      data: new Uint8Array([0, 1, 2, 255, 128, 127]),
      done: false,
      seq: 12,
    },
    {
      type: 'snapshot-response',
      from: 2,
      to: 1,
      term: 9,
      lastIncludedIndex: 1000,
      nextOffset: 70000,
      seq: 12,
    },
    { type: 'timeout-now', from: 1, to: 2, term: 9 },
    { type: 'read-index', from: 2, to: 1, term: 9, requestId: 77 },
    { type: 'read-index-response', from: 1, to: 2, term: 9, requestId: 77, readIndex: 1000 },
    { type: 'read-index-response', from: 1, to: 2, term: 9, requestId: 78, readIndex: 0 },
  ];
}

function decodeError(bytes: Uint8Array, c: MessageCodecs<T, D> = codecs): CodecError {
  try {
    decodeMessage(bytes, c);
  } catch (e) {
    if (e instanceof CodecError) return e;
    throw new Error(`expected a CodecError, got ${String(e)}`, { cause: e });
  }
  throw new Error('expected decodeMessage to throw');
}

test('every message type round-trips', () => {
  const seen = new Set<string>();
  for (const msg of samples()) {
    const bytes = encodeMessage(msg, codecs);
    assert.ok(bytes instanceof Uint8Array);
    assert.equal(bytes[0], V1, 'a message without member uids is written as version 1');
    assert.deepEqual(decodeMessage(bytes, codecs), msg, msg.type);
    seen.add(msg.type);
  }
  assert.equal(seen.size, 9);
});

test('the encoding is compact', () => {
  const hb: Message<T, D> = {
    type: 'append',
    from: 1,
    to: 2,
    term: 3,
    prevLogIndex: 100,
    prevLogTerm: 3,
    entries: [],
    leaderCommit: 100,
    seq: 5,
  };
  // version, tag, from, to, term, prevLogIndex, prevLogTerm, leaderCommit, seq, count.
  assert.equal(encodeMessage(hb, codecs).length, 10);
  const vr = encodeMessage({ type: 'vote-response', from: 1, to: 2, term: 3, granted: true, preVote: false }, codecs);
  assert.deepEqual([...vr], [V1, 2, 1, 2, 3, 1, 0]);
});

test('varints round-trip at every width up to 2^53-1', () => {
  const values = [0, 1, 127, 128, 16383, 16384, 2 ** 31 - 1, 2 ** 31, 2 ** 32, 2 ** 49, BIG];
  for (let k = 1; k <= 53; k++) values.push(2 ** k - 1, 2 ** k);
  for (const v of values) {
    if (v > BIG) continue;
    const msg: Message<T, D> = { type: 'read-index', from: v, to: 1, term: v, requestId: v };
    assert.deepEqual(decodeMessage(encodeMessage(msg, codecs), codecs), msg, `value ${v}`);
  }
});

test('snapshot data: Uint8Array chunks travel raw, other data through the snapshot codec', () => {
  const [chunk] = samples().filter((m) => m.type === 'snapshot' && m.data instanceof Uint8Array);
  const bytes = encodeMessage(chunk!, codecs);
  const out = decodeMessage(bytes, codecs);
  assert.ok(out.type === 'snapshot' && out.data instanceof Uint8Array);
  // The decoded chunk is a copy, not a view of the frame.
  bytes[bytes.length - 1] = bytes[bytes.length - 1]! ^ 0xff;
  assert.equal(out.data[out.data.length - 1], 127);

  const whole: Message<T, Uint8Array> = {
    type: 'snapshot',
    from: 1,
    to: 2,
    term: 1,
    lastIncludedIndex: 5,
    lastIncludedTerm: 1,
    config: { voters: [1, 2], learners: [], outgoing: [] },
    termStarts: [1, 1],
    offset: 0,
    data: new Uint8Array([9, 8, 7]),
    done: true,
    seq: 1,
  };
  assert.deepEqual(decodeMessage(encodeMessage(whole, byteCodecs), byteCodecs), whole);
});

test('encodeMessageParts: the bytes of encodeMessage after the headroom; payloads of 64 KiB or more not copied', () => {
  const big = new Uint8Array(64 * 1024).fill(7);
  const bigger = new Uint8Array(100_000).fill(9);
  const small = new Uint8Array(64 * 1024 - 1).fill(5);
  const raw: MessageCodecs<Uint8Array & { id: string }, Uint8Array> = {
    transition: { encode: (t) => t, decode: (b) => Object.assign(b.slice(), { id: 'x' }) },
    snapshot: bytesCodec,
  };
  const entry = (index: number, bytes: Uint8Array) => ({
    index,
    term: 2,
    transition: Object.assign(bytes, { id: 'x' }),
  });
  const append: Message<Uint8Array & { id: string }, Uint8Array> = {
    type: 'append',
    from: 1,
    to: 2,
    term: 2,
    prevLogIndex: 3,
    prevLogTerm: 1,
    entries: [entry(4, big), entry(5, small), entry(6, bigger)],
    leaderCommit: 3,
    seq: 9,
  };
  const cases: [Message<Uint8Array & { id: string }, Uint8Array>, Uint8Array[]][] = [
    [append, [big, bigger]],
    [{ ...append, entries: [entry(4, small)] }, []],
  ];
  for (const [message, shared] of cases) {
    const { parts, length } = encodeMessageParts(message, raw, 5);
    const whole = encodeMessage(message, raw);
    assert.equal(length, whole.length);
    assert.deepEqual(Buffer.concat(parts).subarray(5), Buffer.from(whole));
    // The payloads themselves, not copies; the smaller one copied.
    const payloads = parts.filter((p) => p === big || p === small || p === bigger);
    assert.equal(payloads.length, shared.length);
    shared.forEach((s, i) => assert.equal(payloads[i], s));
  }
  // A message with no payload is one piece.
  const vote = samples()[0]!;
  const { parts } = encodeMessageParts(vote, codecs, 5);
  assert.equal(parts.length, 1);
  assert.deepEqual(parts[0]!.subarray(5), encodeMessage(vote, codecs));
});

test('decoding accepts a Buffer and a view into a larger buffer', () => {
  for (const msg of samples()) {
    const bytes = encodeMessage(msg, codecs);
    const big = Buffer.alloc(bytes.length + 20, 0xee);
    big.set(bytes, 7);
    assert.deepEqual(decodeMessage(big.subarray(7, 7 + bytes.length), codecs), msg, msg.type);
  }
});

test('bytesCodec copies on decode; jsonCodec rejects invalid UTF-8 and JSON', () => {
  const src = new Uint8Array([1, 2, 3]);
  const copy = bytesCodec.decode(src);
  src[0] = 9;
  assert.deepEqual([...copy], [1, 2, 3]);
  assert.equal(bytesCodec.encode(src), src);
  const j = jsonCodec<unknown>();
  assert.deepEqual(j.decode(j.encode({ a: [1, 'x'] })), { a: [1, 'x'] });
  assert.throws(() => j.decode(new Uint8Array([0xff, 0xfe])));
  assert.throws(() => j.decode(new TextEncoder().encode('{')));
  assert.throws(() => j.encode(undefined), CodecError);
});

test('every truncation of every sample throws CodecError', () => {
  for (const msg of samples()) {
    const bytes = encodeMessage(msg, codecs);
    for (let len = 0; len < bytes.length; len++) {
      const err = decodeError(bytes.subarray(0, len));
      assert.match(err.message, /truncated|need|past the end/, `${msg.type} cut at ${len}`);
    }
  }
});

test('trailing bytes after a complete message are rejected', () => {
  for (const msg of samples()) {
    const bytes = encodeMessage(msg, codecs);
    const longer = new Uint8Array(bytes.length + 3);
    longer.set(bytes);
    const err = decodeError(longer);
    assert.equal(err.message, `trailing garbage: 3 bytes after the ${msg.type} message`);
  }
});

test('header errors: empty input, unknown version, unknown type', () => {
  assert.match(decodeError(new Uint8Array(0)).message, /truncated message header: need 2 bytes/);
  assert.match(decodeError(new Uint8Array([CODEC_VERSION + 1, 1, 0, 0, 0])).message, /unsupported codec version 3/);
  assert.match(decodeError(new Uint8Array([0, 1, 0, 0, 0])).message, /unsupported codec version 0/);
  assert.match(decodeError(new Uint8Array([V1, 0])).message, /unknown message type/);
  assert.match(decodeError(new Uint8Array([V1, 10, 1, 2, 3])).message, /unknown message type tag 10/);
  assert.match(decodeError(new Uint8Array([V1, 255, 1, 2, 3])).message, /unknown message type tag 255/);
  assert.throws(() => decodeMessage('abc' as unknown as Uint8Array, codecs), CodecError);
});

test('integers beyond 2^53-1, overlong varints and bad booleans are rejected', () => {
  // term = 2^53 (8 bytes: seven 0x80 and then 0x10 carries bit 53).
  const twoTo53 = [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x10];
  assert.match(
    decodeError(new Uint8Array([V1, 7, 1, 2, ...twoTo53])).message,
    /timeout-now term: varint value 9007199254740992 exceeds 2\^53-1/,
  );
  // 2^53-1 itself is fine.
  const max = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0f];
  assert.deepEqual(decodeMessage(new Uint8Array([V1, 7, 1, 2, ...max]), codecs), {
    type: 'timeout-now',
    from: 1,
    to: 2,
    term: BIG,
  });
  const nine = [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00];
  assert.match(
    decodeError(new Uint8Array([V1, 7, 1, 2, ...nine])).message,
    /timeout-now term: varint longer than 8 bytes/,
  );
  // vote-response with granted = 2.
  assert.match(decodeError(new Uint8Array([V1, 2, 1, 2, 3, 2, 0])).message, /vote-response granted: boolean byte is 2/);
});

test('absurd counts and lengths are rejected before allocating', () => {
  // append with an entry count of 2^50 and nothing after it.
  const huge = [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x02];
  const err = decodeError(new Uint8Array([V1, 3, 1, 2, 3, 0, 0, 0, 0, ...huge]));
  assert.match(err.message, /^append entry count: count 1125899906842624 needs at least/);

  // One entry whose payload claims 120 bytes but 7 follow.
  const bytes = [V1, 3, 1, 2, 3, 0, 0, 0, 0, 1, 1, 3, 0, 120, 1, 2, 3, 4, 5, 6, 7];
  assert.equal(decodeError(new Uint8Array(bytes)).message, 'truncated append entry 0 payload: need 120 bytes, have 7');

  // A snapshot whose voter count exceeds the input.
  const snap = [V1, 5, 1, 2, 3, 10, 2, 0x7f, 1];
  assert.match(decodeError(new Uint8Array(snap)).message, /^snapshot config voters: count 127/);
});

test('snapshot termStarts: pairs with strictly increasing indices and terms, checked both ways', () => {
  const msg: Message<T, D> = {
    type: 'snapshot',
    from: 1,
    to: 2,
    term: 3,
    lastIncludedIndex: 9,
    lastIncludedTerm: 3,
    config: { voters: [1], learners: [], outgoing: [] },
    termStarts: [],
    offset: 0,
    data: new Uint8Array([7]),
    done: true,
    seq: 1,
  };
  const empty = encodeMessage(msg, codecs);
  // Layout: header(5) lastIncludedIndex lastIncludedTerm(7) membership 1 1 0 0 (11) | termStarts count.
  assert.equal(empty[11], 0);
  const withStarts = (raw: number[]) => Uint8Array.from([...empty.subarray(0, 11), ...raw, ...empty.subarray(12)]);
  const ok = { ...msg, termStarts: [1, 1, 4, 2, 8, 3, BIG, BIG] };
  assert.deepEqual(decodeMessage(encodeMessage(ok, codecs), codecs), ok);
  assert.deepEqual(
    decodeMessage(withStarts([4, 1, 1, 4, 3]), codecs),
    { ...msg, termStarts: [1, 1, 4, 3] },
    'count + varints after the membership',
  );

  const bad: [number[], string][] = [
    [[3, 1, 1, 4], 'snapshot termStarts: termStarts has odd length 3 (expected [firstIndex, term] pairs)'],
    [[4, 2, 1, 2, 3], 'snapshot termStarts: termStarts[2] is not above termStarts[0] (indices must increase)'],
    [[4, 1, 2, 4, 2], 'snapshot termStarts: termStarts[3] is not above termStarts[1] (terms must increase)'],
    [[6, 1, 1, 5, 3, 4, 4], 'snapshot termStarts: termStarts[4] is not above termStarts[2] (indices must increase)'],
    [
      [2, 1, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x10],
      'snapshot termStarts: varint value 9007199254740992 exceeds 2^53-1',
    ],
  ];
  for (const [raw, message] of bad) assert.equal(decodeError(withStarts(raw), codecs).message, message);
  assert.match(decodeError(withStarts([0x7f, 1, 1]), codecs).message, /^snapshot termStarts: count 127 needs/);

  for (const [termStarts, re] of [
    [[1], /cannot encode a snapshot: termStarts has odd length 1/],
    [[1, 2, 1, 3], /cannot encode a snapshot: termStarts\[2\] is not above termStarts\[0\]/],
    [[1, 2, 3, 1], /cannot encode a snapshot: termStarts\[3\] is not above termStarts\[1\]/],
    [[1, -2], /cannot encode a snapshot: termStarts\[1\] is not a non-negative integer/],
    [undefined, /cannot encode a snapshot: termStarts is not an array/],
  ] as [number[], RegExp][]) {
    assert.throws(
      () => encodeMessage({ ...msg, termStarts }, codecs),
      (e: unknown) => e instanceof CodecError && re.test(e.message),
      String(termStarts),
    );
  }
});

test('a config entry must use exactly its length', () => {
  const msg: Message<T, D> = {
    type: 'append',
    from: 1,
    to: 2,
    term: 3,
    prevLogIndex: 0,
    prevLogTerm: 0,
    entries: [{ index: 1, term: 3, config: { voters: [1], learners: [], outgoing: [] } }],
    leaderCommit: 0,
    seq: 0,
  };
  const good = encodeMessage(msg, codecs);
  // Layout: header(5) prev(2) commit seq count(9) | index term kind(12) len=4 | 1 1 0 0
  assert.deepEqual([...good.subarray(9)], [1, 1, 3, 1, 4, 1, 1, 0, 0]);
  const longer = Uint8Array.from([...good.subarray(0, 13), 5, 1, 1, 0, 0, 0]);
  assert.equal(decodeError(longer).message, 'append entry 0 config: 1 bytes left after the membership');
  const shorter = Uint8Array.from([...good.subarray(0, 13), 3, 1, 1, 0, 0]);
  assert.equal(decodeError(shorter).message, 'truncated append entry 0 outgoing: need 1 byte, have 0');
  const kind = Uint8Array.from(good);
  kind[12] = 7;
  assert.equal(decodeError(kind).message, 'append entry 0 kind: unknown entry kind 7');
});

test('payloads the codecs reject become CodecErrors', () => {
  const msg: Message<T, D> = {
    type: 'append',
    from: 1,
    to: 2,
    term: 3,
    prevLogIndex: 0,
    prevLogTerm: 0,
    entries: [{ index: 1, term: 3, transition: { id: 1 } }],
    leaderCommit: 0,
    seq: 0,
  };
  const bytes = encodeMessage(msg, codecs);
  // Payload is `{"id":1}`; make it `{"id":1{`.
  const broken = Uint8Array.from(bytes);
  broken[broken.length - 1] = '{'.charCodeAt(0);
  assert.match(decodeError(broken).message, /^append entry 0 payload: transition codec failed/);
  // Valid JSON that is no transition.
  const notObj = Uint8Array.from(bytes);
  notObj.set(new TextEncoder().encode('12345678'), bytes.length - 8);
  assert.match(decodeError(notObj).message, /no object with a string or number id/);

  const throwing: MessageCodecs<T, D> = {
    transition: codecs.transition,
    snapshot: {
      encode: () => new Uint8Array([1]),
      decode: () => {
        throw new RangeError('boom');
      },
    },
  };
  const snap = samples().find((m) => m.type === 'snapshot' && !(m.data instanceof Uint8Array))!;
  assert.equal(
    decodeError(encodeMessage(snap, throwing), throwing).message,
    'snapshot data: snapshot codec failed: boom',
  );
});

test('random byte flips never throw anything but CodecError', () => {
  const rand = prng(0x5eed);
  const all = samples().map((m) => encodeMessage(m, codecs));
  let decoded = 0;
  let rejected = 0;
  for (let iter = 0; iter < 20000; iter++) {
    const src = all[iter % all.length]!;
    const bytes = Uint8Array.from(src);
    const flips = 1 + Math.floor(rand() * 4);
    for (let f = 0; f < flips; f++) {
      const at = Math.floor(rand() * bytes.length);
      if (rand() < 0.5) bytes[at] = bytes[at]! ^ (1 << Math.floor(rand() * 8));
      else bytes[at] = Math.floor(rand() * 256);
    }
    try {
      const msg = decodeMessage(bytes, codecs);
      decoded++;
      // Whatever decodes re-encodes to the same bytes, unless the flip made a non-canonical
      // varint (a padded zero group), which decodes to the same value in fewer bytes.
      const again = encodeMessage(msg, codecs);
      assert.ok(again.length <= bytes.length);
      assert.deepEqual(decodeMessage(again, codecs), msg);
    } catch (e) {
      if (!(e instanceof CodecError)) throw e;
      assert.equal(e.name, 'CodecError');
      rejected++;
    }
  }
  // Both outcomes occur; most corruptions are caught.
  assert.ok(decoded > 0 && rejected > 0, `decoded ${decoded}, rejected ${rejected}`);
});

test('random bytes after a valid header never throw anything but CodecError', () => {
  const rand = prng(42);
  for (let iter = 0; iter < 5000; iter++) {
    const len = Math.floor(rand() * 40);
    const bytes = new Uint8Array(len + 2);
    bytes[0] = V1;
    bytes[1] = 1 + Math.floor(rand() * 9);
    for (let i = 2; i < bytes.length; i++) bytes[i] = Math.floor(rand() * 256);
    try {
      decodeMessage(bytes, codecs);
    } catch (e) {
      if (!(e instanceof CodecError)) throw e;
    }
  }
});

test('encoding rejects values the format cannot carry', () => {
  const base = { type: 'read-index', from: 1, to: 2, term: 3, requestId: 4 } as const;
  for (const bad of [-1, 1.5, NaN, Infinity, BIG + 1]) {
    assert.throws(
      () => encodeMessage({ ...base, term: bad }, codecs),
      (e: unknown) => e instanceof CodecError && /cannot encode term/.test(e.message),
      String(bad),
    );
  }
  const append = samples().find((m) => m.type === 'append' && m.entries.length > 0)!;
  assert.ok(append.type === 'append');
  const noPayload = { ...append, entries: [{ index: 1, term: 1 }] };
  assert.throws(() => encodeMessage<T, D>(noPayload, codecs), /neither a transition nor a config/);
  const badTerm = { ...append, entries: [{ index: 1, term: -2, transition: { id: 1 } }] };
  assert.throws(() => encodeMessage<T, D>(badTerm, codecs), /cannot encode entries\[0\]\.term/);
  assert.throws(() => encodeMessage({ ...base, type: 'nope' } as unknown as Message<T, D>, codecs), CodecError);
  assert.throws(
    () => encodeMessage({ type: 'vote-response', from: 1, to: 2, term: 3 } as never, codecs),
    (e: unknown) => e instanceof CodecError && /granted/.test(e.message),
  );
});

test("member identities: version 2 carries fromUid, toUid and an append's memberUids; version 1 still decodes", () => {
  const uid = 2 ** 53 - 1;
  const stamped: Message<T, D>[] = [
    {
      type: 'vote-request',
      from: 1,
      to: 2,
      term: 4,
      lastLogIndex: 3,
      lastLogTerm: 2,
      preVote: true,
      transfer: false,
      fromUid: uid,
      toUid: 7,
    },
    { type: 'vote-response', from: 2, to: 1, term: 4, granted: false, preVote: true, fromUid: 9 },
    {
      type: 'append',
      from: 1,
      to: 2,
      term: 4,
      prevLogIndex: 3,
      prevLogTerm: 2,
      entries: [{ index: 4, term: 4, transition: { id: 'x', key: 'k' } }],
      leaderCommit: 3,
      seq: 1,
      fromUid: uid,
      toUid: 9,
      memberUids: [1, uid, 2, 9, 3, 11],
    },
  ];
  for (const msg of stamped) {
    const bytes = encodeMessage(msg, codecs);
    assert.equal(bytes[0], CODEC_VERSION);
    assert.deepEqual(decodeMessage(bytes, codecs), msg, msg.type);
  }
  // An odd memberUids count is no list of pairs.
  const odd = encodeMessage({ ...stamped[2]!, memberUids: [1, uid, 2, 9] } as Message<T, D>, codecs);
  const at = odd.indexOf(4, 10); // the count of 4 values, after the header and fixed fields
  const broken = odd.slice();
  broken[at] = 3;
  assert.match(decodeError(broken).message, /memberUids/);
  // Version 1 frames from nodes without identities decode as before, with no uid fields.
  const plain = decodeMessage(new Uint8Array([V1, 2, 1, 2, 3, 1, 0]), codecs);
  assert.deepEqual(plain, { type: 'vote-response', from: 1, to: 2, term: 3, granted: true, preVote: false });
});
