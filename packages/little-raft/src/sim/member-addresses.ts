// Members' addresses as the server keeps them: records in the replicated state, one key per
// member, committed through the log before a member is added and deleted once a configuration
// without it is committed. Here they live in the key-value workload's machine, under keys the
// clients never touch (theirs are `k<n>`).
import type { ReplicaId } from '../core/types.js';
import type { KvMachine, KvTransition } from './kv-machine.js';

const PREFIX = 'member/';

/** A made-up address: what matters is whether a replica knows one, not what it is. */
function addressFor(id: ReplicaId): string {
  return `addr-${id}`;
}

/** The records a new cluster starts with: its bootstrap members', as `--peers` seeds the server's. */
export function seedAddresses(ids: readonly ReplicaId[]): [string, string][] {
  return ids.map((id) => [PREFIX + id, addressFor(id)]);
}

/** The transition that records `id`'s address; `seq` keeps transition ids unique within a run. */
export function recordAddress(id: ReplicaId, seq: number): KvTransition {
  return { id: `m${seq}.record.${id}`, op: 'put', key: PREFIX + id, value: addressFor(id) };
}

/** The transition that deletes `id`'s address record. */
export function forgetAddress(id: ReplicaId, seq: number): KvTransition {
  return { id: `m${seq}.forget.${id}`, op: 'delete', key: PREFIX + id, value: '' };
}

/** `id`'s address in a replica's applied state; undefined when it has no record. */
export function addressOf(machine: KvMachine, id: ReplicaId): string | undefined {
  return machine.data.get(PREFIX + id);
}

/** The ids that have an address record in a replica's applied state, ascending. */
export function recordedMembers(machine: KvMachine): ReplicaId[] {
  const ids: ReplicaId[] = [];
  for (const key of machine.data.keys()) if (key.startsWith(PREFIX)) ids.push(Number(key.slice(PREFIX.length)));
  return ids.sort((a, b) => a - b);
}

/** The member whose record `t` deletes, if it deletes one. */
export function forgottenMember(t: KvTransition): ReplicaId | undefined {
  return t.op === 'delete' && t.key.startsWith(PREFIX) ? Number(t.key.slice(PREFIX.length)) : undefined;
}
