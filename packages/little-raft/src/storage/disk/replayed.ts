// Applying a store's log records, in order, to what replaying it has found so far: the log's
// shape, the last hard state, the snapshot the log names, and (when decoding) the entries. This
// runs per frame and per entry over logs that may hold millions: no object per record, and the
// loops in methods of their own that the JIT optimizes early.

import { RaftLog } from '../../core/log.js';
import { type SegmentBytes, StoredEntry } from './entry.js';
import {
  FORMAT_VERSION,
  HAS_CONFIG,
  HAS_TRANSITION,
  type Reader,
  REC_ENTRIES,
  REC_HARD,
  REC_HEADER,
  REC_SNAPSHOT,
  REC_TRUNCATE,
} from './format.js';
import { LogShape } from './shape.js';

const isSafe = Number.isSafeInteger;

/** What replaying a store's records has found so far. */
export class Replayed<T> {
  readonly shape = new LogShape();
  // The last hard state: numbers, not an object per record (a log may hold millions).
  hardTerm = 0;
  hardVote = -1;
  hardCommit = 0;
  snapshotSeq = 0;
  snapshotAt = '';
  /** The entries after `base` (while decoding), in the core's chunked log. */
  entries = new RaftLog<T>();
  /** Index before the first entry replay holds: while decoding, entries.snapshotIndex. */
  base = 0;
  /** The terms of one ENTRIES record, reused. */
  terms = new Float64Array(1024);
  /** Whether the next record is the first of its segment. */
  firstRecord = true;

  constructor(readonly decode: boolean) {}

  /**
   * Applies the records in the frames at `bounds` (payload start, end, ...) of segment `seq`,
   * read through `r`. A method of its own, not a loop in the async replay(), so that the JIT
   * optimizes it early: this runs per frame.
   */
  frames(r: Reader, source: SegmentBytes<T>, bounds: number[], seq: number, path: string): void {
    for (let f = 0; f < bounds.length; f += 2) {
      const end = bounds[f + 1]!;
      r.range(bounds[f]!, end);
      while (!r.done) {
        const at = r.pos;
        const type = r.u8();
        if (this.firstRecord !== (type === REC_HEADER)) {
          r.fail(
            this.firstRecord ? 'the segment does not start with a header record' : 'a header record inside a segment',
            at,
          );
        }
        this.firstRecord = false;
        // The most frequent first: a write of entries (and a hard state).
        if (type === REC_ENTRIES) this.entriesRecord(r, source, end, seq, at);
        else if (type === REC_HARD) this.hardRecord(r, source.view, end);
        else if (type === REC_HEADER) this.headerRecord(r, seq, at);
        else if (type === REC_SNAPSHOT) this.snapshotRecord(r, path, at);
        else if (type === REC_TRUNCATE) this.truncateRecord(r, at);
        else r.fail(`unknown record type ${type}`, at);
      }
    }
  }

  /** An ENTRIES record (type at `at`, fields at r.pos) in a frame ending at `end`. */
  private entriesRecord(r: Reader, source: SegmentBytes<T>, end: number, seq: number, at: number): void {
    // As for REC_HARD: inline when well-formed, else through r, which says what is wrong.
    const p = r.pos;
    const f64 = end - p >= 12 ? source.view.getFloat64(p, true) : NaN;
    let first: number;
    let count: number;
    if (f64 >= 1 && isSafe(f64)) {
      first = f64;
      count = source.view.getUint32(p + 8, true);
      r.pos = p + 12;
    } else {
      first = r.int('first entry index', 1);
      count = r.u32();
    }
    // Each entry takes at least 9 bytes (term and flags).
    if (count * 9 > end - r.pos) r.fail(`${count} entries cannot fit in the rest of the frame`, at);
    if (first <= this.shape.snapIndex)
      r.fail(`entries from ${first}, inside the snapshot at ${this.shape.snapIndex}`, at);
    if (first > this.shape.last + 1 || first - 1 < this.base) {
      // A gap: the log's start lies in deleted segments (checked once replay is done).
      this.base = first - 1;
      this.entries = new RaftLog(this.base);
      this.shape.reset(this.base);
    } else if (this.decode) {
      this.entries.truncateFrom(first);
    }
    if (this.terms.length < count) this.terms = new Float64Array(count);
    readEntries(r, source, first, count, this.terms, this.decode ? this.entries : null);
    this.shape.append(first, this.terms, seq, count); // no subarray: one per record adds up
  }

