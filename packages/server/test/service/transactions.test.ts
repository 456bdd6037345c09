// End to end: MULTI / EXEC / DISCARD on 3-node clusters of real `little-raft serve` processes.
// ioredis's multi() (a pipelined MULTI ... EXEC) and its MULTI-then-commands mode on the leader
// and on followers; a MULTI ... EXEC script piped through redis-cli; and transactions from
// clients on every node while the leader is SIGKILLed and restarted, twice: afterwards every
// node holds the same data, in which every transaction is applied whole or not at all.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import type { Redis } from 'ioredis';

import { KvTestCluster, sleep, withLogs } from '../support/kv-cluster.js';
import { eventually } from '../support/eventually.js';
import { redisCli } from '../support/redis-cli.js';

test('MULTI / EXEC / DISCARD end to end with ioredis and redis-cli, on the leader and on followers', async (t) => {
  const cluster = await KvTestCluster.start(t);
  const leader = await cluster.waitForLeader();
  const followers = cluster.nodes.filter((n) => n.id !== leader).map((n) => n.id);
  const everywhere = async (check: (c: Redis, id: number) => Promise<void>): Promise<void> => {
    for (const node of cluster.nodes) await check(cluster.client(node.id), node.id);
  };

  for (const id of [leader, ...followers]) {
    const role = id === leader ? 'leader' : 'follower';
    const p = `n${id}`;
    const client = cluster.client(id);

    await t.test(
      `${role}: multi() runs its commands as one, reads see its writes, a runtime error spares the rest`,
      withLogs(cluster, async () => {
        await client.set(`${p}:s`, 'str');
        const replies = await client
          .multi()
          .set(`${p}:a`, '1')
          .incr(`${p}:a`)
          .get(`${p}:a`)
          .incr(`${p}:s`)
          .mget(`${p}:a`, `${p}:none`)
          .set(`${p}:b`, 'x')
          .ping()
          .exec();
        assert.ok(replies !== null);
        assert.deepEqual(replies.slice(0, 3), [
          [null, 'OK'],
          [null, 2],
          [null, '2'],
        ]);
        assert.match(String(replies[3]![0]), /ERR value is not an integer or out of range/);
        assert.deepEqual(replies.slice(4), [
          [null, ['2', null]],
          [null, 'OK'],
          [null, 'PONG'],
        ]);
        await everywhere(async (c, n) => {
          assert.deepEqual(await c.mget(`${p}:a`, `${p}:b`, `${p}:s`), ['2', 'x', 'str'], `node ${n}`);
        });
      }),
    );

    await t.test(
      `${role}: an error while queuing aborts EXEC (EXECABORT) and nothing is applied`,
      withLogs(cluster, async () => {
        const tx = client.multi().set(`${p}:aborted`, '1').incr(`${p}:counter`);
        tx.call('nosuchcommand', 'x');
        tx.set(`${p}:aborted2`, '1');
        await assert.rejects(tx.exec(), /EXECABORT Transaction discarded because of previous errors/);
        await everywhere(async (c, n) => {
          assert.equal(await c.exists(`${p}:aborted`, `${p}:counter`, `${p}:aborted2`), 0, `node ${n}`);
        });
      }),
    );

    await t.test(
      `${role}: DISCARD drops the queued commands; nested MULTI and EXEC / DISCARD without MULTI are refused`,
      withLogs(cluster, async () => {
        assert.equal(await client.multi({ pipeline: false }), 'OK');
        assert.equal(await client.set(`${p}:discarded`, '1'), 'QUEUED');
        await assert.rejects(client.multi({ pipeline: false }), /ERR MULTI calls can not be nested/);
        assert.equal(await client.incr(`${p}:discarded-counter`), 'QUEUED');
        assert.equal(await client.discard(), 'OK');
        await assert.rejects(client.exec(), /ERR EXEC without MULTI/);
        await assert.rejects(client.discard(), /ERR DISCARD without MULTI/);
        await everywhere(async (c, n) => {
          assert.equal(await c.exists(`${p}:discarded`, `${p}:discarded-counter`), 0, `node ${n}`);
        });
        // The same connection's next transaction runs.
        assert.equal(await client.multi({ pipeline: false }), 'OK');
        assert.equal(await client.set(`${p}:kept`, 'k'), 'QUEUED');
        assert.equal(await client.get(`${p}:kept`), 'QUEUED');
        assert.deepEqual(await client.exec(), [
          [null, 'OK'],
          [null, 'k'],
        ]);
      }),
    );

    await t.test(
      `${role}: a MULTI ... EXEC script piped through redis-cli answers as redis-server 7.0 does`,
      withLogs(cluster, async () => {
        const q = `cli${id}`;
        const script = [
          'multi',
          `set ${q}:t1 v`,
          `incr ${q}:t2`,
          `get ${q}:t1`,
          'exec',
          `get ${q}:t1`,
          'multi',
          `set ${q}:t3 v`,
          'foo',
          'exec',
          `exists ${q}:t3`,
          'multi',
          `set ${q}:t4 v`,
          'discard',
          `exists ${q}:t4`,
          'exec',
        ];
        const port = String(cluster.node(id).redisPort);
        // redis-cli 7.0's output for this script against redis-server 7.0.15.
        assert.equal(
          await redisCli(['-p', port], script.join('\n') + '\n'),
          'OK\nQUEUED\nQUEUED\nQUEUED\nOK\n1\nv\nv\nOK\nQUEUED\n' +
            "ERR unknown command 'foo', with args beginning with: \n\n" +
            'EXECABORT Transaction discarded because of previous errors.\n\n0\nOK\nQUEUED\nOK\n0\n' +
            'ERR EXEC without MULTI\n\n',
        );
        assert.equal(
          await redisCli(['-p', port, '--no-raw'], `multi\nincr ${q}:t2\nget ${q}:t2\nexec\n`),
          'OK\nQUEUED\nQUEUED\n1) (integer) 2\n2) "2"\n',
        );
        await everywhere(async (c, n) => {
          assert.deepEqual(
            await c.mget(`${q}:t1`, `${q}:t2`, `${q}:t3`, `${q}:t4`),
            ['v', '2', null, null],
            `node ${n}`,
          );
        });
      }),
    );
  }
});

