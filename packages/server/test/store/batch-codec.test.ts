import { test } from 'node:test';
import assert from 'node:assert/strict';

import { NOOP_BATCH, type KvBatch } from '../../src/store/batch.js';
import {
  asEncoded,
  decodeBatch,
  EncodedBatch,
  encodeBatch,
  encodeInSlices,
  hasBigArgument,
  kvCodecs,
  stampEncoding,
} from '../../src/store/batch-codec.js';
import { CodecError, decodeMessage, encodeMessage, type Message } from 'little-raft';
import { prng } from '../../../little-raft/test/support/prng.js';
import { cmd } from '../support/kv-helpers.js';

function batch(commands: Uint8Array[][], origin = 2, seq = 17, at = 1_700_000_000_123): KvBatch {
  return { id: `${origin}:${seq}`, origin, seq, at, commands };
}

function same(a: KvBatch, b: KvBatch): void {
  assert.equal(a.id, b.id);
  assert.equal(a.origin, b.origin);
  assert.equal(a.seq, b.seq);
  assert.equal(a.at, b.at);
  assert.deepEqual(
    a.commands.map((c) => c.map((x) => [...x])),
    b.commands.map((c) => c.map((x) => [...x])),
  );
  assert.deepEqual(spans(a), spans(b));
}

/** A batch's transaction spans as plain data (watched keys as byte lists). */
function spans(b: KvBatch): unknown[] {
  return (b.transactions ?? []).map((tx) => ({
    start: tx.start,
    count: tx.count,
    watches: (tx.watches ?? []).map((w) => [[...w.key], w.version, w.present]),
  }));
}

test('round trip: ordinary, binary, empty and large batches, noop, stored ids', () => {
  const bin = new Uint8Array(256).map((_, i) => i);
  const cases: KvBatch[] = [
    batch([cmd('SET a 1'), cmd('INCR n'), cmd(['SET', '', ''])]),
    batch([[Buffer.from('SET'), bin, bin.subarray(10, 20)]]),
    batch([], 0, 0, 0),
    batch([cmd('SET k ' + 'v'.repeat(100_000))], Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, 2 ** 50),
    NOOP_BATCH,
    { id: 'custom-é', origin: 1, seq: 2, at: 3, commands: [cmd('DEL x')] },
  ];
  for (const b of cases) same(decodeBatch(encodeBatch(b)), b);
});

test('the encoding is compact: a one-command SET batch costs a few bytes beyond its arguments', () => {
  const bytes = encodeBatch(batch([cmd('SET key value')]));
  assert.ok(bytes.length <= 2 + 1 + 1 + 6 + 1 + 1 + 3 * 1 + 11, `${bytes.length} bytes`);
});

test('decoded arguments do not alias the input buffer', () => {
  const bytes = encodeBatch(batch([cmd('SET a b')]));
  const decoded = decodeBatch(bytes);
  bytes.fill(0);
  assert.equal(Buffer.from(decoded.commands[0]![1]!).toString(), 'a');
});

test('encodeInSlices: the bytes of encodeBatch after the prefix, big arguments copied over several turns', async () => {
  const big = new Uint8Array(2.5 * 1024 * 1024).map((_, i) => (i * 13) & 0xff);
  const draft: KvBatch = {
    ...batch([cmd('SET a 1'), [Buffer.from('SET'), Buffer.from('big'), big], cmd('DEL x')], 3, 40, 1_700_000_000_000),
    transactions: [{ start: 1, count: 2, watches: [{ key: Buffer.from('w'), version: 4, present: true }] }],
  };
  assert.equal(hasBigArgument(draft), true);
  assert.equal(hasBigArgument(batch([cmd('SET a ' + 'v'.repeat(100_000))])), false);
  // Counts turns of the event loop (one immediate per turn) while the encoding runs.
  let turns = 0;
  let encoding: Awaited<ReturnType<typeof encodeInSlices>> | null = null;
  const tick = (): void => {
    turns++;
    if (encoding === null) setImmediate(tick);
  };
  setImmediate(tick);
  encoding = await encodeInSlices(draft, 1);
  assert.ok(turns >= 3, `the copy took ${turns} turns of the event loop, not one per MiB`);
  assert.deepEqual(Buffer.from(encoding.bytes.subarray(1)), Buffer.from(encodeBatch({ ...draft })));
  // Stamped with a later time of the same length: encodeBatch of the stamped batch gives those bytes.
  const stamped = { ...draft, at: draft.at + 5000 };
  assert.equal(stampEncoding(encoding, stamped), true);
  const bytes = encodeBatch(stamped);
  assert.equal(bytes.buffer, encoding.bytes.buffer, 'the sliced encoding itself');
  same(decodeBatch(bytes), stamped);
  // A time that takes another number of bytes is refused, and nothing is kept for it.
  const longer = { ...draft, at: 2 ** 49 };
  assert.equal(stampEncoding(encoding, longer), false);
  same(decodeBatch(encodeBatch(longer)), longer);
});

