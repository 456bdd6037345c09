// Testing your own state machine under faults, as a user of little-raft would: the lock
// service's LockMachine (lock-service/machine.ts) run by little-raft/sim's deterministic
// simulator. Each seed is one reproducible run of replicas, clients and faults (lost, duplicated,
// reordered and delayed messages, partitions, crashes, lost disks, slow disks, clock skew,
// snapshots, membership changes, leadership transfers) on virtual time. The simulator checks Raft's
// invariants and that every replica's machine ends in the same state, with the same bytes in every
// snapshot taken at the same index: a machine that is not deterministic is caught.
//
//   npm run example:sim                # seeds 1..10
//   npm run example:sim -- 100 20      # seeds 100..119
import { pathToFileURL } from 'node:url';

import { simulate, type SimResult, type SimWorkload } from 'little-raft/sim';

import { LockMachine, NOOP, type LockOp } from './lock-service/machine.js';

const LOCKS = ['a', 'b', 'c'];
const OWNERS = ['ann', 'ben', 'cy', 'dee'];

/**
 * Clients that take and give back three locks. Transitions carry their own time (`at`), as the
 * lock service's leader stamps them: here a virtual clock that moves 25 ms per operation, so
 * leases of 50 to 800 ms run out while the run goes on.
 */
export function lockWorkload(createMachine: () => LockMachine = () => new LockMachine()): SimWorkload<LockOp> {
  return {
    noop: NOOP,
    createMachine,
    nextTransition(random, client, seq) {
      const id = `c${client}.${seq}`;
      const lock = random.pick(LOCKS);
      const owner = random.pick(OWNERS);
      const at = seq * 25;
      if (random.chance(0.6)) return { id, kind: 'acquire', lock, owner, leaseMs: random.int(50, 800), at };
      return { id, kind: 'release', lock, owner, at };
    },
    describe: (machine) => (machine as LockMachine).describe(),
  };
}

/** Runs the seeds; one line per run. */
export async function check(seeds: number[], workload = lockWorkload()): Promise<SimResult[]> {
  const results: SimResult[] = [];
  for (const seed of seeds) {
    const r = await simulate({ seed, nodes: 3, workload });
    const { committed, acknowledged, leaders, crashes } = r.stats;
    const summary = `${committed} committed, ${acknowledged} acknowledged, ${leaders} leaders, ${crashes} crashes`;
    console.log(`seed ${seed}: ${r.ok ? 'ok' : `VIOLATION ${r.violation ?? ''}`} (${summary})`);
    results.push(r);
  }
  return results;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const first = Number(process.argv[2] ?? 1);
  const count = Number(process.argv[3] ?? 10);
  const results = await check(Array.from({ length: count }, (_, i) => first + i));
  const failed = results.filter((r) => !r.ok);
  console.log(failed.length === 0 ? `all ${count} seeds ok` : `${failed.length} of ${count} seeds failed`);
  process.exitCode = failed.length === 0 ? 0 : 1;
}
