// TcpCluster over real loopback TCP: options, message exchange and batching, three Replicas
// electing and replicating, a peer going down and coming back, the bounded first send queue.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as net from 'node:net';

import type { Message } from '../../src/core/types.js';
import { TcpCluster } from '../../src/transport/tcp/index.js';
import type { Op } from '../support/replica-net.js';
import { freePorts, RecordingLogger, sleep, TcpNet, until } from '../support/tcp.js';

const SECRET = 'a shared secret of the test cluster';
type Msg = Message<Op, Uint8Array>;

function append(
  from: number,
  to: number,
  seq: number,
  ops: Op[] = [],
  prevLogIndex = 7,
): Extract<Msg, { type: 'append' }> {
  return {
    type: 'append',
    from,
    to,
    term: 3,
    prevLogIndex,
    prevLogTerm: 2,
    leaderCommit: 5,
    seq,
    entries: ops.map((transition, i) => ({ index: prevLogIndex + 1 + i, term: 3, transition })),
  };
}

test('construction: authentication is required unless insecure is explicit; options are checked', () => {
  const base = { id: 1, listen: '127.0.0.1:0', peers: { 2: '127.0.0.1:1' } };
  assert.throws(() => new TcpCluster(base), /no authentication configured.*secret.*tls.*insecure: true/s);
  assert.throws(() => new TcpCluster({ ...base, secret: 'short' }), /secret must be at least 16 bytes/);
  assert.throws(() => new TcpCluster({ ...base, secret: SECRET, listen: 'nowhere' }), /not a 'host:port'/);
  assert.throws(() => new TcpCluster({ ...base, secret: SECRET, peers: { 2: '127.0.0.1:0' } }), /port 1-65535/);
  const badPeers = { x: '127.0.0.1:1' } as unknown as Record<number, string>;
  assert.throws(() => new TcpCluster({ ...base, secret: SECRET, peers: badPeers }), /peer id 'x'/);
  assert.throws(() => new TcpCluster({ ...base, tls: { key: '', cert: 'c', ca: 'a' } }), /tls needs key, cert and ca/);
});

test('two clusters: messages cross in order, batched, the listener is notified, close() halts', async () => {
  const [p1, p2] = await freePorts(2);
  const peers = { 1: `127.0.0.1:${p1!}`, 2: `127.0.0.1:${p2!}` };
  const logs = [new RecordingLogger(), new RecordingLogger()];
  const a = new TcpCluster<Op, Uint8Array>({ id: 1, listen: peers[1], peers, secret: SECRET, logger: logs[0] });
  const b = new TcpCluster<Op, Uint8Array>({ id: 2, listen: peers[2], peers, secret: SECRET, logger: logs[1] });
  let notified = 0;
  b.attach({ notifyMessages: () => notified++ });
  try {
    assert.deepEqual(await a.listening(), { host: '127.0.0.1', port: p1 });
    await until(() => a.connectedPeers().includes(2) && b.connectedPeers().includes(1), 'connected');
    assert.equal(a.halt(), false);

    // 500 messages in one turn go out together: far fewer reads than messages on the other side.
    const sent: Msg[] = [];
    // Each one the next entry (the same entries twice would go the second time without them).
    for (let i = 0; i < 500; i++) sent.push(append(1, 2, i, [{ id: `op-${i}`, delta: i }], 7 + i));
    for (const m of sent) a.sendMessage(2, m);
    const got: Msg[] = [];
    await until(() => {
      got.push(...b.receiveMessages());
      return got.length >= 500;
    }, '500 messages at 2');
    assert.deepEqual(got, sent);
    assert.ok(notified >= 1 && notified < 500, `notified ${notified} times for 500 messages`);

    // And back, over the same (single) connection.
    b.sendMessage(1, { type: 'vote-response', from: 2, to: 1, term: 4, granted: true, preVote: false });
    await until(() => a.stats().messagesReceived === 1, 'the answer at 1');
    assert.deepEqual(a.receiveMessages(), [
      { type: 'vote-response', from: 2, to: 1, term: 4, granted: true, preVote: false },
    ]);
    const sa = a.stats();
    const sb = b.stats();
    assert.equal(sa.dialed, 1, 'the lower id dialed once');
    assert.equal(sb.dialed, 0, 'the higher id never dials');
    assert.equal(sb.accepted, 1);
    assert.equal(sa.authenticated + sb.authenticated, 2);
    assert.deepEqual(sa.rejected, {});
    assert.deepEqual(sb.rejected, {});
    assert.equal(sa.messagesSent, 500);

    // Messages for unknown peers and unencodable ones are dropped, counted, logged once.
    a.sendMessage(9, append(1, 9, 0));
    a.sendMessage(2, append(1, 2, 0, [{ id: 1, delta: 1n as unknown as number }], 1000));
    assert.deepEqual(a.stats().dropped, { 'unknown-peer': 1, 'encode-error': 1 });
    assert.equal(logs[0]!.warnings.length, 2, logs[0]!.warnings.join('\n'));
  } finally {
    await a.close();
    await b.close();
  }
  assert.equal(a.halt(), true);
  a.sendMessage(2, append(1, 2, 0));
  assert.equal(a.stats().dropped.closed, 1);
});

