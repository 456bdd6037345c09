// What the sorted-set commands share: the typed lookup of a key and the replies of entries.

import { latin1Bytes } from '../../commands/args.js';
import { WRONGTYPE } from '../../resp/error-replies.js';
import { DoubleReply, ErrorReply, PairsReply, type Reply } from '../../resp/reply.js';
import type { KeyStore } from '../key-store.js';
import { ZSetValue, type ZEntry } from '../zset-value.js';

/** The sorted set at `key`: undefined if absent, WRONGTYPE if another type (`write`: as getForWrite). */
export function zsetAt(ks: KeyStore, key: string, t: number, write: boolean): ZSetValue | undefined | ErrorReply {
  const v = write ? ks.getForWrite(key, t) : ks.get(key, t);
  if (v === undefined || v instanceof ZSetValue) return v;
  return WRONGTYPE;
}

/**
 * Entries as Redis replies them: the members, or with `withScores` member/score pairs (one flat
 * array in RESP2, an array of pairs in RESP3).
 */
export function entriesReply(entries: readonly ZEntry[], withScores: boolean): Reply {
  if (!withScores) {
    const out = new Array<Reply>(entries.length);
    for (let i = 0; i < entries.length; i++) out[i] = latin1Bytes(entries[i]!.member);
    return out;
  }
  const flat = new Array<Reply>(entries.length * 2);
  for (let i = 0; i < entries.length; i++) {
    flat[2 * i] = latin1Bytes(entries[i]!.member);
    flat[2 * i + 1] = new DoubleReply(entries[i]!.score);
  }
  return new PairsReply(flat);
}

/**
 * Stores `entries` (in order) at `dst` as a sorted set, replacing whatever it held and its expiry,
 * or deletes `dst` when there are none (the STORE variants). Returns how many were stored.
 */
export function storeEntries(ks: KeyStore, dst: string, entries: readonly ZEntry[], t: number): number {
  if (entries.length === 0) {
    if (ks.getForWrite(dst, t) !== undefined) ks.remove(dst);
    return 0;
  }
  ks.put(dst, ZSetValue.fromSorted(entries));
  ks.persist(dst);
  return entries.length;
}
