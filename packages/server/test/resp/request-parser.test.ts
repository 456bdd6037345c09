// The request parser (src/kv/request-parser.ts): what redis-server 7.0 accepts and refuses, with its
// error texts, however the bytes are cut into chunks; its limits; and, over a socket, the same
// answers byte for byte as redis-server (checked against a live one when it is installed).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as net from 'node:net';
import { test, type TestContext } from 'node:test';

import fc from 'fast-check';

import type { KvNode } from '../../src/node/node.js';
import {
  MAX_INLINE_BYTES,
  MAX_BULK_LENGTH,
  MAX_MULTIBULK_LENGTH,
  OversizedRequest,
  ProtocolError,
  RequestParser,
  parseLength,
  splitArgs,
} from '../../src/resp/request-parser.js';
import { RespServer } from '../../src/resp/server.js';
import { startRedisServer } from '../support/redis-server.js';

const REDIS_MAX_BULK = 512 * 1024 * 1024; // redis-server's default proto-max-bulk-len
const ascii = (s: string): Buffer => Buffer.from(s, 'latin1');

interface Parsed {
  /** Each request as its arguments in latin1; an oversized one as ['<oversized N>']. */
  requests: string[][];
  /** The protocol error's detail, or null when the stream is still fine. */
  error: string | null;
}

function parse(chunks: readonly Buffer[], options = { maxBulkLength: REDIS_MAX_BULK, maxArgumentBytes: 2 ** 40 }) {
  const parser = new RequestParser(options);
  const out: Parsed = { requests: [], error: null };
  for (const chunk of chunks) {
    parser.push(chunk);
    for (let r = parser.next(); r !== undefined; r = parser.next()) {
      if (r instanceof ProtocolError) {
        out.error = r.detail;
        return out;
      }
      if (r instanceof OversizedRequest) {
        out.requests.push([`<oversized ${r.bytes}>`]);
        continue;
      }
      assert.ok(r.length > 0, 'no empty requests');
      out.requests.push(r.map((a) => a.toString('latin1')));
    }
  }
  return out;
}

/** `data` cut at `cuts` (sorted offsets). */
function cut(data: Buffer, cuts: readonly number[]): Buffer[] {
  const chunks: Buffer[] = [];
  let from = 0;
  for (const at of cuts) {
    chunks.push(data.subarray(from, at));
    from = at;
  }
  chunks.push(data.subarray(from));
  return chunks.filter((c) => c.length > 0);
}

/** Parses `input` whole, a byte at a time, and cut in two at every offset; all must agree. */
function parseEveryWay(input: string): Parsed {
  const data = ascii(input);
  const whole = parse([data]);
  assert.deepEqual(parse(cut(data, [...data.keys()].slice(1))), whole, `${JSON.stringify(input)} a byte at a time`);
  for (let at = 1; at < data.length; at++) {
    assert.deepEqual(parse(cut(data, [at])), whole, `${JSON.stringify(input)} cut at ${at}`);
  }
  return whole;
}

