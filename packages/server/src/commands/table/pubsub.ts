// The pub/sub commands of the command table.

import type { CommandSpec } from '../spec.js';

export const PUBSUB_COMMANDS: readonly CommandSpec[] = [];
