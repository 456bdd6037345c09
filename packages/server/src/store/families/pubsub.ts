// The pub/sub commands of the key space: PUBLISH, a write so that every node applies it once and
// in log order, delivering the message to its own subscribers (node/pubsub.ts). The subscribing
// commands belong to connections (commands/subscribe.ts).

import { latin1 } from '../../commands/args.js';
import type { CommandHandler } from '../key-store.js';

export const PUBSUB_WRITES: Record<string, CommandHandler> = {
  publish: (ks, argv) => ks.publish(latin1(argv[1]!), latin1(argv[2]!)),
};

export const PUBSUB_READS: Record<string, CommandHandler> = {};
