// HSCAN and SSCAN (and whatever else scans inside one collection): the walk, after the options
// (scan-args.ts).
//
// A small collection is answered whole with cursor 0, as Redis answers a listpack or intset (it
// ignores the cursor then). A large one is walked in its member index's hash order
// (store/member-index.ts): the cursor is a hash position, so an iteration returns every member
// present from its start to its end at least once, whatever changes between the calls.

import { ErrorReply, type Reply } from '../../resp/reply.js';
import { indexOf, type Indexable } from '../member-index.js';
import { scanMatches, scanOptions } from './scan-args.js';

/** Empty buckets a call may pass per member it was asked for (Redis's dictScan: 10 per COUNT). */
const EMPTY_BUCKETS_PER_COUNT = 10;

/** The reply to a scan of a missing key (Redis's shared.emptyscan). */
export function emptyScan(): Reply {
  return [Buffer.from('0'), []];
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
  // MATCH and COUNT are read after the key is looked up, as Redis does.
  const o = scanOptions(argv, 3, false);
  if (o instanceof ErrorReply) return o;
  const out: Reply[] = [];
  if (small) {
    for (const m of whole()) if (scanMatches(o, m)) emit(m, out);
    return [Buffer.from('0'), out];
  }
  const maxBuckets = Math.min(o.count * EMPTY_BUCKETS_PER_COUNT, 2 ** 31);
  const next = indexOf(c).scan(cursor, o.count, maxBuckets, (m) => {
    if (scanMatches(o, m)) emit(m, out);
  });
  return [Buffer.from(String(next)), out];
}
