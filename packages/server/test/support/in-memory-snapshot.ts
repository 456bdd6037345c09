// KvStateMachine.createSnapshot as the state machine tests read it: a snapshot taken without a
// storage to write it to is in memory, a Uint8Array.
import assert from 'node:assert/strict';

import type { Snapshot, SnapshotBytes } from 'little-raft';

export async function inMemory(taking: Promise<Snapshot<SnapshotBytes>>): Promise<Snapshot<Uint8Array>> {
  const snapshot = await taking;
  assert.ok(snapshot.data instanceof Uint8Array, 'a snapshot taken in memory is a Uint8Array');
  return { ...snapshot, data: snapshot.data };
}
