// WATCH's check, the same wherever it runs: when the state machine applies a transaction's span
// (at the leader's time of its batch, on every replica alike), and when a node answers a
// read-only transaction after a read barrier (at its read time).
//
// A watched key counts as changed when its version passed the log index the watching node had
// applied when it recorded the WATCH (any write to it, even of the same value, bumps its version
// to the writing batch's index, which is later) or when it was present and is absent now: it expired,
// or was deleted by FLUSHDB (which bumps no versions). A key that was already absent (expired) when
// it was watched and is then purged has not changed, as in Redis 7.0. A presence that differs the
// other way (the node watched at a later clock than the leader applies at) aborts too: safe, the
// client retries.
//
// Recording the applied index rather than the key's own version keeps spurious aborts rare: the
// key space remembers versions for a bounded number of keys (the rest report a floor that rises as
// old ones are forgotten), and the floor passes the applied index only after that many other keys
// were written since the WATCH.

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

/** `key`'s record for WATCH in `ks` at time `t`, when the log up to index `applied` is applied. */
export function watchOf(ks: KeyStore, key: Uint8Array, t: number, applied: number): KvWatch {
  const name = latin1(key);
  // versionOf is at most `applied`; max() keeps the record right should that ever not hold.
  return { key, version: Math.max(ks.versionOf(name), applied), present: ks.get(name, t) !== undefined };
}

/** Whether no watched key changed: the transaction may run. */
export function watchesHold(ks: KeyStore, watches: readonly KvWatch[], t: number): boolean {
  for (const w of watches) {
    const name = latin1(w.key);
    // A key's version never decreases: a forgotten one reports the floor, which is at least its last.
    if (ks.versionOf(name) > w.version || (ks.get(name, t) !== undefined) !== w.present) return false;
  }
  return true;
}