test('a big batch filling its own buffer is decoded in place; inside a larger buffer, copied', () => {
  const bytes = encodeBatch(batch([cmd(['SET', 'k', 'v'.repeat(100_000)])]));
  const decoded = decodeBatch(bytes);
  assert.equal(decoded.commands[0]![2]!.buffer, bytes.buffer);
  const inside = new Uint8Array(3 * bytes.length);
  inside.set(bytes, 5);
  const copied = decodeBatch(inside.subarray(5, 5 + bytes.length));
  assert.notEqual(copied.commands[0]![2]!.buffer, inside.buffer);
  same(copied, decoded);
});

test('encode rejects malformed batches', () => {
  assert.throws(() => encodeBatch({ ...batch([]), at: -1 }), CodecError);
  assert.throws(() => encodeBatch({ ...batch([]), seq: 1.5 }), CodecError);
  assert.throws(() => encodeBatch(batch([[]])), CodecError);
  assert.throws(() => encodeBatch(batch([['SET' as unknown as Uint8Array]])), CodecError);
});

test('every truncation of a valid batch is rejected with a CodecError', () => {
  const bytes = encodeBatch(batch([cmd('SET a 1'), cmd('MSET x y z w')]));
  for (let n = 0; n < bytes.length; n++) {
    assert.throws(() => decodeBatch(bytes.subarray(0, n)), CodecError, `prefix of ${n} bytes`);
  }
  assert.throws(() => decodeBatch(Buffer.concat([bytes, Buffer.from([0])])), /trailing/);
});

test('bad version, id kind, empty command, huge counts and lengths are rejected without allocating', () => {
  const good = encodeBatch(batch([cmd('GET a')]));
  const bad = (mutate: (b: Uint8Array) => void): Uint8Array => {
    const b = good.slice();
    mutate(b);
    return b;
  };
  assert.throws(() => decodeBatch(bad((b) => (b[0] = 9))), /version 9/);
  assert.throws(() => decodeBatch(bad((b) => (b[1] = 7))), /id kind 7/);
  // version, id kind, origin, seq, at (6 bytes), count 1, argc 0
  const header = [1, 0, 1, 1, 0x80, 0x80, 0x80, 0x80, 0x80, 1];
  assert.throws(() => decodeBatch(new Uint8Array([...header, 1, 0])), /no arguments/);
  // A count of 2^53-1 commands in a 20-byte input.
  const hugeCount = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0f];
  assert.throws(() => decodeBatch(new Uint8Array([...header, ...hugeCount])), /exceeds/);
  // An argument claiming 2^40 bytes.
  assert.throws(() => decodeBatch(new Uint8Array([...header, 1, 1, 0x80, 0x80, 0x80, 0x80, 0x80, 0x20])), /truncated/);
  // A varint longer than 8 bytes.
  assert.throws(() => decodeBatch(new Uint8Array([1, 0, ...new Array<number>(9).fill(0x80), 0])), /varint/);
  // Stored id that is not UTF-8.
  assert.throws(() => decodeBatch(new Uint8Array([1, 1, 1, 1, 1, 1, 0xff, 0])), /UTF-8/);
  assert.throws(() => decodeBatch('x' as unknown as Uint8Array), CodecError);
});

