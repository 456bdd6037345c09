// The sorted-set commands of the command table.

import type { CommandSpec } from '../spec.js';

export const ZSET_COMMANDS: readonly CommandSpec[] = [];
