// The bitmap commands of the command table (string values read and written bit by bit).

import { ONE_KEY, spec, type CommandSpec } from '../spec.js';

export const BITMAP_COMMANDS: readonly CommandSpec[] = [
  spec('setbit', 4, 'write', 'write denyoom', '@write @bitmap @slow', ONE_KEY),
  spec('getbit', 3, 'read', 'readonly fast', '@read @bitmap @fast', ONE_KEY),
  spec('bitcount', -2, 'read', 'readonly', '@read @bitmap @slow', ONE_KEY),
  spec('bitpos', -3, 'read', 'readonly', '@read @bitmap @slow', ONE_KEY),
  spec('bitop', -4, 'write', 'write denyoom', '@write @bitmap @slow', [2, -1, 1]),
  // A write even when it only GETs, as in Redis (its flags say write; BITFIELD_RO is the read).
  spec('bitfield', -2, 'write', 'write denyoom', '@write @bitmap @slow', ONE_KEY),
  spec('bitfield_ro', -2, 'read', 'readonly fast', '@read @bitmap @fast', ONE_KEY),
];
