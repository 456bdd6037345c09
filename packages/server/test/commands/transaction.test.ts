// MULTI / EXEC / DISCARD on a connection: Redis 7.0's queuing and flagging rules (the transcripts
// below are redis-server 7.0.15's own replies to the same bytes), and what EXEC hands the node: a
// transaction with a write is one submission of all its key-space commands, marked as one; a
// read-only one is one read barrier; the connection's other writes are never part of it.
// The RespServer runs on a stand-in node that applies each submission at once to a real KvStateMachine.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { MAX_TRANSACTION_BYTES } from '../../src/commands/transaction.js';
import { standInServer } from '../support/stand-in-node.js';

// [commands, redis-server 7.0.15's answer], each on a fresh connection and an empty key space.
const TRANSCRIPTS: [string, string][] = [
  [
    'multi | set a 1 | incr a | get a | exec | get a',
    '+OK\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n*3\r\n+OK\r\n:2\r\n$1\r\n2\r\n$1\r\n2\r\n',
  ],
  [
    'multi | set a 1 | foo | exec | get a',
    "+OK\r\n+QUEUED\r\n-ERR unknown command 'foo', with args beginning with: \r\n-EXECABORT Transaction discarded because of previous errors.\r\n$-1\r\n",
  ],
  [
    'multi | multi | set a 2 | exec | get a',
    '+OK\r\n-ERR MULTI calls can not be nested\r\n+QUEUED\r\n*1\r\n+OK\r\n$1\r\n2\r\n',
  ],
  [
    'exec | discard | exec x | discard x | multi x',
    "-ERR EXEC without MULTI\r\n-ERR DISCARD without MULTI\r\n-EXECABORT Transaction discarded because of: wrong number of arguments for 'exec' command\r\n-ERR wrong number of arguments for 'discard' command\r\n-ERR wrong number of arguments for 'multi' command\r\n",
  ],
  [
    'multi x | exec x | discard x | multi | exec x | set a 1 | exec | get a',
    "-ERR wrong number of arguments for 'multi' command\r\n-EXECABORT Transaction discarded because of: wrong number of arguments for 'exec' command\r\n-ERR wrong number of arguments for 'discard' command\r\n+OK\r\n-EXECABORT Transaction discarded because of: wrong number of arguments for 'exec' command\r\n+OK\r\n-ERR EXEC without MULTI\r\n$1\r\n1\r\n",
  ],
  [
    'multi | multi x | exec',
    "+OK\r\n-ERR wrong number of arguments for 'multi' command\r\n-EXECABORT Transaction discarded because of previous errors.\r\n",
  ],
  [
    'multi | exec x | exec',
    "+OK\r\n-EXECABORT Transaction discarded because of: wrong number of arguments for 'exec' command\r\n-ERR EXEC without MULTI\r\n",
  ],
  [
    'multi | discard x | exec',
    "+OK\r\n-ERR wrong number of arguments for 'discard' command\r\n-EXECABORT Transaction discarded because of previous errors.\r\n",
  ],
  [
    'multi | foo | exec | exec',
    "+OK\r\n-ERR unknown command 'foo', with args beginning with: \r\n-EXECABORT Transaction discarded because of previous errors.\r\n-ERR EXEC without MULTI\r\n",
  ],
  ['multi | exec', '+OK\r\n*0\r\n'],
  ['multi | discard | discard', '+OK\r\n+OK\r\n-ERR DISCARD without MULTI\r\n'],
  [
    'multi | set a x | incr a | get a | exec',
    '+OK\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n*3\r\n+OK\r\n-ERR value is not an integer or out of range\r\n$1\r\nx\r\n',
  ],
  [
    'multi | set a b nx xx | set a 5 | mset a 1 b | flushdb x | set a b ex 0 | incrby a x | exec',
    "+OK\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n*6\r\n-ERR syntax error\r\n+OK\r\n-ERR wrong number of arguments for 'mset' command\r\n-ERR syntax error\r\n-ERR invalid expire time in 'set' command\r\n-ERR value is not an integer or out of range\r\n",
  ],
  [
    'multi | set k v | get k | get | discard | get k',
    "+OK\r\n+QUEUED\r\n+QUEUED\r\n-ERR wrong number of arguments for 'get' command\r\n+OK\r\n$-1\r\n",
  ],
  [
    'multi | ping | echo hi | select 0 | client setname foo | client getname | config get maxmemory | exec | client getname',
    '+OK\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n*6\r\n+PONG\r\n$2\r\nhi\r\n+OK\r\n+OK\r\n$3\r\nfoo\r\n*2\r\n$9\r\nmaxmemory\r\n$1\r\n0\r\n$3\r\nfoo\r\n',
  ],
  [
    'multi | client foo | exec',
    "+OK\r\n-ERR unknown subcommand 'foo'. Try CLIENT HELP.\r\n-EXECABORT Transaction discarded because of previous errors.\r\n",
  ],
  [
    'multi | client setname | exec',
    "+OK\r\n-ERR wrong number of arguments for 'client|setname' command\r\n-EXECABORT Transaction discarded because of previous errors.\r\n",
  ],
  [
    'set a 1 | multi | get a | set a 2 | get a | del a | get a | exists a | incr n | incrby n 5 | getdel n | exec',
    '+OK\r\n+OK\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n*9\r\n$1\r\n1\r\n+OK\r\n$1\r\n2\r\n:1\r\n$-1\r\n:0\r\n:1\r\n:6\r\n$1\r\n6\r\n',
  ],
  [
    'multi | set a 1 px 100000 | pttl a | ttl a | type a | strlen a | append a xyz | get a | exec',
    '+OK\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n*7\r\n+OK\r\n:100000\r\n:100\r\n+string\r\n:1\r\n:4\r\n$4\r\n1xyz\r\n',
  ],
  [
    'multi | mset a 1 b 2 | mget a b c | keys * | dbsize | flushdb | dbsize | exec',
    '+OK\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n*6\r\n+OK\r\n*3\r\n$1\r\n1\r\n$1\r\n2\r\n$-1\r\n*2\r\n$1\r\na\r\n$1\r\nb\r\n:2\r\n+OK\r\n:0\r\n',
  ],
  ['multi | set a 1 | quit | exec', '+OK\r\n+QUEUED\r\n+OK\r\n'],
];

