// The partition tool of the real-process tests (src/cli/local/link-proxies.ts), with plain sockets in
// place of nodes: an open link forwards both ways and passes a close on; a cut link lets nothing
// through, either way, and delivers what it held, in order, with the close, when it heals; a
// connection made across a cut reaches the other end only at the heal; a node still starting is
// dialed again, and one that stays down closes the connection.
import assert from 'node:assert/strict';
import * as net from 'node:net';
import { test, type TestContext } from 'node:test';

import { eventually } from '../support/eventually.js';
import { LinkProxies } from '../../src/cli/local/link-proxies.js';

/** One end of a connection: what it received, whether the other side closed. */
class End {
  text = '';
  ended = false;

  constructor(readonly socket: net.Socket) {
    socket.on('data', (d: Buffer) => (this.text += d.toString('latin1')));
    socket.on('end', () => (this.ended = true));
    socket.on('error', () => undefined);
  }
}

/** A listener standing in for a node's Raft port: the connections it accepted. */
async function node(t: TestContext): Promise<{ port: number; accepted: End[] }> {
  const accepted: End[] = [];
  const server = net.createServer((socket) => accepted.push(new End(socket)));
  await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: 0 }, resolve));
  t.after(() => {
    for (const end of accepted) end.socket.destroy();
    server.close();
  });
  return { port: (server.address() as net.AddressInfo).port, accepted };
}

async function dial(t: TestContext, port: number): Promise<End> {
  const socket = net.connect({ host: '127.0.0.1', port });
  t.after(() => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  return new End(socket);
}

async function proxiesTo(t: TestContext, port: number): Promise<LinkProxies> {
  const proxies = await LinkProxies.start(new Map([[1, 1], [2, port]])); // prettier-ignore
  t.after(() => proxies.close());
  return proxies;
}

test('an open link forwards both ways, and a close', async (t) => {
  const two = await node(t);
  const proxies = await proxiesTo(t, two.port);
  const one = await dial(t, proxies.port(1, 2));
  one.socket.write('ping');
  await eventually(() => two.accepted[0]?.text === 'ping', 'ping at node 2');
  two.accepted[0]!.socket.write('pong');
  await eventually(() => one.text === 'pong', 'pong at node 1');
  one.socket.end();
  await eventually(() => two.accepted[0]!.ended, 'the close at node 2');
});

test('a cut link holds everything, both ways, until it heals; then delivers it in order', async (t) => {
  const two = await node(t);
  const proxies = await proxiesTo(t, two.port);
  const one = await dial(t, proxies.port(1, 2));
  one.socket.write('a');
  await eventually(() => two.accepted[0]?.text === 'a', 'a at node 2');
  const far = two.accepted[0]!;

  proxies.cut(1, 2);
  assert.deepEqual(proxies.cutLinks, ['1>2', '2>1']);
  one.socket.write('bc');
  far.socket.write('xy');
  await eventually(() => proxies.heldBytes === 4, 'the proxy holds what both sent');
  assert.equal(far.text, 'a', 'nothing crossed to node 2');
  assert.equal(one.text, '', 'nothing crossed to node 1');
  proxies.heal();
  assert.deepEqual(proxies.cutLinks, []);
  await eventually(() => far.text === 'abc', 'node 2 gets what was held');
  await eventually(() => one.text === 'xy', 'node 1 gets what was held');

  // A close waits for the heal too, behind the bytes sent before it.
  proxies.cut(1, 2);
  one.socket.write('d');
  one.socket.end();
  await eventually(() => proxies.heldBytes === 1, 'the proxy holds the last byte');
  assert.ok(!far.ended, 'the close crossed a cut link');
  proxies.heal();
  await eventually(() => far.text === 'abcd' && far.ended, 'node 2 gets the last byte, then the close');
});

test('a connection made across a cut reaches the other end at the heal; a node that is down closes it', async (t) => {
  const two = await node(t);
  const proxies = await proxiesTo(t, two.port);
  proxies.isolate(2);
  const one = await dial(t, proxies.port(1, 2)); // accepted, as a dropped packet would not say otherwise
  one.socket.write('hello');
  await eventually(() => proxies.heldBytes === 5, 'the proxy holds the hello');
  assert.equal(two.accepted.length, 0, 'no connection reached node 2');
  proxies.heal();
  await eventually(() => two.accepted[0]?.text === 'hello', 'the connection and its hello reach node 2');

  // Node 1 is no listener here (port 1): the proxy's connection to it is refused.
  const toDown = await dial(t, proxies.port(2, 1));
  await eventually(() => toDown.ended || toDown.socket.destroyed, 'the connection to a node that is down closes');
});

test('a node still starting is dialed again: what was sent before it listened reaches it, in order', async (t) => {
  // Take a free port, then release it: node 2 listens there only after node 1 has dialed it.
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen({ host: '127.0.0.1', port: 0 }, resolve));
  const port = (probe.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  const proxies = await proxiesTo(t, port);
  const one = await dial(t, proxies.port(1, 2));
  one.socket.write('hel');
  one.socket.write('lo');
  await eventually(() => proxies.heldBytes === 5, 'the proxy holds the hello while node 2 refuses');
  const accepted: End[] = [];
  const server = net.createServer((socket) => accepted.push(new End(socket)));
  await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port }, resolve));
  t.after(() => {
    for (const end of accepted) end.socket.destroy();
    server.close();
  });
  await eventually(() => accepted[0]?.text === 'hello', 'the hello reaches node 2 once it listens');
  assert.equal(one.ended, false, 'the dialer was not closed meanwhile');
});
