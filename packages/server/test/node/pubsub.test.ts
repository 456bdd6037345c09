// A node's pub/sub (src/node/pubsub.ts, pubsub-gossip.ts, pubsub-messages.ts) in this process:
// delivery to local subscribers with Redis's frames, and the counts of the whole cluster from the
// tables the nodes gossip, over an in-memory network that can lose messages.
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';

import { CHANNEL, PATTERN, PubSub, type Subscriber } from '../../src/node/pubsub.js';
import {
  decodeGossip,
  encodeBeacon,
  encodeDelta,
  encodeFull,
  encodeRequest,
  isGossip,
} from '../../src/node/pubsub-messages.js';
import { encodeForward } from '../../src/node/forwarding.js';
import { until } from '../../../little-raft/test/support/tcp.js';

/** A subscriber that keeps what it is sent, as text. */
class Client implements Subscriber {
  received = '';
  closed = false;
  constructor(readonly resp3 = false) {}
  pushRaw(bytes: Uint8Array): void {
    this.received += Buffer.from(bytes).toString('latin1');
  }
  close(): void {
    this.closed = true;
  }
}

function lonePubSub(): PubSub {
  return new PubSub({ peers: [], send: () => undefined, warn: () => undefined });
}

test('delivery: channel then pattern subscribers, in their protocol, each subscription once', () => {
  const ps = lonePubSub();
  const a = new Client();
  const b = new Client(true);
  ps.subscribe(a, CHANNEL, 'news');
  ps.subscribe(a, CHANNEL, 'news'); // a second SUBSCRIBE of the same channel changes nothing
  ps.subscribe(b, CHANNEL, 'news');
  ps.subscribe(a, PATTERN, 'n*');
  ps.subscribe(b, PATTERN, 'x*');
  assert.equal(ps.published('news', 'hi'), 3, 'a by channel and by pattern, b by channel');
  assert.equal(
    a.received,
    '*3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n$2\r\nhi\r\n*4\r\n$8\r\npmessage\r\n$2\r\nn*\r\n$4\r\nnews\r\n$2\r\nhi\r\n',
  );
  assert.equal(b.received, '>3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n$2\r\nhi\r\n');
  assert.equal(ps.published('other', 'x'), 0);
  assert.equal(ps.published('xy', '\u00ff\0'), 1);
  assert.ok(b.received.endsWith('>4\r\n$8\r\npmessage\r\n$2\r\nx*\r\n$2\r\nxy\r\n$2\r\n\u00ff\0\r\n'), 'binary-safe');
  // As in Redis, the pattern '*' does not match the empty channel.
  ps.subscribe(a, PATTERN, '*');
  a.received = '';
  assert.equal(ps.published('', 'm'), 0);
  assert.equal(a.received, '');

  ps.unsubscribe(a, CHANNEL, 'news');
  ps.unsubscribe(a, CHANNEL, 'never'); // not subscribed: nothing
  assert.equal(ps.published('news', 'm'), 3, 'b by channel, a by n* and *');
  assert.deepEqual(ps.channels(null), ['news']);
  assert.equal(ps.numpat(), 3);
  ps.drop(a);
  ps.drop(a);
  assert.equal(ps.published('news', 'm'), 1);
  assert.equal(ps.numpat(), 1);
  ps.drop(b);
  assert.deepEqual(ps.channels(null), []);
  assert.equal(ps.numsub('news'), 0);
  assert.equal(ps.numpat(), 0);
});

test('disconnectAll closes every subscriber and forgets its subscriptions (a snapshot skipped messages)', () => {
  const ps = lonePubSub();
  const a = new Client();
  const b = new Client(true);
  const bystander = new Client();
  ps.subscribe(a, CHANNEL, 'news');
  ps.subscribe(b, PATTERN, 'n*');
  assert.equal(ps.disconnectAll(), 2);
  assert.deepEqual([a.closed, b.closed, bystander.closed], [true, true, false]);
  assert.equal(ps.published('news', 'after'), 0);
  assert.deepEqual([a.received, b.received], ['', '']);
  assert.equal(ps.numsub('news'), 0);
  assert.equal(ps.numpat(), 0);
  assert.equal(ps.disconnectAll(), 0);
});

/** Nodes 1..n on an in-memory network; `cut(from, to, bytes)` true drops a message. */
class Net {
  readonly nodes = new Map<number, PubSub>();
  cut: (from: number, to: number, bytes: Uint8Array) => boolean = () => false;
  warnings: string[] = [];

  constructor(
    private readonly t: TestContext,
    private readonly n: number,
  ) {
    for (let id = 1; id <= n; id++) this.start(id);
  }

  /** (Re)starts node `id`: a new PubSub, with nothing subscribed. */
  start(id: number): PubSub {
    this.nodes.get(id)?.stop();
    const peers = [...Array(this.n).keys()].map((i) => i + 1).filter((p) => p !== id);
    const ps = new PubSub({
      peers,
      send: (to, bytes) => {
        if (this.cut(id, to, bytes)) return;
        const copy = Uint8Array.from(bytes);
        setImmediate(() => this.nodes.get(to)?.onNodeMessage(id, copy));
      },
      warn: (m) => this.warnings.push(m),
      beaconMs: 50,
      flushMs: 1,
    });
    this.nodes.set(id, ps);
    ps.start();
    this.t.after(() => ps.stop());
    return ps;
  }

  node(id: number): PubSub {
    return this.nodes.get(id)!;
  }
}

