// WATCH / UNWATCH on a connection: Redis 7.0's rules (the transcripts below are redis-server 7.0.15's
// own replies to the same bytes, pipelined on one connection, in RESP2 and RESP3), and what the
// server asks of the node: WATCH takes a read barrier; a transaction with a write carries its
// watched keys in its submission; a read-only one is checked locally after one read barrier.
// The RespServer runs on a stand-in node that applies each submission at once to a real KvStateMachine.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { MAX_TRANSACTION_BYTES } from '../../src/commands/transaction.js';
import { standInServer } from '../support/stand-in-node.js';

// [commands, redis-server 7.0.15's answer], each on a fresh connection and an empty key space.
const RESP2: [string, string][] = [
  ['watch k | set k 1 | multi | get k | exec', '+OK\r\n+OK\r\n+OK\r\n+QUEUED\r\n*-1\r\n'],
  ['watch k | multi | set k 1 | exec | get k', '+OK\r\n+OK\r\n+QUEUED\r\n*1\r\n+OK\r\n$1\r\n1\r\n'],
  [
    'watch | unwatch x | watch k | multi | watch k | set k 2 | exec',
    "-ERR wrong number of arguments for 'watch' command\r\n-ERR wrong number of arguments for 'unwatch' command\r\n+OK\r\n+OK\r\n-ERR WATCH inside MULTI is not allowed\r\n+QUEUED\r\n*1\r\n+OK\r\n",
  ],
  ['watch k | unwatch | set k 1 | multi | get k | exec', '+OK\r\n+OK\r\n+OK\r\n+OK\r\n+QUEUED\r\n*1\r\n$1\r\n1\r\n'],
  ['watch k | multi | unwatch | set k 1 | exec', '+OK\r\n+OK\r\n+QUEUED\r\n+QUEUED\r\n*2\r\n+OK\r\n+OK\r\n'],
  ['watch k | set k 1 | multi | exec', '+OK\r\n+OK\r\n+OK\r\n*-1\r\n'],
  [
    'watch k | set k 1 | multi | ping | client setname x | exec | client getname',
    '+OK\r\n+OK\r\n+OK\r\n+QUEUED\r\n+QUEUED\r\n*-1\r\n$-1\r\n',
  ],
  [
    'watch k | set k 1 | multi | foo | exec | multi | get k | exec',
    "+OK\r\n+OK\r\n+OK\r\n-ERR unknown command 'foo', with args beginning with: \r\n-EXECABORT Transaction discarded because of previous errors.\r\n+OK\r\n+QUEUED\r\n*1\r\n$1\r\n1\r\n",
  ],
  [
    'watch k | set k 1 | exec x | multi | get k | exec',
    "+OK\r\n+OK\r\n-EXECABORT Transaction discarded because of: wrong number of arguments for 'exec' command\r\n+OK\r\n+QUEUED\r\n*1\r\n$1\r\n1\r\n",
  ],
  [
    'watch k | set k 1 | exec | multi | get k | exec',
    '+OK\r\n+OK\r\n-ERR EXEC without MULTI\r\n+OK\r\n+QUEUED\r\n*-1\r\n',
  ],
  [
    'watch k | set k 1 | discard | multi | get k | exec',
    '+OK\r\n+OK\r\n-ERR DISCARD without MULTI\r\n+OK\r\n+QUEUED\r\n*-1\r\n',
  ],
  [
    'watch k | set k 1 | multi | discard | multi | get k | exec',
    '+OK\r\n+OK\r\n+OK\r\n+OK\r\n+OK\r\n+QUEUED\r\n*1\r\n$1\r\n1\r\n',
  ],
  [
    'watch k | set k 1 | multi x | multi | get k | exec',
    "+OK\r\n+OK\r\n-ERR wrong number of arguments for 'multi' command\r\n+OK\r\n+QUEUED\r\n*-1\r\n",
  ],
  [
    'set k 1 | watch k | multi | incr k | exec | watch k | multi | incr k | exec',
    '+OK\r\n+OK\r\n+OK\r\n+QUEUED\r\n*1\r\n:2\r\n+OK\r\n+OK\r\n+QUEUED\r\n*1\r\n:3\r\n',
  ],
  ['watch k k k2 | set k2 x | multi | get k | exec', '+OK\r\n+OK\r\n+OK\r\n+QUEUED\r\n*-1\r\n'],
  [
    'watch k | del k | getdel k | set k2 1 | multi | get k | exec',
    '+OK\r\n:0\r\n$-1\r\n+OK\r\n+OK\r\n+QUEUED\r\n*1\r\n$-1\r\n',
  ],
  ['set k v | watch k | set k v | multi | get k | exec', '+OK\r\n+OK\r\n+OK\r\n+OK\r\n+QUEUED\r\n*-1\r\n'],
  [
    'set k v | watch k | flushdb | multi | get k | exec | watch m | flushdb | multi | get m | exec',
    '+OK\r\n+OK\r\n+OK\r\n+OK\r\n+QUEUED\r\n*-1\r\n+OK\r\n+OK\r\n+OK\r\n+QUEUED\r\n*1\r\n$-1\r\n',
  ],
  ['set k v | watch k | set k w nx | multi | get k | exec', '+OK\r\n+OK\r\n$-1\r\n+OK\r\n+QUEUED\r\n*1\r\n$1\r\nv\r\n'],
  ['watch k | multi | get k | exec', '+OK\r\n+OK\r\n+QUEUED\r\n*1\r\n$-1\r\n'],
  [
    'set k v | watch k | multi | set k w | get k | exec',
    '+OK\r\n+OK\r\n+OK\r\n+QUEUED\r\n+QUEUED\r\n*2\r\n+OK\r\n$1\r\nw\r\n',
  ],
  [
    'multi | watch | exec',
    "+OK\r\n-ERR wrong number of arguments for 'watch' command\r\n-EXECABORT Transaction discarded because of previous errors.\r\n",
  ],
  [
    'multi | unwatch x | exec',
    "+OK\r\n-ERR wrong number of arguments for 'unwatch' command\r\n-EXECABORT Transaction discarded because of previous errors.\r\n",
  ],
  [
    'watch k | unwatch | watch k2 | set k 1 | multi | get k | exec',
    '+OK\r\n+OK\r\n+OK\r\n+OK\r\n+OK\r\n+QUEUED\r\n*1\r\n$1\r\n1\r\n',
  ],
  ['unwatch | watch k | set k 1 | multi | exec', '+OK\r\n+OK\r\n+OK\r\n+OK\r\n*-1\r\n'],
  [
    'set k v | watch k | incr k | multi | get k | exec',
    '+OK\r\n+OK\r\n-ERR value is not an integer or out of range\r\n+OK\r\n+QUEUED\r\n*1\r\n$1\r\nv\r\n',
  ],
  // What counts as a change, command by command (expiry, strings, keys).
  ['set k v px 100000 | watch k | persist k | multi | get k | exec', '+OK\r\n+OK\r\n:1\r\n+OK\r\n+QUEUED\r\n*-1\r\n'],
  ['set k v | watch k | persist k | multi | get k | exec', '+OK\r\n+OK\r\n:0\r\n+OK\r\n+QUEUED\r\n*1\r\n$1\r\nv\r\n'],
  [
    'watch k | expire k 100 | pexpire k 100 | multi | get k | exec',
    '+OK\r\n:0\r\n:0\r\n+OK\r\n+QUEUED\r\n*1\r\n$-1\r\n',
  ],
  [
    'set k v | watch k | expire k 100 gt | multi | get k | exec',
    '+OK\r\n+OK\r\n:0\r\n+OK\r\n+QUEUED\r\n*1\r\n$1\r\nv\r\n',
  ],
  ['set k v | watch k | expire k 100 | multi | get k | exec', '+OK\r\n+OK\r\n:1\r\n+OK\r\n+QUEUED\r\n*-1\r\n'],
  [
    'set k v | watch k | setrange k 0 | getrange k 0 -1 | multi | get k | exec',
    "+OK\r\n+OK\r\n-ERR wrong number of arguments for 'setrange' command\r\n$1\r\nv\r\n+OK\r\n+QUEUED\r\n*1\r\n$1\r\nv\r\n",
  ],
  ['set k v | watch k | append k x | multi | get k | exec', '+OK\r\n+OK\r\n:2\r\n+OK\r\n+QUEUED\r\n*-1\r\n'],
  ['set k 1 | watch k | incrby k 0 | multi | get k | exec', '+OK\r\n+OK\r\n:1\r\n+OK\r\n+QUEUED\r\n*-1\r\n'],
  [
    'set k v | watch k | getex k | getex k persist | multi | get k | exec',
    '+OK\r\n+OK\r\n$1\r\nv\r\n$1\r\nv\r\n+OK\r\n+QUEUED\r\n*1\r\n$1\r\nv\r\n',
  ],
  [
    'set k v | watch k | msetnx k x j y | multi | get k | exec',
    '+OK\r\n+OK\r\n:0\r\n+OK\r\n+QUEUED\r\n*1\r\n$1\r\nv\r\n',
  ],
  ['set k v | watch k | setnx k x | multi | get k | exec', '+OK\r\n+OK\r\n:0\r\n+OK\r\n+QUEUED\r\n*1\r\n$1\r\nv\r\n'],
  ['set k v | watch j | rename k j | multi | get j | exec', '+OK\r\n+OK\r\n+OK\r\n+OK\r\n+QUEUED\r\n*-1\r\n'],
  ['set k v | watch k | rename k j | multi | get j | exec', '+OK\r\n+OK\r\n+OK\r\n+OK\r\n+QUEUED\r\n*-1\r\n'],
  ['set k v | watch k | copy k j | multi | get j | exec', '+OK\r\n+OK\r\n:1\r\n+OK\r\n+QUEUED\r\n*1\r\n$1\r\nv\r\n'],
  ['set k v | watch j | copy k j | multi | get j | exec', '+OK\r\n+OK\r\n:1\r\n+OK\r\n+QUEUED\r\n*-1\r\n'],
  [
    'set k v | watch k | touch k | unlink nokey | multi | get k | exec',
    '+OK\r\n+OK\r\n:1\r\n:0\r\n+OK\r\n+QUEUED\r\n*1\r\n$1\r\nv\r\n',
  ],
  ['set k v | watch k | unlink k | multi | get k | exec', '+OK\r\n+OK\r\n:1\r\n+OK\r\n+QUEUED\r\n*-1\r\n'],
  ['set k v | watch k | flushall | multi | get k | exec', '+OK\r\n+OK\r\n+OK\r\n+OK\r\n+QUEUED\r\n*-1\r\n'],
  ['watch k | flushall | multi | get k | exec', '+OK\r\n+OK\r\n+OK\r\n+QUEUED\r\n*1\r\n$-1\r\n'],
  [
    'set k v | watch k | renamenx k k | multi | get k | exec',
    '+OK\r\n+OK\r\n:0\r\n+OK\r\n+QUEUED\r\n*1\r\n$1\r\nv\r\n',
  ],
  ['set k v | watch k | rename k k | multi | get k | exec', '+OK\r\n+OK\r\n+OK\r\n+OK\r\n+QUEUED\r\n*1\r\n$1\r\nv\r\n'],
  ['set k v | watch k | setex k 100 v | multi | get k | exec', '+OK\r\n+OK\r\n+OK\r\n+OK\r\n+QUEUED\r\n*-1\r\n'],
  ['set k v | watch k | getdel k | multi | get k | exec', '+OK\r\n+OK\r\n$1\r\nv\r\n+OK\r\n+QUEUED\r\n*-1\r\n'],
  [
    'set k 1.5 | watch k | incrbyfloat k 0 | multi | get k | exec',
    '+OK\r\n+OK\r\n$3\r\n1.5\r\n+OK\r\n+QUEUED\r\n*-1\r\n',
  ],
  ['set k v | watch k | getset k v | multi | get k | exec', '+OK\r\n+OK\r\n$1\r\nv\r\n+OK\r\n+QUEUED\r\n*-1\r\n'],
  ['set k v | watch k | expire k 0 | multi | get k | exec', '+OK\r\n+OK\r\n:1\r\n+OK\r\n+QUEUED\r\n*-1\r\n'],
];

