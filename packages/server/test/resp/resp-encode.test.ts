import { test } from 'node:test';
import assert from 'node:assert/strict';

import { ReplyWriter, encodeReply } from '../../src/resp/resp-encode.js';
import {
  DoubleReply,
  ErrorReply,
  NULL_ARRAY,
  OK,
  PairsReply,
  Push,
  SimpleString,
  type Reply,
} from '../../src/resp/reply.js';

const enc = (r: Reply, resp3 = false): string => encodeReply(r, resp3).toString('latin1');

test('every reply kind in RESP2', () => {
  assert.equal(enc(OK), '+OK\r\n');
  assert.equal(enc(new SimpleString('PONG')), '+PONG\r\n');
  assert.equal(enc(new ErrorReply('ERR syntax error')), '-ERR syntax error\r\n');
  assert.equal(enc(0), ':0\r\n');
  assert.equal(enc(-42), ':-42\r\n');
  assert.equal(enc(9223372036854775807n), ':9223372036854775807\r\n');
  assert.equal(enc(-9223372036854775808n), ':-9223372036854775808\r\n');
  assert.equal(enc(Buffer.from('hello')), '$5\r\nhello\r\n');
  assert.equal(enc(new Uint8Array(0)), '$0\r\n\r\n');
  assert.equal(enc(null), '$-1\r\n');
  assert.equal(enc([]), '*0\r\n');
  assert.equal(enc([1, null, Buffer.from('x'), [OK]]), '*4\r\n:1\r\n$-1\r\n$1\r\nx\r\n*1\r\n+OK\r\n');
});

test('RESP3 differs only in nil', () => {
  assert.equal(enc(null, true), '_\r\n');
  assert.equal(enc([null, 1], true), '*2\r\n_\r\n:1\r\n');
  assert.equal(enc(OK, true), '+OK\r\n');
  assert.equal(enc(Buffer.from('a'), true), '$1\r\na\r\n');
});

test('bulk strings are binary-safe', () => {
  const data = Buffer.from([0, 13, 10, 255, 128]);
  const out = encodeReply(data);
  assert.deepEqual([...out], [...Buffer.from('$5\r\n'), 0, 13, 10, 255, 128, 13, 10]);
});

test('CR and LF cannot break a status or error line', () => {
  assert.equal(enc(new ErrorReply("ERR unknown command 'a\r\nb'")), "-ERR unknown command 'a  b'\r\n");
  assert.equal(enc(new SimpleString('a\nb')), '+a b\r\n');
  // An error ending in CR LF (EXPIRE k 0 "$-1\r\n": "Unsupported option ...") is trimmed, as Redis's
  // addReplyErrorFormat does.
  assert.equal(enc(new ErrorReply('ERR Unsupported option $-1\r\n')), '-ERR Unsupported option $-1\r\n');
  assert.equal(enc(new ErrorReply('ERR a\r\nb\n')), '-ERR a  b\r\n');
});

test('integers that are not safe numbers are written exactly as integers', () => {
  assert.equal(enc(2 ** 60), ':1152921504606846976\r\n');
  assert.throws(() => encodeReply(NaN));
});

test('maps: RESP3 % header, RESP2 flat array', () => {
  const w = new ReplyWriter();
  w.writeMap([Buffer.from('proto'), 3], true);
  assert.equal(w.take().toString('latin1'), '%1\r\n$5\r\nproto\r\n:3\r\n');
  w.writeMap([Buffer.from('proto'), 2], false);
  assert.equal(w.take().toString('latin1'), '*2\r\n$5\r\nproto\r\n:2\r\n');
  assert.throws(() => w.writeMap([1], false), RangeError);
});

test('a writer appends many replies, grows, and never changes bytes it handed out', () => {
  const w = new ReplyWriter(64);
  const expected: string[] = [];
  const taken: { buf: Buffer; text: string }[] = [];
  for (let i = 0; i < 2000; i++) {
    const r: Reply = i % 3 === 0 ? i : i % 3 === 1 ? Buffer.from('v'.repeat(i % 200)) : OK;
    w.write(r, false);
    expected.push(enc(r));
    if (i % 7 === 0) {
      const text = expected.splice(0).join('');
      const buf = w.take();
      assert.equal(buf.toString('latin1'), text);
      taken.push({ buf, text });
    }
  }
  assert.equal(w.take().toString('latin1'), expected.join(''));
  for (const t of taken) assert.equal(t.buf.toString('latin1'), t.text, 'a taken buffer was overwritten');
  assert.equal(w.length, 0);
  assert.equal(w.take().length, 0);
});

test('writeRaw appends bytes as they are', () => {
  const w = new ReplyWriter(64);
  w.write(1, false);
  w.writeRaw(Buffer.from('+RAW\r\n'));
  w.writeRaw(Buffer.alloc(1000, 97));
  assert.equal(w.take().toString('latin1'), ':1\r\n+RAW\r\n' + 'a'.repeat(1000));
});

test('pub/sub pushes: RESP3 push frames, RESP2 arrays, several in a row, nil per protocol', () => {
  const push = new Push([
    [Buffer.from('unsubscribe'), Buffer.from('a'), 1],
    [Buffer.from('unsubscribe'), null, 0],
  ]);
  assert.equal(enc(push, true), '>3\r\n$11\r\nunsubscribe\r\n$1\r\na\r\n:1\r\n>3\r\n$11\r\nunsubscribe\r\n_\r\n:0\r\n');
  assert.equal(enc(push), '*3\r\n$11\r\nunsubscribe\r\n$1\r\na\r\n:1\r\n*3\r\n$11\r\nunsubscribe\r\n$-1\r\n:0\r\n');
  // Inside an array (SUBSCRIBE queued in MULTI), as Redis writes it: the frames follow one another.
  assert.equal(enc([new Push([[1], [2]])], true), '*1\r\n>1\r\n:1\r\n>1\r\n:2\r\n');
});

test("sorted sets' kinds: doubles, pairs and the null array, per protocol as Redis 7.0 writes them", () => {
  assert.equal(enc(new DoubleReply(1.5)), '$3\r\n1.5\r\n');
  assert.equal(enc(new DoubleReply(1.5), true), ',1.5\r\n');
  assert.equal(enc(new DoubleReply(0.1)), '$19\r\n0.10000000000000001\r\n');
  assert.equal(enc(new DoubleReply(-Infinity), true), ',-inf\r\n');
  assert.equal(enc(new DoubleReply(-0), true), ',-0\r\n');
  const pairs = new PairsReply([Buffer.from('a'), new DoubleReply(1), Buffer.from('b'), new DoubleReply(2e20)]);
  assert.equal(enc(pairs), '*4\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$5\r\n2e+20\r\n');
  assert.equal(enc(pairs, true), '*2\r\n*2\r\n$1\r\na\r\n,1\r\n*2\r\n$1\r\nb\r\n,2e+20\r\n');
  assert.equal(enc(new PairsReply([])), '*0\r\n');
  assert.equal(enc(new PairsReply([]), true), '*0\r\n');
  assert.equal(enc(NULL_ARRAY), '*-1\r\n');
  assert.equal(enc(NULL_ARRAY, true), '_\r\n');
  assert.equal(enc([NULL_ARRAY, [new DoubleReply(3)]], true), '*2\r\n_\r\n*1\r\n,3\r\n');
});