test('random bytes and random corruptions never hang and either decode or throw a CodecError', () => {
  const rnd = prng(6);
  const good = encodeBatch(batch([cmd('SET alpha beta EX 10'), cmd('INCR counter'), cmd('DEL a b c')]));
  for (let i = 0; i < 20_000; i++) {
    let bytes: Uint8Array;
    if (i % 2 === 0) {
      bytes = new Uint8Array(Math.floor(rnd() * 40)).map(() => Math.floor(rnd() * 256));
      if (bytes.length > 0 && rnd() < 0.7) bytes[0] = 1;
    } else {
      bytes = good.slice();
      const flips = 1 + Math.floor(rnd() * 3);
      for (let f = 0; f < flips; f++) bytes[Math.floor(rnd() * bytes.length)] = Math.floor(rnd() * 256);
    }
    try {
      const b = decodeBatch(bytes);
      // Whatever decodes must re-encode to a batch that decodes the same.
      same(decodeBatch(encodeBatch(b)), b);
    } catch (e) {
      assert.ok(e instanceof CodecError, `unexpected ${String(e)}`);
    }
  }
});

test('kvCodecs carries batches and snapshot bytes through the transport message codec', () => {
  const b = batch([cmd('SET a 1')]);
  const append: Message<KvBatch, Uint8Array> = {
    type: 'append',
    from: 1,
    to: 2,
    term: 3,
    prevLogIndex: 4,
    prevLogTerm: 3,
    leaderCommit: 4,
    seq: 9,
    entries: [{ index: 5, term: 3, transition: b }],
  };
  const back = decodeMessage(encodeMessage(append, kvCodecs), kvCodecs);
  assert.equal(back.type, 'append');
  if (back.type === 'append') same(back.entries[0]!.transition!, b);
  assert.deepEqual([...kvCodecs.snapshot.decode(new Uint8Array([1, 2, 3]))], [1, 2, 3]);
});

test('MULTI/EXEC spans: version 2 round-trips; a batch without them is version 1, byte for byte as before', () => {
  const plainBatch = batch([cmd('SET a 1'), cmd('INCR n')]);
  // Written by the encoder before transactions existed: what logs and snapshots on disk hold.
  const old = [
    1, 0, 2, 17, 251, 208, 149, 255, 188, 49, 2, 3, 3, 83, 69, 84, 1, 97, 1, 49, 2, 4, 73, 78, 67, 82, 1, 110,
  ];
  assert.deepEqual([...encodeBatch(plainBatch)], old);
  assert.deepEqual([...encodeBatch({ ...plainBatch, transactions: [] })], old, 'no spans: still version 1');
  const decodedOld = decodeBatch(new Uint8Array(old));
  same(decodedOld, plainBatch);
  assert.equal(decodedOld.transactions, undefined);

  const cases: KvBatch[] = [
    { ...batch([cmd('SET a 1'), cmd('GET a'), cmd('INCR n')]), transactions: [{ start: 0, count: 3 }] },
    {
      ...batch([
        cmd('SET x 1'),
        cmd('SET a 1'),
        cmd('GET a'),
        cmd('DEL y'),
        cmd('INCR n'),
        cmd('GET n'),
        cmd('SET z 1'),
      ]),
      transactions: [
        { start: 1, count: 2 },
        { start: 4, count: 2 },
      ],
    },
    {
      ...batch([cmd('SET a 1'), cmd('SET b 2')]),
      transactions: [
        { start: 0, count: 1 },
        { start: 1, count: 1 },
      ],
    },
    { ...batch([cmd('SET a 1')], 1, 2, 3), id: 'stored-id', transactions: [{ start: 0, count: 1 }] },
  ];
  for (const b of cases) {
    const bytes = encodeBatch(b);
    assert.equal(bytes[0], 2);
    same(decodeBatch(bytes), b);
  }
});

