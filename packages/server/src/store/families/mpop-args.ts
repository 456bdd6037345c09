// The arguments LMPOP and ZMPOP share (BLMPOP and BZMPOP too, after their timeout), read as Redis
// reads them: numkeys key [key ...] WHERE [COUNT count], numkeys first, then the end to pop from,
// then COUNT (given once).

import { isKeyword, parseInt64Arg } from '../../commands/args.js';
import { ERR_NUMKEYS, ERR_SYNTAX } from '../../resp/error-replies.js';
import { ErrorReply } from '../../resp/reply.js';

const ERR_COUNT = new ErrorReply('ERR count should be greater than 0');

export interface MpopArgs<End> {
  keys: readonly Uint8Array[];
  end: End;
  /** 1 without COUNT. */
  count: number;
}

/** From argv[at] (numkeys); `parseEnd` reads the word after the keys (LEFT|RIGHT, MIN|MAX), null if neither. */
export function mpopArgs<End>(
  argv: readonly Uint8Array[],
  at: number,
  parseEnd: (arg: Uint8Array) => End | null,
): MpopArgs<End> | ErrorReply {
  const numkeys = parseInt64Arg(argv[at]!);
  if (numkeys === null || numkeys < 1) return ERR_NUMKEYS;
  // A numkeys beyond 2^53 is past the end either way.
  const endAt = at + 1 + Number(numkeys);
  if (endAt >= argv.length) return ERR_SYNTAX;
  const end = parseEnd(argv[endAt]!);
  if (end === null) return ERR_SYNTAX;
  let count = -1;
  for (let j = endAt + 1; j < argv.length; j++) {
    if (count === -1 && isKeyword(argv[j]!, 'count') && j + 1 < argv.length) {
      const n = parseInt64Arg(argv[++j]!);
      if (n === null || n < 1) return ERR_COUNT;
      // Beyond 2^53: more than any list or set holds either way.
      count = Number(n);
    } else {
      return ERR_SYNTAX;
    }
  }
  return { keys: argv.slice(at + 1, endAt), end, count: count === -1 ? 1 : count };
}
