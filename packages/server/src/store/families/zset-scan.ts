// ZSCAN key cursor [MATCH pattern] [COUNT count]. A small set (at most 128 entries, what Redis keeps
// as a listpack) is answered whole in one call with cursor 0, in order, its scores written as a
// listpack holds them, as Redis answers. A larger one is walked by hash position, like SCAN: a member
// present for the whole walk is returned at least once, whatever changes between the calls.

import { isKeyword, latin1, latin1Bytes, parseInt64Arg } from '../../commands/args.js';
import { globMatch } from '../../commands/glob.js';
import { ERR_INVALID_CURSOR, ERR_NOT_INTEGER, ERR_SYNTAX } from '../../resp/error-replies.js';
import { ErrorReply, type Reply } from '../../resp/reply.js';
import type { KeyStore } from '../key-store.js';
import { parseCursor } from './keys.js';
import { formatListpackScore, formatScore } from './numbers.js';
import { zsetAt } from './zset-common.js';

/** zset-max-listpack-entries: Redis's largest sorted set kept as a listpack. */
const LISTPACK_ENTRIES = 128;
const DEFAULT_COUNT = 10;
const POSITIONS = 2 ** 32;

export function zscan(ks: KeyStore, argv: readonly Uint8Array[], t: number): Reply {
  const cursor = parseCursor(argv[2]!);
  if (cursor === null) return ERR_INVALID_CURSOR;
  // Redis looks the key up before it reads the options.
  const z = zsetAt(ks, latin1(argv[1]!), t, false);
  if (z === undefined || z instanceof ErrorReply) return z ?? [latin1Bytes('0'), []];
  let count = DEFAULT_COUNT;
  let pattern: string | null = null;
  for (let i = 3; i < argv.length; i += 2) {
    const opt = argv[i]!;
    if (i + 1 >= argv.length) return ERR_SYNTAX;
    if (isKeyword(opt, 'count')) {
      const n = parseInt64Arg(argv[i + 1]!);
      if (n === null) return ERR_NOT_INTEGER;
      if (n < 1) return ERR_SYNTAX;
      count = typeof n === 'bigint' ? Number.MAX_SAFE_INTEGER : n;
    } else if (isKeyword(opt, 'match')) {
      pattern = latin1(argv[i + 1]!);
      if (pattern === '*') pattern = null;
    } else {
      return ERR_SYNTAX;
    }
  }
  const out: Reply[] = [];
  const emit = (member: string, score: string): void => {
    if (pattern !== null && !globMatch(pattern, member)) return;
    out.push(latin1Bytes(member), latin1Bytes(score));
  };
  if (z.size <= LISTPACK_ENTRIES) {
    for (const e of z) emit(e.member, formatListpackScore(e.score));
    return [latin1Bytes('0'), out];
  }
  let found = 0;
  const next =
    cursor >= POSITIONS
      ? 0
      : z.scanPositions().scan(
          cursor,
          Math.min(count * 20, 2 ** 31),
          () => found >= count,
          (member) => {
            const score = z.scores.get(member);
            if (score === undefined) return;
            found++;
            emit(member, formatScore(score));
          },
        );
  return [latin1Bytes(String(next)), out];
}
