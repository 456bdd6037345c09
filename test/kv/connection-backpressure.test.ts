// A client that pipelines requests but does not read the answers: the connection stops reading
// once MAX_UNSENT_REPLY_BYTES of answers wait to be sent, so the server's memory stays bounded,
// and carries on once the client reads again.
import assert from 'node:assert/strict';
import * as net from 'node:net';
import { test } from 'node:test';

import { MAX_UNSENT_REPLY_BYTES, RespConnection, type CommandRunner } from '../../src/kv/connection.js';
import { ErrorReply } from '../../src/kv/reply.js';
import { until } from '../support/tcp.js';

const VALUE = Buffer.alloc(32 * 1024, 'v');
const REQUESTS = 2000;

test('a client that does not read its answers is not read from until it does', async (t) => {
  let reads = 0;
  const runner: CommandRunner = {
    classify: () => ({ kind: 'read' }),
    submitWrites: () => Promise.reject(new Error('no writes here')),
    readBarrier: () => Promise.resolve(),
    read: () => {
      reads++;
      return VALUE;
    },
    errorReply: (e) => new ErrorReply(`ERR ${String(e)}`),
    observe: () => undefined,
  };
  let serverSocket: net.Socket | null = null;
  const server = net.createServer((socket) => {
    serverSocket = socket;
    new RespConnection(1, socket, runner);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => server.close());
  const client = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
  t.after(() => client.destroy());
  client.pause(); // reads nothing yet
  await new Promise((resolve) => client.once('connect', resolve));

  // Long keys: about 64 requests per 64 KiB read, so the server reads them in many steps.
  const key = 'k'.repeat(1000);
  const request = `*2\r\n$3\r\nGET\r\n$${key.length}\r\n${key}\r\n`;
  client.write(request.repeat(REQUESTS));
  await until(() => serverSocket?.isPaused() === true, 'the server to stop reading');
  const unsent = serverSocket!.writableLength;
  assert.ok(reads < REQUESTS / 2, `read ${reads} of ${REQUESTS} requests with nobody reading the answers`);
  assert.ok(
    unsent <= MAX_UNSENT_REPLY_BYTES + 128 * (VALUE.length + 16),
    `${unsent} bytes of answers held for the client`,
  );

  // The client reads: every answer comes, in full.
  const header = Buffer.from(`$${VALUE.length}\r\n`);
  const expected = REQUESTS * (header.length + VALUE.length + 2);
  let received = 0;
  let headers = 0;
  let tail = Buffer.alloc(0);
  client.on('data', (chunk: Buffer) => {
    received += chunk.length;
    const text = Buffer.concat([tail, chunk]);
    for (let at = text.indexOf(header); at >= 0; at = text.indexOf(header, at + 1)) headers++;
    tail = text.subarray(Math.max(0, text.length - header.length + 1));
  });
  client.resume();
  await until(() => received >= expected, `all ${expected} bytes of answers`);
  assert.equal(received, expected);
  assert.equal(headers, REQUESTS);
  assert.equal(reads, REQUESTS);
});
