// LCS key1 key2 [LEN] [IDX] [MINMATCHLEN len] [WITHMATCHLEN]: the longest common subsequence of
// two strings, by Redis 7.0's dynamic programming and its backtracking, so that among several
// longest subsequences the same one is chosen, and the match ranges come in the same order.

import { isKeyword, latin1, parseInt64Arg } from '../../commands/args.js';
import { ERR_NOT_INTEGER, ERR_SYNTAX } from '../../resp/error-replies.js';
import { ErrorReply, MapReply, type Reply } from '../../resp/reply.js';
import type { CommandHandler } from '../key-store.js';

const ERR_NOT_STRINGS = new ErrorReply('ERR The specified keys must contain string values');
const ERR_LEN_AND_IDX = new ErrorReply('ERR If you want both the length and indexes, please just use IDX.');
/** Redis reports a failed allocation of the table; here it is capped at 1 GiB (2^28 cells of 4 bytes). */
const MAX_TABLE_CELLS = 2 ** 28;
const ERR_NO_MEMORY = new ErrorReply('ERR Insufficient memory, failed allocating transient memory for LCS');
const MATCHES = Buffer.from('matches');
const LEN = Buffer.from('len');

const lcs: CommandHandler = (ks, argv, t) => {
  const a = ks.get(latin1(argv[1]!), t) ?? '';
  const b = ks.get(latin1(argv[2]!), t) ?? '';
  if (typeof a !== 'string' || typeof b !== 'string') return ERR_NOT_STRINGS;
  let getLen = false;
  let getIdx = false;
  let withMatchLen = false;
  let minMatchLen = 0;
  for (let j = 3; j < argv.length; j++) {
    const opt = argv[j]!;
    if (isKeyword(opt, 'idx')) getIdx = true;
    else if (isKeyword(opt, 'len')) getLen = true;
    else if (isKeyword(opt, 'withmatchlen')) withMatchLen = true;
    else if (isKeyword(opt, 'minmatchlen') && j + 1 < argv.length) {
      const v = parseInt64Arg(argv[++j]!);
      if (v === null) return ERR_NOT_INTEGER;
      minMatchLen = v < 0 ? 0 : v > 2 ** 32 ? 2 ** 32 : Number(v);
    } else return ERR_SYNTAX;
  }
  if (getIdx && getLen) return ERR_LEN_AND_IDX;

  const alen = a.length;
  const blen = b.length;
  const width = blen + 1;
  if ((alen + 1) * width > MAX_TABLE_CELLS) return ERR_NO_MEMORY;
  // dp[i * width + j]: the LCS length of a[0..i) and b[0..j).
  const dp = new Uint32Array((alen + 1) * width);
  for (let i = 1; i <= alen; i++) {
    const ai = a.charCodeAt(i - 1);
    const row = i * width;
    const up = row - width;
    for (let j = 1; j <= blen; j++) {
      if (ai === b.charCodeAt(j - 1)) dp[row + j] = dp[up + j - 1]! + 1;
      else {
        const l1 = dp[up + j]!;
        const l2 = dp[row + j - 1]!;
        dp[row + j] = l1 > l2 ? l1 : l2;
      }
    }
  }
  const total = dp[alen * width + blen]!;
  if (getLen) return total;

  // Walk back from the end, collecting the subsequence and (for IDX) the ranges of contiguous matches.
  const chars = new Array<string>(total);
  const matches: Reply[] = [];
  let idx = total;
  let aStart = alen; // alen: no range in progress
  let aEnd = 0;
  let bStart = 0;
  let bEnd = 0;
  let i = alen;
  let j = blen;
  while (i > 0 && j > 0) {
    let emit = false;
    if (a.charCodeAt(i - 1) === b.charCodeAt(j - 1)) {
      chars[idx - 1] = a[i - 1]!;
      if (aStart === alen) {
        aStart = aEnd = i - 1;
        bStart = bEnd = j - 1;
      } else if (aStart === i && bStart === j) {
        aStart--;
        bStart--;
      } else {
        emit = true;
      }
      if (aStart === 0 || bStart === 0) emit = true;
      idx--;
      i--;
      j--;
    } else {
      if (dp[(i - 1) * width + j]! > dp[i * width + j - 1]!) i--;
      else j--;
      if (aStart !== alen) emit = true;
    }
    if (emit) {
      const matchLen = aEnd - aStart + 1;
      if (getIdx && (minMatchLen === 0 || matchLen >= minMatchLen)) {
        const range: Reply[] = [
          [aStart, aEnd],
          [bStart, bEnd],
        ];
        if (withMatchLen) range.push(matchLen);
        matches.push(range);
      }
      aStart = alen;
    }
  }
  if (getIdx) return new MapReply([MATCHES, matches, LEN, total]);
  return Buffer.from(chars.join(''), 'latin1');
};

export const LCS_READS: Record<string, CommandHandler> = { lcs };
