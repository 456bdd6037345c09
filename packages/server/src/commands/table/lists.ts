// The list commands of the command table.

import type { CommandSpec } from '../spec.js';

export const LIST_COMMANDS: readonly CommandSpec[] = [];
