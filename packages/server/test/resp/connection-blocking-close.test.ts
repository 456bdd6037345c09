// A connection closed while its blocking command (BLPOP ...) ran the first time does not then
// block: a waiter with nobody behind it would pop an element that no client receives.
import assert from 'node:assert/strict';
import * as net from 'node:net';
import { test } from 'node:test';

import { RespConnection, type CommandRunner } from '../../src/resp/connection.js';
import { ErrorReply, NULL_ARRAY } from '../../src/resp/reply.js';
import { until } from '../../../little-raft/test/support/tcp.js';

test('a client gone before its blocking command found nothing is not made to wait', async (t) => {
  let firstRun: (() => void) | null = null;
  const blocked: string[] = [];
  const runner: CommandRunner = {
    classify: () => ({ kind: 'write', blocking: true }),
    // The first run finds nothing, when the test says so.
    submitWrites: (commands) => new Promise((resolve) => (firstRun = () => resolve(commands.map(() => NULL_ARRAY)))),
    block: (conn) => {
      blocked.push(`client ${conn.id}`);
      return new Promise(() => undefined);
    },
    readBarrier: () => Promise.resolve(),
    read: () => null,
    errorReply: (e) => new ErrorReply(`ERR ${String(e)}`),
    observe: () => undefined,
  };
  let closed = 0;
  const listener = net.createServer((socket) => {
    socket.on('close', () => closed++);
    new RespConnection(1, socket, runner);
  });
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  t.after(() => listener.close());
  const client = net.connect((listener.address() as net.AddressInfo).port, '127.0.0.1');
  client.write('*3\r\n$5\r\nBLPOP\r\n$1\r\nq\r\n$1\r\n0\r\n');
  await until(() => firstRun !== null, 'the BLPOP runs');
  client.destroy();
  await until(() => closed === 1, 'the server sees the client gone');
  firstRun!();
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(blocked, []);
});
