// The hash commands.

import type { CommandHandler } from '../key-store.js';

export const HASH_WRITES: Record<string, CommandHandler> = {};

export const HASH_READS: Record<string, CommandHandler> = {};
