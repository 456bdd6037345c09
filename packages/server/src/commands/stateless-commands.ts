// Replies to the local commands that depend on nothing but their arguments: PING, ECHO, SELECT,
// COMMAND (what redis-cli asks at start), CONFIG GET (what redis-benchmark asks at start) and the
// container commands' HELP. The server answers the rest (CLIENT, HELLO, INFO, QUIT) from its own state.

import { isKeyword, latin1, latin1Bytes, parseInt64Arg } from './args.js';
import { COMMANDS, lookupCommand, lookupSubcommand, type CommandSpec } from './command-table.js';
import { ERR_DB_INDEX, ERR_NOT_INTEGER, ERR_SYNTAX, wrongArity } from '../resp/error-replies.js';
import { globMatch } from './glob.js';
import { ErrorReply, SimpleString, type Reply } from '../resp/reply.js';

const PONG = new SimpleString('PONG');

/** PING [message]. */
export function pingReply(argv: readonly Uint8Array[]): Reply {
  if (argv.length > 2) return wrongArity('ping');
  return argv.length === 2 ? argv[1]! : PONG;
}

/** ECHO message. */
export function echoReply(argv: readonly Uint8Array[]): Reply {
  return argv[1]!;
}

const ERR_INT_RANGE = new ErrorReply('ERR value is out of range, value must between -2147483648 and 2147483647');

/** SELECT index: only database 0 exists. */
export function selectReply(argv: readonly Uint8Array[]): Reply {
  const v = parseInt64Arg(argv[1]!);
  if (v === null) return ERR_NOT_INTEGER;
  if (typeof v === 'bigint' || v < -2147483648 || v > 2147483647) return ERR_INT_RANGE;
  return v === 0 ? new SimpleString('OK') : ERR_DB_INDEX;
}

/** One COMMAND INFO entry, in Redis 7's shape. */
function commandInfo(c: CommandSpec): Reply {
  const subs: Reply[] = [];
  if (c.subcommands !== null) for (const s of c.subcommands.values()) subs.push(commandInfo(s));
  return [
    bulk(c.name),
    c.arity,
    c.flags.map((f) => new SimpleString(f)),
    c.firstKey,
    c.lastKey,
    c.keyStep,
    c.categories.map((f) => new SimpleString(f)),
    [], // tips
    [], // key specs
    subs,
  ];
}

/** COMMAND, COMMAND COUNT, COMMAND INFO [name ...], COMMAND DOCS [name ...], COMMAND LIST, COMMAND HELP. */
export function commandReply(argv: readonly Uint8Array[]): Reply {
  if (argv.length === 1) return COMMANDS.map(commandInfo);
  const sub = argv[1]!;
  if (isKeyword(sub, 'count')) return COMMANDS.length;
  if (isKeyword(sub, 'list')) return COMMANDS.map((c) => bulk(c.name));
  // Docs are optional: redis-cli falls back to its built-in help on an empty answer.
  if (isKeyword(sub, 'docs')) return [];
  if (isKeyword(sub, 'info')) {
    if (argv.length === 2) return COMMANDS.map(commandInfo);
    return argv.slice(2).map((name) => {
      const c = findByFullName(name);
      return c === undefined ? null : commandInfo(c);
    });
  }
  if (isKeyword(sub, 'help')) return helpReply('command');
  return new ErrorReply(`ERR unknown subcommand '${latin1(sub)}'. Try COMMAND HELP.`);
}

/** A command by name, or a subcommand by its 'container|sub' name. */
function findByFullName(name: Uint8Array): CommandSpec | undefined {
  const bar = name.indexOf(124 /* '|' */);
  if (bar < 0) return lookupCommand(name);
  const top = lookupCommand(name.subarray(0, bar));
  return top === undefined ? undefined : lookupSubcommand(top, name.subarray(bar + 1));
}

const ERR_FLUSH_OPTION = new ErrorReply('ERR FUNCTION FLUSH only supports SYNC|ASYNC option');

/**
 * FUNCTION FLUSH [ASYNC|SYNC]: the server loads no function libraries, so there is never one to
 * delete; clients and test harnesses send it to start from an empty server.
 */
