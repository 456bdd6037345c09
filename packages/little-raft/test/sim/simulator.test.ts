import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Snapshot } from '../../src/core/types.js';
import type { StateMachine } from '../../src/driver/replica.js';
import { FAULTS, simulate } from '../../src/sim/simulator.js';
import type { SimWorkload } from '../../src/sim/workload.js';

/** A user's own state machine: a running sum, snapshotted as bytes. */
interface Add {
  id: string;
  amount: number;
}
class Sum implements StateMachine<Add, Uint8Array> {
  total = 0;
  constructor(private readonly flaky = false) {}
  registerTransitionState(): void {}
  applyTransition(t: Add): void {
    // The flaky variant is not deterministic: replicas diverge, and the simulator must notice.
    this.total += this.flaky && Math.random() < 0.5 ? 0 : t.amount;
  }
  getPendingTransitions(): Add[] {
    return [];
  }
  createSnapshot(lastIncludedIndex: number, lastIncludedTerm: number): Snapshot<Uint8Array> {
    return { lastIncludedIndex, lastIncludedTerm, data: new TextEncoder().encode(String(this.total)) };
  }
  setSnapshot(snapshot: Snapshot<Uint8Array>): void {
    this.total = Number(new TextDecoder().decode(snapshot.data));
  }
}

function sumWorkload(flaky: boolean): SimWorkload<Add> {
  return {
    noop: { id: 'noop', amount: 0 },
    createMachine: () => new Sum(flaky),
    nextTransition: (random, client, seq) => ({ id: `c${client}.${seq}`, amount: random.int(1, 9) }),
    describe: (machine) => String((machine as Sum).total),
  };
}

test('the same seed replays bit for bit', async () => {
  const a = await simulate({ seed: 42, nodes: 5, trace: true });
  const b = await simulate({ seed: 42, nodes: 5, trace: true });
  assert.deepEqual(a, b);
  assert.ok(a.trace.length > 100, 'the trace records the run');
  const c = await simulate({ seed: 43, nodes: 5, trace: true });
  assert.notDeepEqual(a.trace, c.trace, 'another seed gives another run');
});

test('a run does real work: leaders, commits, crashes, acknowledged writes', async () => {
  const r = await simulate({ seed: 7, nodes: 3 });
  assert.equal(r.violation, null);
  assert.ok(r.stats.committed > 50, `committed ${r.stats.committed}`);
  assert.ok(r.stats.acknowledged > 20, `acknowledged ${r.stats.acknowledged}`);
  assert.ok(r.stats.leaders >= 1);
  assert.ok(r.stats.reads > 10, `linearizable reads ${r.stats.reads}`);
  assert.ok(r.stats.membershipChanges > 0, 'membership changes were tried');
  assert.ok(r.stats.transfers > 0, 'leadership transfers were tried');
});

test('each fault can be switched off on its own', async () => {
  for (const fault of FAULTS) {
    const r = await simulate({ seed: 3, nodes: 3, faults: FAULTS.filter((f) => f !== fault) });
    assert.equal(r.violation, null, `without ${fault}: ${r.violation}`);
  }
  const calm = await simulate({ seed: 3, nodes: 3, faults: [], trace: true });
  assert.equal(calm.violation, null);
  assert.equal(calm.stats.crashes, 0);
  assert.equal(calm.stats.leaders, 1, 'without faults one leader serves the whole run');
});

test('a user state machine runs through the simulator with every invariant checked', async () => {
  const ok = await simulate({ seed: 11, nodes: 3, workload: sumWorkload(false) });
  assert.equal(ok.violation, null);
  assert.ok(ok.stats.acknowledged > 20, `acknowledged ${ok.stats.acknowledged}`);
  const flaky = await simulate({ seed: 11, nodes: 3, workload: sumWorkload(true), faults: [] });
  assert.match(flaky.violation ?? '', /different state machine states|snapshots at index \d+ differ/);
});

test('a stale candidate that wins a lower term late owes nothing to later terms (seed 3478)', async () => {
  // Found by the soak as seed 60981 (n4 won term 8 through delayed votes after term 9 had committed
  // entry 113); since membership changes take the server's steps the draws differ, and seed 3478
  // does it: n3 wins term 1 after term 2 committed entries 1 and 2. That is Raft (leader
  // completeness speaks of higher terms); the check used to flag it.
  const r = await simulate({ seed: 3478, nodes: 5, trace: true });
  assert.equal(r.violation, null);
});

test('removed replicas may idle in a higher term; the members follow their leader (soak seed 74799)', async () => {
  // Found by the soak: two replicas removed from the configuration were left campaigning at
  // term 8 while the members followed the term-7 leader and committed; liveness holds. Since
  // membership changes take the server's steps (one member at a time) the draws differ, and no
  // seed in the first 8,000 on 5 nodes leaves a removed replica in a higher term: this seed is
  // kept as one more run with changes; the rule stays in checkLiveness.
  const r = await simulate({ seed: 74799, nodes: 5 });
  assert.equal(r.violation, null);
  assert.ok(r.stats.membershipChanges > 0);
});

// The bounded share of the soak that CI runs: 500 runs across 3 and 5 nodes, all faults on.
for (const nodes of [3, 5]) {
  test(`250 seeds with ${nodes} nodes hold every invariant`, async () => {
    const failures: string[] = [];
    for (let seed = 1; seed <= 250; seed++) {
      const r = await simulate({ seed, nodes });
      if (!r.ok) failures.push(`seed ${seed}: ${r.violation}`);
    }
    assert.deepEqual(failures, []);
  });
}

// The key-value server starts its replicas with fastFirstElection: restarted replicas campaign
// (pre-vote) before a full election timeout, during every fault.
test('100 seeds with fastFirstElection hold every invariant, and elect leaders', async () => {
  const failures: string[] = [];
  let leaders = 0;
  for (let seed = 1; seed <= 100; seed++) {
    const r = await simulate({ seed, nodes: 3, fastFirstElection: true });
    if (!r.ok) failures.push(`seed ${seed}: ${r.violation}`);
    leaders += r.stats.leaders;
  }
  assert.deepEqual(failures, []);
  assert.ok(leaders >= 100, `${leaders} leaders in 100 runs`);
  // It reaches the replicas: with no faults, the first leader comes sooner.
  for (const seed of [1, 2, 3]) {
    const firstLeader = async (fastFirstElection: boolean): Promise<number> => {
      const r = await simulate({ seed, nodes: 3, faults: [], trace: true, fastFirstElection });
      const event = r.timeline?.find((e) => e.kind === 'role' && e.role === 'leader');
      assert.ok(event !== undefined, `seed ${seed}: a leader`);
      return event.t;
    };
    const [fast, slow] = [await firstLeader(true), await firstLeader(false)];
    assert.ok(fast < slow, `seed ${seed}: first leader at ${fast} ms with it, ${slow} ms without`);
  }
});
