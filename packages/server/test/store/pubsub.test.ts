// PUBLISH in the key space and the state machine: it hands the message to the node's hook (the
// node's pub/sub, src/node/pubsub.ts) once per batch applied, never for a duplicate copy, and
// answers what the hook counts; it changes no key.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import type { KvBatch } from '../../src/store/batch.js';
import { seqOf } from '../../src/store/dedupe.js';
import { Keyspace } from '../../src/store/keyspace.js';
import { KvStateMachine } from '../../src/store/state-machine.js';
import { cmd, plain } from '../support/kv-helpers.js';
import { inMemory } from '../support/in-memory-snapshot.js';

test('PUBLISH hands channel and message (binary-safe) to the hook and answers its count', () => {
  const ks = new Keyspace();
  assert.equal(ks.applyWrite(cmd('publish ch m'), 1), 0, 'no hook: nobody receives it');
  const seen: [string, string][] = [];
  ks.events = {
    published: (channel, message) => {
      seen.push([channel, message]);
      return 7;
    },
  };
  assert.equal(ks.applyWrite(cmd(['PUBLISH', '\xff\0c', '']), 1), 7);
  assert.deepEqual(seen, [['\xff\0c', '']]);
  assert.equal(plain(ks.applyWrite(cmd('publish ch'), 1)), "-ERR wrong number of arguments for 'publish' command");
  assert.equal(ks.size, 0);
  assert.equal(seen.length, 1);
});

test('a batch of PUBLISHes applied twice (a duplicate in the log) delivers once, in order', async () => {
  const sm = new KvStateMachine({
    applied: () => undefined,
    abandoned: () => undefined,
    pending: () => [],
    restored: () => undefined,
  });
  const seen: string[] = [];
  sm.keyspace.events = { published: (_c, m) => seen.push(m) };
  const batch: KvBatch = {
    id: '1:1',
    origin: 1,
    seq: seqOf(1, 1),
    at: 1000,
    commands: [cmd('publish c 1'), cmd('set k v'), cmd('publish c 2')],
  };
  sm.applyTransition(batch, 1);
  sm.applyTransition({ ...batch }, 2);
  assert.deepEqual(seen, ['1', '2']);
  // A snapshot keeps the hook on the restored key space.
  const snapshot = await inMemory(sm.createSnapshot(2, 1));
  sm.loadNow(snapshot);
  sm.applyTransition({ id: '1:2', origin: 1, seq: seqOf(1, 2), at: 1001, commands: [cmd('publish c 3')] }, 3);
  assert.deepEqual(seen, ['1', '2', '3']);
});
