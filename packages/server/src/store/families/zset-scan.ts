// ZSCAN key cursor [MATCH pattern] [COUNT count]. A small set (at most 128 entries, what Redis keeps
// as a listpack) is answered whole in one call with cursor 0, in order, its scores written as a
// listpack holds them, as Redis answers. A larger one is walked by hash position, like SCAN: a member
// present for the whole walk is returned at least once, whatever changes between the calls.

import { latin1, latin1Bytes } from '../../commands/args.js';
import { ErrorReply, type Reply } from '../../resp/reply.js';
import type { KeyStore } from '../key-store.js';
import { emptyScan } from './collection-scan.js';
import { formatListpackScore, formatScore } from './numbers.js';
import { scanCursor, scanMatches, scanOptions } from './scan-args.js';
import { zsetAt } from './zset-common.js';

/** zset-max-listpack-entries: Redis's largest sorted set kept as a listpack. */
const LISTPACK_ENTRIES = 128;
const POSITIONS = 2 ** 32;

export function zscan(ks: KeyStore, argv: readonly Uint8Array[], t: number): Reply {
  const cursor = scanCursor(argv[2]!);
  if (cursor instanceof ErrorReply) return cursor;
  // Redis looks the key up before it reads the options.
  const z = zsetAt(ks, latin1(argv[1]!), t, false);
  if (z === undefined || z instanceof ErrorReply) return z ?? emptyScan();
  const o = scanOptions(argv, 3, false);
  if (o instanceof ErrorReply) return o;
  const out: Reply[] = [];
  const emit = (member: string, score: string): void => {
    if (scanMatches(o, member)) out.push(latin1Bytes(member), latin1Bytes(score));
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
          Math.min(o.count * 20, 2 ** 31),
          () => found >= o.count,
          (member) => {
            const score = z.scores.get(member);
            if (score === undefined) return;
            found++;
            emit(member, formatScore(score));
          },
        );
  return [latin1Bytes(String(next)), out];
}