test('PUBLISH counts and PUBSUB answer for the whole cluster once the tables are gossiped', async (t) => {
  const net = new Net(t, 3);
  const [c2, c3, c3b] = [new Client(), new Client(), new Client()];
  net.node(2).subscribe(c2, CHANNEL, 'a');
  net.node(3).subscribe(c3, CHANNEL, 'a');
  net.node(3).subscribe(c3b, CHANNEL, 'b');
  net.node(3).subscribe(c3b, PATTERN, 'a*');
  net.node(2).subscribe(c2, PATTERN, 'a*');
  await until(() => net.node(1).numsub('a') === 2 && net.node(1).numpat() === 1, 'node 1 counts the others');
  const one = net.node(1);
  assert.equal(one.published('a', 'm'), 4, '2 by channel, 2 by pattern, none on node 1');
  assert.equal(one.published('ab', 'm'), 2);
  assert.deepEqual(one.channels(null).sort(), ['a', 'b']);
  assert.deepEqual(one.channels('b*'), ['b']);
  // A node counts its own subscribers at once, the others' as gossiped.
  assert.equal(net.node(2).published('a', 'm'), 4);
  assert.equal(c2.received.split('message').length - 1, 2, 'node 2 delivered to its own client only');
  assert.equal(c3.received, '', 'nothing is delivered by another node');

  net.node(3).drop(c3b);
  await until(() => one.numsub('b') === 0, 'node 3 unsubscribed b');
  assert.equal(one.published('a', 'm'), 3);
  assert.deepEqual(one.channels(null), ['a']);
  assert.deepEqual(net.warnings, []);
});

test('a lost change is repaired by the next beacon', async (t) => {
  const net = new Net(t, 2);
  let lost = 0;
  net.cut = (from, to, bytes) => {
    if (bytes[0] === 12 /* delta */ && lost === 0) {
      lost++;
      return true;
    }
    return false;
  };
  const c = new Client();
  net.node(2).subscribe(c, CHANNEL, 'x');
  await until(() => lost === 1, 'the delta was dropped');
  net.node(2).subscribe(c, CHANNEL, 'y'); // a delta from a version node 1 does not have: it asks
  await until(() => net.node(1).numsub('x') === 1 && net.node(1).numsub('y') === 1, 'node 1 caught up');
});

test('a restarted node is counted anew; a silent one is forgotten, and counted again when heard', async (t) => {
  const net = new Net(t, 3);
  const c = new Client();
  net.node(2).subscribe(c, CHANNEL, 'x');
  net.node(3).subscribe(new Client(), CHANNEL, 'x');
  await until(() => net.node(1).numsub('x') === 2, 'node 1 counts both');
  const restarted = net.start(2); // a new epoch, with no subscribers
  await until(() => net.node(1).numsub('x') === 1, 'the old table of node 2 is dropped');
  restarted.subscribe(c, CHANNEL, 'x');
  await until(() => net.node(1).numsub('x') === 2, 'the new table of node 2 is counted');

  let silent = true;
  net.cut = (from) => silent && from === 3;
  await until(() => net.node(1).numsub('x') === 1, 'node 3 forgotten after its beacons stop');
  silent = false;
  await until(() => net.node(1).numsub('x') === 2, 'node 3 counted again');
});

test('gossip messages round-trip; bad ones are refused with a reason', () => {
  assert.deepEqual(decodeGossip(encodeBeacon(7, 3)), { type: 'beacon', epoch: 7, version: 3 });
  assert.deepEqual(decodeGossip(encodeRequest()), { type: 'request' });
  const entries = [
    { kind: CHANNEL, name: 'a\u00ff\0', count: 2 },
    { kind: PATTERN, name: '', count: 1 },
  ] as const;
  assert.deepEqual(decodeGossip(encodeFull(1, 2, entries)), { type: 'full', epoch: 1, version: 2, entries });
  assert.deepEqual(decodeGossip(encodeDelta(1, 2, 3, [])), {
    type: 'delta',
    epoch: 1,
    base: 2,
    version: 3,
    entries: [],
  });
  const full = encodeFull(1, 2, entries);
  assert.throws(() => decodeGossip(full.subarray(0, full.length - 1)), /truncated/);
  assert.throws(() => decodeGossip(Uint8Array.of(...full, 0)), /after the entries/);
  assert.throws(() => decodeGossip(encodeBeacon(1, 1).subarray(0, 9)), /beacon of 9 bytes/);
  const badKind = Uint8Array.from(full);
  badKind[29] = 5;
  assert.throws(() => decodeGossip(badKind), /unknown kind 5/);
  // The node tells gossip from its other messages by the first byte.
  assert.ok(isGossip(encodeRequest()));
  assert.ok(!isGossip(encodeForward({ id: '1:1', origin: 1, seq: 1, at: 0, commands: [] })));
  assert.ok(!isGossip(new Uint8Array(0)));
});

test('an undecodable gossip message is reported, not thrown; a stopped node ignores gossip', (t) => {
  const warnings: string[] = [];
  const sent: Uint8Array[] = [];
  const ps = new PubSub({ peers: [2], send: (_to, bytes) => sent.push(bytes), warn: (m) => warnings.push(m) });
  assert.equal(ps.onNodeMessage(2, encodeRequest()), true, 'gossip, even if ignored');
  assert.deepEqual(sent, [], 'not started: no answer');
  ps.start();
  assert.equal(sent.length, 1, 'a first beacon');
  ps.onNodeMessage(2, encodeRequest());
  assert.equal(decodeGossip(sent[1]!).type, 'full');
  ps.stop();
  assert.equal(ps.onNodeMessage(2, Uint8Array.of(11, 1, 2)), true);
  assert.deepEqual(warnings, [], 'stopped: not even decoded');
  ps.start();
  t.after(() => ps.stop());
  assert.equal(ps.onNodeMessage(2, Uint8Array.of(11, 1, 2)), true);
  assert.match(warnings[0]!, /undecodable pub\/sub message from node 2: pub\/sub table of 3 bytes is too short/);
});
