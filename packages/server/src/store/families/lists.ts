// The list commands.

import type { CommandHandler } from '../key-store.js';

export const LIST_WRITES: Record<string, CommandHandler> = {};

export const LIST_READS: Record<string, CommandHandler> = {};
