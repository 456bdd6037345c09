// Waiting, in end-to-end tests, for something a cluster will do: poll until it holds. The deadline
// only fails a test when the thing never happens; it is no claim about how fast it happens.
import { sleep } from '../../../little-raft/test/support/tcp.js';

/** Polls `check` every 20 ms until it returns true; fails with `what` after `ms`. */
export async function eventually(check: () => boolean | Promise<boolean>, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for: ${what}`);
    await sleep(20);
  }
}