test('malformed transaction spans are refused, by the encoder and by the decoder', () => {
  const three = batch([cmd('SET a 1'), cmd('GET a'), cmd('INCR n')]);
  for (const transactions of [
    [{ start: 0, count: 0 }],
    [{ start: 2, count: 2 }],
    [{ start: 3, count: 1 }],
    [
      { start: 0, count: 2 },
      { start: 1, count: 1 },
    ],
    [{ start: -1, count: 1 }],
    [{ start: 0.5, count: 1 }],
  ]) {
    assert.throws(() => encodeBatch({ ...three, transactions }), CodecError, JSON.stringify(transactions));
  }
  const good = encodeBatch({ ...three, transactions: [{ start: 1, count: 2 }] });
  // The tail is: txCount 1, gap 1, count 2.
  assert.deepEqual([...good.subarray(good.length - 3)], [1, 1, 2]);
  const withTail = (...tail: number[]): Uint8Array => new Uint8Array([...good.subarray(0, good.length - 3), ...tail]);
  same(decodeBatch(withTail(1, 1, 2)), { ...three, transactions: [{ start: 1, count: 2 }] });
  assert.throws(() => decodeBatch(withTail(0)), /without transactions/);
  assert.throws(() => decodeBatch(withTail(1, 1, 0)), /transaction 0 is empty/);
  assert.throws(() => decodeBatch(withTail(1, 2, 2)), /exceeds the 3 commands/);
  assert.throws(() => decodeBatch(withTail(2, 0, 2, 0, 2)), /transaction 1 .* exceeds the 3 commands/);
  assert.throws(() => decodeBatch(withTail(1, 1, 2, 0)), /trailing/);
  assert.throws(() => decodeBatch(withTail(5, 0, 1)), /transaction count 5 exceeds/);
  for (let n = 0; n < good.length; n++) {
    assert.throws(() => decodeBatch(good.subarray(0, n)), CodecError, `prefix of ${n} bytes`);
  }
  const rnd = prng(11);
  for (let i = 0; i < 10_000; i++) {
    const bytes = good.slice();
    bytes[bytes.length - 1 - Math.floor(rnd() * 6)] = Math.floor(rnd() * 256);
    try {
      const b = decodeBatch(bytes);
      same(decodeBatch(encodeBatch(b)), b);
    } catch (e) {
      assert.ok(e instanceof CodecError, `unexpected ${String(e)}`);
    }
  }
});

test('WATCH records: version 3 round-trips; a batch whose spans watch nothing stays version 2', () => {
  const key = (s: string): Uint8Array => Buffer.from(s, 'latin1');
  const three = batch([cmd('SET a 1'), cmd('GET a'), cmd('INCR n')]);
  const unwatched = { ...three, transactions: [{ start: 0, count: 3, watches: [] }] };
  assert.equal(encodeBatch(unwatched)[0], 2, 'empty watches: version 2');
  assert.deepEqual([...encodeBatch(unwatched)], [...encodeBatch({ ...three, transactions: [{ start: 0, count: 3 }] })]);

  const cases: KvBatch[] = [
    { ...three, transactions: [{ start: 0, count: 3, watches: [{ key: key('a'), version: 7, present: true }] }] },
    {
      ...three,
      transactions: [
        { start: 0, count: 1 },
        {
          start: 1,
          count: 2,
          watches: [
            { key: key(''), version: 0, present: false },
            { key: new Uint8Array(256).map((_, i) => i), version: Number.MAX_SAFE_INTEGER, present: true },
            { key: key('n'), version: 128, present: false },
          ],
        },
      ],
    },
    {
      ...three,
      id: 'stored-id',
      transactions: [
        { start: 0, count: 1, watches: [{ key: key('x'), version: 1, present: false }] },
        { start: 2, count: 1, watches: [{ key: key('y'), version: 2, present: true }] },
      ],
    },
  ];
  for (const b of cases) {
    const bytes = encodeBatch(b);
    assert.equal(bytes[0], 3);
    const back = decodeBatch(bytes);
    same(back, b);
    // A transaction that watches nothing decodes without watches, as it was given.
    for (const [i, tx] of back.transactions!.entries()) {
      if (b.transactions![i]!.watches === undefined) assert.equal(tx.watches, undefined);
    }
  }
  // The tail of the first case: txCount 1, gap 0, count 3, 1 watch: key 'a', version 7, present.
  assert.deepEqual([...encodeBatch(cases[0]!).subarray(-8)], [1, 0, 3, 1, 1, 97, 7, 1]);
});

