// HSCAN and SSCAN (and whatever else scans inside one collection): Redis's argument checks in
// Redis's order, and the walk.
//
// A small collection is answered whole with cursor 0, as Redis answers a listpack or intset (it
// ignores the cursor then). A large one is walked in its member index's hash order
// (store/member-index.ts): the cursor is a hash position, so an iteration returns every member
// present from its start to its end at least once, whatever changes between the calls.

import { isKeyword, latin1, parseInt64Arg } from '../../commands/args.js';
import { globMatch } from '../../commands/glob.js';
import { ERR_INVALID_CURSOR, ERR_NOT_INTEGER, ERR_SYNTAX } from '../../resp/error-replies.js';
import { ErrorReply, type Reply } from '../../resp/reply.js';
import { indexOf, type Indexable } from '../member-index.js';
import { parseCursor } from './keys.js';

const DEFAULT_COUNT = 10;
/** Empty buckets a call may pass per member it was asked for (Redis's dictScan: 10 per COUNT). */
const EMPTY_BUCKETS_PER_COUNT = 10;

/** The reply to a scan of a missing key (Redis's shared.emptyscan). */
export function emptyScan(): Reply {
  return [Buffer.from('0'), []];
}

/** The cursor argument, or Redis's error: checked first, before the key. */
export function scanCursor(arg: Uint8Array): number | ErrorReply {
  return parseCursor(arg) ?? ERR_INVALID_CURSOR;
}

interface ScanOptions {
  count: number;
  /** null: everything (no MATCH, or MATCH *). */
  pattern: string | null;
}

/** MATCH and COUNT from argv[3..] (checked after the key, as Redis does). */
function scanOptions(argv: readonly Uint8Array[]): ScanOptions | ErrorReply {
  const o: ScanOptions = { count: DEFAULT_COUNT, pattern: null };
  for (let i = 3; i < argv.length; i += 2) {
    if (i + 1 >= argv.length) return ERR_SYNTAX;
    const opt = argv[i]!;
    if (isKeyword(opt, 'count')) {
      const n = parseInt64Arg(argv[i + 1]!);
      if (n === null) return ERR_NOT_INTEGER;
      if (n < 1) return ERR_SYNTAX;
      o.count = typeof n === 'bigint' ? Number.MAX_SAFE_INTEGER : n;
    } else if (isKeyword(opt, 'match')) {
      const pattern = latin1(argv[i + 1]!);
      o.pattern = pattern === '*' ? null : pattern;
    } else {
      return ERR_SYNTAX;
    }
  }
  return o;
}

/**
 * The scan reply for collection `c` (present, of the right type) from `cursor`: `small` says
 * whether to answer it whole, in the order `whole` gives; `emit` adds one member's reply entries
 * (a set member, or a hash field and its value).
 */
export function scanCollection(
  argv: readonly Uint8Array[],
  c: Indexable,
  cursor: number,
  small: boolean,
  whole: () => Iterable<string>,
  emit: (member: string, out: Reply[]) => void,
): Reply {
  const o = scanOptions(argv);
  if (o instanceof ErrorReply) return o;
  const out: Reply[] = [];
  if (small) {
    for (const m of whole()) if (o.pattern === null || globMatch(o.pattern, m)) emit(m, out);
    return [Buffer.from('0'), out];
  }
  const maxBuckets = Math.min(o.count * EMPTY_BUCKETS_PER_COUNT, 2 ** 31);
  const next = indexOf(c).scan(cursor, o.count, maxBuckets, (m) => {
    if (o.pattern === null || globMatch(o.pattern, m)) emit(m, out);
  });
  return [Buffer.from(String(next)), out];
}
