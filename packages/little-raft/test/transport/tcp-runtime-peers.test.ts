// TcpCluster peers changed at run time (addPeer, re-addressing, removePeer, peerAddresses) and
// what a peer's send queue keeps when there is no connection: nothing stale is ever replayed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as net from 'node:net';

import type { Message } from '../../src/core/types.js';
import { encodeFrame, FrameDecoder } from '../../src/transport/tcp/frames.js';
import { Handshake, MAX_HANDSHAKE_FRAME_BYTES } from '../../src/transport/tcp/handshake.js';
import { TcpCluster, type TcpClusterOptions } from '../../src/transport/tcp/index.js';
import type { Op } from '../support/replica-net.js';
import { freePorts, RecordingLogger, sleep, until } from '../support/tcp.js';

const SECRET = 'a shared secret of the test cluster';
type Msg = Message<Op, Uint8Array>;
type Cluster = TcpCluster<Op, Uint8Array>;
type Append = Extract<Msg, { type: 'append' }>;

function heartbeat(from: number, to: number, seq: number): Append {
  return { type: 'append', from, to, term: 1, prevLogIndex: 0, prevLogTerm: 0, leaderCommit: 0, seq, entries: [] };
}

function start(
  id: number,
  listen: string,
  peers: Record<number, string>,
  more: Partial<TcpClusterOptions<Op, Uint8Array>> = {},
): Cluster {
  return new TcpCluster<Op, Uint8Array>({
    id,
    listen,
    peers,
    secret: SECRET,
    quiet: true,
    reconnectDelay: { min: 20, max: 200 },
    ...more,
  });
}

/** Collects what `to` receives until the message with `seq` is among it; returns the seqs in order. */
async function seqsUntil(to: Cluster, seq: number, what: string): Promise<number[]> {
  const got: Msg[] = [];
  await until(() => {
    got.push(...to.receiveMessages());
    return got.some((m) => m.type === 'append' && m.seq === seq);
  }, what);
  return got.map((m) => (m.type === 'append' ? m.seq : -1));
}

const connected = (x: Cluster, y: Cluster): boolean =>
  x.connectedPeers().includes(y.id) && y.connectedPeers().includes(x.id);

test('clusters started with no peers get them with addPeer and exchange messages both ways', async () => {
  const ports = await freePorts(3);
  const at = ports.map((p) => `127.0.0.1:${p}`);
  // 3 accepts 1 and 2 (the lower id dials). With no peers and maxPendingConnections 1 its
  // listener takes 1 socket at first: addPeer must raise that, or 2's connection is cut at once.
  const apps: string[] = [];
  const onAppMessage = (to: number) => (from: number) => apps.push(`${from}->${to}`);
  const a = start(1, at[0]!, {}, { onAppMessage: onAppMessage(1) });
  const b = start(2, at[1]!, {}, { onAppMessage: onAppMessage(2) });
  const c = start(3, at[2]!, {}, { onAppMessage: onAppMessage(3), maxPendingConnections: 1 });
  try {
    await Promise.all([a.listening(), b.listening(), c.listening()]);
    assert.deepEqual(a.peerAddresses(), {});

    // The dialer first: 1 dials 2, which refuses it (not its peer yet) until it adds 1.
    a.addPeer(2, at[1]!);
    await until(() => (b.stats().rejected['unknown-peer'] ?? 0) >= 1, '2 refuses 1 before it adds it');
    assert.deepEqual(b.connectedPeers(), []);
    b.addPeer(1, at[0]!);
    await until(() => connected(a, b), '1 and 2 connected');

    // The acceptor first: 3 adds 1 and 2, then they add 3 and dial it. Messages sent right after
    // addPeer, either side, wait for that first connection.
    c.addPeer(1, at[0]!);
    c.addPeer(2, at[1]!);
    c.sendMessage(1, heartbeat(3, 1, 31));
    a.addPeer(3, at[2]!);
    a.sendMessage(3, heartbeat(1, 3, 13));
    assert.deepEqual(await seqsUntil(c, 13, '1 to 3'), [13]);
    assert.deepEqual(await seqsUntil(a, 31, '3 to 1'), [31]);
    // 2 only now (one handshake at a time), while 1's connection holds 3's first socket.
    b.addPeer(3, at[2]!);
    b.sendMessage(3, heartbeat(2, 3, 23));
    assert.deepEqual(await seqsUntil(c, 23, '2 to 3'), [23]);
    assert.ok(connected(b, c));

    // Every pair, both ways, Raft messages and application payloads.
    const clusters = [a, b, c];
    for (const x of clusters) {
      for (const y of clusters) {
        if (x === y) continue;
        x.sendMessage(y.id, heartbeat(x.id, y.id, 100 + x.id * 10 + y.id));
        assert.equal(x.sendApp(y.id, Uint8Array.of(x.id)), true);
      }
    }
    const got = new Map<number, number[]>(clusters.map((x) => [x.id, []]));
    await until(() => {
      for (const x of clusters)
        got.get(x.id)!.push(...x.receiveMessages().map((m) => (m.type === 'append' ? m.seq : -1)));
      return [...got.values()].every((seqs) => seqs.length >= 2);
    }, 'a message from each peer at each');
    assert.deepEqual(
      clusters.map((x) => got.get(x.id)!.sort()),
      [
        [121, 131],
        [112, 132],
        [113, 123],
      ],
    );
    await until(() => apps.length === 6, 'the application payloads');
    assert.deepEqual(apps.sort(), ['1->2', '1->3', '2->1', '2->3', '3->1', '3->2']);
    assert.deepEqual(a.peerAddresses(), { 2: at[1], 3: at[2] });
    assert.deepEqual(c.peerAddresses(), { 1: at[0], 2: at[1] });
    assert.deepEqual(Object.keys(c.stats().peers), ['1', '2']);
    assert.deepEqual(c.stats().dropped, {});
  } finally {
    await Promise.all([a.close(), b.close(), c.close()]);
  }
});