// The same in RESP3, after HELLO 3 (whose own answer is left out: it names the server).
const RESP3: [string, string][] = [
  ['watch k | set k 1 | multi | get k | exec', '+OK\r\n+OK\r\n+OK\r\n+QUEUED\r\n_\r\n'],
  [
    'watch k | set k 1 | multi | exec | multi | get k | exec',
    '+OK\r\n+OK\r\n+OK\r\n_\r\n+OK\r\n+QUEUED\r\n*1\r\n$1\r\n1\r\n',
  ],
  [
    'watch | unwatch x | multi | watch k | unwatch | exec',
    "-ERR wrong number of arguments for 'watch' command\r\n-ERR wrong number of arguments for 'unwatch' command\r\n+OK\r\n-ERR WATCH inside MULTI is not allowed\r\n+QUEUED\r\n*1\r\n+OK\r\n",
  ],
  [
    'set k v | watch k | multi | set k w | get nokey | exec',
    '+OK\r\n+OK\r\n+OK\r\n+QUEUED\r\n+QUEUED\r\n*2\r\n+OK\r\n_\r\n',
  ],
];

test("WATCH and UNWATCH answer byte for byte as redis-server 7.0's (RESP2)", async (t) => {
  for (const [script, expected] of RESP2) {
    const { send } = await standInServer(t);
    assert.equal(await send(script.split(' | ')), expected, script);
  }
});