  /** A HARD record (fields at r.pos) in a frame ending at `end`. */
  private hardRecord(r: Reader, view: DataView, end: number): void {
    // Inline when well-formed (one per write: this runs per frame); else r.int says what is wrong.
    const p = r.pos;
    if (end - p >= 24) {
      const term = view.getFloat64(p, true);
      const vote = view.getFloat64(p + 8, true);
      const commit = view.getFloat64(p + 16, true);
      if (term >= 0 && vote >= -1 && commit >= 0 && isSafe(term) && isSafe(vote) && isSafe(commit)) {
        this.hardTerm = term;
        this.hardVote = vote;
        this.hardCommit = commit;
        r.pos = p + 24;
        return;
      }
    }
    this.hardTerm = r.int('hard state term');
    this.hardVote = r.int('hard state vote', -1);
    this.hardCommit = r.int('hard state commit');
  }

  /** A HEADER record (type at `at`), which must name segment `seq`. */
  private headerRecord(r: Reader, seq: number, at: number): void {
    const version = r.u8();
    if (version !== FORMAT_VERSION) r.fail(`format version ${version}; this DiskStorage reads ${FORMAT_VERSION}`, at);
    const s = r.int('segment seq');
    if (s !== seq) r.fail(`the header names segment ${s}`, at);
  }

  /** A SNAPSHOT record (type at `at` in the file at `path`). */
  private snapshotRecord(r: Reader, path: string, at: number): void {
    const index = r.int('snapshot index');
    const term = r.int('snapshot term');
    const fileSeq = r.int('snapshot file', 1);
    if (index < this.shape.snapIndex)
      r.fail(`snapshot at ${index} is older than the one at ${this.shape.snapIndex}`, at);
    const lastBefore = this.shape.last;
    this.shape.snapshot(index, term);
    if (index >= lastBefore) {
      this.base = index;
      this.entries = new RaftLog(this.base);
    } else if (index > this.base) {
      if (this.decode) this.entries.compact(index, term);
      this.base = index;
    }
    this.snapshotSeq = fileSeq;
    this.snapshotAt = `${path} at byte ${at}`;
  }

  /** A TRUNCATE record (type at `at`). */
  private truncateRecord(r: Reader, at: number): void {
    const from = r.int('truncation index');
    if (from <= this.shape.snapIndex)
      r.fail(`truncation at ${from}, inside the snapshot at ${this.shape.snapIndex}`, at);
    if (from - 1 < this.base) {
      this.base = from - 1;
      this.entries = new RaftLog(this.base);
      this.shape.reset(this.base);
    } else if (from <= this.shape.last) {
      if (this.decode) this.entries.truncateFrom(from);
      this.shape.truncate(from);
    }
  }
}

/**
 * Reads the `count` entries of an ENTRIES record at `r` (first index `first`): their terms into
 * `terms`, and, with `into`, the entries. Field by field as Reader would, but inline and in a
 * function of its own that the JIT optimizes early: this runs per entry.
 */
function readEntries<T>(
  r: Reader,
  source: SegmentBytes<T>,
  first: number,
  count: number,
  terms: Float64Array,
  into: RaftLog<T> | null,
): void {
  const { buf, view } = source;
  const end = r.end;
  let p = r.pos;
  for (let i = 0; i < count; i++) {
    const entryAt = p;
    if (end - p < 9) r.fail('an entry runs past the end of its frame', entryAt);
    const term = view.getFloat64(p, true);
    if (!(term >= 0 && Number.isSafeInteger(term))) r.fail(`entry term is ${term}, not an integer >= 0`, p);
    const flags = buf[p + 8]!;
    if (flags > (HAS_TRANSITION | HAS_CONFIG)) r.fail(`entry flags ${flags}`, entryAt);
    terms[i] = term;
    p += 9;
    let at = -1;
    if (flags & HAS_TRANSITION) {
      if (end - p < 4) r.fail('a length runs past the end of its frame', p);
      const length = view.getUint32(p, true);
      at = p;
      p += 4;
      if (end - p < length) r.fail('a transition runs past the end of its frame', p);
      p += length;
    }
    const index = first + i;
    if (flags & HAS_CONFIG) {
      r.pos = p;
      const config = r.membership(`the configuration of entry ${index}`);
      p = r.pos;
      // Configuration entries (rare) are plain objects; one with a transition too (which no
      // Replica writes) has it decoded now.
      if (into !== null) {
        into.push(
          at < 0
            ? { index, term, config }
            : { index, term, transition: new StoredEntry(index, term, source, at).transition, config },
        );
      }
    } else if (into !== null) {
      into.push(at >= 0 ? new StoredEntry(index, term, source, at) : { index, term });
    }
  }
  r.pos = p;
}