test('addPeer with a new address moves the peer: the old connection closes, the new address is dialed', async () => {
  const [p1, p2, p2b] = await freePorts(3);
  const at1 = `127.0.0.1:${p1!}`;
  const at2 = `127.0.0.1:${p2!}`;
  const moved = `127.0.0.1:${p2b!}`;
  const a = start(1, at1, { 2: at2 });
  const b = start(2, at2, { 1: at1 });
  const b2 = start(2, moved, { 1: at1 }); // replica 2 at its new address
  try {
    await until(() => connected(a, b), 'connected at the old address');
    const dialed = a.stats().dialed;
    a.addPeer(2, at2); // the same address: nothing changes
    assert.equal(a.stats().dialed, dialed);
    assert.deepEqual(a.connectedPeers(), [2]);

    a.addPeer(2, moved);
    assert.deepEqual(a.peerAddresses(), { 2: moved });
    assert.equal(a.stats().peers[2]!.address, moved);
    await until(() => b.connectedPeers().length === 0, 'the old connection closed');
    await until(() => connected(a, b2), 'connected at the new address');
    a.sendMessage(2, heartbeat(1, 2, 7));
    assert.deepEqual(await seqsUntil(b2, 7, 'at the new address'), [7]);
    b2.sendMessage(1, heartbeat(2, 1, 8));
    assert.deepEqual(await seqsUntil(a, 8, 'from the new address'), [8]);
    assert.deepEqual(b.receiveMessages(), []);
    assert.deepEqual(b.connectedPeers(), [], '1 does not dial the old address again');
  } finally {
    await Promise.all([a.close(), b.close(), b2.close()]);
  }
});

