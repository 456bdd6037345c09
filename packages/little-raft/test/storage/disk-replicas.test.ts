// Three Replicas in one process over DiskStorage in temporary directories (small segments and
// snapshots, so that rollovers, compaction and segment deletion all happen): they survive
// restarts of one replica at a time and of the whole cluster with every committed entry.
// Virtual time advances only while no disk write is in flight, so the disk's real latency
// never fires election timers (as with a disk of zero latency).
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';

import type { ReplicaId, Storage, StorageWrite, StoredState } from '../../src/core/types.js';
import { DiskStorage } from '../../src/storage/disk/index.js';
import { Calculator, ReplicaNet, type Op } from '../support/replica-net.js';
import { tempDir } from '../support/temp-dir.js';

/** A DiskStorage whose calls in flight can be awaited. */
class Watched implements Storage<Op, Uint8Array> {
  private inFlight = new Set<Promise<unknown>>();
  constructor(readonly disk: DiskStorage<Op>) {}

  private watch<V>(p: Promise<V>): Promise<V> {
    this.inFlight.add(p);
    const done = (): void => {
      this.inFlight.delete(p);
    };
    p.then(done, done);
    return p;
  }

  load(): Promise<StoredState<Op, Uint8Array>> {
    return this.watch(this.disk.load());
  }

  write(batch: StorageWrite<Op, Uint8Array>): Promise<void> {
    return this.watch(this.disk.write(batch));
  }

  async settled(): Promise<boolean> {
    if (this.inFlight.size === 0) return false;
    await Promise.allSettled([...this.inFlight]);
    return true;
  }
}

class DiskNet {
  readonly net = new ReplicaNet({ seed: 5, replica: { snapshotDelta: 20 } });
  readonly dirs = new Map<ReplicaId, string>();
  readonly storages = new Map<ReplicaId, Watched>();

  constructor(t: TestContext) {
    for (const id of this.net.ids) this.dirs.set(id, tempDir(t));
    t.after(async () => {
      for (const s of this.storages.values()) await s.disk.close();
    });
  }

  start(id: ReplicaId): void {
    const storage = new Watched(new DiskStorage<Op>({ dir: this.dirs.get(id)!, segmentBytes: 2048 }));
    this.storages.set(id, storage);
    this.net.start(id, { storage }, new Calculator());
  }

  async stop(id: ReplicaId): Promise<void> {
    await this.net.stop(id);
    await this.storages.get(id)!.disk.close();
  }

  /** Flushes the replicas and waits for their disk I/O until nothing is left. */
  async settle(): Promise<void> {
    for (;;) {
      await this.net.flush();
      let waited = false;
      for (const s of this.storages.values()) if (await s.settled()) waited = true;
      if (!waited) return;
    }
  }

  async until(condition: () => boolean, what: string, maxMs = 30_000): Promise<void> {
    await this.settle();
    for (let t = 0; !condition(); t += 5) {
      if (t >= maxMs) throw new Error(`not reached within ${maxMs} virtual ms: ${what}`);
      this.net.clock.advance(5);
      await this.settle();
    }
  }

  async leader(): Promise<ReplicaId> {
    let leader: ReplicaId | null = null;
    await this.until(() => {
      leader = this.net.leader();
      return leader !== null && this.net.ids.every((id) => this.net.replica(id).status().leaderId === leader);
    }, 'a leader that everyone follows');
    return leader!;
  }

  async propose(ops: Op[]): Promise<void> {
    for (const op of ops) {
      const leader = await this.leader();
      let done = false;
      let failed: unknown = null;
      this.net
        .replica(leader)
        .propose(op)
        .then(
          () => (done = true),
          (e: unknown) => (failed = e),
        );
      await this.until(() => done || failed !== null, `${String(op.id)} applied`);
      // eslint-disable-next-line @typescript-eslint/only-throw-error -- rethrows the proposal's own rejection reason
      if (failed) throw failed;
    }
  }

  async allApplied(): Promise<void> {
    await this.until(() => {
      const leader = this.net.leader();
      if (leader === null) return false;
      const commit = this.net.replica(leader).status().commitIndex;
      return this.net.ids.every((id) => this.net.replica(id).status().lastApplied >= commit);
    }, 'every replica applied the leader commit index');
  }
}

const ops = (prefix: string, n: number): Op[] =>
  Array.from({ length: n }, (_, i) => ({ id: `${prefix}${i}`, delta: i + 1 }));
const sum = (list: Op[]): number => list.reduce((a, op) => a + op.delta, 0);

test('a DiskStorage cluster survives restarts of each replica and of the whole cluster', async (t) => {
  const d = new DiskNet(t);
  const net = d.net;
  for (const id of net.ids) d.start(id);
  const committed: Op[] = [];
  const first = ops('a', 45);
  await d.propose(first);
  committed.push(...first);
  await d.allApplied();
  for (const id of net.ids) {
    const files = readdirSync(d.dirs.get(id)!);
    assert.ok(
      files.some((f) => f.endsWith('.snap')),
      `replica ${id} took a snapshot`,
    );
  }

  // One replica at a time, the leader included: each recovers its log and snapshot from disk.
  for (const id of [...net.ids]) {
    await d.stop(id);
    d.start(id);
    await d.settle();
    const recovered = net.replica(id).status();
    assert.ok(recovered.snapshotIndex > 0, `replica ${id} restored its snapshot`);
    assert.equal(net.machine(id).value, sum(committed), `replica ${id} recovered every committed transition`);
    const more = ops(`r${id}-`, 5);
    await d.propose(more);
    committed.push(...more);
    await d.allApplied();
  }

  // The whole cluster at once.
  for (const id of net.ids) await d.stop(id);
  for (const id of net.ids) d.start(id);
  await d.leader();
  const last = ops('z', 10);
  await d.propose(last);
  committed.push(...last);
  await d.allApplied();
  const ids = committed.map((op) => op.id);
  for (const id of net.ids) {
    const m = net.machine(id);
    assert.equal(m.value, sum(committed), `replica ${id}: value`);
    assert.deepEqual(
      m.history.filter((x) => x !== 0),
      ids,
      `replica ${id}: every committed transition, in order`,
    );
  }
});