/** What redis-server 7.0.15 does with each input: the requests it runs, then the error that closes the connection. */
const CASES: [input: string, requests: string[][], error: string | null][] = [
  // Multibulk counts: Redis's string2ll, at most MAX_MULTIBULK_LENGTH; zero or negative is an empty request.
  ['*4294967296\r\n', [], 'invalid multibulk length'],
  ['*1048577\r\n', [], 'invalid multibulk length'], // Redis 7.0 allows up to 2^31 - 1; before 7.0, 2^20 like here
  ['*1048576\r\n', [], null], // waits for its bulk strings
  ['*-1\r\nPING\r\n', [['PING']], null],
  ['*-5\r\n*0\r\n*1\r\n$4\r\nPING\r\n', [['PING']], null],
  ['*-9223372036854775808\r\nPING\r\n', [['PING']], null],
  ['*-9223372036854775809\r\n', [], 'invalid multibulk length'],
  ['*18446744073709551616\r\n', [], 'invalid multibulk length'],
  ['*\r\n', [], 'invalid multibulk length'],
  ['*01\r\n', [], 'invalid multibulk length'],
  ['*-0\r\n', [], 'invalid multibulk length'],
  ['*+1\r\n', [], 'invalid multibulk length'],
  ['* 1\r\n', [], 'invalid multibulk length'],
  ['*1 \r\n', [], 'invalid multibulk length'],
  ['*abc\r\n', [], 'invalid multibulk length'],
  ['*-\r\n', [], 'invalid multibulk length'],
  // Bulk lengths.
  ['*1\r\n$536870913\r\n', [], 'invalid bulk length'],
  ['*1\r\n$536870912\r\n', [], null],
  ['*1\r\n$-1\r\n', [], 'invalid bulk length'],
  ['*1\r\n$-0\r\n', [], 'invalid bulk length'],
  ['*1\r\n$abc\r\n', [], 'invalid bulk length'],
  ['*1\r\n$\r\n', [], 'invalid bulk length'],
  ['*1\r\n$04\r\nPING\r\n', [], 'invalid bulk length'],
  ['*1\r\n$9223372036854775808\r\n', [], 'invalid bulk length'],
  // Anything but a bulk string inside a request.
  ['*1\r\n*1\r\n', [], "expected '$', got '*'"],
  ['*2\r\n$3\r\nGET\r\n:1\r\n', [], "expected '$', got ':'"],
  ['*1\r\n+PING\r\n', [], "expected '$', got '+'"],
  ['*1\r\n%1\r\n', [], "expected '$', got '%'"],
  ['*1\r\n\r\n\r\n', [], "expected '$', got ' '"], // Redis prints CR and LF as spaces
  ['*1\r\n\n\r\n', [], "expected '$', got ' '"],
  ['*1\r\n\xe9\r\n', [], "expected '$', got '\xe9'"],
  // Redis's leniencies: the byte after a header's '\r' and the two after a bulk string are not looked at.
  ['*1\r\n$4\r\nPINGxx*1\r\n$4\r\nPING\r\n', [['PING'], ['PING']], null],
  ['*1\rX$4\rxPING\r\n', [['PING']], null],
  ['*1\r\n$4\r\nPING\r', [], null], // waits for the second byte after the bulk string
  ['*2\r\n$4\r\nECHO\r\n$3\r\na\r\nb\r\n', [['ECHO', 'a\r\n']], null],
  ['*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$3\r\nv\0v\r\n', [['SET', 'k', 'v\0v']], null],
  ['*1\r\n$0\r\n\r\n', [['']], null],
  // A NUL before a header's '\r' hides the '\r' from Redis (strchr): the line only grows.
  ['*1\0\r\n$4\r\nPING\r\n', [], null],
  ['*1\r\n$4\0\r\nPING\r\n', [], null],
  // Inline requests: sdssplitargs.
  ['PING\r\nPING\n\r\n\n   \r\n\t\x0b\x0c\r\nping x\r\n', [['PING'], ['PING'], ['ping', 'x']], null],
  ['SET "a b" \'c\'\r\n', [['SET', 'a b', 'c']], null],
  ['ECHO a"b c"\r\n', [['ECHO', 'ab c']], null],
  ['ECHO "\\x41\\x4a\\n\\r\\t\\b\\a\\z\\"" \'it\\\'s\'\r\n', [['ECHO', 'AJ\n\r\t\b\x07z"', "it's"]], null],
  ['ECHO "\\xZZ" "\\x4" "\\\\"\r\n', [['ECHO', 'xZZ', 'x4', '\\']], null],
  ['ECHO \\x41 "" \'\'\r\n', [['ECHO', '\\x41', '', '']], null],
  ['ECHO a\tb\rc\x0bd\r\r\n', [['ECHO', 'a', 'b', 'c\x0bd']], null],
  ['ECHO "a\rb"\x0b\'c\'\x0c\r\n', [['ECHO', 'a\rb', 'c']], null],
  ['ECHO \xe9\xe8\r\n$4\r\n:1\r\n', [['ECHO', '\xe9\xe8'], ['$4'], [':1']], null],
  ['ECHO "unbalanced\r\nPING\r\n', [], 'unbalanced quotes in request'],
  ["ECHO 'unbalanced\r\n", [], 'unbalanced quotes in request'],
  ['ECHO "a"b\r\n', [], 'unbalanced quotes in request'],
  ["ECHO 'a'b\r\n", [], 'unbalanced quotes in request'],
  ['ECHO "a\\"\r\n', [], 'unbalanced quotes in request'],
  ["ECHO 'a\\\\'\r\n", [], 'unbalanced quotes in request'],
  ['ECHO "a\\\r\n', [], 'unbalanced quotes in request'],
  ['ECHO a\0b\r\nPING\r\n', [], null], // the NUL hides the '\n' from Redis
  // Inline and multibulk requests mixed, and an error after requests that are run.
  ['PING\r\n*1\r\n$4\r\nPING\r\nPING a\r\n*0\r\nPING\r\n', [['PING'], ['PING'], ['PING', 'a'], ['PING']], null],
  ['ping\r\nECHO "x\r\nPING\r\n', [['ping']], 'unbalanced quotes in request'],
  [
    '*1\r\n$4\r\nPING\r\n*1\r\n$4\r\nPING\r\n*x\r\n*1\r\n$4\r\nPING\r\n',
    [['PING'], ['PING']],
    'invalid multibulk length',
  ],
];

