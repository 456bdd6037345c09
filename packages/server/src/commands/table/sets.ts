// The set commands of the command table.

import type { CommandSpec } from '../spec.js';

export const SET_COMMANDS: readonly CommandSpec[] = [];
