// End to end: SIGKILL the leader of a 3-node cluster of real `little-raft serve` processes while
// clients on every node (the leader's too) keep writing. Clients carry on once a new leader is up;
// afterwards every acknowledged write is read back from every node, writes refused with TRYAGAIN
// were never applied, and counters lie between the acknowledged INCRs and those plus the INCRs
// whose outcome was unknown (TIMEOUT, or the connection dropped with the command in flight).
import assert from 'node:assert/strict';
import { test } from 'node:test';

import type { Redis } from 'ioredis';

import { KvTestCluster, sleep } from '../support/kv-cluster.js';
import { eventually } from '../support/eventually.js';

type Outcome = 'ok' | 'tryagain' | 'unknown';

function outcomeOf(e: unknown): Outcome {
  const message = e instanceof Error ? e.message : String(e);
  if (message.startsWith('TRYAGAIN')) return 'tryagain';
  return 'unknown'; // TIMEOUT, a dropped connection, a command that may have been sent
}

interface Counter {
  acked: number;
  unknown: number;
  refused: number;
}

/** One client that SETs a fresh key and INCRs its own counter in turn until told to stop. */
class Worker {
  readonly acked = new Map<string, string>();
  readonly refused: string[] = [];
  readonly unknownKeys: string[] = [];
  readonly counter: Counter = { acked: 0, unknown: 0, refused: 0 };
  readonly counterKey: string;
  /** Date.now() of the latest acknowledged write. */
  lastOk = 0;
  errors = new Map<string, number>();
  private n = 0;
  private stopping = false;
  readonly done: Promise<void>;

  constructor(
    readonly name: string,
    readonly nodeId: number,
    private readonly client: Redis,
  ) {
    this.counterKey = `ctr:${name}`;
    this.done = this.run();
    this.done.catch((e: unknown) => (this.failure = e));
  }

  /** What stopped the worker early (a failed assertion), if anything. */
  failure: unknown = null;

  stop(): Promise<void> {
    this.stopping = true;
    return this.done;
  }

  private note(e: unknown): void {
    const message = (e instanceof Error ? e.message : String(e)).split(' ').slice(0, 3).join(' ');
    this.errors.set(message, (this.errors.get(message) ?? 0) + 1);
  }

  private async run(): Promise<void> {
    while (!this.stopping) {
      const key = `k:${this.name}:${this.n}`;
      const value = `v:${this.name}:${this.n}:${'x'.repeat(this.n % 7)}`;
      this.n++;
      let failed = false;
      try {
        const reply = await this.client.set(key, value);
        assert.equal(reply, 'OK');
        this.acked.set(key, value);
        this.lastOk = Date.now();
      } catch (e) {
        if (e instanceof assert.AssertionError) throw e;
        failed = true;
        this.note(e);
        (outcomeOf(e) === 'tryagain' ? this.refused : this.unknownKeys).push(key);
      }
      try {
        const reply = await this.client.incr(this.counterKey);
        assert.equal(typeof reply, 'number');
        this.counter.acked++;
        // Only this worker INCRs its counter: besides the acknowledged INCRs, only those of unknown
        // outcome may have been applied (one refused with TRYAGAIN may not).
        const { acked, unknown } = this.counter;
        assert.ok(
          reply >= acked && reply <= acked + unknown,
          `${this.name}: INCR replied ${reply} after ${acked} acknowledged and ${unknown} unknown`,
        );
        this.lastOk = Date.now();
      } catch (e) {
        if (e instanceof assert.AssertionError) throw e;
        failed = true;
        this.note(e);
        if (outcomeOf(e) === 'tryagain') this.counter.refused++;
        else this.counter.unknown++;
      }
      // A node that is down refuses at once: pace the retries instead of spinning.
      if (failed) await sleep(20);
    }
  }
}

