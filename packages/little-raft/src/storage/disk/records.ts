// The log records DiskStorage writes (see format.ts): those a write becomes, SNAPSHOT, TRUNCATE,
// ENTRIES, HARD, in the order StorageWrite applies them; and those that open a segment.

import type { HardState, StorageWrite } from '../../core/types.js';
import type { Codec } from '../../encoding/codec.js';
import {
  Builder,
  encodeMembership,
  FORMAT_VERSION,
  HAS_CONFIG,
  HAS_TRANSITION,
  REC_ENTRIES,
  REC_HARD,
  REC_HEADER,
  REC_SNAPSHOT,
  REC_TRUNCATE,
} from './format.js';
import type { SnapshotFile } from './snapshot-file.js';

/** The snapshot a log names: covering entries up to `index`, held in snap-`fileSeq`.snap. */
export interface SnapshotRef {
  index: number;
  term: number;
  fileSeq: number;
}

/** A write as records, and what the log's shape needs from it. */
export interface EncodedWrite {
  /** Its bytes, as pieces to be written one after the other (an entry's big transition is one). */
  records: Uint8Array[];
  snapshot?: SnapshotRef & { file: SnapshotFile };
  truncateFrom?: number;
  first: number;
  terms: number[];
  hardState?: HardState;
  /**
   * The write changes only the commit index (no snapshot, truncation or entries; term and vote
   * as before). It is not synced on its own: see DiskStorage.flush. Set by the caller.
   */
  commitOnly: boolean;
}

/** The records of `batch`, whose snapshot (if any) is `snapshot`; transitions encoded by `codec`. */
export function encodeWrite<T, D>(
  batch: StorageWrite<T, D>,
  snapshot: EncodedWrite['snapshot'],
  codec: Codec<T>,
): EncodedWrite {
  const { truncateFrom, entries, hardState } = batch;
  const b = new Builder(entries ? 64 + entries.length * 128 : 64);
  const out: EncodedWrite = { records: [], first: 0, terms: [], commitOnly: false };
  if (snapshot !== undefined) {
    out.snapshot = snapshot;
    writeSnapshotRef(b, snapshot);
  }
  if (truncateFrom !== undefined) {
    out.truncateFrom = truncateFrom;
    b.u8(REC_TRUNCATE);
    b.f64(truncateFrom);
  }
  if (entries !== undefined && entries.length > 0) {
    out.first = entries[0]!.index;
    b.u8(REC_ENTRIES);
    b.f64(out.first);
    b.u32(entries.length);
    for (const e of entries) {
      out.terms.push(e.term);
      b.f64(e.term);
      const flags = (e.transition !== undefined ? HAS_TRANSITION : 0) | (e.config !== undefined ? HAS_CONFIG : 0);
      b.u8(flags);
      if (e.transition !== undefined) b.lengthPrefixedShared(codec.encode(e.transition));
      if (e.config !== undefined) b.lengthPrefixed(encodeMembership(e.config));
    }
  }
  if (hardState !== undefined) {
    out.hardState = { term: hardState.term, vote: hardState.vote, commit: hardState.commit };
    b.u8(REC_HARD);
    b.f64(hardState.term);
    b.f64(hardState.vote === null ? -1 : hardState.vote);
    b.f64(hardState.commit);
  }
  out.records = b.pieces();
  return out;
}

/** The records that open segment `seq`: its header, the hard state and the snapshot (if any). */
export function headerRecords(seq: number, h: HardState, s: SnapshotRef | null): Uint8Array {
  const b = new Builder();
  b.u8(REC_HEADER);
  b.u8(FORMAT_VERSION);
  b.f64(seq);
  b.u8(REC_HARD);
  b.f64(h.term);
  b.f64(h.vote === null ? -1 : h.vote);
  b.f64(h.commit);
  if (s) writeSnapshotRef(b, s);
  return b.finish();
}

/** The SNAPSHOT record naming `s` alone. */
export function snapshotRecord(s: SnapshotRef): Uint8Array {
  const b = new Builder();
  writeSnapshotRef(b, s);
  return b.finish();
}

function writeSnapshotRef(b: Builder, s: SnapshotRef): void {
  b.u8(REC_SNAPSHOT);
  b.f64(s.index);
  b.f64(s.term);
  b.f64(s.fileSeq);
}