test('malformed WATCH records are refused, by the encoder and by the decoder', () => {
  const two = batch([cmd('SET a 1'), cmd('GET a')]);
  const watch = { key: Buffer.from('a'), version: 5, present: true };
  for (const w of [
    { ...watch, key: 'a' },
    { ...watch, version: -1 },
    { ...watch, version: 1.5 },
    { ...watch, version: 2 ** 53 },
    { ...watch, present: 1 },
    null,
  ]) {
    const transactions = [{ start: 0, count: 2, watches: [w as unknown as typeof watch] }];
    assert.throws(() => encodeBatch({ ...two, transactions }), CodecError, JSON.stringify(w));
  }
  const good = encodeBatch({ ...two, transactions: [{ start: 0, count: 2, watches: [watch] }] });
  // The tail is: txCount 1, gap 0, count 2, watchCount 1, key length 1, 'a', version 5, present 1.
  assert.deepEqual([...good.subarray(good.length - 8)], [1, 0, 2, 1, 1, 97, 5, 1]);
  const withTail = (...tail: number[]): Uint8Array => new Uint8Array([...good.subarray(0, good.length - 8), ...tail]);
  same(decodeBatch(withTail(1, 0, 2, 1, 1, 97, 5, 1)), {
    ...two,
    transactions: [{ start: 0, count: 2, watches: [watch] }],
  });
  assert.equal(decodeBatch(withTail(1, 0, 2, 1, 1, 97, 5, 0)).transactions![0]!.watches![0]!.present, false);
  assert.throws(() => decodeBatch(withTail(1, 0, 2, 1, 1, 97, 5, 2)), /present is 2/);
  assert.throws(() => decodeBatch(withTail(1, 0, 2, 0)), /version 3 batch without watches/);
  assert.throws(() => decodeBatch(withTail(0)), /version 3 batch without transactions/);
  assert.throws(() => decodeBatch(withTail(1, 0, 2, 9, 1, 97, 5, 1)), /watch count 9 exceeds/);
  assert.throws(() => decodeBatch(withTail(1, 0, 2, 1, 5, 97, 5, 1)), /truncated transaction 0 watch 0 key/);
  assert.throws(() => decodeBatch(withTail(1, 0, 2, 1, 1, 97, 5, 1, 0)), /trailing/);
  assert.throws(
    () => decodeBatch(withTail(1, 0, 2, 1, 1, 97, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 1)),
    /varint/,
  );
  // Watches written as version 2 are not read as watches: the bytes after the spans are trailing.
  const asV2 = good.slice();
  asV2[0] = 2;
  assert.throws(() => decodeBatch(asV2), CodecError);
  for (let n = 0; n < good.length; n++) {
    assert.throws(() => decodeBatch(good.subarray(0, n)), CodecError, `prefix of ${n} bytes`);
  }
  const rnd = prng(13);
  for (let i = 0; i < 10_000; i++) {
    const bytes = good.slice();
    bytes[bytes.length - 1 - Math.floor(rnd() * 9)] = Math.floor(rnd() * 256);
    try {
      const b = decodeBatch(bytes);
      same(decodeBatch(encodeBatch(b)), b);
    } catch (e) {
      assert.ok(e instanceof CodecError, `unexpected ${String(e)}`);
    }
  }
});

test('a decoded or proposed batch keeps its bytes: its commands are handed out once, then decoded again', () => {
  const plain: KvBatch = {
    ...batch([cmd('SET a 1'), cmd('INCR n'), cmd('SET b 2')]),
    transactions: [{ start: 1, count: 2 }],
  };
  for (const [how, kept] of [
    ['decoded', decodeBatch(encodeBatch(plain))],
    ['proposed', asEncoded(plain)],
  ] as const) {
    assert.ok(kept instanceof EncodedBatch, how);
    assert.equal(encodeBatch(kept), kept.bytes, `${how}: its bytes, not encoded again`);
    assert.equal(asEncoded(kept), kept, `${how}: already as the log keeps it`);
    const first = kept.commands;
    if (how === 'proposed') assert.equal(first, plain.commands, "the proposer's own commands, for the apply");
    const again = kept.commands;
    assert.notEqual(again, first, `${how}: not kept after they were handed out`);
    same(kept, plain);
    assert.deepEqual(spans(kept), spans(plain), `${how}: the transactions stay right after`);
  }
  const simple = decodeBatch(encodeBatch(batch([cmd('SET a 1')])));
  void simple.commands;
  assert.equal(simple.transactions, undefined, 'a batch without transactions has none, read after its commands');
});
