// Runs command sequences against a Keyspace and a real redis-server side by side (the bitmap and
// SORT unit tests): every reply must be the same bytes, in RESP2 and RESP3, and the key each command
// writes must get a new version exactly when Redis signals it as modified (a WATCH on it makes EXEC
// fail).
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';

import { lookupCommand } from '../../src/commands/command-table.js';
import { encodeReply } from '../../src/resp/resp-encode.js';
import { Keyspace } from '../../src/store/keyspace.js';
import { cmd } from './kv-helpers.js';
import { startRedisServer } from './redis-server.js';
import { RespClient } from './resp-client.js';

export interface RedisCase {
  readonly name: string;
  readonly commands: readonly (readonly string[])[];
}

const show = (b: Buffer): string => JSON.stringify(b.toString('latin1'));

/** `writtenKey(argv)`: the key whose WATCH signalling is compared ('' for none). */
export async function compareWithRedis(
  t: TestContext,
  cases: readonly RedisCase[],
  writtenKey: (argv: readonly string[]) => string,
): Promise<void> {
  const redis = await RespClient.connect((await startRedisServer(t)).port);
  t.after(() => redis.close());
  let index = 0;
  for (const resp3 of [false, true]) {
    for (const c of cases) {
      await redis.command('FLUSHALL');
      await redis.command('HELLO', resp3 ? '3' : '2');
      const ks = new Keyspace();
      for (const command of c.commands) {
        const argv = cmd([...command]);
        const what = `${c.name}: ${JSON.stringify(command)}${resp3 ? ' (RESP3)' : ''}`;
        const key = writtenKey(command);
        if (key !== '') await redis.command('WATCH', key);
        const expected = (await redis.command(...argv)).bytes;
        const before = ks.versionOf(key);
        ks.beginBatch(++index);
        const kind = lookupCommand(argv[0]!)?.kind;
        const reply = kind === 'read' ? ks.read(argv, Date.now()) : ks.applyWrite(argv, Date.now());
        assert.equal(show(encodeReply(reply, resp3)), show(expected), what);
        if (key !== '') {
          await redis.command('MULTI');
          await redis.command('PING');
          const exec = (await redis.command('EXEC')).bytes.toString('latin1');
          const signalled = exec.startsWith('*-1') || exec.startsWith('_');
          assert.equal(ks.versionOf(key) !== before, signalled, `${what}: a new version of '${key}'`);
        }
      }
    }
  }
}
