// The set commands of the command table.

import { ALL_KEYS, NO_KEYS, ONE_KEY, spec, TWO_KEYS, type CommandSpec } from '../spec.js';

const WRITE_FAST = '@write @set @fast';
const WRITE_SLOW = '@write @set @slow';
const READ_FAST = '@read @set @fast';
const READ_SLOW = '@read @set @slow';

export const SET_COMMANDS: readonly CommandSpec[] = [
  spec('sadd', -3, 'write', 'write denyoom fast', WRITE_FAST, ONE_KEY),
  spec('srem', -3, 'write', 'write fast', WRITE_FAST, ONE_KEY),
  spec('smembers', 2, 'read', 'readonly', READ_SLOW, ONE_KEY),
  spec('sismember', 3, 'read', 'readonly fast', READ_FAST, ONE_KEY),
  spec('smismember', -3, 'read', 'readonly fast', READ_FAST, ONE_KEY),
  spec('scard', 2, 'read', 'readonly fast', READ_FAST, ONE_KEY),
  spec('spop', -2, 'write', 'write fast', WRITE_FAST, ONE_KEY),
  spec('srandmember', -2, 'read', 'readonly', READ_SLOW, ONE_KEY),
  spec('smove', 4, 'write', 'write fast', WRITE_FAST, TWO_KEYS),
  spec('sinter', -2, 'read', 'readonly', READ_SLOW, ALL_KEYS),
  // Its keys follow numkeys: Redis reports 0 0 0 and the movablekeys flag.
  spec('sintercard', -3, 'read', 'readonly movablekeys', READ_SLOW, NO_KEYS),
  spec('sinterstore', -3, 'write', 'write denyoom', WRITE_SLOW, ALL_KEYS),
  spec('sunion', -2, 'read', 'readonly', READ_SLOW, ALL_KEYS),
  spec('sunionstore', -3, 'write', 'write denyoom', WRITE_SLOW, ALL_KEYS),
  spec('sdiff', -2, 'read', 'readonly', READ_SLOW, ALL_KEYS),
  spec('sdiffstore', -3, 'write', 'write denyoom', WRITE_SLOW, ALL_KEYS),
  spec('sscan', -3, 'read', 'readonly', READ_SLOW, ONE_KEY),
];
