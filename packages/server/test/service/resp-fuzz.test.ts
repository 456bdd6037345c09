// End to end (issue 11): nothing a client sends to the Redis port takes the node down. fast-check
// frames (random bytes, requests cut short, oversized counts and lengths, nested and non-bulk
// aggregates, inline lines with stray quotes, and the two packets that used to kill the process) go
// to a live node, each on a fresh connection; after each batch the process must still run and
// another connection must still get answers.
import assert from 'node:assert/strict';
import * as net from 'node:net';
import { test } from 'node:test';

import fc from 'fast-check';

import { KvTestCluster, withLogs } from '../support/kv-cluster.js';

/** RangeError: Invalid array length, in redis-parser's parseArray. */
const HUGE_COUNT = Buffer.from('*4294967296\r\n');
/** Maximum call stack size exceeded, in redis-parser: 3,000 nested one-element arrays. */
const DEEP_NESTING = Buffer.from('*1\r\n'.repeat(3000));

const ascii = (s: string): Buffer => Buffer.from(s, 'latin1');

function multibulk(args: readonly Uint8Array[]): Buffer {
  const parts: Buffer[] = [ascii(`*${args.length}\r\n`)];
  for (const a of args) parts.push(ascii(`$${a.length}\r\n`), Buffer.from(a), ascii('\r\n'));
  return Buffer.concat(parts);
}

const word = fc.uint8Array({ minLength: 0, maxLength: 24 });
/** A well-formed request of harmless commands (keys under fuzz:). */
const request = fc
  .tuple(
    fc.constantFrom('PING', 'ECHO', 'GET', 'SET', 'DEL', 'EXISTS', 'STRLEN', 'APPEND', 'INCR', 'MGET'),
    fc.array(word, { maxLength: 4 }),
  )
  .map(([command, args]) =>
    multibulk([ascii(command), ...args.map((a, i) => (i === 0 ? Buffer.concat([ascii('fuzz:'), a]) : a))]),
  );
/** A decimal number, as a header would carry it: small, around the limits, or beyond 64 bits. */
const number = fc.oneof(
  fc.integer({ min: -3, max: 5 }).map(String),
  fc.bigInt({ min: 1_048_570n, max: 1_048_580n }).map(String),
  fc.bigInt({ min: 33_554_430n, max: 33_554_440n }).map(String),
  fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }).map(String),
  fc.constantFrom('', '-', '+1', '01', ' 1', '1 ', 'x', '4294967296', '9223372036854775808'),
);
const aggregateType = fc.constantFrom('*', '%', '~', '>', '|', ':', '+', '-', '#', ',', '(', '=', '_');

/** Bytes to send; fast-check reports one by its first bytes (a counterexample can be 12 KB). */
class Frame {
  constructor(readonly bytes: Buffer) {}
  [fc.toStringMethod](): string {
    const head = JSON.stringify(this.bytes.subarray(0, 60).toString('latin1'));
    return this.bytes.length > 60 ? `${head}... (${this.bytes.length} bytes)` : head;
  }
}

const frame = fc
  .oneof(
    fc.constant(HUGE_COUNT),
    fc.constant(DEEP_NESTING),
    // Random bytes, and random bytes that start like a multibulk.
    fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)),
    fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.concat([ascii('*'), b])),
    // Requests cut short anywhere, or followed by garbage.
    fc.tuple(request, fc.nat()).map(([r, cut]) => r.subarray(0, cut % (r.length + 1))),
    fc
      .tuple(fc.array(request, { maxLength: 3 }), fc.uint8Array({ maxLength: 40 }))
      .map(([rs, junk]) => Buffer.concat([...rs, Buffer.from(junk)])),
    // Oversized or malformed counts and lengths.
    fc.tuple(number, request).map(([n, r]) => Buffer.concat([ascii(`*${n}\r\n`), r])),
    fc
      .tuple(number, fc.uint8Array({ maxLength: 40 }))
      .map(([n, b]) => Buffer.concat([ascii(`*2\r\n$3\r\nGET\r\n$${n}\r\n`), Buffer.from(b)])),
    // Aggregates inside a request, nested up to 5,000 deep, and other RESP types in place of a bulk.
    fc
      .tuple(fc.integer({ min: 1, max: 5000 }), aggregateType, number)
      .map(([depth, type, n]) =>
        Buffer.concat([ascii('*1\r\n'.repeat(depth)), ascii(`${type}${n}\r\n`), ascii('$4\r\nPING\r\n')]),
      ),
    fc.tuple(aggregateType, number).map(([type, n]) => ascii(`*2\r\n$3\r\nGET\r\n${type}${n}\r\n`)),
    // Inline lines: quotes, escapes, blanks, NULs, and lines too long.
    fc
      .array(
        fc.constantFrom('PING', 'ECHO', 'GET', 'fuzz:k', '"', "'", '\\', '\\x4', '\\x41', ' ', '\t', '\0', '\r', 'a'),
        {
          maxLength: 12,
        },
      )
      .map((parts) => ascii(`${parts.join('')}\r\n`)),
    fc.integer({ min: 65_000, max: 70_000 }).map((n) => Buffer.alloc(n, 'a')),
  )
  .map((bytes) => new Frame(bytes));

/** Sends `data` on a new connection, half-closes it, and waits until the server has closed it too. */
function sendAndClose(port: number, data: Buffer): Promise<void> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.on('data', () => undefined);
    socket.on('error', () => undefined); // a reset once the server hangs up; 'close' follows
    socket.on('close', () => resolve());
    socket.end(data);
  });
}

test('fuzzed frames on the Redis port: the node stays up and keeps serving', { timeout: 120_000 }, async (t) => {
  const cluster = await KvTestCluster.start(t, { nodes: 1 });
  const node = cluster.node(1);
  const other = cluster.client(1);
  let round = 0;
  const check = async (): Promise<void> => {
    assert.ok(node.process !== null && node.process.exitCode === null, 'the node process is still running');
    assert.equal(await other.ping(), 'PONG');
    const value = `v${round++}`;
    assert.equal(await other.set('fuzz:check', value), 'OK');
    assert.equal(await other.get('fuzz:check'), value);
  };
  await withLogs(cluster, async () => {
    await check();
    await fc.assert(
      fc.asyncProperty(fc.array(frame, { minLength: 1, maxLength: 6 }), async (frames) => {
        await Promise.all(frames.map((f) => sendAndClose(node.redisPort, f.bytes)));
        await check();
      }),
      { numRuns: 250, examples: [[[new Frame(HUGE_COUNT)]], [[new Frame(DEEP_NESTING)]]] },
    );
  })();
});
