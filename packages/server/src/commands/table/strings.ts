// The string commands of the command table.

import { ALL_KEYS, ONE_KEY, spec, TWO_KEYS, type CommandSpec } from '../spec.js';

export const STRING_COMMANDS: readonly CommandSpec[] = [
  spec('get', 2, 'read', 'readonly fast', '@read @string @fast', ONE_KEY),
  spec('set', -3, 'write', 'write denyoom', '@write @string @slow', ONE_KEY),
  spec('incr', 2, 'write', 'write denyoom fast', '@write @string @fast', ONE_KEY),
  spec('incrby', 3, 'write', 'write denyoom fast', '@write @string @fast', ONE_KEY),
  spec('decr', 2, 'write', 'write denyoom fast', '@write @string @fast', ONE_KEY),
  spec('decrby', 3, 'write', 'write denyoom fast', '@write @string @fast', ONE_KEY),
  spec('append', 3, 'write', 'write denyoom', '@write @string @fast', ONE_KEY),
  spec('strlen', 2, 'read', 'readonly fast', '@read @string @fast', ONE_KEY),
  spec('mget', -2, 'read', 'readonly fast', '@read @string @fast', ALL_KEYS),
  spec('mset', -3, 'write', 'write denyoom', '@write @string @slow', [1, -1, 2]),
  spec('getdel', 2, 'write', 'write fast', '@write @string @fast', ONE_KEY),
  spec('setex', 4, 'write', 'write denyoom', '@write @string @slow', ONE_KEY),
  spec('psetex', 4, 'write', 'write denyoom', '@write @string @slow', ONE_KEY),
  spec('setnx', 3, 'write', 'write denyoom fast', '@write @string @fast', ONE_KEY),
  spec('getset', 3, 'write', 'write denyoom fast', '@write @string @fast', ONE_KEY),
  spec('getex', -2, 'write', 'write fast', '@write @string @fast', ONE_KEY),
  spec('msetnx', -3, 'write', 'write denyoom', '@write @string @slow', [1, -1, 2]),
  spec('incrbyfloat', 3, 'write', 'write denyoom fast', '@write @string @fast', ONE_KEY),
  spec('getrange', 4, 'read', 'readonly', '@read @string @slow', ONE_KEY),
  spec('substr', 4, 'read', 'readonly', '@read @string @slow', ONE_KEY),
  spec('setrange', 4, 'write', 'write denyoom', '@write @string @slow', ONE_KEY),
  spec('lcs', -3, 'read', 'readonly', '@read @string @slow', TWO_KEYS),
];
