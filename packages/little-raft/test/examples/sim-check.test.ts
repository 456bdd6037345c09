// examples/sim-check.ts: a user's own state machine (the lock service's) checked with
// little-raft/sim under every fault. The example passes; the same machine made
// non-deterministic, in two ways users do by accident, is caught.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { simulate } from 'little-raft/sim';

import { LockMachine, type Holder } from '../../examples/lock-service/machine.js';
import { lockWorkload } from '../../examples/sim-check.js';
import { assertBuilt, runTsx } from './support.js';

const DIVERGED = /snapshots at index \d+ differ|different state machine states/;

test('npm run example:sim: the lock machine holds every invariant on a few seeds, all faults on', async () => {
  assertBuilt();
  const { code, output } = await runTsx(['examples/sim-check.ts', '1', '4']);
  assert.equal(code, 0, output);
  for (const seed of [1, 2, 3, 4]) assert.match(output, new RegExp(`^seed ${seed}: ok \\(`, 'm'));
  assert.match(output, /^all 4 seeds ok$/m);
});

/** Adds random jitter to leases "so that clients do not all renew at once": each replica draws its own. */
class JitteryLockMachine extends LockMachine {
  protected override leaseEnd(leaseMs: number): number {
    return this.clock + leaseMs + Math.floor(Math.random() * 100);
  }
}

/** Keeps its locks in one map shared by every instance: the replicas in a process share a state. */
const shared = new Map<string, Holder>();
class SharedLockMachine extends LockMachine {
  protected override readonly locks = shared;
}

for (const [name, create] of [
  ['Math.random in apply', () => new JitteryLockMachine()],
  ['state shared between instances', () => new SharedLockMachine()],
] as const) {
  test(`a non-deterministic machine (${name}) is caught as a violation`, async () => {
    assertBuilt();
    for (const seed of [2, 3, 4]) {
      shared.clear();
      const r = await simulate({ seed, nodes: 3, workload: lockWorkload(create) });
      assert.equal(r.ok, false, `seed ${seed} passed`);
      assert.match(r.violation ?? '', DIVERGED, `seed ${seed}`);
    }
  });
}
