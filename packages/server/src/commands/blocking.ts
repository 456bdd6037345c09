// The shapes of the blocking commands, for the node that keeps their clients waiting
// (node/blocking.ts): the type of value each takes from, the keys it waits on, its timeout
// argument, and the same command narrowed to one of its keys. A woken client runs the narrowed
// command, as Redis 7.0 serves a blocked client from the key that became ready (not from an
// earlier key of its list, which may meanwhile hold another type).
//
// Applied (store/families/*), a blocking command is its non-blocking form: it pops from the first
// of its keys that has elements, or answers nil (NULL_ARRAY, or null for BLMOVE and BRPOPLPUSH) when
// none has; only then does the node block the client.

import { parseInt64Arg } from './args.js';

export interface BlockingCommand {
  /** What its keys must hold for it to take something. */
  readonly type: 'list' | 'zset';
  /** The argv indexes of the keys it waits on, in argument order (argv passed the command's checks). */
  keys(argv: readonly Uint8Array[]): number[];
  /** The argv index of its timeout. */
  timeout(argv: readonly Uint8Array[]): number;
  /** The command waiting on the key at argv index `at` alone (one of keys(argv)). */
  narrow(argv: readonly Uint8Array[], at: number): Uint8Array[];
}

const ONE = Buffer.from('1');

/** BLPOP key [key ...] timeout: keys, then the timeout. */
function keysThenTimeout(type: 'list' | 'zset'): BlockingCommand {
  return {
    type,
    keys: (argv) => Array.from({ length: argv.length - 2 }, (_, i) => i + 1),
    timeout: (argv) => argv.length - 1,
    narrow: (argv, at) => [argv[0]!, argv[at]!, argv[argv.length - 1]!],
  };
}

/** BLMOVE source destination ... timeout: waits on its source. */
function source(): BlockingCommand {
  return {
    type: 'list',
    keys: () => [1],
    timeout: (argv) => argv.length - 1,
    narrow: (argv) => [...argv],
  };
}

/** BLMPOP timeout numkeys key [key ...] LEFT|RIGHT [COUNT count]. */
function numkeys(type: 'list' | 'zset'): BlockingCommand {
  const count = (argv: readonly Uint8Array[]): number => Number(parseInt64Arg(argv[2]!));
  return {
    type,
    keys: (argv) => Array.from({ length: count(argv) }, (_, i) => i + 3),
    timeout: () => 1,
    narrow: (argv, at) => [argv[0]!, argv[1]!, ONE, argv[at]!, ...argv.slice(3 + count(argv))],
  };
}

/** The blocking commands by (lowercase) name. */
export const BLOCKING: ReadonlyMap<string, BlockingCommand> = new Map([
  ['blpop', keysThenTimeout('list')],
  ['brpop', keysThenTimeout('list')],
  ['blmove', source()],
  ['brpoplpush', source()],
  ['blmpop', numkeys('list')],
  ['bzpopmin', keysThenTimeout('zset')],
  ['bzpopmax', keysThenTimeout('zset')],
  ['bzmpop', numkeys('zset')],
]);
