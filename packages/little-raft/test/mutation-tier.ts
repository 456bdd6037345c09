// The fast tier that `npm run mutation` (Stryker's command runner) runs against every mutant
// of src/core: test/core plus a small simulator sweep, in one process so that a run costs one
// Node start and one TypeScript load. Not a *.test.ts file: `npm test` skips it.
// Run it by hand: node --import tsx --test-reporter=./scripts/bail-reporter.mjs test/mutation-tier.ts
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';

import { simulate } from '../src/sim/simulator.js';

// 10 seeds: the simulator (with its linearizability check) costs ~0.2 s of CPU per run, and the tier
// runs once per mutant. MUTATION_SEEDS=30 npm run mutation for a wider sweep, 0 for none.
const SEEDS = Number(process.env.MUTATION_SEEDS ?? 10);
const NODES = [3, 5];
/** Randomized soaks that take seconds each: `npm test` runs them, the per-mutant tier does not. */
const SLOW = new Set(['random-faults.test.ts']);

const core = new URL('./core/', import.meta.url);
for (const name of readdirSync(core).sort()) {
  if (name.endsWith('.test.ts') && !SLOW.has(name)) await import(new URL(name, core).href);
}

test(`simulator sweep: ${SEEDS} seeds x ${NODES.join(' and ')} nodes, every invariant holds`, async () => {
  for (let seed = 1; seed <= SEEDS; seed++) {
    for (const nodes of NODES) {
      const result = await simulate({ seed, nodes });
      assert.ok(result.ok, `seed ${seed} nodes ${nodes}: ${result.violation}`);
    }
  }
});
