// KvNode internals that the end-to-end tests cannot reach: a one-node KvNode in this process.
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';

import { pino } from 'pino';

import type { KvBatch } from '../../src/kv/batch.js';
import { BATCHES_PER_INCARNATION, seqOf } from '../../src/kv/dedupe.js';
import { KvNode } from '../../src/kv/node.js';
import { coreOf, type Replica } from '../../src/replica.js';
import { freePorts, sleep, until } from '../support/tcp.js';
import { tempDir } from '../support/temp-dir.js';
import { cmd, plain } from './helpers.js';

const silent = pino({ level: 'silent' });

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
    dataDir: tempDir(t),
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
  const internals = node as unknown as { propose(b: KvBatch): void; replica: Replica<KvBatch, Uint8Array> };
  const core = coreOf(internals.replica)!;
  const batch: KvBatch = {
    id: `1:${seqOf(node.identity!.incarnation, 1000)}`,
    origin: 1,
    seq: seqOf(node.identity!.incarnation, 1000),
    at: 0,
    commands: [cmd('set k v px 100000')],
  };
  // A leader re-proposes its own batch when its fate is unknown (onAbandoned, onLeaderChange):
  // the first copy may still be in the log, here and, already sent, on followers.
  internals.propose(batch);
  await until(
    () => core.log.lastIndex >= 2 && core.log.entry(core.log.lastIndex).transition?.id === batch.id,
    'logged',
  );
  const index = core.log.lastIndex;
  const stamped = core.log.entry(index).transition!.at;
  await sleep(5);
  internals.propose(batch);
  await until(() => core.log.lastIndex > index, 'logged again');
  assert.equal(core.log.entry(index).transition!.at, stamped, 'the logged copy keeps the time it was proposed with');
});

test('a node that has numbered all its batches refuses writes instead of reusing seqs', async (t) => {
  const node = await leadingNode(t);
  assert.deepEqual((await node.submitWrites([cmd('set k 1')])).map(plain), ['+OK']);
  (node as unknown as { counter: number }).counter = BATCHES_PER_INCARNATION;
  await assert.rejects(node.submitWrites([cmd('set k 2')]), /restart it to continue/);
  await node.readBarrier();
  assert.equal(Buffer.from(node.read(cmd('get k')) as Uint8Array).toString(), '1');
});