test("WATCH and UNWATCH answer byte for byte as redis-server 7.0's (RESP3: an aborted EXEC is a null)", async (t) => {
  for (const [script, expected] of RESP3) {
    const { send } = await standInServer(t);
    const out = await send(['hello 3', ...script.split(' | ')]);
    const marker = '$7\r\nmodules\r\n*0\r\n';
    assert.equal(out.slice(out.indexOf(marker) + marker.length), expected, script);
  }
});

test('a key changed by another connection between WATCH and EXEC aborts EXEC; a key it did not touch does not', async (t) => {
  const { send, open } = await standInServer(t);
  const a = await open();
  assert.equal(await a.send(['watch k other']), '+OK\r\n');
  assert.equal(await send(['set k 1']), '+OK\r\n');
  assert.equal(await a.send(['multi', 'set mine 1', 'exec']), '+OK\r\n+QUEUED\r\n*-1\r\n');
  assert.equal(await a.send(['watch k']), '+OK\r\n');
  assert.equal(await send(['set unrelated 1']), '+OK\r\n');
  assert.equal(await a.send(['multi', 'set mine 1', 'exec']), '+OK\r\n+QUEUED\r\n*1\r\n+OK\r\n');
  // Read-only transactions too.
  assert.equal(await a.send(['watch k']), '+OK\r\n');
  assert.equal(await send(['incr k']), ':2\r\n');
  assert.equal(await a.send(['multi', 'get k', 'exec']), '+OK\r\n+QUEUED\r\n*-1\r\n');
  assert.equal(await a.send(['watch k', 'multi', 'get k', 'exec']), '+OK\r\n+OK\r\n+QUEUED\r\n*1\r\n$1\r\n2\r\n');
});

