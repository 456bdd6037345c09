// The generic key-space commands of the command table.

import { ALL_KEYS, NO_KEYS, ONE_KEY, spec, TWO_KEYS, type CommandSpec, type Keys } from '../spec.js';

/** OBJECT's subcommands: the key after the subcommand. */
const OBJECT_KEY: Keys = [2, 2, 1];

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
  spec('expire', -3, 'write', 'write fast', '@keyspace @write @fast', ONE_KEY),
  spec('pexpire', -3, 'write', 'write fast', '@keyspace @write @fast', ONE_KEY),
  spec('expireat', -3, 'write', 'write fast', '@keyspace @write @fast', ONE_KEY),
  spec('pexpireat', -3, 'write', 'write fast', '@keyspace @write @fast', ONE_KEY),
  spec('persist', 2, 'write', 'write fast', '@keyspace @write @fast', ONE_KEY),
  spec('expiretime', 2, 'read', 'readonly fast', '@keyspace @read @fast', ONE_KEY),
  spec('pexpiretime', 2, 'read', 'readonly fast', '@keyspace @read @fast', ONE_KEY),
  spec('rename', 3, 'write', 'write', '@keyspace @write @slow', TWO_KEYS),
  spec('renamenx', 3, 'write', 'write fast', '@keyspace @write @fast', TWO_KEYS),
  spec('unlink', -2, 'write', 'write fast', '@keyspace @write @fast', ALL_KEYS),
  spec('copy', -3, 'write', 'write denyoom', '@keyspace @write @slow', TWO_KEYS),
  spec('touch', -2, 'read', 'readonly fast', '@keyspace @read @fast', ALL_KEYS),
  spec('randomkey', 1, 'read', 'readonly', '@keyspace @read @slow'),
  spec('flushall', -1, 'write', 'write', '@keyspace @write @slow @dangerous'),
  spec('object', -2, 'read', '', '@slow', NO_KEYS, [
    spec('object|encoding', 3, 'read', 'readonly', '@keyspace @read @slow', OBJECT_KEY),
    spec('object|freq', 3, 'read', 'readonly', '@keyspace @read @slow', OBJECT_KEY),
    spec('object|help', 2, 'read', 'loading stale', '@keyspace @slow'),
    spec('object|idletime', 3, 'read', 'readonly', '@keyspace @read @slow', OBJECT_KEY),
    spec('object|refcount', 3, 'read', 'readonly', '@keyspace @read @slow', OBJECT_KEY),
  ]),
];
