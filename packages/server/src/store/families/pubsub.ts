// The pub/sub commands.

import type { CommandHandler } from '../key-store.js';

export const PUBSUB_WRITES: Record<string, CommandHandler> = {};

export const PUBSUB_READS: Record<string, CommandHandler> = {};
