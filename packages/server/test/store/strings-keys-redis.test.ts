// The keys and strings commands against a Keyspace, reply for reply byte-identical to a real
// redis-server 7.0 given the same commands (test/support/strings-keys-cases.ts). Writes are also
// checked before proposal (validateWrite): an error found there must be the one Redis gives.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { lookupCommand } from '../../src/commands/command-table.js';
import { validateWrite } from '../../src/commands/write-syntax.js';
import { encodeReply } from '../../src/resp/resp-encode.js';
import { Keyspace } from '../../src/store/keyspace.js';
import { cmd } from '../support/kv-helpers.js';
import { startRedisServer } from '../support/redis-server.js';
import { RespClient } from '../support/resp-client.js';
import { CASES, type CaseCommand } from '../support/strings-keys-cases.js';

const argvOf = (c: CaseCommand): Uint8Array[] => cmd(c);
const show = (b: Buffer): string => JSON.stringify(b.toString('latin1'));

test('keys and strings: the same replies as redis-server, byte for byte', async (t) => {
  // One database, as little-raft has: COPY ... DB 1 is out of range on both sides.
  const redis = await RespClient.connect((await startRedisServer(t, ['--databases', '1'])).port);
  t.after(() => redis.close());
  for (const c of CASES) {
    await redis.command('FLUSHALL');
    await redis.command('HELLO', c.resp3 === true ? '3' : '2');
    const ks = new Keyspace();
    for (const command of c.commands) {
      const argv = argvOf(command);
      const expected = (await redis.command(...argv)).bytes;
      const now = Date.now();
      const kind = lookupCommand(argv[0]!)?.kind;
      const what = `${c.name}: ${String(command).slice(0, 80)}`;
      if (kind === 'write') {
        const early = validateWrite(argv, now);
        if (early !== null) assert.equal(show(encodeReply(early, c.resp3)), show(expected), `${what} (validateWrite)`);
      }
      const reply = kind === 'read' ? ks.read(argv, now) : ks.applyWrite(argv, now);
      assert.equal(show(encodeReply(reply, c.resp3)), show(expected), what);
    }
  }
});