test('requests and errors as redis-server 7.0 has them, however the stream is cut', () => {
  for (const [input, requests, error] of CASES) {
    assert.deepEqual(parseEveryWay(input), { requests, error }, JSON.stringify(input));
  }
});

test('the two packets of issue 11 are refused at once', () => {
  assert.deepEqual(parse([ascii('*4294967296\r\n')]), { requests: [], error: 'invalid multibulk length' });
  // 3,000 nested arrays: refused at the second line, whatever follows.
  const nested = ascii('*1\r\n'.repeat(3000));
  assert.deepEqual(parse([nested]), { requests: [], error: "expected '$', got '*'" });
  assert.deepEqual(parse(cut(nested, [6])), { requests: [], error: "expected '$', got '*'" });
});

test('lines without an end: refused past 64 KB, as Redis does', () => {
  const cases: [prefix: string, fill: string, error: string][] = [
    ['', 'A', 'too big inline request'],
    ['ECHO a\0', 'b', 'too big inline request'], // a NUL: the '\n' further on is never seen
    ['*', '1', 'too big mbulk count string'],
    ['*1\0', 'x', 'too big mbulk count string'],
    ['*1\r\n$', '1', 'too big bulk count string'],
    ['*1\r\n$4\0\r\n', 'x', 'too big bulk count string'],
    ['*1\r\n', ':', 'too big bulk count string'],
  ];
  for (const [prefix, fill, error] of cases) {
    // The line starts after the multibulk count (if any) and may be MAX_INLINE_BYTES long.
    const lineStart = prefix.startsWith('*1\r\n') ? 4 : 0;
    const atLimit = ascii(prefix + fill.repeat(MAX_INLINE_BYTES - prefix.length + lineStart));
    const over = Buffer.concat([atLimit, ascii(fill)]);
    for (const chunks of [[atLimit], cut(atLimit, [1000, 40_000])]) {
      assert.deepEqual(parse(chunks), { requests: [], error: null }, `${JSON.stringify(prefix)} at the limit`);
    }
    for (const chunks of [[over], cut(over, [1000, 40_000]), cut(over, [MAX_INLINE_BYTES])]) {
      assert.deepEqual(parse(chunks), { requests: [], error }, `${JSON.stringify(prefix)} over the limit`);
    }
  }
  // An inline line that is longer but ends in the same chunk is a request (Redis reads 16 KB at a time).
  const long = 'x'.repeat(MAX_INLINE_BYTES + 10);
  assert.deepEqual(parse([ascii(`ECHO ${long}\r\n`)]), { requests: [['ECHO', long]], error: null });
  // A header line is measured only while its '\r' has not come: once it has, the line is complete
  // however long it is, and its number is invalid.
  const header = ascii(`*${'1'.repeat(MAX_INLINE_BYTES + 100)}\r\n`);
  assert.deepEqual(parse(cut(header, [MAX_INLINE_BYTES])), { requests: [], error: 'invalid multibulk length' });
});

