// The sorted-set commands of the command table (arity, flags, categories and key positions as
// redis-server 7.0 reports them in COMMAND INFO). The blocking forms are writes: applied to the log
// they pop or answer nil, and the node that took them waits and proposes them again.

import { KEYS_THEN_TIMEOUT, NO_KEYS, ONE_KEY, spec, TWO_KEYS, type CommandSpec } from '../spec.js';

const W = '@write @sortedset';
const R = '@read @sortedset';

export const ZSET_COMMANDS: readonly CommandSpec[] = [
  spec('zadd', -4, 'write', 'write denyoom fast', `${W} @fast`, ONE_KEY),
  spec('zincrby', 4, 'write', 'write denyoom fast', `${W} @fast`, ONE_KEY),
  spec('zrem', -3, 'write', 'write fast', `${W} @fast`, ONE_KEY),
  spec('zcard', 2, 'read', 'readonly fast', `${R} @fast`, ONE_KEY),
  spec('zscore', 3, 'read', 'readonly fast', `${R} @fast`, ONE_KEY),
  spec('zmscore', -3, 'read', 'readonly fast', `${R} @fast`, ONE_KEY),
  spec('zrank', 3, 'read', 'readonly fast', `${R} @fast`, ONE_KEY),
  spec('zrevrank', 3, 'read', 'readonly fast', `${R} @fast`, ONE_KEY),
  spec('zcount', 4, 'read', 'readonly fast', `${R} @fast`, ONE_KEY),
  spec('zlexcount', 4, 'read', 'readonly fast', `${R} @fast`, ONE_KEY),
  spec('zrange', -4, 'read', 'readonly', `${R} @slow`, ONE_KEY),
  spec('zrevrange', -4, 'read', 'readonly', `${R} @slow`, ONE_KEY),
  spec('zrangebyscore', -4, 'read', 'readonly', `${R} @slow`, ONE_KEY),
  spec('zrevrangebyscore', -4, 'read', 'readonly', `${R} @slow`, ONE_KEY),
  spec('zrangebylex', -4, 'read', 'readonly', `${R} @slow`, ONE_KEY),
  spec('zrevrangebylex', -4, 'read', 'readonly', `${R} @slow`, ONE_KEY),
  spec('zrangestore', -5, 'write', 'write denyoom', `${W} @slow`, TWO_KEYS),
  spec('zremrangebyrank', 4, 'write', 'write', `${W} @slow`, ONE_KEY),
  spec('zremrangebyscore', 4, 'write', 'write', `${W} @slow`, ONE_KEY),
  spec('zremrangebylex', 4, 'write', 'write', `${W} @slow`, ONE_KEY),
  spec('zpopmin', -2, 'write', 'write fast', `${W} @fast`, ONE_KEY),
  spec('zpopmax', -2, 'write', 'write fast', `${W} @fast`, ONE_KEY),
  spec('zmpop', -4, 'write', 'write movablekeys', `${W} @slow`, NO_KEYS),
  spec('bzpopmin', -3, 'write', 'write noscript blocking fast', `${W} @fast @blocking`, KEYS_THEN_TIMEOUT),
  spec('bzpopmax', -3, 'write', 'write noscript blocking fast', `${W} @fast @blocking`, KEYS_THEN_TIMEOUT),
  spec('bzmpop', -5, 'write', 'write blocking movablekeys', `${W} @slow @blocking`, NO_KEYS),
  spec('zunion', -3, 'read', 'readonly movablekeys', `${R} @slow`, NO_KEYS),
  spec('zinter', -3, 'read', 'readonly movablekeys', `${R} @slow`, NO_KEYS),
  spec('zdiff', -3, 'read', 'readonly movablekeys', `${R} @slow`, NO_KEYS),
  spec('zintercard', -3, 'read', 'readonly movablekeys', `${R} @slow`, NO_KEYS),
  spec('zunionstore', -4, 'write', 'write denyoom movablekeys', `${W} @slow`, ONE_KEY),
  spec('zinterstore', -4, 'write', 'write denyoom movablekeys', `${W} @slow`, ONE_KEY),
  spec('zdiffstore', -4, 'write', 'write denyoom movablekeys', `${W} @slow`, ONE_KEY),
  spec('zrandmember', -2, 'read', 'readonly', `${R} @slow`, ONE_KEY),
  spec('zscan', -3, 'read', 'readonly', `${R} @slow`, ONE_KEY),
];