test('close() right after construction, before the listener is bound, still stops it listening', async () => {
  const [port] = await freePorts(1);
  const a = new TcpCluster<Op, Uint8Array>({ id: 1, listen: `127.0.0.1:${port!}`, peers: {}, secret: SECRET });
  await a.close();
  const refused = await new Promise<boolean>((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port: port! });
    socket.on('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.on('error', () => resolve(true));
  });
  assert.equal(refused, true, 'nothing listens on the port');
});

test('three Replicas over loopback TCP elect a leader and replicate in one order', async () => {
  const net = await TcpNet.create([1, 2, 3]);
  try {
    net.startAll();
    const leader = await net.waitForLeader();
    for (let i = 1; i <= 20; i++) await net.propose({ id: i, delta: i });
    await net.waitForHistory(20);
    const history = net.node(leader).machine.history;
    for (const id of net.ids) {
      assert.deepEqual(net.node(id).machine.history, history, `replica ${id}`);
      assert.equal(net.node(id).machine.value, 210);
      assert.deepEqual(net.node(id).cluster.stats().rejected, {});
      assert.equal(net.node(id).cluster.leaderId, leader, 'registerLeader reached the cluster');
    }
  } finally {
    await net.stopAll();
  }
});

test('a peer that goes down and comes back is reconnected and catches up', async () => {
  const net = await TcpNet.create([1, 2, 3], { secret: SECRET, reconnectDelay: { min: 20, max: 200 } });
  try {
    net.startAll();
    const leader = await net.waitForLeader();
    await net.propose({ id: 'before', delta: 1 });
    // Each follower in turn: with ids 1-3 one of them is dialed by a lower id (and is redialed)
    // and one dials a higher id (and dials again when it restarts).
    for (const victim of net.ids.filter((id) => id !== leader)) {
      await net.stop(victim);
      const others = net.ids.filter((id) => id !== victim);
      await until(
        () => others.every((id) => !net.node(id).cluster.connectedPeers().includes(victim)),
        `${victim} seen as disconnected`,
      );
      await net.propose({ id: `while-${victim}-down`, delta: 1 });
      await sleep(100); // let redials fail against the closed port
      net.start(victim);
      await until(
        () => others.every((id) => net.node(id).cluster.connectedPeers().includes(victim)),
        `${victim} reconnected`,
      );
      await net.propose({ id: `after-${victim}`, delta: 1 });
    }
    await net.waitForHistory(5);
    const history = net.node(net.leader() ?? (await net.waitForLeader())).machine.history;
    for (const id of net.ids) assert.deepEqual(net.node(id).machine.history, history, `replica ${id}`);
    assert.ok(
      net.ids.some((id) => (net.node(id).cluster.stats().connectFailures ?? 0) > 0) ||
        net.ids.some((id) => net.node(id).cluster.stats().dialed > 1),
      'someone redialed',
    );
  } finally {
    await net.stopAll();
  }
});

