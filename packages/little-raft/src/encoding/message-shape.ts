// Shape check for messages handed over as objects (an in-process Cluster is untrusted too):
// is this value a well-formed Message as src/core/types.ts defines it?
import type { MessageType } from '../core/types.js';
import { isNat, termStartsProblem } from './numbers.js';

const NAT = 'is not a non-negative integer';
const BOOL = 'is not a boolean';

type Fields = Record<string, unknown>;

function natFields(m: Fields, names: readonly string[]): string | null {
  for (let i = 0; i < names.length; i++) {
    const name = names[i]!;
    if (!isNat(m[name])) return `${name} ${NAT}`;
  }
  return null;
}

function boolFields(m: Fields, names: readonly string[]): string | null {
  for (let i = 0; i < names.length; i++) {
    const name = names[i]!;
    if (typeof m[name] !== 'boolean') return `${name} ${BOOL}`;
  }
  return null;
}

function idsError(ids: unknown, path: string): string | null {
  if (!Array.isArray(ids)) return `${path} is not an array`;
  for (let i = 0; i < ids.length; i++) {
    if (!isNat(ids[i])) return `${path}[${i}] is not a replica id (non-negative integer)`;
  }
  return null;
}

function membershipError(c: unknown, path: string): string | null {
  if (typeof c !== 'object' || c === null) return `${path} is not an object`;
  const m = c as Fields;
  return (
    idsError(m['voters'], `${path}.voters`) ??
    idsError(m['learners'], `${path}.learners`) ??
    idsError(m['outgoing'], `${path}.outgoing`)
  );
}

function entriesError(entries: unknown): string | null {
  if (!Array.isArray(entries)) return 'entries is not an array';
  for (let i = 0; i < entries.length; i++) {
    const e: unknown = entries[i];
    if (typeof e !== 'object' || e === null) return `entries[${i}] is not an object`;
    const f = e as Fields;
    if (!isNat(f['index'])) return `entries[${i}].index ${NAT}`;
    if (!isNat(f['term'])) return `entries[${i}].term ${NAT}`;
    const t = f['transition'];
    const config = f['config'];
    if (config !== undefined) {
      if (t !== undefined) return `entries[${i}] has both a transition and a config`;
      const err = membershipError(config, `entries[${i}].config`);
      if (err !== null) return err;
    } else {
      if (t === undefined) return `entries[${i}] has neither a transition nor a config`;
      if (typeof t !== 'object' || t === null) return `entries[${i}].transition is not an object`;
      const id = (t as Fields)['id'];
      if (typeof id !== 'string' && typeof id !== 'number') {
        return `entries[${i}].transition.id is not a string or number`;
      }
    }
  }
  return null;
}

const ENVELOPE = ['from', 'to', 'term'] as const;

/** fromUid, toUid and memberUids are optional; when present, non-negative integers. */
function uidFields(f: Fields): string | null {
  for (const k of ['fromUid', 'toUid']) if (f[k] !== undefined && !isNat(f[k])) return `${k} ${NAT}`;
  const table = f['memberUids'];
  if (table === undefined) return null;
  if (!Array.isArray(table) || table.length % 2 !== 0) return 'memberUids is not a list of [id, uid] pairs';
  for (let i = 0; i < table.length; i++) if (!isNat(table[i])) return `memberUids[${i}] ${NAT}`;
  return null;
}

/** Per type: its non-negative integer fields and boolean fields (besides the envelope). */
const SIMPLE: Record<string, { nat: readonly string[]; bool: readonly string[] }> = {
  'vote-request': { nat: ['lastLogIndex', 'lastLogTerm'], bool: ['preVote', 'transfer'] },
  'vote-response': { nat: [], bool: ['granted', 'preVote'] },
  append: { nat: ['prevLogIndex', 'prevLogTerm', 'leaderCommit', 'seq'], bool: [] },
  'append-response': { nat: ['index', 'hintIndex', 'hintTerm', 'seq'], bool: ['success'] },
  snapshot: { nat: ['lastIncludedIndex', 'lastIncludedTerm', 'offset', 'seq'], bool: ['done'] },
  'snapshot-response': { nat: ['lastIncludedIndex', 'nextOffset', 'seq'], bool: [] },
  'timeout-now': { nat: [], bool: [] },
  'read-index': { nat: ['requestId'], bool: [] },
  'read-index-response': { nat: ['requestId', 'readIndex'], bool: [] },
};

/** Every message type, for validation. */
export const MESSAGE_TYPES = Object.keys(SIMPLE) as readonly MessageType[];

/**
 * Returns null when `m` is a well-formed Message (see src/core/types.ts): a known `type`;
 * `from`, `to`, `term` and every numeric field non-negative safe integers; every boolean
 * field a boolean; for 'append', entries with integer index and term and either a
 * transition (an object with a string or number id) or a config; memberships as arrays of
 * replica ids; for 'snapshot', termStarts as [firstIndex, term] pairs with both strictly
 * increasing, and data present (a Uint8Array chunk when offset > 0).
 * Otherwise returns a short reason, such as "append: entries[2].term is not a
 * non-negative integer". Extra fields are ignored.
 */
export function messageShapeError(m: unknown): string | null {
  if (typeof m !== 'object' || m === null) return 'message is not an object';
  const f = m as Fields;
  const type = f['type'];
  if (typeof type !== 'string') return 'message type is not a string';
  const spec = Object.hasOwn(SIMPLE, type) ? SIMPLE[type] : undefined;
  if (spec === undefined) {
    return `unknown message type ${JSON.stringify(type.length > 40 ? `${type.slice(0, 40)}...` : type)}`;
  }
  let err = natFields(f, ENVELOPE) ?? uidFields(f) ?? natFields(f, spec.nat) ?? boolFields(f, spec.bool);
  if (err === null) {
    if (type === 'append') {
      err = entriesError(f['entries']);
    } else if (type === 'snapshot') {
      err = membershipError(f['config'], 'config') ?? termStartsProblem(f['termStarts']);
      if (err === null && f['data'] === undefined) err = 'data is missing';
      if (err === null && (f['offset'] as number) > 0 && !(f['data'] instanceof Uint8Array)) {
        err = 'data is not a Uint8Array chunk although offset > 0';
      }
    }
  }
  return err === null ? null : `${type}: ${err}`;
}
