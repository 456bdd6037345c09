// CLIENT REPLY ON / OFF / SKIP silences the answers of the commands after it, in order, on a real
// connection (RespServer on the stand-in node). The expected bytes are redis-server 7.0.15's answers
// to the same commands, except where noted.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { standInServer } from '../support/stand-in-node.js';

// [commands, answer]; each script ends with replies on, so the harness's closing ECHO is answered.
const TRANSCRIPTS: [string, string][] = [
  ['client reply off | set a 1 | get a | client reply on | get a', '+OK\r\n$1\r\n1\r\n'],
  // SKIP silences itself and the next command; a SKIP that is skipped still skips the next one.
  [
    'client reply skip | set a 2 | get a | client reply skip | client reply skip | ping | get a',
    '$1\r\n2\r\n$1\r\n2\r\n',
  ],
  // SKIP while OFF changes nothing.
  ['client reply off | client reply skip | ping | client reply on | ping', '+OK\r\n+PONG\r\n'],
  // Pub/sub confirmations are pushes: sent even while OFF.
  [
    'client reply off | subscribe ch | unsubscribe ch | ping | client reply on',
    '*3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:1\r\n*3\r\n$11\r\nunsubscribe\r\n$2\r\nch\r\n:0\r\n+OK\r\n',
  ],
  [
    'client reply maybe | client reply on | client reply | client no-evict on | client no-evict maybe',
    "-ERR syntax error\r\n+OK\r\n-ERR wrong number of arguments for 'client|reply' command\r\n+OK\r\n-ERR syntax error\r\n",
  ],
  // Not Redis: inside EXEC the mode has no turn of its own, so it is refused there (Redis answers
  // "*1" and then silences the rest of EXEC's array and what follows).
  [
    'multi | client reply off | exec | ping',
    "+OK\r\n+QUEUED\r\n*1\r\n-ERR 'client|reply' cannot run in a transaction\r\n+PONG\r\n",
  ],
];

test('CLIENT REPLY: Redis 7.0 transcripts', async (t) => {
  for (const [script, expected] of TRANSCRIPTS) {
    const { send } = await standInServer(t);
    assert.equal(await send(script.split(' | ')), expected, script);
  }
});

test('CLIENT HELP lists REPLY among the subcommands', async (t) => {
  const { send } = await standInServer(t);
  const help = await send(['client help']);
  assert.match(help, /^\*\d+\r\n\+CLIENT <subcommand>/);
  assert.match(help, /\+REPLY\r\n/);
});
