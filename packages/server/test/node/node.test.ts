// KvNode internals that the end-to-end tests cannot reach: a one-node KvNode in this process.
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';

import { pino } from 'pino';

import type { KvBatch } from '../../src/store/batch.js';
import { BATCHES_PER_INCARNATION, seqOf } from '../../src/store/dedupe.js';
import { KvNode } from '../../src/node/node.js';
import { freePorts, sleep, until } from '../../../little-raft/test/support/tcp.js';
import { tempDir } from '../../../little-raft/test/support/temp-dir.js';
import { decodeNodeMessage, encodeReject } from '../../src/node/forwarding.js';
import { cmd, plain } from '../support/kv-helpers.js';

const silent = pino({ level: 'silent' });

/**
 * A data directory, removed when the process exits: a test's after-hooks run in the order they were
 * registered, so one removed after the test would go while its node (stopped by a later hook) still
 * writes there.
 */
const dataDir = (): string => tempDir();

test('read barriers that time out without a leader leave no waiters behind', async () => {
  // Never started: every read waits for a leader in 50 ms pauses, then gets TRYAGAIN.
  const node = new KvNode({
    id: 1,
    peers: { 1: '127.0.0.1:1' },
    dataDir: '/nonexistent',
    logger: silent,
    requestTimeout: 300,
  });
  await assert.rejects(node.readBarrier(), /^Error: TRYAGAIN/);
  const waiters = (node as unknown as { leaderWaiters: Set<unknown> }).leaderWaiters;
  assert.equal(waiters.size, 0, 'a waiter per pause stays queued until some leader appears');
});

/** A one-node cluster in this process, leading; stopped after `t`. */
async function leadingNode(t: TestContext): Promise<KvNode> {
  const [port] = await freePorts(1);
  const node = new KvNode({
    id: 1,
    peers: { 1: `127.0.0.1:${port}` },
    dataDir: dataDir(),
    logger: silent,
    insecure: true,
    electionTimeoutRange: [100, 200],
  });
  t.after(() => node.stop());
  await node.start();
  await until(() => node.leaderId === 1, 'leadership');
  return node;
}

test('proposing a batch again does not change the copy already in the log', async (t) => {
  const node = await leadingNode(t);
  const internals = node as unknown as { propose(b: KvBatch): void };
  const batch: KvBatch = {
    id: `1:${seqOf(node.identity!.incarnation, 1000)}`,
    origin: 1,
    seq: seqOf(node.identity!.incarnation, 1000),
    at: 0,
    commands: [cmd('set k v px 100000')],
  };
  // The copies of the batch as the log holds them, seen when applied.
  const applied: KvBatch[] = [];
  const apply = node.machine.applyTransition.bind(node.machine);
  node.machine.applyTransition = (b: KvBatch, index?: number): void => {
    if (b.id === batch.id) applied.push(b);
    apply(b, index);
  };
  // A leader re-proposes its own batch when its fate is unknown (onAbandoned, onLeaderChange):
  // the first copy may still be in the log, here and, already sent, on followers.
  internals.propose(batch);
  await until(() => applied.length === 1, 'logged and applied');
  const stamped = applied[0]!.at;
  await sleep(5);
  internals.propose(batch);
  await until(() => applied.length === 2, 'logged and applied again');
  assert.notEqual(applied[1], applied[0], 'the second proposal is a copy');
  assert.equal(applied[0]!.at, stamped, 'the logged copy keeps the time it was proposed with');
});

test('a node that has numbered all its batches refuses writes instead of reusing seqs', async (t) => {
  const node = await leadingNode(t);
  assert.deepEqual((await node.submitWrites([cmd('set k 1')])).map(plain), ['+OK']);
  (node as unknown as { counter: number }).counter = BATCHES_PER_INCARNATION;
  await assert.rejects(node.submitWrites([cmd('set k 2')]), /restart it to continue/);
  await node.readBarrier();
  assert.equal(Buffer.from(node.read(cmd('get k')) as Uint8Array).toString(), '1');
});

