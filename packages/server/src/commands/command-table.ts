// The command table: every command the KV service knows, with Redis's arity, flags and key positions,
// and how the server must run it:
//   'write'  goes through Raft (validate, propose, answer from the applied result);
//   'read'   needs a linearizable read barrier, then reads the key space;
//   'local'  is about the connection or the server, answered by the server itself;
//   'transaction'  MULTI, EXEC, DISCARD, WATCH, UNWATCH: run by the connection's transaction state
//                  (transaction.ts, watch.ts).

import { unknownCommand, unknownSubcommand, wrongArity } from '../resp/error-replies.js';
import type { ErrorReply } from '../resp/reply.js';

import { ALL_KEYS, NO_KEYS, spec, type CommandSpec } from './spec.js';
import { STRING_COMMANDS } from './table/strings.js';
import { KEY_COMMANDS } from './table/keys.js';
import { HASH_COMMANDS } from './table/hashes.js';
import { LIST_COMMANDS } from './table/lists.js';
import { SET_COMMANDS } from './table/sets.js';
import { ZSET_COMMANDS } from './table/zsets.js';
import { BITMAP_COMMANDS } from './table/bitmaps.js';
import { SORT_COMMANDS } from './table/sort.js';
import { PUBSUB_COMMANDS } from './table/pubsub.js';
import { SERVER_COMMANDS } from './table/server.js';

export type { CommandSpec } from './spec.js';

const CONN = '@fast @connection';
const SLOW_CONN = '@slow @connection';

/** All commands, in the order COMMAND lists them. */
export const COMMANDS: readonly CommandSpec[] = [
  spec('ping', -1, 'local', 'fast', CONN),
  spec('echo', 2, 'local', 'fast', CONN),
  ...STRING_COMMANDS,
  ...KEY_COMMANDS,
  ...HASH_COMMANDS,
  ...LIST_COMMANDS,
  ...SET_COMMANDS,
  ...ZSET_COMMANDS,
  ...BITMAP_COMMANDS,
  ...SORT_COMMANDS,
  ...PUBSUB_COMMANDS,
  ...SERVER_COMMANDS,
  spec('info', -1, 'local', 'loading stale', '@slow @dangerous'),
  spec('client', -2, 'local', '', '@slow', NO_KEYS, [
    spec('client|id', 2, 'local', 'noscript loading stale', SLOW_CONN),
    spec('client|info', 2, 'local', 'noscript loading stale', SLOW_CONN),
    spec('client|list', -2, 'local', 'admin noscript loading stale', '@admin @slow @dangerous @connection'),
    spec('client|setname', 3, 'local', 'noscript loading stale', SLOW_CONN),
    spec('client|getname', 2, 'local', 'noscript loading stale', SLOW_CONN),
    spec('client|setinfo', 4, 'local', 'noscript loading stale', SLOW_CONN),
    spec('client|reply', 3, 'local', 'noscript loading stale', SLOW_CONN),
    spec('client|no-evict', 3, 'local', 'admin noscript loading stale', '@admin @slow @dangerous @connection'),
    spec('client|no-touch', 3, 'local', 'noscript loading stale', CONN),
    spec('client|help', 2, 'local', 'loading stale', SLOW_CONN),
  ]),
  spec('select', 2, 'local', 'loading stale fast', CONN),
  spec('command', -1, 'local', 'loading stale', SLOW_CONN, NO_KEYS, [
    spec('command|count', 2, 'local', 'loading stale', SLOW_CONN),
    spec('command|docs', -2, 'local', 'loading stale', SLOW_CONN),
    spec('command|info', -2, 'local', 'loading stale', SLOW_CONN),
    spec('command|list', -2, 'local', 'loading stale', SLOW_CONN),
    spec('command|help', 2, 'local', 'loading stale', SLOW_CONN),
  ]),
  spec('config', -2, 'local', '', '@slow', NO_KEYS, [
    spec('config|get', -3, 'local', 'admin noscript loading stale', '@admin @slow @dangerous'),
    spec('config|set', -4, 'local', 'admin noscript loading stale', '@admin @slow @dangerous'),
    spec('config|resetstat', 2, 'local', 'admin noscript loading stale', '@admin @slow @dangerous'),
    spec('config|help', 2, 'local', 'loading stale', '@slow'),
  ]),
  spec('function', -2, 'local', '', '@slow', NO_KEYS, [
    spec('function|flush', -2, 'local', 'write noscript', '@write @slow @scripting'),
  ]),
  spec('auth', -2, 'local', 'noscript loading stale fast no_auth allow_busy', CONN),
  spec('acl', -2, 'local', '', '@slow', NO_KEYS, [
    spec('acl|whoami', 2, 'local', 'noscript loading stale', '@slow'),
    spec('acl|help', 2, 'local', 'loading stale', '@slow'),
  ]),
  spec('quit', -1, 'local', 'allow_busy noscript loading stale fast no_auth', CONN),
  spec('hello', -1, 'local', 'noscript loading stale fast no_auth allow_busy', CONN),
  spec('reset', 1, 'local', 'noscript loading stale fast no_auth allow_busy', CONN),
  spec('multi', 1, 'transaction', 'noscript loading stale fast allow_busy', '@fast @transaction'),
  spec('exec', 1, 'transaction', 'noscript loading stale skip_slowlog', '@slow @transaction'),
  spec('discard', 1, 'transaction', 'noscript loading stale fast allow_busy', '@fast @transaction'),
  spec('watch', -2, 'transaction', 'noscript loading stale fast allow_busy', '@fast @transaction', ALL_KEYS),
  spec('unwatch', 1, 'transaction', 'noscript loading stale fast allow_busy', '@fast @transaction'),
];