test('before the first connection a small bounded queue keeps the newest messages; they arrive once connected', async () => {
  const [p1, p2] = await freePorts(2);
  const peers = { 1: `127.0.0.1:${p1!}`, 2: `127.0.0.1:${p2!}` };
  // 2 listens first, so that 1's first dial, in progress while everything below is sent, succeeds.
  const b = new TcpCluster<Op, Uint8Array>({ id: 2, listen: peers[2], peers, secret: SECRET, quiet: true });
  await b.listening();
  const a = new TcpCluster<Op, Uint8Array>({
    id: 1,
    listen: peers[1],
    peers,
    secret: SECRET,
    quiet: true,
    maxQueuedMessages: 100,
    maxQueuedBytes: 64 * 1024,
  });
  try {
    // The dialer's side: the configured bound (100, below the first queue's 256) in messages...
    for (let i = 0; i < 10000; i++) a.sendMessage(2, append(1, 2, i));
    let s = a.stats();
    assert.equal(s.peers[2]!.queuedMessages, 100);
    assert.equal(s.dropped['queue-full'], 9900);
    // ... and in bytes: big messages.
    const big: Op[] = [{ id: 'x'.repeat(10000), delta: 0 }];
    for (let i = 0; i < 50; i++) a.sendMessage(2, append(1, 2, 10000 + i, big));
    s = a.stats();
    assert.ok(s.peers[2]!.queuedBytes <= 64 * 1024, `queued ${s.peers[2]!.queuedBytes} bytes`);
    assert.ok(s.peers[2]!.queuedMessages >= 6);
    // The acceptor's side, default bounds: the first queue holds 256.
    for (let i = 0; i < 1000; i++) b.sendMessage(1, append(2, 1, i));
    assert.equal(b.stats().peers[1]!.queuedMessages, 256);
    assert.equal(b.stats().dropped['queue-full'], 1000 - 256);

    const got: Msg[] = [];
    await until(() => {
      got.push(...b.receiveMessages());
      return got.length === s.peers[2]!.queuedMessages;
    }, 'the queue flushed to 2');
    // The newest survived: in order, ending with the last one sent.
    const seqs = got.map((m) => (m.type === 'append' ? m.seq : -1));
    assert.deepEqual(
      seqs,
      [...seqs].sort((x, y) => x - y),
    );
    assert.equal(seqs.at(-1), 10049);
    const back: Msg[] = [];
    await until(() => {
      back.push(...a.receiveMessages());
      return back.length === 256;
    }, "2's first queue at 1");
    assert.deepEqual(
      back.map((m) => (m.type === 'append' ? m.seq : -1)),
      Array.from({ length: 256 }, (_, i) => 1000 - 256 + i),
    );
    assert.equal(a.stats().peers[2]!.queuedMessages, 0);
    assert.equal(a.stats().dropped.unreachable, undefined);
  } finally {
    await a.close();
    await b.close();
  }
});

