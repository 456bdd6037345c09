// Every command family's handlers, by command name (the command table's lowercase name). A family
// adds its write and read handlers here; the command table (commands/table/) lists its specs.

import type { CommandHandler } from '../key-store.js';
import { KEY_READS, KEY_WRITES } from './keys.js';
import { EXPIRE_READS, EXPIRE_WRITES } from './expire.js';
import { OBJECT_READS } from './object.js';
import { STRING_READS, STRING_WRITES } from './strings.js';
import { STRING_RANGE_READS, STRING_RANGE_WRITES } from './string-ranges.js';
import { LCS_READS } from './lcs.js';
import { HASH_READS, HASH_WRITES } from './hashes.js';
import { LIST_READS, LIST_WRITES } from './lists.js';
import { SET_READS, SET_WRITES } from './sets.js';
import { ZSET_READS, ZSET_WRITES } from './zsets.js';
import { PUBSUB_READS, PUBSUB_WRITES } from './pubsub.js';
import { BITMAP_READS, BITMAP_WRITES } from './bitmaps.js';
import { BITOP_WRITES } from './bitop.js';
import { BITFIELD_READS, BITFIELD_WRITES } from './bitfield.js';
import { SORT_READS, SORT_WRITES } from './sort.js';

function table(...families: Record<string, CommandHandler>[]): ReadonlyMap<string, CommandHandler> {
  const out = new Map<string, CommandHandler>();
  for (const f of families) {
    for (const [name, handler] of Object.entries(f)) {
      if (out.has(name)) throw new Error(`two handlers for '${name}'`);
      out.set(name, handler);
    }
  }
  return out;
}

export const WRITE_HANDLERS = table(
  STRING_WRITES,
  STRING_RANGE_WRITES,
  KEY_WRITES,
  EXPIRE_WRITES,
  HASH_WRITES,
  LIST_WRITES,
  SET_WRITES,
  ZSET_WRITES,
  PUBSUB_WRITES,
  BITMAP_WRITES,
  BITOP_WRITES,
  BITFIELD_WRITES,
  SORT_WRITES,
);
export const READ_HANDLERS = table(
  STRING_READS,
  STRING_RANGE_READS,
  LCS_READS,
  KEY_READS,
  EXPIRE_READS,
  OBJECT_READS,
  HASH_READS,
  LIST_READS,
  SET_READS,
  ZSET_READS,
  PUBSUB_READS,
  BITMAP_READS,
  BITFIELD_READS,
  SORT_READS,
);
