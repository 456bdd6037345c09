// The set commands.

import type { CommandHandler } from '../key-store.js';

export const SET_WRITES: Record<string, CommandHandler> = {};

export const SET_READS: Record<string, CommandHandler> = {};
