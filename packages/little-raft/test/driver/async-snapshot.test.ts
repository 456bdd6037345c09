// Snapshots taken asynchronously (createSnapshot returning a promise) and triggered by log bytes
// (snapshotLogBytes): the replica keeps applying while one is taken, asks for no second one
// meanwhile, compacts the log at the index it asked for once the promise resolves, and a restart
// loads that snapshot and re-applies what follows.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import type { Snapshot } from '../../src/core/types.js';
import { Calculator, ReplicaNet, type Op } from '../support/replica-net.js';

/** A calculator that takes its snapshots later: the state at the call, handed over when released. */
class SlowSnapshots extends Calculator {
  asked: { index: number; release: () => void }[] = [];

  override createSnapshot(lastIncludedIndex: number, lastIncludedTerm: number): Promise<Snapshot<Uint8Array>> {
    const taken = this.snapshotNow(lastIncludedIndex, lastIncludedTerm); // the state as of now
    return new Promise((resolve) => this.asked.push({ index: lastIncludedIndex, release: () => resolve(taken) }));
  }
}

function ops(prefix: string, n: number): Op[] {
  return Array.from({ length: n }, (_, i) => ({ id: `${prefix}${i + 1}`, delta: i + 1 }));
}

test('an asynchronous snapshot: entries keep being applied, no second one is asked, the log is compacted at its index', async () => {
  const net = new ReplicaNet({ seed: 61, replica: { snapshotDelta: 3 } });
  const machines = new Map(net.ids.map((id) => [id, new SlowSnapshots()]));
  for (const id of net.ids) net.start(id, {}, machines.get(id));
  const leader = await net.waitForLeader();
  const machine = machines.get(leader)!;
  for (const op of ops('a', 3)) await net.settle(net.replica(leader).propose(op));
  await net.until(() => machine.asked.length === 1, 'the leader asks for a snapshot');
  const asked = machine.asked[0]!.index;
  for (const op of ops('b', 8)) await net.settle(net.replica(leader).propose(op));
  await net.waitForApplied();
  const during = net.replica(leader).status();
  assert.ok(during.lastApplied >= asked + 8, 'entries were applied while the snapshot was being taken');
  assert.equal(during.snapshotIndex, 0, 'nothing compacted before the snapshot is ready');
  assert.equal(machine.asked.length, 1, 'no second snapshot asked while one is being taken');

  machine.asked[0]!.release();
  await net.until(() => net.replica(leader).status().snapshotIndex === asked, 'the log is compacted');
  const value = machine.value;
  // The next one is asked for (the log is more than snapshotDelta past the first), at a later index.
  await net.until(() => machine.asked.length === 2, 'the next snapshot is asked for');
  assert.ok(machine.asked[1]!.index > asked);

  // A restart loads the snapshot taken at `asked` and re-applies what follows it.
  const fresh = new SlowSnapshots();
  await net.restart(leader, {}, fresh);
  await net.until(() => fresh.value === value, 'the restarted replica is back to the same value');
  assert.equal(fresh.loaded[0]?.lastIncludedIndex, asked, 'restored from the asynchronous snapshot');
  for (const m of machines.values()) for (const a of m.asked) a.release();
  await net.stopAll();
});

test('snapshotLogBytes: a snapshot once the entries applied since the last add up to that many bytes', async () => {
  // Every entry counts 24 + 100 bytes: 3 of them reach 350 bytes.
  const replica = { snapshotLogBytes: 350, transitionSize: () => 100 };
  const net = new ReplicaNet({ seed: 62, replica });
  net.startAll();
  const leader = await net.waitForLeader();
  for (const op of ops('c', 9)) await net.settle(net.replica(leader).propose(op));
  await net.waitForApplied();
  const created = net.machine(leader).created.map((s) => s.lastIncludedIndex);
  assert.ok(created.length >= 3, `snapshots at ${created.join(', ')}`);
  for (let i = 1; i < created.length; i++)
    assert.equal(created[i]! - created[i - 1]!, 3, `every 3 entries: ${created.join(', ')}`);
  assert.equal(net.replica(leader).status().snapshotIndex, created.at(-1));
  await net.stopAll();
});