test('removePeer closes the connection, stops dialing, drops messages and refuses the peer', async () => {
  const ports = await freePorts(3);
  const at = ports.map((p) => `127.0.0.1:${p}`);
  const peers = { 1: at[0]!, 2: at[1]!, 3: at[2]! };
  const log3 = new RecordingLogger();
  const [a, b, c] = [
    start(1, at[0]!, peers),
    start(2, at[1]!, peers),
    start(3, at[2]!, peers, { quiet: false, logger: log3 }),
  ];
  try {
    await until(() => connected(a, b) && connected(a, c) && connected(b, c), 'all connected');
    assert.equal(b.stats().accepted, 1);

    // The dialer removes: 1 drops 2 and never dials it again.
    a.removePeer(2);
    a.removePeer(2); // again: nothing
    a.removePeer(9); // never a peer: nothing
    assert.deepEqual(a.peerAddresses(), { 3: at[2] });
    assert.deepEqual(Object.keys(a.stats().peers), ['3']);
    await until(() => !b.connectedPeers().includes(1), '2 sees 1 gone');
    a.sendMessage(2, heartbeat(1, 2, 1));
    assert.equal(a.sendApp(2, Uint8Array.of(1)), false);
    assert.equal(a.stats().dropped['unknown-peer'], 2);

    // The acceptor removes: 3 drops 1; 1 redials 3 and is refused, again and again.
    c.removePeer(1);
    assert.deepEqual(c.peerAddresses(), { 2: at[1] });
    await until(() => (c.stats().rejected['unknown-peer'] ?? 0) >= 3, '3 refuses 1 three times');
    assert.ok(!a.connectedPeers().includes(3) && !c.connectedPeers().includes(1));
    assert.ok(
      log3.warnings.some((w) => /peer claims id 1: not a configured peer/.test(w)),
      log3.warnings.join('\n'),
    );
    c.sendMessage(1, heartbeat(3, 1, 1));
    assert.equal(c.stats().dropped['unknown-peer'], 1);
    // Meanwhile 1, redialing 3 on the same backoff, has not dialed 2.
    assert.equal(b.stats().accepted, 1);
    // 2 and 3 are unaffected.
    b.sendMessage(3, heartbeat(2, 3, 5));
    assert.deepEqual(await seqsUntil(c, 5, '2 to 3'), [5]);
  } finally {
    await Promise.all([a.close(), b.close(), c.close()]);
  }
});

test('a peer removed during its handshake is refused when it completes', async () => {
  const [p3] = await freePorts(1);
  const c = start(3, `127.0.0.1:${p3!}`, { 1: '127.0.0.1:1' });
  const socket = net.connect({ host: '127.0.0.1', port: p3! });
  socket.on('error', () => {});
  try {
    await c.listening();
    const handshake = new Handshake({ role: 'dialer', id: 1, peerId: 3, key: new TextEncoder().encode(SECRET) });
    const decoder = new FrameDecoder(MAX_HANDSHAKE_FRAME_BYTES);
    const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
    await new Promise<void>((resolve) => {
      socket.on('connect', () => {
        for (const body of handshake.start()) socket.write(encodeFrame(body));
      });
      // 3 answered the hello (1 was its peer then); 1 is removed before the proof arrives.
      socket.once('data', (chunk) => {
        c.removePeer(1);
        for (const body of decoder.push(chunk)) {
          for (const reply of handshake.receive(body)) socket.write(encodeFrame(reply));
        }
        resolve();
      });
    });
    await closed;
    await until(() => c.stats().rejected['unknown-peer'] === 1, 'the refusal counted');
    assert.deepEqual(c.stats().rejected, { 'unknown-peer': 1 });
    assert.equal(c.stats().authenticated, 0);
  } finally {
    socket.destroy();
    await c.close();
  }
});

test('addPeer refuses its own id and bad addresses with a RangeError, changing nothing', async () => {
  const c = start(1, '127.0.0.1:0', { 2: '127.0.0.1:7002' });
  try {
    assert.throws(() => c.addPeer(1, '127.0.0.1:7001'), {
      name: 'RangeError',
      message: "TcpCluster.addPeer: 1 is this replica's own id, not a peer",
    });
    assert.throws(() => c.addPeer(2, 'nowhere'), {
      name: 'RangeError',
      message: "TcpCluster.addPeer: peer 2: 'nowhere' is not a 'host:port' address (port 1-65535)",
    });
    assert.throws(() => c.addPeer(3, '127.0.0.1:0'), { name: 'RangeError', message: /peer 3: .*port 1-65535/ });
    assert.throws(() => c.addPeer(3, '127.0.0.1:65536'), { name: 'RangeError', message: /peer 3: .*port 1-65535/ });
    assert.throws(() => c.addPeer(3, '[::1:7003'), { name: 'RangeError', message: /peer 3: '\[::1:7003' is not/ });
    assert.throws(() => c.addPeer(-1, '127.0.0.1:7003'), {
      name: 'RangeError',
      message: 'TcpCluster.addPeer: peer id -1 is not a non-negative integer',
    });
    assert.throws(() => c.addPeer(1.5, '127.0.0.1:7003'), { name: 'RangeError', message: /peer id 1.5 / });
    assert.deepEqual(c.peerAddresses(), { 2: '127.0.0.1:7002' });
    c.addPeer(3, '[::1]:7003');
    assert.deepEqual(c.peerAddresses(), { 2: '127.0.0.1:7002', 3: '[::1]:7003' });
  } finally {
    await c.close();
  }
  c.addPeer(4, '127.0.0.1:7004'); // closed: nothing
  assert.deepEqual(c.peerAddresses(), { 2: '127.0.0.1:7002', 3: '[::1]:7003' });
});