/** Three KvNodes in this process over loopback TCP, with a leader; stopped after `t`. */
async function threeNodes(t: TestContext): Promise<{ nodes: KvNode[]; leader: KvNode; follower: KvNode }> {
  const ports = await freePorts(3);
  const peers = Object.fromEntries(ports.map((port, i) => [i + 1, `127.0.0.1:${port}`]));
  const nodes = [1, 2, 3].map(
    (id) =>
      new KvNode({
        id,
        peers,
        dataDir: dataDir(),
        logger: silent,
        insecure: true,
        electionTimeoutRange: [150, 300],
        heartbeatTimeout: 30,
      }),
  );
  t.after(() => Promise.all(nodes.map((n) => n.stop())));
  await Promise.all(nodes.map((n) => n.start()));
  await until(() => nodes.some((n) => n.leaderId === n.id) && nodes.every((n) => n.leaderId !== null), 'a leader');
  // Each node records its addresses in the member table once, through a write: done before the
  // tests count batches and forwards.
  await until(() => nodes.every((n) => n.machine.members.size === 3), 'every node registered');
  // Pub/sub gossip rides sendApp too: off (its first exchange is long over), so the tests see forwards only.
  for (const n of nodes) n.pubsub.stop();
  const leader = nodes.find((n) => n.leaderId === n.id)!;
  const follower = nodes.find((n) => n !== leader && n.leaderId === leader.id)!;
  return { nodes, leader, follower };
}

test('a forward lost on the way to the leader is sent again, and the write applies once', async (t) => {
  const { leader, follower } = await threeNodes(t);
  const internals = follower as unknown as {
    cluster: { sendApp(to: number, bytes: Uint8Array): boolean };
    own: Map<number, { forwardedAt: number }>;
    sweep(): void;
  };
  const cluster = internals.cluster;
  const sendApp = cluster.sendApp.bind(cluster);
  let sends = 0;
  // The transport takes the first forward and loses it, as a full send queue or a broken
  // connection would: no reject comes back, and the leader stays the same.
  cluster.sendApp = (to, bytes) => (sends++ === 0 ? true : sendApp(to, bytes));
  assert.deepEqual((await follower.submitWrites([cmd('incr counter')])).map(plain), [1]);
  assert.equal(sends, 2, 'the batch went out twice: the lost forward and the resend');
  assert.equal(follower.counters.forwardsResent, 1);

  // A resend of a forward that did arrive (its answer only slow) is deduplicated, not applied twice:
  // the sweep resends at once, before the leader can have answered the first copy.
  sends = 0;
  cluster.sendApp = (to, bytes) => {
    if (sends++ === 0) {
      queueMicrotask(() => {
        for (const entry of internals.own.values()) entry.forwardedAt = 0;
        internals.sweep();
      });
    }
    return sendApp(to, bytes);
  };
  assert.deepEqual((await follower.submitWrites([cmd('incr counter')])).map(plain), [2]);
  assert.equal(sends, 2, 'both copies went to the leader');
  assert.equal(follower.counters.forwardsResent, 2);
  await leader.readBarrier();
  assert.equal(plain(leader.read(cmd('get counter'))), '2');
});

test('stopping a node tells a write sent to the leader that its outcome is unknown', async (t) => {
  const { follower } = await threeNodes(t);
  const internals = follower as unknown as {
    cluster: { sendApp(to: number, bytes: Uint8Array): boolean };
    own: Map<number, { sent: boolean }>;
  };
  internals.cluster.sendApp = () => true; // the forward vanishes: the batch stays in flight
  const write = follower.submitWrites([cmd('set k v')]);
  await until(() => [...internals.own.values()].some((e) => e.sent), 'the batch forwarded');
  await follower.stop();
  await assert.rejects(write, /^Error: TIMEOUT the node is shutting down; the write may or may not have been applied$/);
});

