// Waiting, in end-to-end tests, for something a cluster will do: poll until it holds. The deadline
// only fails a test when the thing never happens; it is no claim about how fast it happens, so it
// is generous (CI runs on a loaded 2-core machine).
import { sleep } from '../../../little-raft/test/support/tcp.js';

/**
 * Polls `check` every 20 ms until it returns true; fails after `ms` with `what` (a function: for a
 * description worth building only on failure).
 */
export async function eventually(
  check: () => boolean | Promise<boolean>,
  what: string | (() => string),
  ms = 20_000,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${ms} ms waiting for: ${typeof what === 'string' ? what : what()}`);
    }
    await sleep(20);
  }
}