test("MULTI, EXEC, DISCARD answer byte for byte as redis-server 7.0's", async (t) => {
  for (const [script, expected] of TRANSCRIPTS) {
    const { send } = await standInServer(t);
    assert.equal(await send(script.split(' | ')), expected, script);
  }
});

test('a transaction with a write is one submission of its key-space commands, apart from the writes around it', async (t) => {
  const { node, send } = await standInServer(t);
  assert.equal(
    await send(['set x 1', 'multi', 'set a 1', 'get a', 'ping', 'incr n', 'get x', 'exec', 'set y 2', 'get a']),
    '+OK\r\n+OK\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n*5\r\n+OK\r\n$1\r\n1\r\n+PONG\r\n:1\r\n$1\r\n1\r\n+OK\r\n$1\r\n1\r\n',
  );
  assert.deepEqual(node.submissions, [
    { commands: ['set x 1'], transaction: false },
    { commands: ['set a 1', 'get a', 'incr n', 'get x'], transaction: true },
    { commands: ['set y 2'], transaction: false },
  ]);
  assert.equal(node.barriers, 1, 'only the last GET needed a read barrier');
});

test('a read-only transaction takes one read barrier; one of connection commands alone takes none', async (t) => {
  const { node, send } = await standInServer(t);
  assert.equal(
    await send(['multi', 'get a', 'exists a', 'mget a b', 'exec']),
    '+OK\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n*3\r\n$-1\r\n:0\r\n*2\r\n$-1\r\n$-1\r\n',
  );
  assert.equal(node.barriers, 1);
  assert.equal(
    await send(['multi', 'ping', 'echo x', 'exec']),
    '+OK\r\n+QUEUED\r\n+QUEUED\r\n*2\r\n+PONG\r\n$1\r\nx\r\n',
  );
  assert.equal(node.barriers, 1);
  assert.deepEqual(node.submissions, []);
});

test('a discarded or aborted transaction submits nothing', async (t) => {
  const { node, send } = await standInServer(t);
  await send(['multi', 'set a 1', 'discard', 'multi', 'set a 2', 'nosuchcommand', 'set b 1', 'exec']);
  assert.deepEqual(node.submissions, []);
  assert.equal(node.machine.keyspace.size, 0);
});

test('RESP3: EXEC answers an array with RESP3 nulls; a queued HELLO switches the elements after it', async (t) => {
  const { send } = await standInServer(t);
  const hello3 = (await send(['hello 3'])).length; // HELLO's own map, of this server's version and id
  const out = await send(['hello 3', 'multi', 'set a 1', 'get nokey', 'mget a nokey', 'exec', 'get nokey']);
  assert.equal(
    out.slice(hello3),
    '+OK\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n*3\r\n+OK\r\n_\r\n*2\r\n$1\r\n1\r\n_\r\n_\r\n',
  );
  const switched = await send([
    'multi',
    'get nokey',
    'hello 3',
    'get nokey',
    'hello',
    'hello 2',
    'get nokey',
    'exec',
    'get nokey',
  ]);
  // As Redis: a RESP2 nil, HELLO 3's map in RESP3, a RESP3 null, HELLO's map saying proto 3, HELLO 2's
  // flat array saying proto 2, RESP2 nils after.
  const map = (proto: number): string => `%7\r\n[^]*?proto\r\n:${proto}\r\n[^]*?modules\r\n\\*0\r\n`;
  const flat = `\\*14\r\n[^]*?proto\r\n:2\r\n[^]*?modules\r\n\\*0\r\n`;
  assert.match(
    switched,
    new RegExp(`^\\+OK\r\n(\\+QUEUED\r\n){6}\\*6\r\n\\$-1\r\n${map(3)}_\r\n${map(3)}${flat}\\$-1\r\n\\$-1\r\n$`),
  );
});

test('a transaction may queue at most MAX_TRANSACTION_BYTES: one more command dooms it', async (t) => {
  const { node, send } = await standInServer(t);
  const half = 'v'.repeat(MAX_TRANSACTION_BYTES / 2);
  const out = await send(['multi', `set a ${half}`, `set b ${half}`, 'set c 1', 'exec', 'exists a b c']);
  assert.equal(
    out,
    '+OK\r\n+QUEUED\r\n' +
      `-ERR a transaction may queue at most ${MAX_TRANSACTION_BYTES} bytes of commands\r\n` +
      '+QUEUED\r\n-EXECABORT Transaction discarded because of previous errors.\r\n:0\r\n',
  );
  assert.deepEqual(node.submissions, []);
});