test('limits: bulk length as configured; a request with too many argument bytes is skipped, not kept', () => {
  const options = { maxBulkLength: 100, maxArgumentBytes: 250 };
  assert.deepEqual(parse([ascii('*1\r\n$100\r\n')], options), { requests: [], error: null });
  assert.deepEqual(parse([ascii('*1\r\n$101\r\n')], options), { requests: [], error: 'invalid bulk length' });
  // Three arguments of 100 bytes: over 250, so the request is read to its end and reported as
  // oversized; the stream goes on, however it is cut.
  const three = ascii(`*3\r\n${`$100\r\n${'x'.repeat(100)}\r\n`.repeat(3)}*1\r\n$4\r\nPING\r\n`);
  const expected = { requests: [['<oversized 300>'], ['PING']], error: null };
  assert.deepEqual(parse([three], options), expected);
  for (let at = 1; at < three.length; at += 7) assert.deepEqual(parse(cut(three, [at]), options), expected);
  assert.deepEqual(
    parse(
      three.reduce<Buffer[]>((bytes, b) => [...bytes, Buffer.from([b])], []),
      options,
    ),
    expected,
  );
  // Its headers are still checked while it is skipped.
  assert.deepEqual(parse([ascii(`*4\r\n${`$100\r\n${'x'.repeat(100)}\r\n`.repeat(3)}:1\r\n`)], options), {
    requests: [],
    error: "expected '$', got ':'",
  });
  // Exactly at the limit is kept.
  const fits = ascii(`*2\r\n$100\r\n${'x'.repeat(100)}\r\n$100\r\n${'y'.repeat(100)}\r\n`);
  assert.deepEqual(parse([fits], { maxBulkLength: 100, maxArgumentBytes: 200 }).requests[0]?.length, 2);
  // Many small requests in one chunk are not one big request.
  const many = ascii('*1\r\n$4\r\nPING\r\n'.repeat(100));
  assert.equal(parse([many], options).requests.length, 100);
  assert.equal(MAX_MULTIBULK_LENGTH, 1_048_576);
  assert.equal(MAX_BULK_LENGTH, 512 * 1024 * 1024);
});

test('pendingBytes: what an incomplete request holds; nothing while one is skipped', () => {
  const parser = new RequestParser({ maxBulkLength: 1000, maxArgumentBytes: 1500 });
  assert.equal(parser.pendingBytes(), 0);
  parser.push(ascii(`*3\r\n$1000\r\n${'x'.repeat(500)}`));
  assert.equal(parser.next(), undefined);
  assert.ok(parser.pendingBytes() >= 500, `${parser.pendingBytes()} bytes pending`);
  parser.push(ascii(`${'x'.repeat(500)}\r\n$1000\r\n${'y'.repeat(100)}`));
  assert.equal(parser.next(), undefined);
  assert.equal(parser.pendingBytes(), 0, 'over 1,500 argument bytes: skipped');
  parser.push(ascii(`${'y'.repeat(900)}\r\n$1\r\nz\r\n`));
  const r = parser.next();
  assert.ok(r instanceof OversizedRequest);
  assert.equal(r.bytes, 2001);
  assert.equal(parser.pendingBytes(), 0);
});

test('bulk strings inside one chunk are not copied; one that spans chunks is copied once', () => {
  // Chunks of their own memory, as a socket gives them (Buffer.from takes small ones from a shared pool).
  const own = (s: string): Buffer => {
    const b = Buffer.alloc(s.length);
    b.write(s, 'latin1');
    return b;
  };
  const chunk = own('*2\r\n$3\r\nGET\r\n$3\r\nkey\r\n*1\r\n$5\r\nhel');
  const parser = new RequestParser({ maxBulkLength: 100, maxArgumentBytes: 1000 });
  parser.push(chunk);
  const first = parser.next();
  assert.ok(Array.isArray(first));
  for (const arg of first) assert.equal(arg.buffer, chunk.buffer, 'a view of the chunk');
  assert.equal(parser.next(), undefined);
  const rest = own('lo\r\n');
  parser.push(rest);
  const second = parser.next();
  assert.ok(Array.isArray(second));
  assert.equal(second[0]!.toString(), 'hello');
  assert.notEqual(second[0]!.buffer, chunk.buffer);
  assert.notEqual(second[0]!.buffer, rest.buffer);
});

