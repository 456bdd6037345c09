// Random command streams for the differential test (test/service/differential.test.ts), which sends
// each stream to the real redis-server and to a little-raft node and compares every reply byte for
// byte (support/redis-diff.ts).
//
// One module per command family, each exporting one fc.Arbitrary<Command>: strings.ts, keys.ts,
// expire.ts, connection.ts, pubsub.ts, watch.ts, hashes.ts, sets.ts, lists.ts, zsets.ts,
// bitmaps.ts and sort.ts now. To add a family:
//   1. Write <family>.ts: an fc.oneof with one branch per command of the family, covering its
//      options (in any order and case, repeated, clashing) and a wrong-arity / wrong-syntax branch
//      (anyArgs). Take keys from common.ts's `key` pool, shared by every family, so commands of
//      different types meet on the same keys and WRONGTYPE errors come up; values from `value`,
//      `integerText`, `floatText`; expiry options only from `expiry` (at least 100 s away or long
//      past, so the moment each server runs a command cannot change what it does).
//   2. Add it to FAMILIES below (its weight: about how many commands it has), and the read of its
//      type to stateProbe() at the bottom (HGETALL, LRANGE 0 -1, SMEMBERS, ZRANGE 0 -1 WITHSCORES).
//   3. Replies whose order Redis leaves open (SMEMBERS, HGETALL, ...) or that read the clock get a
//      rule in redis-diff.ts's REPLY_RULES; a difference little-raft makes on purpose goes in its
//      DELIBERATE list, with the reason. Nothing else may differ: a bug found and not fixed at once
//      goes in KNOWN_BUGS (narrowly, with both replies), to be deleted with its fix.
//   4. Run it: node scripts/run-tests.mjs packages/server/test/service/differential.test.ts
//      (DIFF_RUNS=1000 for a longer hunt). A failure prints fast-check's shrunk stream, the first
//      difference, and the seed and path to replay it with (DIFF_SEED=... DIFF_PATH=...).
// Leave out commands whose replies depend on time, randomness or the server's identity (INFO,
// CLIENT ID, RANDOMKEY, ...) unless a rule in redis-diff.ts makes them comparable. Blocking commands
// only with short timeouts (lists.ts): a stream has no second connection to wake them.
import fc from 'fast-check';

import { bitmaps } from './bitmaps.js';
import { command, KEY_POOL, kw, type Command } from './common.js';
import { connection } from './connection.js';
import { expiry } from './expire.js';
import { hashes } from './hashes.js';
import { keyCommands } from './keys.js';
import { lists } from './lists.js';
import { sets } from './sets.js';
import { sortCommands } from './sort.js';
import { strings } from './strings.js';
import { zsets } from './zsets.js';
import { pubsub } from './pubsub.js';
import { watchCommands } from './watch.js';

export { Command } from './common.js';

/** Every family, with its weight in a stream. */
const FAMILIES: readonly { readonly weight: number; readonly arbitrary: fc.Arbitrary<Command> }[] = [
  { weight: 22, arbitrary: strings },
  { weight: 16, arbitrary: keyCommands },
  { weight: 7, arbitrary: expiry },
  { weight: 16, arbitrary: hashes },
  { weight: 17, arbitrary: sets },
  { weight: 22, arbitrary: lists },
  { weight: 2, arbitrary: connection },
  { weight: 25, arbitrary: zsets },
  { weight: 12, arbitrary: bitmaps },
  { weight: 4, arbitrary: sortCommands },
  { weight: 2, arbitrary: pubsub },
  { weight: 1, arbitrary: watchCommands },
];

/** One command of any family. */
const anyCommand: fc.Arbitrary<Command> = fc.oneof(...FAMILIES);

/** MULTI, a few commands, then EXEC or DISCARD. */
const multiExec = fc
  .tuple(kw('multi'), fc.array(anyCommand, { maxLength: 6 }), fc.oneof(kw('exec'), kw('discard')))
  .map(([multi, queued, end]) => [command(multi), ...queued, command(end)]);

/**
 * A transaction, now and then after WATCH and a few commands that may change the watched keys,
 * or with a nested MULTI inside; or a stray EXEC, DISCARD or MULTI alone (a stray MULTI queues
 * the rest of its connection's commands).
 */
const transaction: fc.Arbitrary<Command[]> = fc.oneof(
  { weight: 6, arbitrary: multiExec },
  {
    weight: 3,
    arbitrary: fc
      .tuple(watchCommands, fc.array(anyCommand, { maxLength: 3 }), multiExec)
      .map(([watch, between, tx]) => [watch, ...between, ...tx]),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.array(anyCommand, { maxLength: 2 }), fc.array(anyCommand, { maxLength: 2 }))
      .map(([before, after]) => [command('multi'), ...before, command('multi'), ...after, command('exec')]),
  },
  { weight: 1, arbitrary: fc.constantFrom('exec', 'discard', 'multi').map((c) => [command(c)]) },
);

/** A stream of commands, pipelined as one: single commands and now and then a transaction. */
export function commandStream(maxLength = 60): fc.Arbitrary<Command[]> {
  const item = fc.oneof({ weight: 14, arbitrary: anyCommand.map((c) => [c]) }, { weight: 1, arbitrary: transaction });
  // size 'medium': streams of tens of commands (the default 'small' keeps arrays to about ten).
  return fc.array(item, { minLength: 1, maxLength, size: 'medium' }).map((items) => items.flat());
}

/**
 * Commands that read back the whole key space (every key of the pool: TYPE, GET, PTTL, OBJECT
 * ENCODING; KEYS, DBSIZE),
 * sent after a stream so that state a stream left but never read is compared too. A family adds
 * the read of its own type here (HGETALL, LRANGE 0 -1, ...); on another type it is a WRONGTYPE error
 * on both sides.
 */
export function stateProbe(): Command[] {
  const probe: Command[] = [];
  for (const k of KEY_POOL) {
    probe.push(command('type', k), command('get', k), command('pttl', k), command('object', 'encoding', k));
    probe.push(command('hgetall', k), command('smembers', k));
    probe.push(command('lrange', k, '0', '-1'));
  }
  // Last: Redis counts a key whose expiry has passed until an access deletes it, as the ones above do.
  probe.push(command('keys', '*'), command('dbsize'));
  return probe;
}
