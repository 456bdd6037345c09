// Backups for the backup tests: real key space snapshots (KvStateMachine.createSnapshot), so the
// files they make pass readBackupFile's check that the data loads.
import type { BackupContents } from '../../src/ops/backup-file.js';
import { seqOf } from '../../src/store/dedupe.js';
import { KvStateMachine } from '../../src/store/state-machine.js';
import { cmd, plain, T0 } from './kv-helpers.js';
import { inMemory } from './in-memory-snapshot.js';

function emptyMachine(): KvStateMachine {
  return new KvStateMachine({
    applied: () => undefined,
    abandoned: () => undefined,
    pending: () => [],
    restored: () => undefined,
  });
}

/** A backup of `keys` keys `key:<i>` each holding `valueBytes` bytes ('v<i>' repeated), at `index`. */
export async function sampleBackup(keys: number, valueBytes = 8, index = 42, cluster = 'c1'): Promise<BackupContents> {
  const machine = emptyMachine();
  const commands = [];
  for (let i = 0; i < keys; i++) commands.push(cmd(['set', `key:${i}`, valueOf(i, valueBytes)]));
  machine.applyTransition({ id: `1:${seqOf(1, 1)}`, origin: 1, seq: seqOf(1, 1), at: T0, commands }, index);
  const { data } = await inMemory(machine.createSnapshot(index, 3));
  return { cluster, index, term: 3, createdAt: '2024-05-01T12:00:00.000Z', data };
}

export function valueOf(i: number, valueBytes: number): string {
  return `v${i}`.repeat(valueBytes).slice(0, valueBytes);
}

/** GET `key` from the key space `data` (a snapshot) loads into. */
export function keyIn(data: Uint8Array, key: string): unknown {
  const machine = emptyMachine();
  machine.loadNow({ lastIncludedIndex: 1, lastIncludedTerm: 1, data });
  return plain(machine.keyspace.read(cmd(['get', key]), T0));
}
