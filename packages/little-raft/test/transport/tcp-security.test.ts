// What a TcpCluster does with connections it should not trust: garbage, unknown or wrong ids,
// a wrong secret, oversized frames, silence, undecodable or misattributed messages. Each is
// closed, logged and counted, and the replicas keep electing and committing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as net from 'node:net';

import type { Message } from '../../src/core/types.js';
import { encodeMessage, jsonCodec, bytesCodec } from '../../src/encoding/codec.js';
import { encodeFrame, encodeMessageFrame, FrameDecoder, FrameKind } from '../../src/transport/tcp/frames.js';
import { Handshake, MAX_HANDSHAKE_FRAME_BYTES } from '../../src/transport/tcp/handshake.js';
import { TcpCluster } from '../../src/transport/tcp/index.js';
import type { Op } from '../support/replica-net.js';
import { prng } from '../support/prng.js';
import { freePorts, RecordingLogger, TcpNet, until } from '../support/tcp.js';

const SECRET = 'a shared secret of the test cluster';
const codecs = { transition: jsonCodec<Op>(), snapshot: bytesCodec };

/**
 * A raw client: connects, writes `bytes`, resolves once the server closes the connection. Every
 * caller expects the server to close; one that never does hangs the test until the runner's
 * timeout fails it (no timer of its own, which a loaded machine could fire first).
 */
function poke(port: number, bytes: Uint8Array[]): Promise<{ received: number }> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    let received = 0;
    socket.on('connect', () => {
      for (const b of bytes) socket.write(b);
    });
    socket.on('data', (d) => (received += d.length));
    socket.on('error', () => {});
    socket.on('close', () => resolve({ received }));
  });
}

function hello(from: number, to: number): Uint8Array {
  const h = new Handshake({ role: 'dialer', id: from, peerId: to, key: new Uint8Array(16) });
  return encodeFrame(h.start()[0]!);
}

/** Dials `port` as replica `id` with `secret`, completes the handshake, returns the socket. */
async function fakePeer(port: number, id: number, to: number, secret: string): Promise<net.Socket> {
  const socket = net.connect({ host: '127.0.0.1', port });
  socket.on('error', () => {});
  const handshake = new Handshake({ role: 'dialer', id, peerId: to, key: new TextEncoder().encode(secret) });
  const decoder = new FrameDecoder(MAX_HANDSHAKE_FRAME_BYTES);
  await new Promise<void>((resolve, reject) => {
    socket.on('connect', () => {
      for (const body of handshake.start()) socket.write(encodeFrame(body));
    });
    socket.on('data', (chunk) => {
      try {
        for (const body of decoder.push(chunk)) {
          for (const reply of handshake.receive(body)) socket.write(encodeFrame(reply));
          if (handshake.done) resolve();
        }
      } catch (e) {
        // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- passes on what the decoder threw
        reject(e);
      }
    });
    socket.on('close', () => reject(new Error('closed during the handshake')));
  });
  return socket;
}

function closed(socket: net.Socket): Promise<void> {
  return new Promise((resolve) => {
    if (socket.destroyed) resolve();
    else socket.on('close', () => resolve());
  });
}