test('messages queued for a peer that is down are dropped, not replayed when it is back (either side)', async () => {
  const [p1, p2] = await freePorts(2);
  const peers = { 1: `127.0.0.1:${p1!}`, 2: `127.0.0.1:${p2!}` };
  let a = start(1, peers[1], peers);
  let b = start(2, peers[2], peers);
  try {
    await until(() => connected(a, b), 'connected');

    // 2 goes down: 1 (which dials) drops what it sends meanwhile, and while it redials.
    await b.close();
    await until(() => a.connectedPeers().length === 0, '1 sees 2 gone');
    for (let i = 0; i < 50; i++) a.sendMessage(2, heartbeat(1, 2, i));
    assert.equal(a.stats().peers[2]!.queuedMessages, 0);
    assert.equal(a.stats().dropped.unreachable, 50);
    await until(() => a.stats().connectFailures >= 1, 'a redial of 1 failed');
    b = start(2, peers[2], peers);
    await until(() => connected(a, b), 'reconnected to 2');
    a.sendMessage(2, heartbeat(1, 2, 100));
    assert.deepEqual(await seqsUntil(b, 100, 'at 2'), [100], 'only what was sent after reconnecting');

    // 1 goes down: 2 (which is dialed) drops too.
    await a.close();
    await until(() => b.connectedPeers().length === 0, '2 sees 1 gone');
    for (let i = 0; i < 50; i++) b.sendMessage(1, heartbeat(2, 1, i));
    assert.equal(b.sendApp(1, Uint8Array.of(1)), false, 'dropped at once');
    assert.equal(b.stats().peers[1]!.queuedMessages, 0);
    assert.equal(b.stats().dropped.unreachable, 51);
    a = start(1, peers[1], peers);
    await until(() => connected(a, b), 'reconnected to 1');
    b.sendMessage(1, heartbeat(2, 1, 200));
    assert.deepEqual(await seqsUntil(a, 200, 'at 1'), [200], 'only what was sent after reconnecting');
  } finally {
    await Promise.all([a.close(), b.close()]);
  }
});

test('the first queue is dropped when the first dial fails, and does not outlive handshakeTimeout', async () => {
  const [p1, p2, p3] = await freePorts(3);
  const peers = { 1: `127.0.0.1:${p1!}`, 2: `127.0.0.1:${p2!}`, 3: `127.0.0.1:${p3!}` };
  // 1 dials 2, which is not up: what 1 sent meanwhile goes when that dial fails.
  let a: Cluster | null = start(1, peers[1], { 2: peers[2] });
  for (let i = 0; i < 10; i++) a.sendMessage(2, heartbeat(1, 2, i));
  assert.equal(a.stats().peers[2]!.queuedMessages, 10);
  let b: Cluster | null = null;
  let c: Cluster | null = null;
  try {
    await until(() => a!.stats().dropped.unreachable === 10, 'dropped when the dial failed');
    assert.equal(a.stats().peers[2]!.queuedMessages, 0);
    b = start(2, peers[2], { 1: peers[1] });
    await until(() => connected(a!, b!), 'connected');
    a.sendMessage(2, heartbeat(1, 2, 100));
    assert.deepEqual(await seqsUntil(b, 100, 'at 2'), [100]);
    await Promise.all([a.close(), b.close()]);

    // 2 and 3 are dialed by 1, which is not up: their first queues wait handshakeTimeout at most,
    // then go at the next message (2) or when the connection comes (3).
    b = start(2, peers[2], { 1: peers[1] }, { handshakeTimeout: 200 });
    c = start(3, peers[3], { 1: peers[1] }, { handshakeTimeout: 200 });
    b.sendMessage(1, heartbeat(2, 1, 1));
    c.sendMessage(1, heartbeat(3, 1, 1));
    assert.equal(b.stats().peers[1]!.queuedMessages, 1);
    await sleep(300); // past handshakeTimeout (the condition under test, not a race)
    b.sendMessage(1, heartbeat(2, 1, 2));
    assert.equal(b.stats().peers[1]!.queuedMessages, 0);
    assert.equal(b.stats().dropped.unreachable, 2);
    assert.equal(c.stats().peers[1]!.queuedMessages, 1, 'nothing sent since: still there');
    a = start(1, peers[1], peers);
    await until(() => connected(a!, b!) && connected(a!, c!), 'connected');
    assert.equal(c.stats().dropped.unreachable, 1);
    b.sendMessage(1, heartbeat(2, 1, 3));
    c.sendMessage(1, heartbeat(3, 1, 4));
    const got: number[] = [];
    await until(() => {
      got.push(...a!.receiveMessages().map((m) => (m.type === 'append' ? m.seq : -1)));
      return got.length >= 2;
    }, 'the fresh messages at 1');
    assert.deepEqual(got.sort(), [3, 4]);
  } finally {
    await a?.close();
    await b?.close();
    await c?.close();
  }
});