test('a big bulk string that spans chunks is copied as its bytes arrive, however it is cut', () => {
  const value = Buffer.alloc(100_000);
  for (let i = 0; i < value.length; i++) value[i] = (i * 7 + (i >> 8)) & 0xff;
  const data = Buffer.concat([Buffer.from(`*2\r\n$3\r\nSET\r\n$${value.length}\r\n`), value, Buffer.from('\r\n')]);
  const bulkStart = data.length - value.length - 2;
  // Cuts inside the header, at the bulk's first byte, inside it, between its CR and LF, before its CR.
  const cutsList = [
    [bulkStart - 3, bulkStart + 40_000],
    [bulkStart, bulkStart + 1, bulkStart + 65_536, data.length - 1],
    [bulkStart + 10, data.length - 2],
    [bulkStart + 99_999],
  ];
  for (const cuts of cutsList) {
    const parser = new RequestParser({ maxBulkLength: 1 << 20, maxArgumentBytes: 1 << 20 });
    const chunks = cut(data, cuts).map((c) => Buffer.from(c)); // each chunk its own memory
    let request: ReturnType<RequestParser['next']>;
    for (const chunk of chunks) {
      parser.push(chunk);
      request = parser.next();
      // The caller may reuse a chunk's memory once the parser has taken it: its bytes were copied.
      chunk.fill(0x21);
    }
    assert.ok(Array.isArray(request!), `cut at ${cuts.join(', ')}`);
    assert.equal(request.length, 2);
    assert.ok(request[1]!.equals(value), `the value, cut at ${cuts.join(', ')}`);
  }
});

test('bytes the caller did not read requests from stay ahead of the next chunk', () => {
  const parser = new RequestParser({ maxBulkLength: 100, maxArgumentBytes: 1000 });
  parser.push(ascii('PING a\r\nPING b\r\n*1\r\n$4\r\nPI'));
  assert.deepEqual((parser.next() as Buffer[]).map(String), ['PING', 'a']);
  parser.push(ascii('NG\r\n'));
  assert.deepEqual((parser.next() as Buffer[]).map(String), ['PING', 'b']);
  assert.deepEqual((parser.next() as Buffer[]).map(String), ['PING']);
  assert.equal(parser.next(), undefined);
});

test('an error is final: next() returns it again, whatever comes after', () => {
  const parser = new RequestParser({ maxBulkLength: 100, maxArgumentBytes: 1000 });
  parser.push(ascii('*1\r\n:1\r\n*1\r\n$4\r\nPING\r\n'));
  const error = parser.next();
  assert.ok(error instanceof ProtocolError);
  parser.push(ascii('PING\r\n'));
  assert.equal(parser.next(), error);
});

test("parseLength is Redis's string2ll", () => {
  const cases: [string, number][] = [
    ['0', 0],
    ['1', 1],
    ['-1', -1],
    ['1048576', 1048576],
  ];
  for (const [text, value] of cases) assert.equal(parseLength(ascii(text), 0, text.length), value, text);
  // The 64-bit extremes are valid (their values are approximate: every limit is far below).
  assert.ok(parseLength(ascii('9223372036854775807'), 0, 19) > 2 ** 53);
  assert.ok(parseLength(ascii('-9223372036854775808'), 0, 20) < -(2 ** 53));
  for (const text of [
    '',
    '-',
    '-0',
    '00',
    '01',
    '+1',
    ' 1',
    '1 ',
    '1x',
    '9223372036854775808',
    '-9223372036854775809',
  ]) {
    assert.ok(Number.isNaN(parseLength(ascii(text), 0, text.length)), JSON.stringify(text));
  }
  assert.ok(Number.isNaN(parseLength(ascii('1'.repeat(21)), 0, 21)));
});

test('splitArgs: an empty or blank line has no words', () => {
  assert.deepEqual(splitArgs(ascii('')), []);
  assert.deepEqual(splitArgs(ascii(' \t\x0b\x0c\r')), []);
});

// Well-formed streams: multibulk requests with any bytes, and inline lines of plain words.
const argBytes = fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b));
const multibulkRequest = fc.array(argBytes, { minLength: 1, maxLength: 5 }).map((args) => ({
  args,
  bytes: Buffer.concat([
    ascii(`*${args.length}\r\n`),
    ...args.flatMap((a) => [ascii(`$${a.length}\r\n`), a, ascii('\r\n')]),
  ]),
}));
const inlineRequest = fc
  .array(fc.stringMatching(/^[a-zA-Z0-9:_.-]{1,12}$/), { minLength: 1, maxLength: 5 })
  .map((words) => ({ args: words.map(ascii), bytes: ascii(`${words.join(' ')}\r\n`) }));
const cuts = (length: number) =>
  fc
    .uniqueArray(fc.integer({ min: 1, max: Math.max(1, length - 1) }), { maxLength: 8 })
    .map((c) => c.sort((a, b) => a - b));