test('stopping a node before it started fails the writes it holds as not applied', async () => {
  const node = new KvNode({ id: 1, peers: { 1: '127.0.0.1:1' }, dataDir: '/nonexistent', logger: silent });
  const write = node.submitWrites([cmd('set k v')]);
  await node.stop();
  await assert.rejects(write, /^Error: ERR the node is shutting down$/);
});

test('writes that arrive while a batch of the node is unanswered go out together in the next one', async (t) => {
  const { follower } = await threeNodes(t);
  const internals = follower as unknown as {
    cluster: { sendApp(to: number, bytes: Uint8Array): boolean };
    own: Map<number, unknown>;
    pendingCommands: unknown[];
  };
  const sendApp = internals.cluster.sendApp.bind(internals.cluster);
  internals.cluster.sendApp = () => true; // the first forward is lost: its batch stays unanswered
  const writes = [follower.submitWrites([cmd('incr x')])];
  for (let i = 0; i < 5; i++) {
    await new Promise((resolve) => setImmediate(resolve)); // each write in an event-loop turn of its own
    writes.push(follower.submitWrites([cmd('incr x')]));
  }
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(internals.own.size, 1, 'one batch out');
  assert.equal(internals.pendingCommands.length, 5, 'the other writes wait, together');
  internals.cluster.sendApp = sendApp; // the resend gets through; then the five go as one batch
  const replies = await Promise.all(writes);
  assert.deepEqual(
    replies.map((r) => r.map(plain)),
    [[1], [2], [3], [4], [5], [6]],
  );
});

test('a write held back behind an unanswered batch keeps the deadline it arrived with', async (t) => {
  // Three members, one running: no leader, so every batch waits for one until its deadline.
  const ports = await freePorts(3);
  const peers = Object.fromEntries(ports.map((port, i) => [i + 1, `127.0.0.1:${port}`]));
  const requestTimeout = 1000;
  const node = new KvNode({ id: 1, peers, dataDir: dataDir(), logger: silent, insecure: true, requestTimeout });
  t.after(() => node.stop());
  await node.start();
  const internals = node as unknown as { own: Map<number, { deadline: number }>; pendingCommands: unknown[] };
  const first = node.submitWrites([cmd('set a 1')]);
  await sleep(300);
  const held = node.submitWrites([cmd('set b 1')]);
  const heldBy = Date.now(); // it arrived at this time or before
  const heldOutcome = held.then(
    () => 'applied',
    (e: Error) => e.message,
  );
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(internals.own.size, 1);
  assert.equal(internals.pendingCommands.length, 1, 'the second write waits behind the first batch');

  await assert.rejects(first, /^Error: TRYAGAIN/);
  await new Promise((resolve) => setImmediate(resolve)); // the held write becomes a batch now
  const batches = [...internals.own.values()];
  assert.equal(batches.length, 1, 'the held write is a batch of its own now');
  assert.ok(
    batches[0]!.deadline <= heldBy + requestTimeout,
    `its deadline is ${batches[0]!.deadline - heldBy - requestTimeout} ms later than the write's own`,
  );
  assert.match(await heldOutcome, /^TRYAGAIN/);
});

test('a forward the leader accepted is not sent again while its origin is slow to apply it', async (t) => {
  const { follower } = await threeNodes(t);
  type Applied = (batch: KvBatch, replies: unknown) => void;
  const internals = follower as unknown as {
    cluster: { sendApp(to: number, bytes: Uint8Array): boolean };
    own: Map<number, { acceptedTerm: number; forwardedAt: number }>;
    onApplied: Applied;
    sweep(): void;
  };
  const sendApp = internals.cluster.sendApp.bind(internals.cluster);
  let sends = 0;
  internals.cluster.sendApp = (to, bytes) => (sends++, sendApp(to, bytes));
  // The origin applies nothing for now: its batch stays unanswered here.
  const applied = internals.onApplied.bind(follower);
  const deferred: Parameters<Applied>[] = [];
  internals.onApplied = (...args) => void deferred.push(args);

  const write = follower.submitWrites([cmd('incr y')]);
  await until(() => [...internals.own.values()].some((e) => e.acceptedTerm >= 0), 'the leader accepting the batch');
  for (const entry of internals.own.values()) entry.forwardedAt = 0;
  internals.sweep();
  assert.equal(sends, 1, 'no resend of an accepted batch');
  assert.equal(follower.counters.forwardsResent, 0);
  // An acceptance from an earlier term no longer counts: an election may have lost the proposal.
  for (const entry of internals.own.values()) entry.acceptedTerm -= 1;
  internals.sweep();
  assert.equal(sends, 2, 'resent once its acceptance is from a past term');
  assert.equal(follower.counters.forwardsResent, 1);

  internals.onApplied = applied;
  for (const args of deferred) applied(...args);
  assert.deepEqual((await write).map(plain), [1]);
});

