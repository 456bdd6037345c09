// The KV service's Raft transition: a batch of write commands from one node, proposed as one entry.
//
// `origin` is the node that took the commands from its clients and `seq` that node's batch counter;
// when any replica applies the batch, the origin replica answers its clients from its own results.
// `at` is the leader's clock (ms since the epoch) when it proposed the batch: every replica uses it for
// expiry (SET EX/PX, expired keys), so they all agree.

import type { StateMachineTransition } from 'little-raft';

/**
 * A key a transaction's client WATCHed, as its node saw it after a read barrier: the key's version
 * (Keyspace.versionOf: the log index of its last change) and whether it was present (unexpired).
 */
export interface KvWatch {
  /** The key's bytes (latin1 in the key space). */
  readonly key: Uint8Array;
  readonly version: number;
  readonly present: boolean;
}

/**
 * A MULTI/EXEC transaction inside a batch: commands [start, start + count), reads among them, run
 * one after the other with nothing in between, reads answered from the state the writes before
 * them left. (The whole batch is applied in one step, so a span is never split or interleaved.)
 * With `watches`, it runs only if none of those keys changed (store/watch.ts); else none of it does.
 */
export interface KvTransactionSpan {
  readonly start: number;
  readonly count: number;
  /** Absent or empty: no WATCH. */
  readonly watches?: readonly KvWatch[] | undefined;
}

export interface KvBatch extends StateMachineTransition {
  /** `${origin}:${seq}`, or 'noop' for the election noop. */
  readonly id: string;
  readonly origin: number;
  readonly seq: number;
  readonly at: number;
  /** Each command is its argv: name first, as the client sent it (any case). */
  readonly commands: Uint8Array[][];
  /** The transactions among `commands`, in order and not overlapping; absent or undefined: none. */
  readonly transactions?: readonly KvTransactionSpan[] | undefined;
}

export const NOOP_BATCH: KvBatch = { id: 'noop', origin: 0, seq: 0, at: 0, commands: [] };

/** A plain copy of `batch` with time `at` (its fields read once: an EncodedBatch's are getters). */
export function withTime(batch: KvBatch, at: number): KvBatch {
  const { id, origin, seq, commands, transactions } = batch;
  return transactions === undefined
    ? { id, origin, seq, at, commands }
    : { id, origin, seq, at, commands, transactions };
}
