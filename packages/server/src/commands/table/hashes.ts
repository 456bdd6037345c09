// The hash commands of the command table.

import { ONE_KEY, spec, type CommandSpec } from '../spec.js';

const WRITE_FAST = '@write @hash @fast';
const READ_FAST = '@read @hash @fast';
const READ_SLOW = '@read @hash @slow';

export const HASH_COMMANDS: readonly CommandSpec[] = [
  spec('hset', -4, 'write', 'write denyoom fast', WRITE_FAST, ONE_KEY),
  spec('hsetnx', 4, 'write', 'write denyoom fast', WRITE_FAST, ONE_KEY),
  spec('hget', 3, 'read', 'readonly fast', READ_FAST, ONE_KEY),
  spec('hmget', -3, 'read', 'readonly fast', READ_FAST, ONE_KEY),
  spec('hmset', -4, 'write', 'write denyoom fast', WRITE_FAST, ONE_KEY),
  spec('hdel', -3, 'write', 'write fast', WRITE_FAST, ONE_KEY),
  spec('hlen', 2, 'read', 'readonly fast', READ_FAST, ONE_KEY),
  spec('hstrlen', 3, 'read', 'readonly fast', READ_FAST, ONE_KEY),
  spec('hexists', 3, 'read', 'readonly fast', READ_FAST, ONE_KEY),
  spec('hkeys', 2, 'read', 'readonly', READ_SLOW, ONE_KEY),
  spec('hvals', 2, 'read', 'readonly', READ_SLOW, ONE_KEY),
  spec('hgetall', 2, 'read', 'readonly', READ_SLOW, ONE_KEY),
  spec('hincrby', 4, 'write', 'write denyoom fast', WRITE_FAST, ONE_KEY),
  spec('hincrbyfloat', 4, 'write', 'write denyoom fast', WRITE_FAST, ONE_KEY),
  spec('hrandfield', -2, 'read', 'readonly', READ_SLOW, ONE_KEY),
  spec('hscan', -3, 'read', 'readonly', READ_SLOW, ONE_KEY),
];
