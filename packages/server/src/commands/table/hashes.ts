// The hash commands of the command table.

import type { CommandSpec } from '../spec.js';

export const HASH_COMMANDS: readonly CommandSpec[] = [];
