// Mutation testing of src/core: `npm run mutation` (not part of `npm test`, not run in CI).
// StrykerJS has no node:test runner plugin, so the command runner runs the fast tier,
// test/mutation-tier.ts (test/core but its randomized soak, plus a simulator sweep of 10 seeds
// at 3 and 5 nodes, MUTATION_SEEDS to change; in one process, stopping at the first failing
// test), once per mutant; exit code 0 means it survived. Slow: ~1,330 mutants; on 2 cores shared
// with other jobs, log/progress/quorum took 37 min and raft.ts 50 min in three parts (many
// mutants that break liveness end by timeout, which counts as killed). A part:
// MUTATION_SEEDS=0 npx stryker run --mutate src/core/raft.ts:583-805
// inPlace stays false: Stryker copies the project to .stryker-tmp/sandbox-*, the command runs
// there and tsx loads the mutated sources from that copy, so the work tree is never touched.
// Reports: reports/mutation/mutation.html and .json.

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'command',
  commandRunner: {
    command: 'node --import tsx --test-reporter=./scripts/bail-reporter.mjs test/mutation-tier.ts',
  },
  // The command runner cannot tell which tests cover a mutant: every mutant runs the whole tier.
  coverageAnalysis: 'off',
  // types.ts is types only, apart from the MESSAGE_TYPES list.
  mutate: ['src/core/*.ts', '!src/core/types.ts'],
  inPlace: false,
  tempDirName: '.stryker-tmp',
  ignorePatterns: ['dist', 'coverage', 'data', '*.tmp.ts'],
  concurrency: 2,
  // A mutant that makes a run last longer than 1.5 x the unmutated run + 5 s is a timeout (counted as killed).
  timeoutMS: 5000,
  timeoutFactor: 1.5,
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: 'reports/mutation/mutation.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  thresholds: { high: 90, low: 85, break: null },
};
