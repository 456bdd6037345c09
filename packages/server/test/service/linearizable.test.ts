// End to end, in the manner of Jepsen: clients on every node SET and GET a few keys (each key a
// register) while the leader is frozen (SIGSTOP: cut off from the others, which elect a new
// leader), thawed, and later killed (SIGKILL) and restarted. The history of every operation, with
// its call and return times, must be linearizable (little-raft/sim checkLinearizable, the checker the
// simulator uses). A write refused with TRYAGAIN was not applied and is left out; one whose outcome
// is unknown (TIMEOUT, a dropped connection) may have taken effect at any time after its call; a
// read that failed says nothing. Values are unique, so a write applied twice (a forward resent
// and both copies applied) or a stale read shows up as a history with no linearization.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { Redis } from 'ioredis';

import { checkLinearizable, type HistoryEntry } from 'little-raft/sim';
import { KvTestCluster, sleep } from '../support/kv-cluster.js';
import { freezeLeader, killAndRestartLeader } from '../support/leader-faults.js';

const KEYS = 3;
const CLIENTS_PER_NODE = 2;

/** A client's operations in a loop until stopped: puts of unique values and gets, on KEYS keys. */
class Client {
  readonly done: Promise<void>;
  private stopping = false;
  private n = 0;
  /** A small deterministic generator: which key, put or get. */
  private state: number;

  constructor(
    readonly id: number,
    private readonly redis: Redis,
    private readonly history: HistoryEntry[],
  ) {
    this.state = id * 7919 + 1;
    this.done = this.run();
  }

  stop(): Promise<void> {
    this.stopping = true;
    return this.done;
  }

  private next(): number {
    this.state = (this.state * 1103515245 + 12345) % 2147483648;
    return this.state;
  }

  private async run(): Promise<void> {
    while (!this.stopping) {
      const r = this.next();
      const key = `reg:${r % KEYS}`;
      const invokedAt = performance.now();
      let failed = false;
      if ((r >> 8) % 2 === 0) {
        const value = `c${this.id}:${this.n++}`;
        try {
          assert.equal(await this.redis.set(key, value), 'OK');
          this.history.push({
            client: this.id,
            op: { kind: 'put', key, value },
            invokedAt,
            returnedAt: performance.now(),
          });
        } catch (e) {
          if (e instanceof assert.AssertionError) throw e;
          failed = true;
          // TRYAGAIN: never proposed, so it never takes effect. Anything else: it may have.
          if (!(e instanceof Error && e.message.startsWith('TRYAGAIN'))) {
            this.history.push({ client: this.id, op: { kind: 'put', key, value }, invokedAt, returnedAt: Infinity });
          }
        }
      } else {
        try {
          const result = await this.redis.get(key);
          this.history.push({
            client: this.id,
            op: { kind: 'get', key, result },
            invokedAt,
            returnedAt: performance.now(),
          });
        } catch {
          failed = true; // a read that failed tells nothing
        }
      }
      if (failed) await sleep(20); // a node that is down refuses at once: no spinning
    }
  }
}

test('reads and writes through every node stay linearizable across a partition and a crash of the leader', async (t) => {
  const cluster = await KvTestCluster.start(t);
  const history: HistoryEntry[] = [];
  const clients: Client[] = [];
  for (const node of cluster.nodes) {
    for (let i = 0; i < CLIENTS_PER_NODE; i++) {
      const redis = new Redis({
        port: node.redisPort,
        host: '127.0.0.1',
        maxRetriesPerRequest: 0,
        autoResendUnfulfilledCommands: false, // a command is sent once, or the test would send duplicates itself
        retryStrategy: () => 50,
      });
      redis.on('error', () => undefined);
      t.after(() => redis.disconnect());
      clients.push(new Client(clients.length, redis, history));
    }
  }
  const faults: string[] = [];
  let thawedAt = Infinity;
  let restartedAt = Infinity;
  try {
    await sleep(1500);
    thawedAt = await freezeLeader(cluster, 2500, faults);
    await sleep(1500);
    restartedAt = await killAndRestartLeader(cluster, 1000, faults);
    await cluster.waitForLeader();
    await sleep(2000);
  } finally {
    await Promise.all(clients.map((c) => c.stop()));
  }

  const puts = history.filter((h) => h.op.kind === 'put' && h.returnedAt !== Infinity).length;
  const gets = history.filter((h) => h.op.kind === 'get').length;
  const unknown = history.length - puts - gets;
  const summary = `${puts} puts, ${gets} gets, ${unknown} puts of unknown outcome; ${faults.join(', ')}`;
  t.diagnostic(summary);
  assert.ok(puts >= 100 && gets >= 100, `too little got through to tell anything: ${summary}`);
  // Not vacuous: some reads saw another client's writes.
  // And not only before the faults: operations went on after the thaw and after the restart.
  const finishedAfter = (at: number): number =>
    history.filter((h) => h.invokedAt > at && h.returnedAt < Infinity).length;
  assert.ok(finishedAfter(thawedAt) >= 50, `${finishedAfter(thawedAt)} operations after the thaw: ${summary}`);
  assert.ok(finishedAfter(restartedAt) >= 50, `${finishedAfter(restartedAt)} after the restart: ${summary}`);
  const seenFromOthers = history.filter(
    (h) => h.op.kind === 'get' && h.op.result !== null && !h.op.result.startsWith(`c${h.client}:`),
  ).length;
  assert.ok(seenFromOthers > 0, `no read returned another client's write: ${summary}`);

  const result = checkLinearizable(history, { maxSteps: 10_000_000 });
  assert.ok(result.ok, `not linearizable on ${result.key}: ${result.reason} (${summary})`);
});
