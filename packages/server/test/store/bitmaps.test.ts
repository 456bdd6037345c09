// The bitmap commands against a Keyspace: reply for reply byte-identical to a real redis-server 7.0
// given the same commands (test/support/bitmap-cases.ts), in RESP2 and RESP3; and where Redis
// signals a key as changed (a WATCH on it fails EXEC), the Keyspace gives the key a new version,
// and nowhere else. Then the few things checked without Redis: the deliberate size limit.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { encodeReply } from '../../src/resp/resp-encode.js';
import { lookupCommand } from '../../src/commands/command-table.js';
import { Keyspace } from '../../src/store/keyspace.js';
import { MAX_VALUE_LENGTH } from '../../src/store/families/strings.js';
import { cmd, plain } from '../support/kv-helpers.js';
import { BITMAP_CASES } from '../support/bitmap-cases.js';
import { startRedisServer } from '../support/redis-server.js';
import { RespClient } from '../support/resp-client.js';

const show = (b: Buffer): string => JSON.stringify(b.toString('latin1'));

/** The key a command writes: BITOP's destination, else the first key. */
const writtenKey = (argv: readonly string[]): string =>
  (argv[0]!.toLowerCase() === 'bitop' ? argv[2]! : argv[1]!) ?? '';

test('bitmaps: the same replies as redis-server, byte for byte, and the same keys signalled', async (t) => {
  const redis = await RespClient.connect((await startRedisServer(t)).port);
  t.after(() => redis.close());
  let index = 0;
  for (const resp3 of [false, true]) {
    for (const c of BITMAP_CASES) {
      await redis.command('FLUSHALL');
      await redis.command('HELLO', resp3 ? '3' : '2');
      const ks = new Keyspace();
      for (const command of c.commands) {
        const argv = cmd([...command]);
        const what = `${c.name}: ${JSON.stringify(command)}${resp3 ? ' (RESP3)' : ''}`;
        const key = writtenKey(command);
        // WATCH around the command: EXEC fails exactly when Redis signalled the key as modified.
        if (command.length > 1) await redis.command('WATCH', key);
        const expected = (await redis.command(...argv)).bytes;
        const kind = lookupCommand(argv[0]!)?.kind;
        const before = ks.versionOf(key);
        ks.beginBatch(++index);
        const reply = kind === 'read' ? ks.read(argv, Date.now()) : ks.applyWrite(argv, Date.now());
        assert.equal(show(encodeReply(reply, resp3)), show(expected), what);
        if (command.length > 1) {
          await redis.command('MULTI');
          await redis.command('PING');
          const exec = (await redis.command('EXEC')).bytes.toString('latin1');
          const signalled = exec.startsWith('*-1') || exec.startsWith('_');
          assert.equal(ks.versionOf(key) !== before, signalled, `${what}: a new version of '${key}'`);
        }
      }
    }
  }
});

test('bitmaps: a write past the longest string answers the proto-max-bulk-len error and changes nothing', () => {
  const ks = new Keyspace();
  const lastBit = String(MAX_VALUE_LENGTH * 8 - 1);
  const tooFar = String(MAX_VALUE_LENGTH * 8);
  const tooBig = '-ERR string exceeds maximum allowed size (proto-max-bulk-len)';
  assert.equal(plain(ks.applyWrite(cmd(`setbit k ${tooFar} 1`), 0)), tooBig);
  assert.equal(plain(ks.applyWrite(cmd(`bitfield k set u8 ${String(MAX_VALUE_LENGTH * 8 - 7)} 1`), 0)), tooBig);
  assert.equal(
    plain(ks.applyWrite(cmd(`bitfield k overflow fail incrby u2 ${String(MAX_VALUE_LENGTH * 8 - 1)} 9`), 0)),
    tooBig,
  );
  assert.equal(plain(ks.read(cmd('exists k'), 0)), 0);
  assert.equal(plain(ks.read(cmd(`getbit k ${tooFar}`), 0)), 0, 'reads past it are zeros');
  assert.deepEqual(plain(ks.read(cmd(`bitfield_ro k get u8 ${tooFar}`), 0)), [0]);
  assert.equal(plain(ks.applyWrite(cmd(`setbit k ${lastBit} 1`), 0)), 0, 'the last bit of the longest string');
  assert.equal(plain(ks.read(cmd('strlen k'), 0)), MAX_VALUE_LENGTH);
});
