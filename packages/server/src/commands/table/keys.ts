// The generic key-space commands of the command table.

import { ALL_KEYS, ONE_KEY, spec, type CommandSpec } from '../spec.js';

export const KEY_COMMANDS: readonly CommandSpec[] = [
  spec('del', -2, 'write', 'write', '@keyspace @write @slow', ALL_KEYS),
  spec('exists', -2, 'read', 'readonly fast', '@keyspace @read @fast', ALL_KEYS),
  spec('dbsize', 1, 'read', 'readonly fast', '@keyspace @read @fast'),
  spec('keys', 2, 'read', 'readonly', '@keyspace @read @slow @dangerous'),
  spec('scan', -2, 'read', 'readonly', '@keyspace @read @slow'),
  spec('type', 2, 'read', 'readonly fast', '@keyspace @read @fast', ONE_KEY),
  spec('ttl', 2, 'read', 'readonly fast', '@keyspace @read @fast', ONE_KEY),
  spec('pttl', 2, 'read', 'readonly fast', '@keyspace @read @fast', ONE_KEY),
  spec('flushdb', -1, 'write', 'write', '@keyspace @write @slow @dangerous'),
];
