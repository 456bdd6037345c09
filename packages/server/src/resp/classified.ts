// What the server makes of one command of a connection: answered at once, answered in its turn,
// a write or a read for the node, or a transaction's EXEC.

import type { ExecReply } from '../commands/exec-reply.js';
import type { Reply } from './reply.js';

/**
 * What a connection command changes once its turn comes: QUIT closes, HELLO switches protocol,
 * CLIENT REPLY ON / OFF / SKIP turns the answers to the commands after it on or off.
 */
export type AfterReply = 'quit' | 'resp2' | 'resp3' | 'reply-on' | 'reply-off' | 'reply-skip';

export type Classified =
  | { kind: 'reply'; reply: Reply; after?: AfterReply; map?: boolean }
  /**
   * Answered when its turn comes, after every command before it on the connection has been: for
   * answers that report state (INFO, CLIENT, HELLO without a version).
   */
  | { kind: 'late'; answer: () => Reply; map?: boolean }
  /** `blocking`: BLPOP and the like, which wait when they find nothing (the node's BlockedClients). */
  | { kind: 'write'; blocking?: boolean }
  | { kind: 'read' }
  /**
   * Answered when its turn comes and `run` has resolved (WAIT): a group of its own, started once
   * every command before it on the connection has been answered.
   */
  | { kind: 'async'; run(): Promise<Reply> }
  | ExecRun;

/**
 * EXEC of a transaction: a group of its own. `run` gets its data commands' replies (one log entry,
 * or one read barrier and a local read); `answer` makes EXEC's reply from them once its turn comes.
 * WATCH runs as one too (`run`: a read barrier, then it records the keys).
 */
export interface ExecRun {
  kind: 'exec';
  /** For latency metrics: whether the transaction writes. */
  as: 'write' | 'read';
  run(): Promise<Reply[]>;
  answer(replies: Reply[]): Reply | ExecReply;
}
