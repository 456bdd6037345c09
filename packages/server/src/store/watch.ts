// WATCH's check, the same wherever it runs: when the state machine applies a transaction's span
// (at the leader's time of its batch, on every replica alike), and when a node answers a
// read-only transaction after a read barrier (at its read time).
//
// A watched key counts as changed when its version moved (any write to it, even of the same value,
// bumps it to the writing batch's log index) or when it was present and is absent now: it expired,
// or was deleted by FLUSHDB (which bumps no versions). A key that was already absent (expired) when
// it was watched and is then purged has not changed, as in Redis 7.0. A presence that differs the
// other way (the node watched at a later clock than the leader applies at) aborts too: safe, the
// client retries.

import { latin1 } from '../commands/args.js';
import { ErrorReply } from '../resp/reply.js';
import type { KvWatch } from './batch.js';
import type { KeyStore } from './key-store.js';

/**
 * What every reply of a span skipped for a changed watched key is: the node hands it back as the
 * transaction's replies, and EXEC answers nil. Compared by identity; its text is never meant to
 * reach a client.
 */
export const WATCH_ABORTED = new ErrorReply('ERR transaction aborted: a watched key changed');

/** `key`'s record for WATCH in `ks` at time `t`. */
export function watchOf(ks: KeyStore, key: Uint8Array, t: number): KvWatch {
  const name = latin1(key);
  return { key, version: ks.versionOf(name), present: ks.get(name, t) !== undefined };
}

/** Whether no watched key changed: the transaction may run. */
export function watchesHold(ks: KeyStore, watches: readonly KvWatch[], t: number): boolean {
  for (const w of watches) {
    const now = watchOf(ks, w.key, t);
    if (now.version !== w.version || now.present !== w.present) return false;
  }
  return true;
}