test('garbage, unknown and wrong ids, a wrong secret, oversized frames and silence are rejected; the cluster goes on', async () => {
  const tcpNet = await TcpNet.create([1, 2, 3], { secret: SECRET, handshakeTimeout: 400 });
  const [impostorPort] = await freePorts(1);
  try {
    tcpNet.startAll();
    await tcpNet.waitForLeader();
    await tcpNet.propose({ id: 'before', delta: 1 });
    const port3 = Number(tcpNet.peers[3]!.split(':')[1]);
    const port2 = Number(tcpNet.peers[2]!.split(':')[1]);
    const random = prng(7);
    const garbage = Uint8Array.from({ length: 4096 }, () => Math.floor(random() * 256));

    // Each poke resolves only once the server closed that connection.
    await Promise.all([
      poke(port3, [garbage]), // oversized (or malformed) before any handshake
      poke(port3, [Uint8Array.of(0, 0, 0, 0)]), // an empty frame
      poke(port3, [Uint8Array.of(0, 0x10, 0, 0)]), // announces 1 MiB before authenticating
      poke(port3, [encodeFrame(Uint8Array.of(FrameKind.message, 1, 2, 3))]), // a message before the handshake
      poke(port3, [hello(9, 3)]), // unknown id
      poke(port3, [hello(1, 2)]), // dialed the wrong replica
      poke(port2, [hello(3, 2)]), // 3 never dials 2: the lower id dials
      poke(port3, [hello(1, 3), encodeFrame(Uint8Array.of(FrameKind.proof, ...new Uint8Array(32)))]), // no secret
      poke(port3, []), // silence: handshake timeout
    ]);

    // A whole TcpCluster with the wrong secret, posing as replica 1 (listening elsewhere).
    const impostorLog = new RecordingLogger();
    const impostor = new TcpCluster<Op, Uint8Array>({
      id: 1,
      listen: `127.0.0.1:${impostorPort!}`,
      peers: { ...tcpNet.peers, 1: `127.0.0.1:${impostorPort!}` },
      secret: 'not the secret of the test cluster',
      logger: impostorLog,
      codecs,
    });
    await until(() => (impostor.stats().rejected['bad-proof'] ?? 0) >= 2, 'the impostor fails to verify 2 and 3');
    await impostor.close();
    assert.deepEqual(impostor.connectedPeers(), []);
    assert.match(impostorLog.warnings.join('\n'), /does not prove the cluster secret/);

    const r3 = tcpNet.node(3).cluster.stats().rejected;
    const r2 = tcpNet.node(2).cluster.stats().rejected;
    assert.ok((r3['oversized-frame'] ?? 0) >= 1, JSON.stringify(r3));
    assert.equal(r3['empty-frame'], 1);
    assert.ok((r3['bad-handshake'] ?? 0) >= 1, JSON.stringify(r3));
    assert.equal(r3['unknown-peer'], 1);
    assert.equal(r3['wrong-peer'], 1);
    assert.equal(r3['bad-proof'], 1);
    assert.equal(r3['handshake-timeout'], 1);
    assert.equal(r2['unknown-peer'], 1, JSON.stringify(r2));
    assert.ok((r2['closed-during-handshake'] ?? 0) >= 1 && (r3['closed-during-handshake'] ?? 0) >= 1);
    const warnings = tcpNet.node(3).logger.warnings.join('\n');
    for (const text of [/exceeds the limit/, /claims id 9: not a configured peer/, /meant to reach 2, this is 3/]) {
      assert.match(warnings, text);
    }
    assert.match(tcpNet.node(2).logger.warnings.join('\n'), /claims id 3: not one that dials 2/);

    // The cluster is unaffected: all three still connected, committing, in one order.
    await until(
      () => tcpNet.ids.every((id) => tcpNet.node(id).cluster.connectedPeers().length === 2),
      'everyone connected',
    );
    for (let i = 0; i < 5; i++) await tcpNet.propose({ id: `after-${i}`, delta: 1 });
    await tcpNet.waitForHistory(6);
    const history = tcpNet.node(1).machine.history;
    for (const id of tcpNet.ids) assert.deepEqual(tcpNet.node(id).machine.history, history);
  } finally {
    await tcpNet.stopAll();
  }
});

test('an authenticated peer that sends an oversized, undecodable, misattributed or unknown frame is cut off', async () => {
  const [port, unused] = await freePorts(2);
  const logger = new RecordingLogger();
  const cluster = new TcpCluster<Op, Uint8Array>({
    id: 2,
    listen: `127.0.0.1:${port!}`,
    peers: { 1: `127.0.0.1:${unused!}` },
    secret: SECRET,
    logger,
    codecs,
    maxFrameBytes: 1024,
  });
  let notified = 0;
  cluster.attach({ notifyMessages: () => notified++ });
  const vote: Message<Op, Uint8Array> = {
    type: 'vote-response',
    from: 1,
    to: 2,
    term: 1,
    granted: true,
    preVote: false,
  };
  try {
    await cluster.listening();
    const attacks: [string, Uint8Array][] = [
      ['oversized-frame', Uint8Array.of(0, 0, 4, 1)], // 1025 > 1024
      ['undecodable', encodeMessageFrame(Uint8Array.of(1, 99, 0, 0, 0))],
      ['wrong-sender', encodeMessageFrame(encodeMessage({ ...vote, from: 5 }, codecs))],
      ['wrong-sender', encodeMessageFrame(encodeMessage({ ...vote, to: 3 }, codecs))],
      ['bad-frame', encodeFrame(Uint8Array.of(FrameKind.hello, 0))],
      ['bad-frame', encodeFrame(Uint8Array.of(77))],
    ];
    for (const [reason, frame] of attacks) {
      const socket = await fakePeer(port!, 1, 2, SECRET);
      const before = cluster.stats().rejected[reason as 'bad-frame'] ?? 0;
      // A good message first, in the same write: it is delivered, the bad frame cuts the connection.
      socket.write(Buffer.concat([encodeMessageFrame(encodeMessage(vote, codecs)), frame]));
      await closed(socket);
      assert.equal(cluster.stats().rejected[reason as 'bad-frame'], before + 1, reason);
    }
    assert.equal(cluster.receiveMessages().length, attacks.length);
    assert.ok(notified >= 1);

    // A frame of exactly the limit is fine; and a well-behaved peer still gets through.
    const socket = await fakePeer(port!, 1, 2, SECRET);
    const filler = 'y'.repeat(1024 - 120);
    const fits = encodeMessage<Op, Uint8Array>(
      {
        type: 'append',
        from: 1,
        to: 2,
        term: 1,
        prevLogIndex: 0,
        prevLogTerm: 0,
        leaderCommit: 0,
        seq: 1,
        entries: [{ index: 1, term: 1, transition: { id: filler, delta: 0 } }],
      },
      codecs,
    );
    const pad = 1024 - 1 - fits.length;
    assert.ok(pad >= 0 && pad < 100, `pad ${pad}`);
    const exact = encodeMessage<Op, Uint8Array>(
      {
        type: 'append',
        from: 1,
        to: 2,
        term: 1,
        prevLogIndex: 0,
        prevLogTerm: 0,
        leaderCommit: 0,
        seq: 1,
        entries: [{ index: 1, term: 1, transition: { id: filler + 'y'.repeat(pad), delta: 0 } }],
      },
      codecs,
    );
    assert.equal(exact.length + 1, 1024);
    socket.write(encodeMessageFrame(exact));
    await until(() => cluster.stats().messagesReceived === attacks.length + 1, 'the frame of exactly the limit');
    assert.equal(socket.destroyed, false);
    socket.destroy();
    const warnings = logger.warnings.join('\n');
    assert.match(warnings, /exceeds the limit of 1024/);
    assert.match(warnings, /undecodable message from peer 1/);
    assert.match(warnings, /peer 1 sent a message from 5 to 2/);
  } finally {
    await cluster.close();
  }
});