test('SIGKILL the leader under a write load, three times: nothing acknowledged is lost', async (t) => {
  const cluster = await KvTestCluster.start(t);
  const workers: Worker[] = [];
  for (const node of cluster.nodes) {
    for (let i = 0; i < 2; i++) workers.push(new Worker(`n${node.id}w${i}`, node.id, cluster.client(node.id)));
  }
  const failed = (): boolean => {
    const w = workers.find((x) => x.failure !== null);
    if (w) throw w.failure;
    return false;
  };
  const totalAcked = (): number => workers.reduce((n, w) => n + w.acked.size + w.counter.acked, 0);
  const describe = (): string =>
    workers
      .map((w) => `${w.name}: ${w.acked.size} acked, errors ${JSON.stringify(Object.fromEntries(w.errors))}`)
      .join('\n') + cluster.nodes.map((n) => `\n--- node ${n.id}:\n${n.output}`).join('');

  try {
    for (let round = 1; round <= 3; round++) {
      const leader = await cluster.waitForLeader();
      // The load is running: every worker (on every node) has had a write acknowledged lately.
      const before = Date.now();
      const ackedBefore = totalAcked();
      await eventually(
        () => failed() || (workers.every((w) => w.lastOk > before) && totalAcked() > ackedBefore + 50),
        `round ${round}: writes acknowledged on every node`,
        15000,
      ).catch((e: Error) => assert.fail(`${e.message}\n${describe()}`));

      const killedAt = Date.now();
      await cluster.kill(leader, 'SIGKILL');
      const next = await cluster.waitForLeader(20000);
      assert.notEqual(next, leader);
      // Clients of the surviving nodes carry on under the new leader.
      const survivors = workers.filter((w) => w.nodeId !== leader);
      await eventually(
        () => failed() || survivors.every((w) => w.lastOk > killedAt),
        `round ${round}: writes acknowledged after node ${leader} was killed`,
        15000,
      ).catch((e: Error) => assert.fail(`${e.message}\n${describe()}`));

      // The old leader comes back on its data and rejoins; its clients reconnect and write again.
      const restartedAt = Date.now();
      cluster.launch(cluster.node(leader));
      await cluster.waitForLeader(30000);
      await eventually(
        () => failed() || workers.every((w) => w.lastOk > restartedAt),
        `round ${round}: node ${leader}'s clients write again after its restart`,
        20000,
      ).catch((e: Error) => assert.fail(`${e.message}\n${describe()}`));
    }
  } finally {
    await Promise.all(workers.map((w) => w.stop()));
  }

  const acked = new Map<string, string>();
  for (const w of workers) for (const [k, v] of w.acked) acked.set(k, v);
  assert.ok(acked.size > 300, `only ${acked.size} acknowledged SETs\n${describe()}`);
  const keys = [...acked.keys()];
  const refused = workers.flatMap((w) => w.refused);

  for (const node of cluster.nodes) {
    const client = cluster.client(node.id);
    // Every acknowledged SET, with its value (reads are linearizable on every node).
    for (let i = 0; i < keys.length; i += 500) {
      const chunk = keys.slice(i, i + 500);
      const values = await client.mget(...chunk);
      chunk.forEach((key, j) => assert.equal(values[j], acked.get(key), `node ${node.id}: ${key}`));
    }
    // A TRYAGAIN write was never proposed: its key does not exist anywhere.
    if (refused.length > 0) {
      assert.equal(await client.exists(...refused), 0, `node ${node.id}: a write refused with TRYAGAIN was applied`);
    }
    for (const w of workers) {
      const value = Number((await client.get(w.counterKey)) ?? 0);
      const { acked: ok, unknown } = w.counter;
      assert.ok(
        value >= ok && value <= ok + unknown,
        `node ${node.id}: ${w.counterKey} is ${value}; ${ok} INCRs acknowledged, ${unknown} unknown, ${w.counter.refused} refused`,
      );
    }
  }
  const unknown = workers.reduce((n, w) => n + w.unknownKeys.length + w.counter.unknown, 0);
  t.diagnostic(`${acked.size} SETs and ${workers.reduce((n, w) => n + w.counter.acked, 0)} INCRs acknowledged,`);
  t.diagnostic(`${refused.length} SETs refused (TRYAGAIN), ${unknown} writes of unknown outcome`);
});

test('without a quorum, writes and reads wait a bounded time, then fail with TRYAGAIN, and are never applied', async (t) => {
  const cluster = await KvTestCluster.start(t, { extraArgs: ['--request-timeout', '1000'] });
  const leader = await cluster.waitForLeader();
  const alone = cluster.nodes.find((n) => n.id !== leader)!.id;
  const client = cluster.client(alone);
  assert.equal(await client.set('before', 'quorum'), 'OK');
  const others = cluster.nodes.filter((n) => n.id !== alone).map((n) => n.id);
  await Promise.all(others.map((id) => cluster.kill(id, 'SIGKILL')));
  // The survivor notices: it stands for election and knows no leader.
  await eventually(
    async () => (await cluster.status(alone))?.['leaderId'] === null,
    `node ${alone} knows no leader`,
    10000,
  );

  const keys = Array.from({ length: 20 }, (_, i) => `refused:${i}`);
  const started = Date.now();
  const results = await Promise.allSettled([...keys.map((k) => client.set(k, 'x')), client.get('before')]);
  const elapsed = Date.now() - started;
  for (const r of results) {
    assert.equal(r.status, 'rejected');
    assert.equal((r.reason as Error).message, 'TRYAGAIN no leader is available; try again');
  }
  assert.ok(elapsed >= 900 && elapsed < 5000, `answered after ${elapsed} ms with --request-timeout 1000`);

  for (const id of others) cluster.launch(cluster.node(id));
  await cluster.waitForLeader();
  for (const node of cluster.nodes) {
    const c = cluster.client(node.id);
    assert.equal(await c.get('before'), 'quorum', `node ${node.id}`);
    assert.equal(await c.exists(...keys), 0, `node ${node.id}: a TRYAGAIN write was applied`);
  }
});
