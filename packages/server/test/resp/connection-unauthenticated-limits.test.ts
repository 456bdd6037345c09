// Before a client has authenticated, a request may have at most 10 arguments of at most 16 KiB
// each, as redis-server 7.0 allows (networking.c: "unauthenticated multibulk length", "...bulk
// length"): whoever reaches the port cannot make the node buffer MiBs per connection without the
// password. The limits follow AUTH in order: a request pipelined after it has the usual ones.
import assert from 'node:assert/strict';
import * as net from 'node:net';
import { test, type TestContext } from 'node:test';

import { RespConnection, type CommandRunner } from '../../src/resp/connection.js';
import { ErrorReply, OK } from '../../src/resp/reply.js';

/** A server whose clients are unauthenticated until they send AUTH; other commands answer their argument count. */
async function server(t: TestContext): Promise<number> {
  const authenticated = new Set<RespConnection>();
  const runner: CommandRunner = {
    classify: (conn, argv) => {
      if (argv[0]!.toString() === 'AUTH') {
        authenticated.add(conn);
        return { kind: 'reply', reply: OK };
      }
      return { kind: 'reply', reply: argv.length };
    },
    unauthenticated: (conn) => !authenticated.has(conn),
    submitWrites: () => Promise.resolve([]),
    readBarrier: () => Promise.resolve(),
    read: () => null,
    errorReply: (e) => new ErrorReply(`ERR ${String(e)}`),
    observe: () => undefined,
  };
  const listener = net.createServer((socket) => new RespConnection(1, socket, runner));
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  t.after(() => listener.close());
  return (listener.address() as net.AddressInfo).port;
}

/**
 * Sends `bytes`, then reads until the server closes the connection or `until` says the answers are
 * in; gives up after 10 s (a server that waits for more bytes instead of refusing the request).
 */
function exchange(port: number, bytes: Buffer, until: (text: string) => boolean): Promise<string> {
  return new Promise((resolve, reject) => {
    const client = net.connect(port, '127.0.0.1');
    const deadline = setTimeout(() => client.destroy(), 10_000);
    client.on('close', () => clearTimeout(deadline));
    let text = '';
    client.on('data', (d: Buffer) => {
      text += d.toString('latin1');
      if (until(text)) client.destroy();
    });
    client.on('close', () => resolve(text));
    client.on('error', reject);
    client.write(bytes);
  });
}

function request(args: readonly Buffer[]): Buffer {
  return Buffer.concat([
    Buffer.from(`*${args.length}\r\n`),
    ...args.flatMap((a) => [Buffer.from(`$${a.length}\r\n`), a, Buffer.from('\r\n')]),
  ]);
}

const words = (n: number): Buffer[] => Array.from({ length: n }, (_, i) => Buffer.from(`w${i}`));
const never = (): boolean => false;

test('an unauthenticated client may send 10 arguments of 16 KiB, no more', async (t) => {
  const port = await server(t);
  const fits = Buffer.concat([request(words(10)), request([Buffer.alloc(16384, 0x61)])]);
  assert.equal(await exchange(port, fits, (s) => s === ':10\r\n:1\r\n'), ':10\r\n:1\r\n');
  // The header alone is refused: the server does not wait for (or keep) what it announces.
  assert.equal(
    await exchange(port, Buffer.from('*11\r\n'), never),
    '-ERR Protocol error: unauthenticated multibulk length\r\n',
  );
  assert.equal(
    await exchange(port, Buffer.from('*1\r\n$16385\r\n'), never),
    '-ERR Protocol error: unauthenticated bulk length\r\n',
  );
});

test('after AUTH, in the same pipeline, the usual limits apply', async (t) => {
  const port = await server(t);
  const bytes = Buffer.concat([
    request([Buffer.from('AUTH'), Buffer.from('pw')]),
    request(words(11)),
    request([Buffer.alloc(100_000, 0x61)]),
  ]);
  const expected = '+OK\r\n:11\r\n:1\r\n';
  assert.equal(await exchange(port, bytes, (s) => s === expected), expected);
});
