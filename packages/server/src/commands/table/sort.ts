// SORT and SORT_RO in the command table. SORT is a write whether or not it STOREs (Redis flags it
// write too); its BY / GET patterns name keys of their own, hence movablekeys.

import { ONE_KEY, spec, type CommandSpec } from '../spec.js';

export const SORT_COMMANDS: readonly CommandSpec[] = [
  spec('sort', -2, 'write', 'write denyoom movablekeys', '@write @set @sortedset @list @slow @dangerous', ONE_KEY),
  spec('sort_ro', -2, 'read', 'readonly movablekeys', '@read @set @sortedset @list @slow @dangerous', ONE_KEY),
];