test('WATCH takes a read barrier; EXEC with a write submits its watched keys; a read-only one reads locally', async (t) => {
  const { node, send } = await standInServer(t);
  assert.equal(
    await send(['watch a b', 'watch b c', 'watch a', 'multi', 'set a 1', 'get b', 'exec']),
    '+OK\r\n+OK\r\n+OK\r\n+OK\r\n+QUEUED\r\n+QUEUED\r\n*2\r\n+OK\r\n$-1\r\n',
  );
  // WATCH a b and WATCH b c took a barrier each; WATCH a (watched already) none.
  assert.equal(node.barriers, 2);
  assert.deepEqual(node.submissions, [{ commands: ['set a 1', 'get b'], transaction: true, watches: ['a', 'b', 'c'] }]);
  assert.equal(
    await send(['watch a', 'multi', 'get a', 'ping', 'exec']),
    '+OK\r\n+OK\r\n+QUEUED\r\n+QUEUED\r\n*2\r\n$1\r\n1\r\n+PONG\r\n',
  );
  assert.equal(node.barriers, 4, "WATCH's barrier and EXEC's");
  // Nothing but connection commands, with a watch: EXEC still checks it (after a barrier).
  assert.equal(await send(['watch a', 'multi', 'ping', 'exec']), '+OK\r\n+OK\r\n+QUEUED\r\n*1\r\n+PONG\r\n');
  assert.equal(node.barriers, 6);
  // Without watches a transaction carries none.
  await send(['watch a', 'unwatch', 'multi', 'set b 1', 'exec']);
  assert.deepEqual(node.submissions.at(-1), { commands: ['set b 1'], transaction: true });
  assert.equal(node.submissions.length, 2);
});

test('the watched keys count towards the bytes a transaction may take', async (t) => {
  const { node, send } = await standInServer(t);
  const big = 'k'.repeat(MAX_TRANSACTION_BYTES / 2);
  const limit = `-ERR a transaction may watch and queue at most ${MAX_TRANSACTION_BYTES} bytes`;
  assert.equal(await send([`watch ${big}a`, `watch ${big}b`, 'unwatch']), `+OK\r\n${limit}\r\n+OK\r\n`);
  assert.equal(
    await send([`watch ${big}a`, 'multi', `set x ${big}`, 'exec']),
    '+OK\r\n+OK\r\n' +
      `-ERR a transaction may queue at most ${MAX_TRANSACTION_BYTES} bytes of commands\r\n` +
      '-EXECABORT Transaction discarded because of previous errors.\r\n',
  );
  assert.deepEqual(node.submissions, []);
});

test("a WATCH whose read barrier fails answers the error, and the connection's next EXEC nil", async (t) => {
  const { node, open } = await standInServer(t);
  const a = await open();
  node.barrierError = new Error('TRYAGAIN no leader is available; try again');
  assert.equal(await a.send(['watch k']), '-TRYAGAIN no leader is available; try again\r\n');
  node.barrierError = null;
  assert.equal(await a.send(['watch j', 'multi', 'set k 1', 'exec']), '+OK\r\n+OK\r\n+QUEUED\r\n*-1\r\n');
  assert.deepEqual(node.submissions, []);
  // EXEC forgot the watches: the next transaction runs.
  assert.equal(await a.send(['watch k', 'multi', 'set k 1', 'exec']), '+OK\r\n+OK\r\n+QUEUED\r\n*1\r\n+OK\r\n');
});
