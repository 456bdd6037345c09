// A Node process that does nothing but time its own event loop, every 10 ms. While the bench's
// servers run, its delays are this machine's scheduling floor: what any process waits for a CPU,
// whatever its code does. A node's event-loop delay can only be judged against it (on 2 cores,
// three busy nodes, a client and redis-server cannot all run at once).
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';

const WITNESS = `
const { monitorEventLoopDelay } = require('node:perf_hooks');
const delay = monitorEventLoopDelay({ resolution: 10 });
delay.enable();
process.on('message', (m) => {
  if (m === 'max') process.send(delay.max / 1e6);
  delay.reset();
});
process.on('disconnect', () => process.exit(0));
process.send('ready');
`;

export class IdleWitness {
  private constructor(private readonly child: ChildProcess) {}

  static async start(): Promise<IdleWitness> {
    const child = spawn(process.execPath, ['-e', WITNESS], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    await once(child, 'message');
    return new IdleWitness(child);
  }

  /** Forgets the delays seen so far. */
  reset(): void {
    this.child.send('reset');
  }

  /** The largest delay (ms) since the last reset (or read), then starts over. */
  async max(): Promise<number> {
    const answer = once(this.child, 'message');
    this.child.send('max');
    const [ms] = (await answer) as [number];
    return ms;
  }

  stop(): void {
    this.child.disconnect();
  }
}
