// End to end (issue 15): a live node under fuzzed clients, many at once. fast-check makes each run
// a set of connections, each sending frames (random bytes, valid requests cut short or followed by
// garbage, wrong and huge lengths, other RESP types, inline lines, pipelines of GETs of a big value
// left unread) in random pieces, then reading or not. The node runs with small client limits; it
// must never crash, its memory must stay within what those limits allow, and a well-behaved client
// on its own connection must get right answers all along. Deterministic by seed: FUZZ_SEED=<n>
// replays a run (the seed is printed on failure).
import assert from 'node:assert/strict';
import * as net from 'node:net';
import { test } from 'node:test';

import fc from 'fast-check';

import { KvTestCluster, withLogs, type KvTestNode } from '../support/kv-cluster.js';
import { rssBytes } from '../support/raw-client.js';

const MB = 1024 * 1024;
/** The node's limits: small, so the fuzz reaches them. */
const CLIENTS_MEMORY = 32 * MB;
const OUTPUT = 4 * MB;
const LIMIT_ARGS = [
  ['--maxclients', '48'],
  ['--client-output-limit', String(OUTPUT)],
  ['--pubsub-output-limit', '1mb'],
  ['--clients-memory-limit', String(CLIENTS_MEMORY)],
].flat();
/**
 * How much the node's RSS may grow: what the limits let clients hold (all of them together, plus
 * a request being run: 8 MB at most), about eight times over (copies waiting for the GC, buffers
 * shared by several answers, the allocator keeping freed pages), and 96 MB for the heap's own
 * growth. Runs with the limits peaked at 100-290 MB; a node without them holds gigabytes here
 * (the unread pipelines alone ask for up to 250 MB each).
 */
const RSS_GROWTH = 8 * (CLIENTS_MEMORY + 8 * MB) + 96 * MB;
const BIG_VALUE = 256 * 1024;

const ascii = (s: string): Buffer => Buffer.from(s, 'latin1');

function multibulk(args: readonly Uint8Array[]): Buffer {
  const parts: Buffer[] = [ascii(`*${args.length}\r\n`)];
  for (const a of args) parts.push(ascii(`$${a.length}\r\n`), Buffer.from(a), ascii('\r\n'));
  return Buffer.concat(parts);
}

const word = fc.uint8Array({ minLength: 0, maxLength: 24 });
/** A well-formed request of harmless commands (keys under fuzz:, values small). */
const request = fc
  .tuple(
    fc.constantFrom('PING', 'ECHO', 'GET', 'SET', 'DEL', 'EXISTS', 'STRLEN', 'APPEND', 'INCR', 'MGET', 'SUBSCRIBE'),
    fc.array(word, { maxLength: 4 }),
  )
  .map(([command, args]) =>
    multibulk([ascii(command), ...args.map((a, i) => (i === 0 ? Buffer.concat([ascii('fuzz:'), a]) : a))]),
  );
/** A decimal number as a header would carry it: small, around the limits, or beyond 64 bits. */
const number = fc.oneof(
  fc.integer({ min: -3, max: 5 }).map(String),
  fc.constantFrom('1048576', '1048577', '8388608', '8388609', '536870912', '536870913', '600000000'),
  fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }).map(String),
  fc.constantFrom('', '-', '+1', '01', ' 1', 'x', '9223372036854775808'),
);
const otherType = fc.constantFrom('*', '%', '~', '>', ':', '+', '-', '#', ',', '_', '\0');
/** Filler for bulk strings announced big: a view of one shared buffer, cheap to make. */
const FILLER = Buffer.alloc(2 * MB, 'f');

/** Mutations of a valid request: cut, bytes flipped, a length changed. */
const mutated = fc.oneof(
  fc.tuple(request, fc.nat()).map(([r, cut]) => r.subarray(0, cut % (r.length + 1))),
  fc.tuple(request, fc.nat(), fc.integer({ min: 0, max: 255 })).map(([r, at, byte]) => {
    const copy = Buffer.from(r);
    copy[at % copy.length] = byte;
    return copy;
  }),
  fc.tuple(request, number).map(([r, n]) => Buffer.concat([ascii(`*${n}\r\n`), r.subarray(r.indexOf('\n') + 1)])),
  fc.tuple(request, otherType, number).map(([r, type, n]) => Buffer.concat([r, ascii(`*2\r\n${type}${n}\r\n`)])),
);

/** Bytes to send; reported by their first bytes (a frame can be megabytes). */
class Frame {
  constructor(readonly bytes: Buffer) {}
  [fc.toStringMethod](): string {
    const head = JSON.stringify(this.bytes.subarray(0, 60).toString('latin1'));
    return this.bytes.length > 60 ? `${head}... (${this.bytes.length} bytes)` : head;
  }
}