export function functionReply(argv: readonly Uint8Array[]): Reply {
  const sub = argv[1]!;
  if (!isKeyword(sub, 'flush')) return new ErrorReply(`ERR unknown subcommand '${latin1(sub)}'. Try FUNCTION HELP.`);
  if (argv.length > 3) {
    return new ErrorReply(
      `ERR unknown subcommand or wrong number of arguments for '${latin1(sub)}'. Try FUNCTION HELP.`,
    );
  }
  if (argv.length === 3 && !isKeyword(argv[2]!, 'async') && !isKeyword(argv[2]!, 'sync')) return ERR_FLUSH_OPTION;
  return new SimpleString('OK');
}

/** The configuration CONFIG GET reports: what clients and redis-benchmark ask about. */
const DEFAULT_CONFIG: Readonly<Record<string, string>> = {
  save: '',
  appendonly: 'no',
  appendfsync: 'always',
  databases: '1',
  maxmemory: '0',
  'maxmemory-policy': 'noeviction',
  maxclients: '10000',
  timeout: '0',
  'cluster-enabled': 'no',
};

/**
 * CONFIG GET pattern [pattern ...] (names matched as case-insensitive globs, each reported once),
 * CONFIG RESETSTAT (OK; the server resets its own counters), CONFIG SET (see configSet), CONFIG HELP.
 * `config` adds to or overrides DEFAULT_CONFIG, e.g. { port: '6379' }.
 */
export function configReply(argv: readonly Uint8Array[], config: Readonly<Record<string, string>> = {}): Reply {
  const sub = argv[1]!;
  if (isKeyword(sub, 'get')) {
    const all = { ...DEFAULT_CONFIG, ...config };
    const patterns = argv.slice(2).map((p) => latin1(p).toLowerCase());
    const out: Reply[] = [];
    for (const [name, value] of Object.entries(all)) {
      if (patterns.some((p) => p === '*' || globMatch(p, name))) out.push(bulk(name), bulk(value));
    }
    return out;
  }
  if (isKeyword(sub, 'resetstat')) return new SimpleString('OK');
  if (isKeyword(sub, 'set')) return configSet(argv, { ...DEFAULT_CONFIG, ...config });
  if (isKeyword(sub, 'help')) return helpReply('config');
  return new ErrorReply(`ERR unknown subcommand '${latin1(sub)}'. Try CONFIG HELP.`);
}

/**
 * CONFIG SET name value [name value ...]: nothing here can be changed at run time, but setting a
 * parameter to the value it already has is true and harmless, so it answers OK (tools and test
 * harnesses send `CONFIG SET save ""` to a server that already saves nothing). Redis's errors for
 * an odd argument count, a repeated name and an unknown name.
 */
function configSet(argv: readonly Uint8Array[], all: Readonly<Record<string, string>>): Reply {
  if (argv.length % 2 !== 0) return ERR_SYNTAX;
  const seen = new Set<string>();
  for (let i = 2; i < argv.length; i += 2) {
    const name = latin1(argv[i]!).toLowerCase();
    if (seen.has(name)) {
      return new ErrorReply(`ERR CONFIG SET failed (possibly related to argument '${name}') - duplicate parameter`);
    }
    seen.add(name);
    if (!Object.hasOwn(all, name)) {
      return new ErrorReply(`ERR Unknown option or number of arguments for CONFIG SET - '${latin1(argv[i]!)}'`);
    }
  }
  for (let i = 2; i < argv.length; i += 2) {
    const name = latin1(argv[i]!).toLowerCase();
    if (all[name] !== latin1(argv[i + 1]!)) {
      return new ErrorReply(`ERR CONFIG SET of '${name}' is not supported: it can only be set to its current value`);
    }
  }
  return new SimpleString('OK');
}

/** CLIENT HELP. */
export function clientHelpReply(): Reply {
  return helpReply('client');
}

/** `<CONTAINER> HELP`: one line per subcommand, as Redis lists them. */
function helpReply(container: 'client' | 'command' | 'config'): Reply {
  const c = lookupCommand(latin1Bytes(container))!;
  const lines = [`${container.toUpperCase()} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:`];
  for (const name of c.subcommands!.keys()) lines.push(name.toUpperCase());
  return lines.map((l) => new SimpleString(l));
}

function bulk(s: string): Uint8Array {
  return Buffer.from(s, 'utf8');
}