/** Commands by name length, so a lookup compares bytes against a handful of names, allocating nothing. */
const BY_LENGTH: CommandSpec[][] = [];
for (const c of COMMANDS) (BY_LENGTH[c.name.length] ??= []).push(c);

/** Whether `arg` equals the lowercase ASCII `name`, ignoring ASCII case. */
function sameName(arg: Uint8Array, name: string): boolean {
  for (let i = 0; i < name.length; i++) {
    let b = arg[i]!;
    if (b >= 65 && b <= 90) b += 32;
    if (b !== name.charCodeAt(i)) return false;
  }
  return true;
}

/** The top-level command named by `name` (any case), or undefined. */
export function lookupCommand(name: Uint8Array): CommandSpec | undefined {
  const candidates = BY_LENGTH[name.length];
  if (candidates === undefined) return undefined;
  for (const c of candidates) if (sameName(name, c.name)) return c;
  return undefined;
}

/** Redis's wrong-arity error if `argc` arguments (name included) do not fit `spec`, else null. */
export function checkArity(spec: CommandSpec, argc: number): ErrorReply | null {
  const ok = spec.arity >= 0 ? argc === spec.arity : argc >= -spec.arity;
  return ok ? null : wrongArity(spec.name);
}

/** The subcommand of a container command named by `sub` (any case), or undefined. */
export function lookupSubcommand(container: CommandSpec, sub: Uint8Array): CommandSpec | undefined {
  if (container.subcommands === null) return undefined;
  for (const [name, s] of container.subcommands) {
    if (name.length === sub.length && sameName(sub, name)) return s;
  }
  return undefined;
}

/**
 * What the server does first with every request: finds the command (or subcommand) and checks its
 * arity, as Redis does, answering with Redis's own error for an unknown command or subcommand or a
 * wrong number of arguments.
 */
export function resolveCommand(argv: readonly Uint8Array[]): CommandSpec | ErrorReply {
  const top = argv.length > 0 ? lookupCommand(argv[0]!) : undefined;
  if (top === undefined) return unknownCommand(argv);
  if (top.subcommands === null || argv.length < 2) return checkArity(top, argv.length) ?? top;
  const sub = lookupSubcommand(top, argv[1]!);
  if (sub === undefined) return unknownSubcommand(top.name, argv[1]!);
  return checkArity(sub, argv.length) ?? sub;
}
