// A connection answers in the order commands came, and a 'late' answer (INFO) is computed only
// when its turn comes: after every command before it on the connection has been answered.
import assert from 'node:assert/strict';
import * as net from 'node:net';
import { test } from 'node:test';

import { RespConnection, type CommandRunner } from '../../src/resp/connection.js';
import { ErrorReply, OK } from '../../src/resp/reply.js';
import { until } from '../../../little-raft/test/support/tcp.js';

test('INFO after a pipelined write reports the state after that write', async (t) => {
  let applied = 0;
  let classified = 0;
  let release: () => void = () => undefined;
  const runner: CommandRunner = {
    classify: (_conn, argv) => {
      classified++;
      return argv[0]!.toString().toLowerCase() === 'info'
        ? { kind: 'late', answer: () => Buffer.from(`applied:${applied}`) }
        : { kind: 'write' };
    },
    // The write takes effect only when the test says so.
    submitWrites: (commands) =>
      new Promise((resolve) => {
        release = () => {
          applied += commands.length;
          resolve(commands.map(() => OK));
        };
      }),
    readBarrier: () => Promise.resolve(),
    read: () => null,
    errorReply: (e) => new ErrorReply(`ERR ${String(e)}`),
    observe: () => undefined,
  };
  const listener = net.createServer((socket) => new RespConnection(1, socket, runner));
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  t.after(() => listener.close());
  const client = net.connect((listener.address() as net.AddressInfo).port, '127.0.0.1');
  t.after(() => client.destroy());
  let received = '';
  client.on('data', (chunk: Buffer) => (received += chunk.toString()));
  client.write('*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n*1\r\n$4\r\nINFO\r\n');
  await until(() => classified === 2, 'both commands read (the write still pending)');
  assert.equal(received, '', 'nothing is answered before the write');
  release();
  await until(() => received.length >= '+OK\r\n$9\r\napplied:1\r\n'.length, 'both answers');
  assert.equal(received, '+OK\r\n$9\r\napplied:1\r\n');
});