type Outcome = 'tryagain' | 'unknown';

/**
 * One client running transactions until told to stop: MULTI; SET a v; SET b v; INCR c; GET a;
 * GET b; SET a:<name> i; SET b:<name> i; INCR c:<name>; EXEC. Shared keys a, b, c across all
 * workers and nodes, and keys of its own.
 */
class TxWorker {
  acked = 0;
  /** Transactions that may or may not have been applied (TIMEOUT, a dropped connection). */
  unknown = 0;
  /** Refused with TRYAGAIN: never applied. */
  refused = 0;
  lastOk = 0;
  failure: unknown = null;
  readonly errors = new Map<string, number>();
  readonly done: Promise<void>;
  private stopping = false;
  private n = 0;

  constructor(
    readonly name: string,
    readonly nodeId: number,
    private readonly client: Redis,
  ) {
    this.done = this.run();
    this.done.catch((e: unknown) => (this.failure = e));
  }

  stop(): Promise<void> {
    this.stopping = true;
    return this.done.catch(() => undefined);
  }

  private async run(): Promise<void> {
    while (!this.stopping) {
      const i = ++this.n;
      const v = `${this.name}:${i}`;
      let replies: [Error | null, unknown][] | null;
      try {
        replies = await this.client
          .multi()
          .set('a', v)
          .set('b', v)
          .incr('c')
          .get('a')
          .get('b')
          .set(`a:${this.name}`, String(i))
          .set(`b:${this.name}`, String(i))
          .incr(`c:${this.name}`)
          .exec();
      } catch (e) {
        const message = e instanceof Error ? e.message : String(e);
        // EXECABORT means a command was refused while queuing: only LOADING may be (a restarted
        // node loading its snapshot, or one installing the leader's); nothing ran.
        const previous = (e as { previousErrors?: Error[] }).previousErrors ?? [];
        const loading =
          /EXECABORT/.test(message) && previous.length > 0 && previous.every((p) => /^LOADING/.test(p.message));
        if (!loading) assert.doesNotMatch(message, /EXECABORT/, `${this.name}: ${message}`);
        const outcome: Outcome = message.startsWith('TRYAGAIN') || loading ? 'tryagain' : 'unknown';
        if (outcome === 'tryagain') this.refused++;
        else this.unknown++;
        const kind = message.split(' ').slice(0, 3).join(' ');
        this.errors.set(kind, (this.errors.get(kind) ?? 0) + 1);
        await sleep(20); // a node that is down refuses at once: pace the retries
        continue;
      }
      assert.ok(replies !== null, `${this.name}: EXEC answered nil`);
      const values = replies.map(([error, value]) => {
        assert.equal(error, null, `${this.name}: ${String(error)}`);
        return value;
      });
      // Its reads saw its own writes, with no other transaction in between.
      assert.deepEqual(
        [values[0], values[1], values[3], values[4], values[5], values[6]],
        ['OK', 'OK', v, v, 'OK', 'OK'],
      );
      const own = values[7] as number;
      assert.ok(
        own >= this.acked + 1 && own <= this.acked + 1 + this.unknown,
        `${this.name}: INCR c:${this.name} gave ${own} after ${this.acked} acknowledged and ${this.unknown} unknown`,
      );
      this.acked++;
      this.lastOk = Date.now();
    }
  }
}