test('entries sent on a connection less than a second before go again without them, until the peer rejects an append', async () => {
  const [p1, p2] = await freePorts(2);
  const peers = { 1: `127.0.0.1:${p1!}`, 2: `127.0.0.1:${p2!}` };
  const a = new TcpCluster<Op, Uint8Array>({ id: 1, listen: peers[1], peers, secret: SECRET, quiet: true });
  const b = new TcpCluster<Op, Uint8Array>({ id: 2, listen: peers[2], peers, secret: SECRET, quiet: true });
  const got: Msg[] = [];
  const receive = async (n: number): Promise<void> => {
    await until(() => {
      got.push(...b.receiveMessages());
      return got.length >= n;
    }, `${n} messages at 2`);
  };
  const op = (i: number): Op => ({ id: `op-${i}`, delta: i });
  try {
    await until(() => a.connectedPeers().includes(2) && b.connectedPeers().includes(1), 'connected');
    a.sendMessage(2, append(1, 2, 1, [op(1), op(2)])); // entries 8 and 9
    a.sendMessage(2, append(1, 2, 2, [op(3)], 9)); // entry 10: the noted entries grow to 8..10
    a.sendMessage(2, append(1, 2, 3, [op(1), op(2), op(3)])); // 8..10 again
    a.sendMessage(2, { ...append(1, 2, 4, [op(1)]), term: 4 }); // another term: sent
    await receive(4);
    assert.deepEqual(got[2], { ...append(1, 2, 3), leaderCommit: 5 });
    assert.equal((got[3] as { entries: unknown[] }).entries.length, 1);
    assert.equal(a.stats().entriesNotResent, 3);
    // A rejection from the peer: its log is not what was sent; entries go again.
    a.sendMessage(2, { ...append(1, 2, 5, [op(1)]), term: 4 });
    await receive(5);
    assert.deepEqual((got[4] as { entries: unknown[] }).entries, [], 'noted at term 4');
    b.sendMessage(1, {
      type: 'append-response',
      from: 2,
      to: 1,
      term: 4,
      success: false,
      index: 7,
      hintIndex: 6,
      hintTerm: 2,
      seq: 5,
    });
    await until(() => a.receiveMessages().length === 1, 'the rejection at 1');
    a.sendMessage(2, { ...append(1, 2, 6, [op(1)]), term: 4 });
    await receive(6);
    assert.equal((got[5] as { entries: unknown[] }).entries.length, 1, 'sent again after the rejection');
    // The commit index of a message without its entries never passes what the peer holds.
    a.sendMessage(2, { ...append(1, 2, 7, [op(1)]), term: 4, leaderCommit: 8 });
    await receive(7);
    assert.equal((got[6] as { leaderCommit: number }).leaderCommit, 7);
  } finally {
    await a.close();
    await b.close();
  }
});

test('application payloads: sendApp reaches onAppMessage in order, tagged with the authenticated sender', async () => {
  const [p1, p2] = await freePorts(2);
  const peers = { 1: `127.0.0.1:${p1!}`, 2: `127.0.0.1:${p2!}` };
  const got: [number, number[]][] = [];
  // A big payload goes as its own piece after its frame's head, not copied into the frame, and to the
  // socket a part at a time (Connection.writeRest); what follows it comes after it.
  const big = Uint8Array.from({ length: 1_500_000 }, (_, i) => (i * 31) & 0xff);
  let bigGot: Uint8Array | null = null;
  const a = new TcpCluster<Op, Uint8Array>({ id: 1, listen: peers[1], peers, secret: SECRET, quiet: true });
  const b = new TcpCluster<Op, Uint8Array>({
    id: 2,
    listen: peers[2],
    peers,
    secret: SECRET,
    quiet: true,
    onAppMessage: (from, payload) => {
      if (payload[0] === 99) throw new Error('the application fails on this one');
      if (payload.length === big.length) bigGot = payload.slice();
      else got.push([from, [...payload]]);
    },
  });
  try {
    await until(() => a.connectedPeers().includes(2), 'connected');
    assert.equal(a.sendApp(2, Uint8Array.of(1, 2, 3)), true);
    assert.equal(a.sendApp(2, big), true);
    assert.equal(a.sendApp(2, Uint8Array.of(99)), true);
    a.sendMessage(2, append(1, 2, 0));
    assert.equal(a.sendApp(2, Uint8Array.of()), true);
    assert.equal(a.sendApp(9, Uint8Array.of(1)), false, 'unknown peer');
    await until(() => got.length === 2 && b.stats().messagesReceived === 1, 'payloads at 2');
    assert.deepEqual(got, [
      [1, [1, 2, 3]],
      [1, []],
    ]);
    assert.deepEqual(bigGot, big);
    assert.deepEqual(b.stats().rejected, {}, 'a failing handler does not cost the connection');
    assert.deepEqual(b.connectedPeers(), [1]);
    assert.deepEqual(a.stats().dropped, { 'unknown-peer': 1 });
  } finally {
    await a.close();
    await b.close();
  }
  assert.equal(a.sendApp(2, Uint8Array.of(1)), false, 'closed');
});