test('property: well-formed pipelines parse to their requests, however they are cut', () => {
  fc.assert(
    fc.property(
      fc.array(fc.oneof(multibulkRequest, inlineRequest), { minLength: 1, maxLength: 20 }).chain((requests) => {
        const data = Buffer.concat(requests.map((r) => r.bytes));
        return fc.tuple(fc.constant(requests), fc.constant(data), cuts(data.length));
      }),
      ([requests, data, at]) => {
        const parsed = parse(cut(data, at));
        assert.deepEqual(parsed, {
          requests: requests.map((r) => r.args.map((a) => a.toString('latin1'))),
          error: null,
        });
      },
    ),
    { numRuns: 300 },
  );
});

test('property: any bytes give the same requests and error however they are cut, and never throw', () => {
  const piece = fc.oneof(
    fc.uint8Array({ maxLength: 30 }).map((b) => Buffer.from(b)),
    fc
      .constantFrom('*', '$', '\r', '\n', '\r\n', '\0', '"', "'", '\\', ' ', '*1\r\n', '$4\r\nPING\r\n', '-1', ':')
      .map(ascii),
    multibulkRequest.map((r) => r.bytes),
  );
  fc.assert(
    fc.property(
      fc.array(piece, { maxLength: 12 }).chain((pieces) => {
        const data = Buffer.concat(pieces);
        return fc.tuple(fc.constant(data), cuts(data.length));
      }),
      ([data, at]) => {
        assert.deepEqual(parse(cut(data, at)), parse([data]));
      },
    ),
    { numRuns: 1000 },
  );
});

// ---- side by side with redis-server -------------------------------------------------------------

/** Asks for an answer after a case that leaves the connection open, so the end of the answers is known. */
const SENTINEL = '*2\r\n$4\r\nECHO\r\n$3\r\nEND\r\n';
const SENTINEL_REPLY = '$3\r\nEND\r\n';

/**
 * What redis-server 7.0.15 answers, byte for byte, and whether it then closes the connection. Each
 * error comes at the end of what is sent: a server closing with unread bytes resets the connection,
 * and the client may lose the answer.
 */
