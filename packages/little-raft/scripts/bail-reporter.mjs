// A node:test reporter for the mutation tier (test/mutation-tier.ts): stops the process with
// exit code 1 at the first failing test, so a killed mutant costs only the tests up to it.
// Prints the failure, or at the end one line: `mutation tier: N passed, 0 failed`.
import { writeSync } from 'node:fs';

export default async function* bailReporter(source) {
  let passed = 0;
  for await (const event of source) {
    if (event.type === 'test:pass' && !event.data.skip && !event.data.todo) {
      passed++;
    } else if (event.type === 'test:fail' && !event.data.todo) {
      const error = event.data.details?.error;
      const cause = error?.cause ?? error;
      // Written synchronously: a yielded chunk would be lost to the exit below.
      writeSync(1, `not ok: ${event.data.name}\n  ${cause?.message ?? String(cause)}\n`);
      writeSync(1, `mutation tier: ${passed} passed, 1 failed (stopped at the first failure)\n`);
      process.exit(1);
    }
  }
  yield `mutation tier: ${passed} passed, 0 failed\n`;
}
