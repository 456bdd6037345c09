// Redis's noeviction policy: while used memory is over --maxmemory, commands Redis flags `denyoom`
// (those that may grow the data set: SET, MSET, LPUSH, ...) are refused before they are proposed,
// so nothing of them is applied; reads, DEL and the other writes that only shrink it still run.

import { ErrorReply } from '../resp/reply.js';
import { COMMANDS, resolveCommand } from './command-table.js';
import type { CommandSpec } from './spec.js';

/** Redis's text, exactly. */
export const OOM = new ErrorReply("OOM command not allowed when used memory > 'maxmemory'.");

export function isDenyoom(spec: CommandSpec): boolean {
  return spec.flags.includes('denyoom');
}

/** Top-level commands that may be refused: denyoom ones, and containers with a denyoom subcommand. */
const MAY_DENY: ReadonlySet<CommandSpec> = new Set(
  COMMANDS.filter((c) => isDenyoom(c) || [...(c.subcommands?.values() ?? [])].some(isDenyoom)),
);

/**
 * Whether `spec`, the command `argv` names, must be refused for memory: a denyoom command (or a
 * container with a denyoom subcommand) whose arity is right, as Redis checks arity first.
 * `exceeded` is asked only for those, so other commands cost nothing.
 */
export function refusedForMemory(spec: CommandSpec, argv: readonly Uint8Array[], exceeded: () => boolean): boolean {
  if (!MAY_DENY.has(spec) || !exceeded()) return false;
  const resolved = resolveCommand(argv);
  return !(resolved instanceof ErrorReply) && isDenyoom(resolved);
}
