// Answers a client leaves unread: the connection keeps reading (a client may send its whole
// pipeline before it reads anything) up to the limit on unsent answer bytes, then it is closed.
import assert from 'node:assert/strict';
import * as net from 'node:net';
import { test, type TestContext } from 'node:test';

import { RespConnection, type CommandRunner } from '../../src/resp/connection.js';
import { ErrorReply } from '../../src/resp/reply.js';
import { until } from '../../../little-raft/test/support/tcp.js';

/** A server whose every command is a read answered with `value`; counts reads and drops. */
async function server(t: TestContext, value: Buffer, limit: number) {
  const seen = { reads: 0, dropped: [] as string[], sockets: [] as net.Socket[] };
  const runner: CommandRunner = {
    classify: () => ({ kind: 'read' }),
    submitWrites: () => Promise.reject(new Error('no writes here')),
    readBarrier: () => Promise.resolve(),
    read: () => {
      seen.reads++;
      return value;
    },
    errorReply: (e) => new ErrorReply(`ERR ${String(e)}`),
    observe: () => undefined,
    dropped: (_conn, reason) => void seen.dropped.push(reason),
  };
  const listener = net.createServer((socket) => {
    seen.sockets.push(socket);
    new RespConnection(1, socket, runner, { outputBytes: limit, pubsubOutputBytes: limit, memory: null });
  });
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  t.after(() => listener.close());
  const client = net.connect((listener.address() as net.AddressInfo).port, '127.0.0.1');
  t.after(() => client.destroy());
  await new Promise((resolve) => client.once('connect', resolve));
  return { seen, client };
}

/** `count` GETs of a 1,000-byte key: about 1 MB of requests per 1,000. */
function gets(count: number): string {
  const key = 'k'.repeat(1000);
  return `*2\r\n$3\r\nGET\r\n$${key.length}\r\n${key}\r\n`.repeat(count);
}

test('a client that sends its whole pipeline before reading gets every answer', { timeout: 30_000 }, async (t) => {
  const value = Buffer.alloc(4096, 'v');
  const requests = 10_000; // 10 MB of requests, more than the socket buffers hold; 41 MB of answers
  const { seen, client } = await server(t, value, 64 * 1024 * 1024);
  client.pause();
  // Only once every request is handed to the kernel does this client start reading.
  await new Promise<void>((resolve, reject) => client.write(gets(requests), (e) => (e ? reject(e) : resolve())));
  let received = 0;
  client.on('data', (chunk: Buffer) => (received += chunk.length));
  client.resume();
  const expected = requests * (`$${value.length}\r\n`.length + value.length + 2);
  await until(() => received >= expected, `all ${expected} bytes of answers`);
  assert.equal(received, expected);
  assert.equal(seen.reads, requests);
  assert.deepEqual(seen.dropped, []);
});

test('a client that leaves more answers unread than the limit is disconnected', { timeout: 30_000 }, async (t) => {
  const value = Buffer.alloc(32 * 1024, 'v');
  const limit = 1024 * 1024;
  const { seen, client } = await server(t, value, limit);
  client.pause(); // never reads (so it would not even see the connection close)
  client.on('error', () => undefined);
  client.write(gets(2000)); // 64 MB of answers
  await until(() => seen.dropped.length > 0, 'the server to drop the client');
  assert.equal(seen.dropped.length, 1);
  assert.ok(seen.sockets[0]!.destroyed, 'the connection is closed');
  assert.match(seen.dropped[0]!, new RegExp(`^\\d+ bytes of answers unread \\(limit ${limit}\\)$`));
  assert.ok(seen.reads < 2000, `all ${seen.reads} requests were answered before the limit cut the client off`);
});