test('batches rejected again and again are retried less and less often, until one is accepted', async (t) => {
  const { leader, follower } = await threeNodes(t);
  const internals = follower as unknown as {
    cluster: { sendApp(to: number, bytes: Uint8Array): boolean };
    own: Map<number, unknown>;
    retryDelay: number;
    onNodeMessage(from: number, payload: Uint8Array): void;
  };
  const sendApp = internals.cluster.sendApp.bind(internals.cluster);
  const seqs: number[] = [];
  // The leader's answers are replaced by rejects naming itself: as from a node that just lost
  // leadership while this one has not heard of it yet.
  internals.cluster.sendApp = (to, bytes) => {
    const m = decodeNodeMessage(bytes);
    if (m.type === 'forward') seqs.push(m.batch.seq);
    queueMicrotask(() => internals.onNodeMessage(leader.id, encodeReject(seqs[seqs.length - 1]!, leader.id)));
    return true;
  };
  const write = follower.submitWrites([cmd('incr z')]);
  await until(() => seqs.length >= 4, 'four sends, all rejected');
  assert.ok(internals.retryDelay >= 80, `after ${seqs.length} rejects the next retry waits ${internals.retryDelay} ms`);
  internals.cluster.sendApp = sendApp; // the leader answers for real again: accepted, applied
  assert.deepEqual((await write).map(plain), [1]);
  assert.equal(internals.retryDelay, 10, 'an acceptance resets the pause');
});

test('a transaction goes into the next batch whole, as one span among the writes held with it', async (t) => {
  const { nodes, follower } = await threeNodes(t);
  const internals = follower as unknown as {
    cluster: { sendApp(to: number, bytes: Uint8Array): boolean };
    own: Map<number, unknown>;
  };
  const sendApp = internals.cluster.sendApp.bind(internals.cluster);
  internals.cluster.sendApp = () => true; // the first forward is lost: the writes after it are held
  const first = follower.submitWrites([cmd('incr n')]);
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(internals.own.size, 1);
  const before = follower.submitWrites([cmd('set x 1')]);
  const tx = follower.submitWrites([cmd('set a 1'), cmd('get a'), cmd('incr n'), cmd('get x')], true);
  const after = follower.submitWrites([cmd('set y 1')]);
  const forwarded: KvBatch[] = [];
  internals.cluster.sendApp = (to, bytes) => {
    const m = decodeNodeMessage(bytes);
    if (m.type === 'forward') forwarded.push(m.batch);
    return sendApp(to, bytes);
  };
  assert.deepEqual((await first).map(plain), [1]);
  assert.deepEqual((await before).map(plain), ['+OK']);
  assert.deepEqual((await tx).map(plain), ['+OK', '1', 2, '1']);
  assert.deepEqual((await after).map(plain), ['+OK']);
  const held = forwarded.find((b) => b.commands.length === 6)!;
  assert.deepEqual(held.transactions, [{ start: 1, count: 4 }]);
  assert.ok(
    forwarded.every((b) => b.seq === held.seq || b.transactions === undefined),
    'plain batches stay plain',
  );
  for (const node of nodes) {
    await until(() => node.machine.keyspace.size === 4, `node ${node.id} applied everything`);
    assert.deepEqual(plain(node.read(cmd('get n'))), '2');
  }
});

