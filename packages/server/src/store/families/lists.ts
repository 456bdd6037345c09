// The list commands, by name (their specs: commands/table/lists.ts). Lists are ListValue ring
// buffers (store/values.ts); an emptied list is deleted (ks.modified), as in Redis.

import type { CommandHandler } from '../key-store.js';
import { LIST_EDIT_WRITES } from './list-edits.js';
import { LIST_END_WRITES } from './list-ends.js';
import { LIST_MOVE_WRITES } from './list-moves.js';

export { LIST_READS } from './list-reads.js';

export const LIST_WRITES: Record<string, CommandHandler> = {
  ...LIST_END_WRITES,
  ...LIST_MOVE_WRITES,
  ...LIST_EDIT_WRITES,
};
