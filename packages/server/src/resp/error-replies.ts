// Redis's own error texts for the commands the KV service speaks. Clients match on these strings.

import { ErrorReply } from './reply.js';

export const ERR_SYNTAX = new ErrorReply('ERR syntax error');
export const ERR_NOT_INTEGER = new ErrorReply('ERR value is not an integer or out of range');
export const ERR_OVERFLOW = new ErrorReply('ERR increment or decrement would overflow');
export const ERR_DECR_OVERFLOW = new ErrorReply('ERR decrement would overflow');
export const ERR_INVALID_CURSOR = new ErrorReply('ERR invalid cursor');
export const WRONGTYPE = new ErrorReply('WRONGTYPE Operation against a key holding the wrong kind of value');
export const ERR_DB_INDEX = new ErrorReply('ERR DB index is out of range');
export const ERR_NUMKEYS = new ErrorReply('ERR numkeys should be greater than 0');
export const ERR_NOT_POSITIVE = new ErrorReply('ERR value is out of range, must be positive');

/** `name` is the command's lowercase full name, e.g. 'get' or 'client|setname'. */
export function wrongArity(name: string): ErrorReply {
  return new ErrorReply(`ERR wrong number of arguments for '${name}' command`);
}

export function invalidExpireTime(name: string): ErrorReply {
  return new ErrorReply(`ERR invalid expire time in '${name}' command`);
}

/** Longest prefix of the argument list Redis quotes in an unknown-command error. */
const QUOTED_ARGS_MAX = 128;

/** Redis 7: "ERR unknown command 'foo', with args beginning with: 'a' 'b' " (each arg followed by a space). */
export function unknownCommand(argv: readonly Uint8Array[]): ErrorReply {
  let args = '';
  for (let i = 1; i < argv.length && args.length < QUOTED_ARGS_MAX; i++) {
    args += `'${quotedText(argv[i]!, QUOTED_ARGS_MAX - args.length)}' `;
  }
  const name = argv.length > 0 ? quotedText(argv[0]!, QUOTED_ARGS_MAX) : '';
  return new ErrorReply(`ERR unknown command '${name}', with args beginning with: ${args}`);
}

/** Redis 7: "ERR unknown subcommand 'foo'. Try CLIENT HELP." */
export function unknownSubcommand(container: string, sub: Uint8Array): ErrorReply {
  return new ErrorReply(
    `ERR unknown subcommand '${quotedText(sub, QUOTED_ARGS_MAX)}'. Try ${container.toUpperCase()} HELP.`,
  );
}

/**
 * At most `max` bytes of `arg`, up to its first NUL (Redis formats it as a C string), as latin1
 * text for an error line: the writer sends those bytes back as they came (and turns CR/LF into
 * spaces).
 */
function quotedText(arg: Uint8Array, max: number): string {
  let end = Math.min(arg.length, max);
  const nul = arg.indexOf(0);
  if (nul !== -1 && nul < end) end = nul;
  return Buffer.from(arg.buffer, arg.byteOffset, end).toString('latin1');
}