const frame = fc
  .oneof(
    { weight: 3, arbitrary: request },
    { weight: 4, arbitrary: mutated },
    fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)),
    // Inline lines: quotes, escapes, NULs, and lines too long.
    fc
      .array(fc.constantFrom('PING', 'ECHO', 'GET', 'fuzz:k', '"', "'", '\\', '\\x41', ' ', '\t', '\0', '\r', 'a'), {
        maxLength: 12,
      })
      .map((parts) => ascii(`${parts.join('')}\r\n`)),
    fc.integer({ min: 60_000, max: 70_000 }).map((n) => Buffer.alloc(n, 'a')),
    // A SET whose value is announced with any length, then up to 2 MB of it (or all of it).
    fc
      .tuple(number, fc.integer({ min: 0, max: FILLER.length }))
      .map(([n, sent]) =>
        Buffer.concat([ascii(`*3\r\n$3\r\nSET\r\n$9\r\nfuzz:huge\r\n$${n}\r\n`), FILLER.subarray(0, sent)]),
      ),
    // A pipeline of GETs of a big value (250 MB of answers at most), read or not by the client.
    fc.integer({ min: 1, max: 1000 }).map((n) => ascii('*2\r\n$3\r\nGET\r\n$8\r\nfuzz:big\r\n'.repeat(n))),
  )
  .map((bytes) => new Frame(bytes));

interface Script {
  frames: Frame[];
  /** Cut points (fractions) at which the bytes are sent as separate writes. */
  cuts: number[];
  /** Whether the client reads what the server answers (a slow reader never does). */
  reads: boolean;
}

const script: fc.Arbitrary<Script> = fc.record({
  frames: fc.array(frame, { minLength: 1, maxLength: 4 }),
  cuts: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 3 }),
  reads: fc.boolean(),
});

/**
 * Runs one connection's script: sends its bytes in pieces; then a reader half-closes and waits for
 * the server to close, while a slow reader stays, unread, until `leave` (the end of the run).
 */
function play(port: number, s: Script, leave: Promise<void>): Promise<void> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    const done = (): void => {
      socket.destroy();
      resolve();
    };
    socket.on('error', done); // refused (maxclients) or reset: the script is over
    socket.on('close', done);
    if (s.reads) socket.on('data', () => undefined);
    else socket.pause();
    const bytes = Buffer.concat(s.frames.map((f) => f.bytes));
    const at = [...new Set(s.cuts.map((c) => Math.floor(c * bytes.length)))].sort((a, b) => a - b);
    let from = 0;
    for (const cut of [...at, bytes.length]) {
      if (cut > from) socket.write(bytes.subarray(from, cut));
      from = cut;
    }
    if (s.reads) socket.end();
    else void leave.then(done);
  });
}

function pidOf(node: KvTestNode): number {
  assert.ok(node.process?.pid !== undefined, `node ${node.id} runs`);
  return node.process.pid;
}

test('fuzzed clients, many at once, against a node with client limits', { timeout: 120_000 }, async (t) => {
  const seed = process.env['FUZZ_SEED'] !== undefined ? Number(process.env['FUZZ_SEED']) : Date.now() % 2 ** 31;
  const cluster = await KvTestCluster.start(t, { nodes: 1, extraArgs: LIMIT_ARGS });
  const node = cluster.node(1);
  const good = cluster.client(1);
  await withLogs(cluster, async () => {
    assert.equal(await good.set('fuzz:big', Buffer.alloc(BIG_VALUE, 'b')), 'OK');
    const before = rssBytes(pidOf(node));
    let peak = before;
    const sample = (): void => {
      assert.ok(node.process !== null && node.process.exitCode === null, 'the node process is still running');
      peak = Math.max(peak, rssBytes(pidOf(node)));
    };
    // The well-behaved client, all along: every SET is read back as written.
    let rounds = 0;
    let running = true;
    let wrong: unknown = null;
    const steady = (async () => {
      while (running && wrong === null) {
        const value = `v${rounds}-${seed}`;
        try {
          assert.equal(await good.set('check:steady', value), 'OK');
          assert.equal(await good.get('check:steady'), value);
        } catch (e) {
          wrong = e;
        }
        rounds++;
        sample();
      }
    })();
    try {
      await fc.assert(
        fc.asyncProperty(fc.array(script, { minLength: 1, maxLength: 16 }), async (scripts) => {
          let leave = (): void => undefined;
          const left = new Promise<void>((resolve) => (leave = resolve));
          const played = scripts.map((s) => play(node.redisPort, s, left));
          // Once the readers are done and the well-behaved client got an answer after them, the
          // slow readers have had their chance to pile answers up: the memory is looked at, then
          // they go.
          await Promise.all(played.filter((_, i) => scripts[i]!.reads));
          await good.ping();
          sample();
          leave();
          await Promise.all(played);
          assert.equal(wrong, null, `the well-behaved client got a wrong answer: ${String(wrong)}`);
          assert.equal(await good.ping(), 'PONG');
          assert.ok(peak - before < RSS_GROWTH, `the node's RSS grew by ${peak - before} bytes (bound ${RSS_GROWTH})`);
        }),
        { seed, numRuns: 150, endOnFailure: true },
      );
    } catch (e) {
      if (e instanceof Error) {
        const cause = e.cause instanceof Error ? `\n${e.cause.message}` : '';
        e.message = `FUZZ_SEED=${seed}${cause}\n${e.message}`;
      }
      throw e;
    } finally {
      running = false;
      await steady;
    }
    assert.equal(wrong, null);
    assert.ok(rounds > 0);
    const grew = peak - before;
    t.diagnostic(`seed ${seed}; ${rounds} round trips of the well-behaved client; RSS grew by ${grew} bytes at most`);
  })();
});
