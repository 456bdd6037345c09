// The pub/sub commands of the command table. PUBLISH goes through the log; the others are the
// connection's (commands/subscribe.ts).

import { NO_KEYS, spec, type CommandSpec } from '../spec.js';

const SUB = 'pubsub noscript loading stale';
const PUBSUB_SLOW = '@pubsub @slow';

export const PUBSUB_COMMANDS: readonly CommandSpec[] = [
  spec('subscribe', -2, 'local', SUB, PUBSUB_SLOW),
  spec('unsubscribe', -1, 'local', SUB, PUBSUB_SLOW),
  spec('psubscribe', -2, 'local', SUB, PUBSUB_SLOW),
  spec('punsubscribe', -1, 'local', SUB, PUBSUB_SLOW),
  spec('publish', 3, 'write', 'pubsub loading stale fast', '@pubsub @fast'),
  spec('pubsub', -2, 'local', '', '@slow', NO_KEYS, [
    spec('pubsub|channels', -2, 'local', 'pubsub loading stale', PUBSUB_SLOW),
    spec('pubsub|numpat', 2, 'local', 'pubsub loading stale', PUBSUB_SLOW),
    spec('pubsub|numsub', -2, 'local', 'pubsub loading stale', PUBSUB_SLOW),
    spec('pubsub|help', 2, 'local', 'loading stale', '@slow'),
    spec('pubsub|shardchannels', -2, 'local', 'pubsub loading stale', PUBSUB_SLOW),
    spec('pubsub|shardnumsub', -2, 'local', 'pubsub loading stale', PUBSUB_SLOW),
  ]),
];
