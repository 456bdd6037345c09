// The arguments SCAN, HSCAN, SSCAN and ZSCAN share, read as Redis's scanGenericCommand reads them:
// the cursor (as C's strtoul), then MATCH, COUNT and, for SCAN only, TYPE, in pairs, any order.

import { isKeyword, latin1, parseInt64Arg } from '../../commands/args.js';
import { globMatch } from '../../commands/glob.js';
import { ERR_INVALID_CURSOR, ERR_NOT_INTEGER, ERR_SYNTAX } from '../../resp/error-replies.js';
import type { ErrorReply } from '../../resp/reply.js';

const MAX_CURSOR = 2n ** 64n - 1n;
const DEFAULT_COUNT = 10;

/**
 * A scan cursor: what C's strtoul accepts, as Redis does: an optional sign, then 0 to 20 decimal
 * digits, at most 2^64-1; a negative cursor wraps around (so it lies past every position).
 */
export function scanCursor(whole: Uint8Array): number | ErrorReply {
  // Read as a C string: up to the first NUL (an empty cursor is 0).
  const nul = whole.indexOf(0);
  const arg = nul === -1 ? whole : whole.subarray(0, nul);
  if (arg.length === 0) return 0;
  const sign = arg[0] === 43 /* + */ || arg[0] === 45 /* - */ ? arg[0] : 0;
  const digits = sign === 0 ? arg : arg.subarray(1);
  if (digits.length === 0 || digits.length > 20) return ERR_INVALID_CURSOR;
  for (const b of digits) if (b < 48 || b > 57) return ERR_INVALID_CURSOR;
  const v = BigInt(latin1(digits));
  if (v > MAX_CURSOR) return ERR_INVALID_CURSOR;
  return Number(sign === 45 && v !== 0n ? MAX_CURSOR + 1n - v : v);
}

export interface ScanOptions {
  count: number;
  /** null: everything (no MATCH, or MATCH *). */
  pattern: string | null;
  /** SCAN's TYPE, lowercase; null: any type. */
  type: string | null;
}

/** The options from argv[from..]; TYPE only `withType` (SCAN), as in Redis. */
export function scanOptions(argv: readonly Uint8Array[], from: number, withType: boolean): ScanOptions | ErrorReply {
  const o: ScanOptions = { count: DEFAULT_COUNT, pattern: null, type: null };
  for (let i = from; i < argv.length; i += 2) {
    if (i + 1 >= argv.length) return ERR_SYNTAX;
    const opt = argv[i]!;
    const value = argv[i + 1]!;
    if (isKeyword(opt, 'count')) {
      const n = parseInt64Arg(value);
      if (n === null) return ERR_NOT_INTEGER;
      if (n < 1) return ERR_SYNTAX;
      o.count = typeof n === 'bigint' ? Number.MAX_SAFE_INTEGER : n;
    } else if (isKeyword(opt, 'match')) {
      const pattern = latin1(value);
      o.pattern = pattern === '*' ? null : pattern;
    } else if (withType && isKeyword(opt, 'type')) {
      o.type = latin1(value).toLowerCase();
    } else {
      return ERR_SYNTAX;
    }
  }
  return o;
}

/** Whether `name` (a key, member or field) passes MATCH. */
export function scanMatches(o: ScanOptions, name: string): boolean {
  return o.pattern === null || globMatch(o.pattern, name);
}