test('transactions under a leader SIGKILL and restart, twice: never half applied, on any node', async (t) => {
  // Frequent snapshots: the log of transactions is compacted, and a restarted node may install one.
  const cluster = await KvTestCluster.start(t, { snapshotEntries: 100 });
  const workers: TxWorker[] = [];
  for (const node of cluster.nodes) {
    for (let i = 0; i < 3; i++) workers.push(new TxWorker(`n${node.id}w${i}`, node.id, cluster.client(node.id)));
  }
  const failed = (): boolean => {
    const w = workers.find((x) => x.failure !== null);
    if (w) throw w.failure;
    return false;
  };
  const total = (): number => workers.reduce((n, w) => n + w.acked, 0);
  const describe = (): string =>
    workers
      .map((w) => `${w.name}: ${w.acked} acked, errors ${JSON.stringify(Object.fromEntries(w.errors))}`)
      .join('\n') + cluster.nodes.map((n) => `\n--- node ${n.id}:\n${n.output}`).join('');
  const wait = (what: string, ms: number, check: () => boolean): Promise<void> =>
    eventually(() => failed() || check(), what, ms).catch((e: Error) => assert.fail(`${e.message}\n${describe()}`));

  try {
    for (let round = 1; round <= 2; round++) {
      const leader = await cluster.waitForLeader();
      const before = Date.now();
      const ackedBefore = total();
      await wait(
        `round ${round}: transactions acknowledged on every node`,
        15000,
        () => workers.every((w) => w.lastOk > before) && total() > ackedBefore + 30,
      );
      const killedAt = Date.now();
      await cluster.kill(leader, 'SIGKILL');
      const next = await cluster.waitForLeader(20000);
      assert.notEqual(next, leader);
      const survivors = workers.filter((w) => w.nodeId !== leader);
      await wait(`round ${round}: transactions go on after node ${leader} was killed`, 15000, () =>
        survivors.every((w) => w.lastOk > killedAt),
      );
      const restartedAt = Date.now();
      cluster.launch(cluster.node(leader));
      await cluster.waitForLeader(30000);
      await wait(`round ${round}: node ${leader}'s clients run transactions again`, 20000, () =>
        workers.every((w) => w.lastOk > restartedAt),
      );
    }
  } finally {
    await Promise.all(workers.map((w) => w.stop()));
  }
  failed();

  const acked = total();
  const unknown = workers.reduce((n, w) => n + w.unknown, 0);
  assert.ok(acked > 100, `only ${acked} transactions acknowledged\n${describe()}`);
  const views: string[] = [];
  for (const node of cluster.nodes) {
    const client = cluster.client(node.id);
    const [a, b, c] = await client.mget('a', 'b', 'c');
    assert.ok(a !== null && a === b, `node ${node.id}: a is ${a}, b is ${b}: a transaction was half applied`);
    const applied = Number(c);
    assert.ok(
      applied >= acked && applied <= acked + unknown,
      `node ${node.id}: c is ${c}; ${acked} transactions acknowledged, ${unknown} of unknown outcome`,
    );
    const own: string[] = [];
    for (const w of workers) {
      const [wa, wb, wc] = await client.mget(`a:${w.name}`, `b:${w.name}`, `c:${w.name}`);
      assert.equal(wa, wb, `node ${node.id}: a:${w.name} and b:${w.name} differ: a transaction was half applied`);
      const count = Number(wc);
      assert.ok(
        count >= w.acked && count <= w.acked + w.unknown,
        `node ${node.id}: c:${w.name} is ${wc}; ${w.acked} acknowledged, ${w.unknown} unknown, ${w.refused} refused`,
      );
      own.push(`${wa}/${wc}`);
    }
    views.push(JSON.stringify([a, b, c, own]));
    const snapshotIndex = Number((await cluster.status(node.id))?.['snapshotIndex'] ?? 0);
    assert.ok(snapshotIndex > 0, `node ${node.id} took no snapshot`);
  }
  assert.ok(
    views.every((v) => v === views[0]),
    `the nodes disagree:\n${views.join('\n')}`,
  );
  const errors = new Map<string, number>();
  for (const w of workers) for (const [kind, n] of w.errors) errors.set(kind, (errors.get(kind) ?? 0) + n);
  t.diagnostic(
    `${acked} transactions acknowledged, ${unknown} of unknown outcome; errors ${JSON.stringify([...errors])}`,
  );
});