test('a transaction held back and given up on leaves no span behind', async () => {
  // Never started: writes are held; then they time out with TRYAGAIN.
  const node = new KvNode({ id: 1, peers: { 1: '127.0.0.1:1' }, dataDir: '/nonexistent', logger: silent });
  const internals = node as unknown as { expireHeld(now: number): void; pendingTxs: number };
  const tx = node.submitWrites([cmd('set a 1'), cmd('get a')], true);
  const plainWrite = node.submitWrites([cmd('set b 1')]);
  assert.equal(internals.pendingTxs, 1);
  internals.expireHeld(Date.now() + 60_000);
  await assert.rejects(tx, /^Error: TRYAGAIN/);
  await assert.rejects(plainWrite, /^Error: TRYAGAIN/);
  assert.equal(internals.pendingTxs, 0);
  await node.stop();
});

test("a blocked client's attempt is taken back while it waits for a batch, its neighbours unaffected", async (t) => {
  const node = await leadingNode(t);
  const internals = node as unknown as {
    submitAttempt(argv: Uint8Array[]): { reply: Promise<unknown>; cancel(): boolean };
  };
  assert.deepEqual((await node.submitWrites([cmd('rpush q a b')])).map(plain), [2]);
  // Three submissions in one turn: none is in a batch yet; the middle one is taken back.
  const before = node.submitWrites([cmd('rpush q c'), cmd('rpush q c2')]);
  const attempt = internals.submitAttempt(cmd('lpop q'));
  const after = node.submitWrites([cmd('rpush q d')]);
  assert.equal(attempt.cancel(), true);
  assert.deepEqual((await before).map(plain), [3, 4]);
  assert.deepEqual((await after).map(plain), [5]);
  assert.deepEqual(plain(node.read(cmd('lrange q 0 -1'))), ['a', 'b', 'c', 'c2', 'd'], 'the LPOP never ran');
  // Once in a batch (flushed at the end of the turn), it cannot be.
  const sent = internals.submitAttempt(cmd('lpop q'));
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(sent.cancel(), false);
  assert.deepEqual(plain((await sent.reply) as never), 'a');
});

test('a client blocked on this node is woken by an applied push', async (t) => {
  const node = await leadingNode(t);
  assert.deepEqual((await node.submitWrites([cmd('blpop q 0')])).map(plain), ['*-1']);
  const popped = node.blocked.block(7, cmd('blpop q 0'), 0);
  assert.equal(node.blocked.size, 1);
  assert.deepEqual((await node.submitWrites([cmd('rpush q x y')])).map(plain), [2]);
  assert.deepEqual(plain(await popped), ['q', 'x']);
  assert.equal(node.blocked.size, 0);
  assert.deepEqual(plain(node.read(cmd('lrange q 0 -1'))), ['y']);
});

test('a node that no member answers says so (/health reads `problem`), and stops saying it once one does', async (t) => {
  const [own, other] = (await freePorts(2)) as [number, number];
  const peers = { 1: `127.0.0.1:${own}`, 2: `127.0.0.1:${other}` };
  const options = { peers, logger: silent, insecure: true, electionTimeoutRange: [150, 300] as [number, number] };
  const lonely = new KvNode({ id: 1, dataDir: dataDir(), heartbeatTimeout: 30, ...options });
  t.after(() => lonely.stop());
  await lonely.start();
  assert.equal(lonely.problem, null, 'not at once: an election takes a while');
  await until(() => lonely.problem !== null, 'the problem reported');
  assert.match(lonely.problem!, /^no member answers: none of 2 \(127\.0\.0\.1:\d+\) accepts a connection/);
  // The other member comes up: they connect, elect a leader, and the problem is gone.
  const second = new KvNode({ id: 2, dataDir: dataDir(), heartbeatTimeout: 30, ...options });
  t.after(() => second.stop());
  await second.start();
  await until(() => lonely.problem === null && lonely.leaderId !== null, 'the problem cleared');
});
