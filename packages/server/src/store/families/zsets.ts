// The sorted-set commands.

import type { CommandHandler } from '../key-store.js';

export const ZSET_WRITES: Record<string, CommandHandler> = {};

export const ZSET_READS: Record<string, CommandHandler> = {};