/** Dials `port` as replica 1 of the cluster, completes the handshake with replica 2, then reads nothing. */
function stalledPeerOne(port: number): net.Socket {
  const socket = net.connect({ host: '127.0.0.1', port });
  socket.on('error', () => {});
  const handshake = new Handshake({ role: 'dialer', id: 1, peerId: 2, key: new TextEncoder().encode(SECRET) });
  const decoder = new FrameDecoder(MAX_HANDSHAKE_FRAME_BYTES);
  socket.on('connect', () => {
    for (const body of handshake.start()) socket.write(encodeFrame(body));
  });
  socket.on('data', (chunk) => {
    for (const body of decoder.push(chunk)) {
      if (handshake.done) break;
      for (const reply of handshake.receive(body)) socket.write(encodeFrame(reply));
    }
    if (handshake.done) socket.pause();
  });
  return socket;
}

/**
 * Sends big messages from `b` to 1 until `atLeast` wait in its queue (the socket takes no more);
 * returns how many wait. ('drain' may still move some into the socket, one at a time.)
 */
async function fillQueue(b: Cluster, atLeast: number): Promise<number> {
  // Each one the next entry: the same entries again would go without them (Peer.trimResent).
  const big = (i: number): Append => ({
    ...heartbeat(2, 1, 0),
    prevLogIndex: i,
    entries: [{ index: i + 1, term: 1, transition: { id: 'x'.repeat(100_000), delta: 1 } }],
  });
  for (let i = 0; i < 2000 && b.stats().peers[1]!.queuedMessages < atLeast; i++) {
    b.sendMessage(1, big(i));
    await new Promise((resolve) => setImmediate(resolve));
  }
  const queued = b.stats().peers[1]!.queuedMessages;
  assert.ok(queued >= atLeast, `${queued} messages wait behind a full socket`);
  return queued;
}

test('what is queued behind a connection is dropped when it is lost or replaced', async () => {
  const [p1, p2] = await freePorts(2);
  const peers = { 1: `127.0.0.1:${p1!}`, 2: `127.0.0.1:${p2!}` };
  const b = start(2, peers[2], peers);
  let a: Cluster | null = null;
  const sockets: net.Socket[] = [];
  try {
    await b.listening();
    // Lost: a fake 1 that reads nothing, then vanishes.
    sockets.push(stalledPeerOne(p2!));
    await until(() => b.connectedPeers().includes(1), 'the first fake 1 authenticated');
    const lost = await fillQueue(b, 1);
    sockets[0]!.destroy(); // in the same turn: nothing drains meanwhile
    await until(() => !b.connectedPeers().includes(1), 'the loss seen');
    assert.equal(b.stats().peers[1]!.queuedMessages, 0);
    assert.equal(b.stats().dropped.unreachable, lost);

    // Replaced: another fake 1 that reads nothing, then the real 1 connects in its place.
    sockets.push(stalledPeerOne(p2!));
    await until(() => b.connectedPeers().includes(1), 'the second fake 1 authenticated');
    // Enough that what 'drain' moves into the stalled socket while 1 starts cannot empty it.
    await fillQueue(b, 20);
    a = start(1, peers[1], peers);
    await until(() => a!.connectedPeers().includes(2), 'the real 1 connected');
    assert.equal(b.stats().peers[1]!.queuedMessages, 0);
    assert.ok(b.stats().dropped.unreachable! > lost, 'dropped when replaced');
    b.sendMessage(1, heartbeat(2, 1, 999));
    assert.deepEqual(await seqsUntil(a, 999, 'at the real 1'), [999], 'nothing queued for the old connection');
  } finally {
    for (const socket of sockets) socket.destroy();
    await a?.close();
    await b.close();
  }
});
