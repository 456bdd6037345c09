// encodeMessage/decodeMessage as a byte transport between replicas: the cluster encodes
// every message on send and decodes it on receive, so every message type the replicas use
// (snapshot chunks included) crosses the wire format, and nothing is shared by reference.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { bytesCodec, decodeMessage, encodeMessage, jsonCodec, type MessageCodecs } from '../../src/encoding/codec.js';
import { ReplicaNet, type Op } from '../support/replica-net.js';

const codecs: MessageCodecs<Op, Uint8Array> = { transition: jsonCodec<Op>(), snapshot: bytesCodec };

test('replicas talking through encodeMessage/decodeMessage elect, replicate, snapshot and catch up', async () => {
  const net = new ReplicaNet({
    seed: 61,
    codecs,
    dropRate: 0.1,
    shuffle: true,
    replica: { snapshotDelta: 5, snapshotChunkBytes: 32 },
  });
  net.startAll();
  const leader = await net.waitForLeader();
  const late = net.followers(leader)[0]!;
  await net.stop(late);
  let expected = 0;
  for (let i = 1; i <= 12; i++) {
    await net.settle(net.replica(leader).propose({ id: i, delta: i * 10 }));
    expected += i * 10;
  }
  await net.restart(late);
  await net.waitForApplied();
  for (const id of net.ids) {
    assert.equal(net.machine(id).value, expected, `replica ${id}`);
    assert.deepEqual(net.machine(id).history, net.machine(leader).history);
  }
  assert.ok(net.machine(late).loaded.length > 0, 'the late follower caught up through a snapshot');

  // Every message type that went over the wire survives a round trip unchanged.
  const types = new Set<string>(net.sent.map((m) => m.type));
  for (const type of ['vote-request', 'vote-response', 'append', 'append-response', 'snapshot', 'snapshot-response']) {
    assert.ok(types.has(type), `a ${type} message crossed the wire`);
  }
  for (const m of net.sent) {
    const copy = decodeMessage(encodeMessage(m, codecs), codecs);
    if (m.type === 'snapshot' && copy.type === 'snapshot') {
      // A chunk is a view into the snapshot's bytes; compare contents, not buffers.
      assert.deepEqual({ ...copy, data: null }, { ...m, data: null });
      assert.deepEqual([...copy.data], [...(m.data as Uint8Array)]);
    } else {
      assert.deepEqual(copy, m);
    }
  }

  // Bytes that are not a valid frame never reach a replica: the transport rejects them.
  const undecodable = net.undecodable.length;
  net.inject(leader, new Uint8Array([1, 99, 0]));
  net.inject(leader, new Uint8Array([]));
  net.inject(leader, encodeMessage(net.sent[0]!, codecs).subarray(0, 3));
  await net.flush();
  assert.equal(net.undecodable.length, undecodable + 3);
  assert.equal(net.runs.get(leader)!.settled, false);

  await net.settle(net.replica(leader).propose({ id: 'last', delta: 1 }));
  await net.waitForApplied();
  for (const id of net.ids) assert.equal(net.machine(id).value, expected + 1);
  await net.stopAll();
});