const EXCHANGES: [send: string, reply: string, closes: boolean][] = [
  ['*4294967296\r\n', '-ERR Protocol error: invalid multibulk length\r\n', true],
  ['*2147483648\r\n', '-ERR Protocol error: invalid multibulk length\r\n', true],
  ['*1\r\n*1\r\n', "-ERR Protocol error: expected '$', got '*'\r\n", true],
  ['*-1\r\n*0\r\n*-9223372036854775808\r\nPING\r\n', '+PONG\r\n', false],
  ['*-9223372036854775809\r\n', '-ERR Protocol error: invalid multibulk length\r\n', true],
  ['*01\r\n', '-ERR Protocol error: invalid multibulk length\r\n', true],
  ['*-0\r\n', '-ERR Protocol error: invalid multibulk length\r\n', true],
  ['* 1\r\n', '-ERR Protocol error: invalid multibulk length\r\n', true],
  ['*abc\r\n', '-ERR Protocol error: invalid multibulk length\r\n', true],
  ['*1\r\n$536870913\r\n', '-ERR Protocol error: invalid bulk length\r\n', true],
  ['*1\r\n$-1\r\n', '-ERR Protocol error: invalid bulk length\r\n', true],
  ['*1\r\n$abc\r\n', '-ERR Protocol error: invalid bulk length\r\n', true],
  ['*1\r\n$04\r\n', '-ERR Protocol error: invalid bulk length\r\n', true],
  ['*1\r\n$\r\n', '-ERR Protocol error: invalid bulk length\r\n', true],
  ['*2\r\n$3\r\nGET\r\n:1\r\n', "-ERR Protocol error: expected '$', got ':'\r\n", true],
  ['*1\r\n+PING\r\n', "-ERR Protocol error: expected '$', got '+'\r\n", true],
  ['*1\r\n\r\n\r\n', "-ERR Protocol error: expected '$', got ' '\r\n", true],
  ['*1\r\n$4\r\nPINGxx', '+PONG\r\n', false],
  ['*1\rX$4\rxPING\r\n', '+PONG\r\n', false],
  ['*2\r\n$4\r\nECHO\r\n$3\r\na\r\nb\r\n', '$3\r\na\r\n\r\n', false],
  ['*2\r\n$4\r\nECHO\r\n$3\r\nv\0v\r\n', '$3\r\nv\0v\r\n', false],
  ['PING\r\nPING\n\r\n\n   \r\n', '+PONG\r\n+PONG\r\n', false],
  ['PING\r\n*1\r\n$4\r\nPING\r\nPING x\r\n', '+PONG\r\n+PONG\r\n$1\r\nx\r\n', false],
  ['ECHO "a b"\r\n', '$3\r\na b\r\n', false],
  ["ECHO 'c'\r\n", '$1\r\nc\r\n', false],
  ['ECHO a"b c"\r\n', '$4\r\nab c\r\n', false],
  ['ECHO "\\x41\\x4a\\n\\t\\z"\r\n', '$5\r\nAJ\n\tz\r\n', false],
  ["ECHO 'it\\'s'\r\n", "$4\r\nit's\r\n", false],
  ['ECHO "\\xZZ"\r\n', '$3\r\nxZZ\r\n', false],
  ['ECHO ""\r\n', '$0\r\n\r\n', false],
  ['ECHO a\x0bb\r\n', '$3\r\na\x0bb\r\n', false],
  ['\x0bECHO\ta\r\r\n', '$1\r\na\r\n', false],
  ['ECHO "a\rb"\x0c\r\n', '$3\r\na\rb\r\n', false],
  ['ECHO "unbalanced\r\n', '-ERR Protocol error: unbalanced quotes in request\r\n', true],
  ["ECHO 'unbalanced\r\n", '-ERR Protocol error: unbalanced quotes in request\r\n', true],
  ['ECHO "a"b\r\n', '-ERR Protocol error: unbalanced quotes in request\r\n', true],
  ['ECHO "a\\"\r\n', '-ERR Protocol error: unbalanced quotes in request\r\n', true],
  ['ping\r\nECHO "x\r\n', '+PONG\r\n-ERR Protocol error: unbalanced quotes in request\r\n', true],
  [
    '*1\r\n$4\r\nPING\r\n*1\r\n$4\r\nPING\r\n*x\r\n',
    '+PONG\r\n+PONG\r\n-ERR Protocol error: invalid multibulk length\r\n',
    true,
  ],
  ['A'.repeat(65537), '-ERR Protocol error: too big inline request\r\n', true],
  [`ECHO a\0${'b'.repeat(65530)}`, '-ERR Protocol error: too big inline request\r\n', true],
  [`*${'1'.repeat(65536)}`, '-ERR Protocol error: too big mbulk count string\r\n', true],
  [`*1\0${'x'.repeat(65534)}`, '-ERR Protocol error: too big mbulk count string\r\n', true],
  [`*1\r\n$${'1'.repeat(65536)}`, '-ERR Protocol error: too big bulk count string\r\n', true],
];

/** Sends `send` (and SENTINEL unless the server is to close); the answer, and whether the server closed. */
function exchange(port: number, send: string, closes: boolean): Promise<{ reply: string; closed: boolean }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let reply = '';
    socket.on('data', (d: Buffer) => {
      reply += d.toString('latin1');
      if (!closes && reply.endsWith(SENTINEL_REPLY)) {
        socket.destroy();
        resolve({ reply: reply.slice(0, -SENTINEL_REPLY.length), closed: false });
      }
    });
    socket.on('error', reject);
    socket.on('close', () => resolve({ reply, closed: true }));
    socket.write(ascii(closes ? send : send + SENTINEL));
  });
}

async function checkExchanges(port: number): Promise<void> {
  for (const [send, reply, closes] of EXCHANGES) {
    const label = JSON.stringify(send.length > 60 ? `${send.slice(0, 60)}...` : send);
    assert.deepEqual(await exchange(port, send, closes), { reply, closed: closes }, label);
  }
}

test('side by side: this server answers as redis-server 7.0 does', async (t) => {
  // Connection-level commands only (PING, ECHO): the node is never asked.
  const server = new RespServer({ node: {} as KvNode, metrics: null, redisAddress: '127.0.0.1:0' });
  const { port } = await server.listen('127.0.0.1', 0);
  t.after(() => server.close());
  await checkExchanges(port);
});

const hasRedisServer = spawnSync('redis-server', ['--version']).status === 0;

test(
  'side by side: redis-server itself still answers so',
  { skip: hasRedisServer ? false : 'redis-server is not installed' },
  async (t: TestContext) => {
    await checkExchanges((await startRedisServer(t)).port);
  },
);
