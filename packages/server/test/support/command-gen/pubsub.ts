// Pub/sub commands a stream can compare: PUBLISH (nobody subscribes during a stream, so it answers
// 0 on both sides) and PUBSUB's subcommands, with their errors. The subscribing commands change
// the connection's mode and answer with several frames each: test/service/pubsub.test.ts compares
// those byte for byte with redis-server's.
import fc from 'fast-check';

import { anyArgs, command, key, kw, value, type Command } from './common.js';

/** Channel names and patterns: the key pool's odd names (empty, binary) and globs. */
const channel: fc.Arbitrary<string | Uint8Array> = fc.oneof(key, value);
const pattern: fc.Arbitrary<string> = fc.constantFrom('*', 'k*', '', '[a-', 'k?', '\\*');

export const pubsub: fc.Arbitrary<Command> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.tuple(kw('publish'), channel, value).map(([c, ch, m]) => command(c, ch, m)),
  },
  {
    weight: 2,
    arbitrary: fc
      .tuple(kw('pubsub'), kw('numsub'), fc.array(channel, { maxLength: 3 }))
      .map(([c, s, chs]) => command(c, s, ...chs)),
  },
  {
    weight: 2,
    arbitrary: fc
      .tuple(kw('pubsub'), fc.constantFrom('channels', 'shardchannels').chain(kw), fc.array(pattern, { maxLength: 2 }))
      .map(([c, s, ps]) => command(c, s, ...ps)),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(
        kw('pubsub'),
        fc.constantFrom('numpat', 'help', 'shardnumsub').chain(kw),
        fc.array(channel, { maxLength: 1 }),
      )
      .map(([c, s, args]) => command(c, s, ...args)),
  },
  { weight: 1, arbitrary: anyArgs(['pubsub', 'publish']) },
);