test('a frame announced larger than the handshake allows is refused before its body is read', async () => {
  const [port, unused] = await freePorts(2);
  const cluster = new TcpCluster<Op, Uint8Array>({
    id: 2,
    listen: `127.0.0.1:${port!}`,
    peers: { 1: `127.0.0.1:${unused!}` },
    secret: SECRET,
    quiet: true,
  });
  try {
    await cluster.listening();
    const header = Uint8Array.of(0, 0, 0, MAX_HANDSHAKE_FRAME_BYTES + 1);
    const r = await poke(port!, [header]);
    assert.equal(r.received, 0, 'nothing is sent to an unauthenticated client that misbehaves first');
    assert.equal(cluster.stats().rejected['oversized-frame'], 1);
  } finally {
    await cluster.close();
  }
});

test('pings keep idle connections up; a peer silent past idleTimeout is dropped; pending handshakes are capped', async () => {
  const [p1, p2, p3] = await freePorts(3);
  const peers = { 1: `127.0.0.1:${p1!}`, 2: `127.0.0.1:${p2!}` };
  const options = { peers, secret: SECRET, quiet: true, pingInterval: 50, idleTimeout: 300, codecs };
  const a = new TcpCluster<Op, Uint8Array>({ id: 1, listen: peers[1], ...options });
  const b = new TcpCluster<Op, Uint8Array>({ id: 2, listen: peers[2], ...options, maxInboxMessages: 10 });
  const lone = new TcpCluster<Op, Uint8Array>({
    id: 3,
    listen: `127.0.0.1:${p3!}`,
    peers: { 1: peers[1] },
    secret: SECRET,
    quiet: true,
    pingInterval: 50,
    idleTimeout: 300,
    maxPendingConnections: 2,
  });
  const sockets: net.Socket[] = [];
  try {
    await until(() => a.connectedPeers().includes(2) && b.connectedPeers().includes(1), 'connected');
    const authenticated = a.stats().authenticated;
    // Idle for well over idleTimeout: pings keep the connection.
    await new Promise((resolve) => setTimeout(resolve, 900));
    assert.equal(a.stats().idleTimeouts + b.stats().idleTimeouts, 0);
    assert.equal(a.stats().authenticated, authenticated, 'never reconnected');

    // An inbox nobody drains keeps the newest maxInboxMessages.
    for (let i = 0; i < 50; i++) a.sendMessage(2, { type: 'read-index', from: 1, to: 2, term: 1, requestId: i });
    await until(() => b.stats().messagesReceived === 50, '50 messages at 2');
    assert.equal(b.stats().dropped['inbox-full'], 40);
    assert.deepEqual(
      b.receiveMessages().map((m) => (m.type === 'read-index' ? m.requestId : -1)),
      [40, 41, 42, 43, 44, 45, 46, 47, 48, 49],
    );

    // A peer that authenticates, then says nothing, not even pings.
    const silent = await fakePeer(p3!, 1, 3, SECRET);
    await until(() => lone.connectedPeers().includes(1), 'the silent peer authenticated');
    await closed(silent);
    assert.equal(lone.stats().idleTimeouts, 1);
    assert.deepEqual(lone.connectedPeers(), []);

    // At most 2 connections in their handshake at once: the third is refused at once.
    for (let i = 0; i < 2; i++) {
      const s = net.connect({ host: '127.0.0.1', port: p3! });
      s.on('error', () => {});
      sockets.push(s);
    }
    await until(() => lone.stats().accepted >= 3, 'two silent connections accepted');
    await poke(p3!, []);
    assert.equal(lone.stats().rejected['too-many-pending'], 1);
  } finally {
    for (const s of sockets) s.destroy();
    await a.close();
    await b.close();
    await lone.close();
  }
});
