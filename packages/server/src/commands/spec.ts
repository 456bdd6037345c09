// How a command is described in the command table (command-table.ts and table/*.ts): Redis's
// name, arity, flags, categories and key positions, and how the server runs it.

export type CommandKind = 'write' | 'read' | 'local' | 'transaction';

export interface CommandSpec {
  /** Lowercase full name, as Redis reports it: 'get', or 'client|setname' for a subcommand. */
  readonly name: string;
  /** Redis arity, counting the name (and subcommand): n means exactly n, -n at least n. */
  readonly arity: number;
  readonly kind: CommandKind;
  /** Redis command flags (COMMAND INFO), e.g. 'readonly', 'fast'. */
  readonly flags: readonly string[];
  /** ACL categories (COMMAND INFO), e.g. '@read'. */
  readonly categories: readonly string[];
  /** First key argument, last key argument (-1: the last argument), step; 0 0 0 when no keys. */
  readonly firstKey: number;
  readonly lastKey: number;
  readonly keyStep: number;
  /** Subcommands by lowercase name, for container commands (CLIENT, COMMAND, CONFIG); else null. */
  readonly subcommands: ReadonlyMap<string, CommandSpec> | null;
}

export type Keys = readonly [first: number, last: number, step: number];
export const NO_KEYS: Keys = [0, 0, 0];
export const ONE_KEY: Keys = [1, 1, 1];
export const ALL_KEYS: Keys = [1, -1, 1];
/** The first two arguments (RENAME's source and destination, LCS's two keys ...). */
export const TWO_KEYS: Keys = [1, 2, 1];
/** Every argument but the last, the timeout (BLPOP, BRPOP, BZPOPMIN, BZPOPMAX). */
export const KEYS_THEN_TIMEOUT: Keys = [1, -2, 1];

export function spec(
  name: string,
  arity: number,
  kind: CommandKind,
  flags: string,
  categories: string,
  keys: Keys = NO_KEYS,
  subcommands: CommandSpec[] | null = null,
): CommandSpec {
  return {
    name,
    arity,
    kind,
    flags: flags === '' ? [] : flags.split(' '),
    categories: categories === '' ? [] : categories.split(' '),
    firstKey: keys[0],
    lastKey: keys[1],
    keyStep: keys[2],
    subcommands: subcommands === null ? null : new Map(subcommands.map((s) => [s.name.split('|')[1]!, s])),
  };
}
