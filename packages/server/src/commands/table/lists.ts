// The list commands of the command table (Redis 7.0's COMMAND INFO). The blocking ones are writes
// flagged 'blocking': applied as their non-blocking form, the node blocks the client on nil.

import { KEYS_THEN_TIMEOUT, ONE_KEY, spec, TWO_KEYS, type CommandSpec, type Keys } from '../spec.js';

/** Keys counted by a numkeys argument (LMPOP, BLMPOP): COMMAND INFO says 0 0 0 (movablekeys). */
const MOVABLE: Keys = [0, 0, 0];

export const LIST_COMMANDS: readonly CommandSpec[] = [
  spec('lpush', -3, 'write', 'write denyoom fast', '@write @list @fast', ONE_KEY),
  spec('rpush', -3, 'write', 'write denyoom fast', '@write @list @fast', ONE_KEY),
  spec('lpushx', -3, 'write', 'write denyoom fast', '@write @list @fast', ONE_KEY),
  spec('rpushx', -3, 'write', 'write denyoom fast', '@write @list @fast', ONE_KEY),
  spec('lpop', -2, 'write', 'write fast', '@write @list @fast', ONE_KEY),
  spec('rpop', -2, 'write', 'write fast', '@write @list @fast', ONE_KEY),
  spec('llen', 2, 'read', 'readonly fast', '@read @list @fast', ONE_KEY),
  spec('lindex', 3, 'read', 'readonly', '@read @list @slow', ONE_KEY),
  spec('lset', 4, 'write', 'write denyoom', '@write @list @slow', ONE_KEY),
  spec('lrange', 4, 'read', 'readonly', '@read @list @slow', ONE_KEY),
  spec('ltrim', 4, 'write', 'write', '@write @list @slow', ONE_KEY),
  spec('lrem', 4, 'write', 'write', '@write @list @slow', ONE_KEY),
  spec('linsert', 5, 'write', 'write denyoom', '@write @list @slow', ONE_KEY),
  spec('lpos', -3, 'read', 'readonly', '@read @list @slow', ONE_KEY),
  spec('lmove', 5, 'write', 'write denyoom', '@write @list @slow', TWO_KEYS),
  spec('rpoplpush', 3, 'write', 'write denyoom', '@write @list @slow', TWO_KEYS),
  spec('lmpop', -4, 'write', 'write movablekeys', '@write @list @slow', MOVABLE),
  spec('blpop', -3, 'write', 'write noscript blocking', '@write @list @slow @blocking', KEYS_THEN_TIMEOUT),
  spec('brpop', -3, 'write', 'write noscript blocking', '@write @list @slow @blocking', KEYS_THEN_TIMEOUT),
  spec('blmove', 6, 'write', 'write denyoom noscript blocking', '@write @list @slow @blocking', TWO_KEYS),
  spec('brpoplpush', 4, 'write', 'write denyoom noscript blocking', '@write @list @slow @blocking', TWO_KEYS),
  spec('blmpop', -5, 'write', 'write blocking movablekeys', '@write @list @slow @blocking', MOVABLE),
];
