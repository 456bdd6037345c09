// Validation of a StoredIdentity read from untrusted bytes (a storage file) or handed to a store.

import type { StoredIdentity } from '../core/types.js';
import { isNat } from './numbers.js';

function isUid(v: unknown): v is number {
  return Number.isSafeInteger(v) && (v as number) > 0;
}

/** null when `v` is a well-formed StoredIdentity; otherwise what is wrong with it. */
export function identityShapeError(v: unknown): string | null {
  if (typeof v !== 'object' || v === null) return 'identity is not an object';
  const f = v as Record<string, unknown>;
  if (!isUid(f['uid'])) return 'identity uid is not a positive safe integer';
  const peers = f['peers'];
  if (!Array.isArray(peers)) return 'identity peers is not an array';
  for (const [i, p] of peers.entries()) {
    if (!Array.isArray(p) || p.length !== 2 || !isNat(p[0]) || !isUid(p[1])) {
      return `identity peers[${i}] is not an [id, uid] pair`;
    }
  }
  const x = f['excluded'];
  if (x !== null) {
    if (typeof x !== 'object' || x === undefined) return 'identity excluded is neither null nor an object';
    const e = x as Record<string, unknown>;
    if (!isNat(e['by']) || !isUid(e['uid'])) return 'identity excluded needs a replica id `by` and a uid';
  }
  return null;
}

/** A deep copy, so a store never shares an object with its caller. */
export function copyIdentity(identity: StoredIdentity): StoredIdentity {
  return {
    uid: identity.uid,
    peers: identity.peers.map(([id, uid]) => [id, uid]),
    excluded: identity.excluded === null ? null : { ...identity.excluded },
  };
}
