// The subscribing commands' side of a connection (src/commands/subscribe.ts): confirmations and
// their counts as the commands are read, the node's registry changed only when each answer is
// made, the subscribed RESP2 rules, and PUBSUB's replies.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  isSubscribed,
  pubsubReply,
  refusedWhenSubscribed,
  subscriptionCommand,
  type ClientSubscriptions,
  type SubscribeHost,
  type SubscriberConnection,
  type SubscriptionCommand,
} from '../../src/commands/subscribe.js';
import { PubSub } from '../../src/node/pubsub.js';
import type { Classified } from '../../src/resp/classified.js';
import { encodeReply } from '../../src/resp/resp-encode.js';
import type { Reply } from '../../src/resp/reply.js';
import { cmd, plain } from '../support/kv-helpers.js';

class Conn implements SubscriberConnection {
  subscriptions: ClientSubscriptions | null = null;
  resp3 = false;
  resp3Read = false;
  received = '';
  closed = false;
  pushRaw(bytes: Uint8Array): void {
    this.received += Buffer.from(bytes).toString('latin1');
  }
  close(): void {
    this.closed = true;
  }
}

function host(): SubscribeHost & { barriers: number } {
  const pubsub = new PubSub({ peers: [], send: () => undefined, warn: () => undefined });
  const h = {
    pubsub,
    barriers: 0,
    readBarrier: () => {
      h.barriers++;
      return Promise.reject(new Error('TRYAGAIN no leader')); // subscribes all the same
    },
  };
  return h;
}

function run(conn: Conn, h: SubscribeHost, line: string): Classified {
  const argv = cmd(line);
  return subscriptionCommand(conn, line.split(' ')[0]!.toLowerCase() as SubscriptionCommand, argv, h, false);
}

/** The answer of a classified command once its turn comes, encoded in RESP2. */
async function answer(c: Classified): Promise<string> {
  let reply: Reply;
  if (c.kind === 'exec') reply = c.answer(await c.run()) as Reply;
  else if (c.kind === 'late') reply = c.answer();
  else if (c.kind === 'reply') reply = c.reply;
  else throw new Error(`unexpected ${c.kind}`);
  return encodeReply(reply).toString('latin1');
}

test('counts follow the commands as read; delivery starts and stops when each answer is made', async () => {
  const conn = new Conn();
  const h = host();
  const sub = run(conn, h, 'subscribe a b a');
  const psub = run(conn, h, 'psubscribe a*');
  const unsub = run(conn, h, 'unsubscribe a nope');
  assert.equal(conn.subscriptions!.count, 2, 'b and a* left, as read');
  assert.ok(isSubscribed(conn));
  assert.equal(h.pubsub.published('a', 'early'), 0, 'nothing answered yet: nothing delivered');

  assert.equal(
    await answer(sub),
    '*3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:1\r\n*3\r\n$9\r\nsubscribe\r\n$1\r\nb\r\n:2\r\n*3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:2\r\n',
  );
  assert.equal(h.barriers, 1, 'SUBSCRIBE waited for a read barrier (and went on when it failed)');
  assert.equal(h.pubsub.published('a', 'm1'), 1);
  await answer(psub);
  assert.equal(h.pubsub.published('a', 'm2'), 2, 'by channel and by pattern');
  assert.equal(
    await answer(unsub),
    '*3\r\n$11\r\nunsubscribe\r\n$1\r\na\r\n:2\r\n*3\r\n$11\r\nunsubscribe\r\n$4\r\nnope\r\n:2\r\n',
  );
  assert.equal(h.pubsub.published('a', 'm3'), 1, 'by pattern only');
  assert.equal(
    conn.received,
    '*3\r\n$7\r\nmessage\r\n$1\r\na\r\n$2\r\nm1\r\n' +
      '*3\r\n$7\r\nmessage\r\n$1\r\na\r\n$2\r\nm2\r\n*4\r\n$8\r\npmessage\r\n$2\r\na*\r\n$1\r\na\r\n$2\r\nm2\r\n' +
      '*4\r\n$8\r\npmessage\r\n$2\r\na*\r\n$1\r\na\r\n$2\r\nm3\r\n',
  );

  // With no names: every one of the kind, in the order subscribed; then one frame with nil.
  assert.equal(await answer(run(conn, h, 'punsubscribe')), '*3\r\n$12\r\npunsubscribe\r\n$2\r\na*\r\n:1\r\n');
  assert.equal(await answer(run(conn, h, 'unsubscribe')), '*3\r\n$11\r\nunsubscribe\r\n$1\r\nb\r\n:0\r\n');
  assert.equal(await answer(run(conn, h, 'unsubscribe')), '*3\r\n$11\r\nunsubscribe\r\n$-1\r\n:0\r\n');
  assert.ok(!isSubscribed(conn));
  assert.deepEqual(h.pubsub.channels(null), []);
});

test('inside EXEC the subscription takes effect at once', () => {
  const conn = new Conn();
  const h = host();
  const c = subscriptionCommand(conn, 'subscribe', cmd('subscribe x'), h, true);
  assert.equal(c.kind, 'reply');
  assert.equal(h.barriers, 0);
  assert.equal(h.pubsub.numsub('x'), 1);
});

test("the subscribed RESP2 connection's rules", async () => {
  const conn = new Conn();
  const h = host();
  const refused = (line: string): unknown => {
    const r = refusedWhenSubscribed(conn, cmd(line));
    return r === null ? null : plain(r);
  };
  assert.equal(refused('get k'), null, 'not subscribed');
  await answer(run(conn, h, 'psubscribe p'));
  const text = 'only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context';
  assert.equal(refused('get k'), `-ERR Can't execute 'get': ${text}`);
  assert.equal(refused('CLIENT id'), `-ERR Can't execute 'client|id': ${text}`);
  for (const ok of ['ping', 'PING x', 'subscribe a', 'unsubscribe', 'psubscribe a', 'punsubscribe', 'quit', 'reset']) {
    assert.equal(refused(ok), null, ok);
  }
  assert.equal(refused('nosuch'), null, 'an unknown command gets its own error');
  assert.equal(refused('get'), null, 'a wrong arity gets its own error');
  assert.equal(refused('client nosuch'), null, 'an unknown subcommand gets its own error');
  conn.resp3Read = true;
  assert.equal(refused('get k'), null, 'RESP3 runs anything');
});

test('PUBSUB replies', () => {
  const h = host();
  const conn = new Conn();
  subscriptionCommand(conn, 'subscribe', cmd('subscribe a ab b'), h, true);
  subscriptionCommand(conn, 'psubscribe', cmd('psubscribe x y'), h, true);
  const reply = (line: string): unknown => plain(pubsubReply(cmd(line), h.pubsub));
  assert.deepEqual(reply('pubsub channels'), ['a', 'ab', 'b']);
  assert.deepEqual(reply('PUBSUB CHANNELS a*'), ['a', 'ab']);
  assert.deepEqual(reply('pubsub numsub a zz'), ['a', 1, 'zz', 0]);
  assert.deepEqual(reply('pubsub numsub'), []);
  assert.equal(reply('pubsub numpat'), 2);
  assert.deepEqual(reply('pubsub shardchannels'), []);
  assert.deepEqual(reply('pubsub shardnumsub a'), ['a', 0]);
  assert.equal(
    reply('pubsub Channels a b'),
    "-ERR unknown subcommand or wrong number of arguments for 'Channels'. Try PUBSUB HELP.",
  );
  assert.equal(reply('pubsub nope'), "-ERR unknown subcommand 'nope'. Try PUBSUB HELP.");
  assert.equal((reply('pubsub help') as unknown[]).length, 14);
});
