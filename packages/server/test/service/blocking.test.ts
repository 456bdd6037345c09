// End to end: the blocking commands (BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP; BZPOPMIN, BZPOPMAX,
// BZMPOP) on a 3-node cluster of real `little-raft serve` processes. A client blocks on the node it
// is connected to and is woken by writes on any node; this node's clients are served first come,
// first served; timeouts answer nil (RESP2 and RESP3 bytes as Redis 7.0); a blocked connection
// runs nothing after its blocking command; a client that disconnects while blocked takes nothing;
// and under leader kills, with producers and consumers on every node, no element is popped twice
// or lost; nor when the leader, with clients blocked on it, is cut off from the others by a
// network partition: they pop only after the heal. There every command waited for has a deadline
// (ANSWER_MS), so a command the server never answers fails the test, named, instead of hanging it.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import type { Redis } from 'ioredis';

import { KvTestCluster, sleep, withLogs } from '../support/kv-cluster.js';
import { eventually } from '../support/eventually.js';
import { argv, RespClient } from '../support/resp-client.js';

/** A connection to `port` for byte-exact replies (RESP3 with `resp3`: HELLO 3 first). */
async function rawClient(port: number, resp3 = false): Promise<RespClient> {
  const client = await RespClient.connect(port);
  if (resp3) await client.command('HELLO', '3');
  return client;
}

/** One command's reply as the exact bytes the server wrote. */
async function bytes(client: RespClient, ...args: string[]): Promise<string> {
  return (await client.command(...args)).bytes.toString('latin1');
}

/** INFO's blocked_clients of a node. */
async function blockedClients(admin: Redis): Promise<number> {
  const match = /blocked_clients:(\d+)/.exec(await admin.info('clients'));
  assert.ok(match, 'INFO clients has blocked_clients');
  return Number(match[1]);
}

test('blocking commands on a 3-node cluster', async (t) => {
  const cluster = await KvTestCluster.start(t);
  const leader = await cluster.waitForLeader();
  const [a, b] = cluster.nodes.filter((n) => n.id !== leader).map((n) => n.id) as [number, number];
  const admin = new Map(cluster.nodes.map((n) => [n.id, cluster.client(n.id)]));
  const on = (id: number): Redis => admin.get(id)!;
  const untilBlocked = (id: number, n: number): Promise<void> =>
    eventually(async () => (await blockedClients(on(id))) === n, `${n} clients blocked on node ${id}`);
  /** Every node answers `key`'s whole list with `expected` (reads are linearizable). */
  const listEverywhere = async (key: string, expected: string[]): Promise<void> => {
    for (const n of cluster.nodes) assert.deepEqual(await on(n.id).lrange(key, 0, -1), expected, `node ${n.id}`);
  };

  await t.test(
    'a BLPOP on a follower is woken by a push on another follower, and by one on the leader',
    withLogs(cluster, async () => {
      const waiter = cluster.client(a);
      const popped = waiter.blpop('q1', 0);
      await untilBlocked(a, 1);
      assert.equal(await on(b).lpush('q1', 'x'), 1);
      assert.deepEqual(await popped, ['q1', 'x']);
      await untilBlocked(a, 0);
      await listEverywhere('q1', []);

      const again = waiter.brpop('q1', 0);
      await untilBlocked(a, 1);
      assert.equal(await on(leader).rpush('q1', 'y', 'z'), 2);
      assert.deepEqual(await again, ['q1', 'z']);
      await listEverywhere('q1', ['y']);
    }),
  );

  await t.test(
    "two clients blocked on one node are served in the order they blocked (Redis's order)",
    withLogs(cluster, async () => {
      const [c1, c2] = [cluster.client(a), cluster.client(a)];
      const p1 = c1.blpop('q2', 0);
      await untilBlocked(a, 1);
      const p2 = c2.blpop('q2', 0);
      await untilBlocked(a, 2);
      await on(b).rpush('q2', 'first', 'second'); // both woken at once: the first blocked pops first
      assert.deepEqual(await p1, ['q2', 'first']);
      assert.deepEqual(await p2, ['q2', 'second']);

      // One element at a time: only the first waiter is served; the second keeps waiting.
      const p3 = c1.blpop('q2', 0);
      await untilBlocked(a, 1);
      const p4 = c2.blpop('q2', 0);
      await untilBlocked(a, 2);
      await on(leader).rpush('q2', 'one');
      assert.deepEqual(await p3, ['q2', 'one']);
      await untilBlocked(a, 1);
      await on(b).rpush('q2', 'two');
      assert.deepEqual(await p4, ['q2', 'two']);
      await listEverywhere('q2', []);
    }),
  );

  await t.test(
    'timeouts answer nil: *-1 in RESP2 and _ in RESP3, for every blocking list command',
    withLogs(cluster, async () => {
      assert.equal(await cluster.client(a).blpop('nothing', 0.05), null);
      for (const resp3 of [false, true]) {
        const raw = await rawClient(cluster.node(a).redisPort, resp3);
        const nil = resp3 ? '_\r\n' : '*-1\r\n';
        assert.equal(await bytes(raw, 'BLPOP', 'nothing', 'other', '0.05'), nil);
        assert.equal(await bytes(raw, 'BRPOP', 'nothing', '0.01'), nil);
        assert.equal(await bytes(raw, 'BLMOVE', 'nothing', 'dst', 'LEFT', 'RIGHT', '0.01'), nil);
        assert.equal(await bytes(raw, 'BRPOPLPUSH', 'nothing', 'dst', '0.01'), nil);
        assert.equal(await bytes(raw, 'BLMPOP', '0.01', '2', 'nothing', 'other', 'LEFT', 'COUNT', '3'), nil);
        raw.close();
      }
      await untilBlocked(a, 0);
      // A timed-out client took nothing: a later element stays.
      await on(b).rpush('nothing', 'stays');
      await on(a).set('barrier', '1'); // after anything node a would have started on that push
      await listEverywhere('nothing', ['stays']);
      await on(leader).del('nothing');
    }),
  );

  await t.test(
    'errors come at once: bad timeouts, wrong types; inside MULTI a blocking command answers nil at once',
    withLogs(cluster, async () => {
      const raw = await rawClient(cluster.node(a).redisPort);
      assert.equal(await bytes(raw, 'BLPOP', 'q', 'abc'), '-ERR timeout is not a float or out of range\r\n');
      assert.equal(await bytes(raw, 'BLPOP', 'q', '-1'), '-ERR timeout is negative\r\n');
      assert.equal(await bytes(raw, 'BLMPOP', '0', '0', 'q', 'LEFT'), '-ERR numkeys should be greater than 0\r\n');
      await on(b).set('str', 'x');
      const wrongType = '-WRONGTYPE Operation against a key holding the wrong kind of value\r\n';
      assert.equal(await bytes(raw, 'BLPOP', 'empty', 'str', '0'), wrongType);
      assert.equal(await bytes(raw, 'BLMOVE', 'str', 'd', 'LEFT', 'LEFT', '0'), wrongType);
      assert.equal(await bytes(raw, 'MULTI'), '+OK\r\n');
      assert.equal(await bytes(raw, 'BLPOP', 'empty', '0'), '+QUEUED\r\n');
      assert.equal(await bytes(raw, 'BLMOVE', 'empty', 'd', 'LEFT', 'LEFT', '0'), '+QUEUED\r\n');
      assert.equal(await bytes(raw, 'BLMPOP', '0', '1', 'empty', 'RIGHT'), '+QUEUED\r\n');
      assert.equal(await bytes(raw, 'EXEC'), '*3\r\n*-1\r\n$-1\r\n*-1\r\n');
      raw.close();
      assert.equal(await blockedClients(on(a)), 0);
    }),
  );

  await t.test(
    'a blocked connection runs nothing after its blocking command until it is served',
    withLogs(cluster, async () => {
      const raw = await rawClient(cluster.node(a).redisPort);
      // Pipelined: the RPUSH must wait for the BLPOP, or the BLPOP would pop its own element.
      raw.send([argv(['BLPOP', 'q4', '0']), argv(['RPUSH', 'q4', 'self'])]);
      const popped = raw.next().then((r) => r.bytes.toString('latin1'));
      const pushed = raw.next().then((r) => r.bytes.toString('latin1'));
      await untilBlocked(a, 1);
      await on(b).rpush('q4', 'other');
      assert.equal(await popped, '*2\r\n$2\r\nq4\r\n$5\r\nother\r\n');
      assert.equal(await pushed, ':1\r\n');
      await listEverywhere('q4', ['self']);
      raw.close();
    }),
  );

  await t.test(
    'a client that disconnects while blocked takes nothing',
    withLogs(cluster, async () => {
      const gone = cluster.client(a);
      gone.blpop('q5', 0).catch(() => undefined);
      await untilBlocked(a, 1);
      gone.disconnect();
      await untilBlocked(a, 0);
      await on(b).rpush('q5', 'kept');
      // Node a has applied the push once it answers this read, and sends anything it started on it
      // before this write of its own.
      assert.equal(await on(a).llen('q5'), 1);
      await on(a).set('barrier', '2');
      await listEverywhere('q5', ['kept']);
    }),
  );

  await t.test(
    'BLMOVE and BRPOPLPUSH move atomically when woken; BLMPOP pops up to COUNT',
    withLogs(cluster, async () => {
      const c = cluster.client(a);
      const moved = c.call('BLMOVE', 'src6', 'dst6', 'LEFT', 'RIGHT', '0');
      await untilBlocked(a, 1);
      await on(b).rpush('src6', 'a', 'b');
      assert.equal(await moved, 'a');
      await listEverywhere('src6', ['b']);
      await listEverywhere('dst6', ['a']);

      const moved2 = c.brpoplpush('src6b', 'dst6', 0);
      await untilBlocked(a, 1);
      await on(leader).lpush('src6b', 'z');
      assert.equal(await moved2, 'z');
      await listEverywhere('dst6', ['z', 'a']);
      assert.equal(await on(b).exists('src6b'), 0);

      const many = c.call('BLMPOP', '0', '2', 'm1', 'm2', 'RIGHT', 'COUNT', '5');
      await untilBlocked(a, 1);
      await on(b).rpush('m2', '1', '2', '3');
      assert.deepEqual(await many, ['m2', ['3', '2', '1']]);
      assert.equal(await on(leader).exists('m2'), 0);
    }),
  );

  await t.test(
    'BZPOPMIN, BZPOPMAX and BZMPOP block and wake the same way; a list at their key does not wake them',
    withLogs(cluster, async () => {
      const c = cluster.client(a);
      const min = c.bzpopmin('z1', 0);
      await untilBlocked(a, 1);
      await on(b).rpush('z1', 'x'); // a list at its key: not for it (it stays blocked, as in Redis)
      await on(a).set('barrier', '3'); // after anything node a would have started on that push
      assert.equal(await blockedClients(on(a)), 1);
      await on(b).del('z1');
      await on(b).zadd('z1', 2, 'two', 1, 'one');
      assert.deepEqual(await min, ['z1', 'one', '1']);
      const max = c.bzpopmax('z1', 0);
      assert.deepEqual(await max, ['z1', 'two', '2'], 'not blocked: an element was there');
      const many = c.call('BZMPOP', '0', '1', 'z2', 'MAX', 'COUNT', '2');
      await untilBlocked(a, 1);
      await on(leader).zadd('z2', 1, 'a', 3, 'c', 2, 'b');
      assert.deepEqual(await many, [
        'z2',
        [
          ['c', '3'],
          ['b', '2'],
        ],
      ]);
      assert.deepEqual(await on(b).call('ZRANGE', 'z2', '0', '-1'), ['a']);
    }),
  );

  await t.test(
    'a woken client pops from the key that became ready, as Redis 7.0 serves it',
    withLogs(cluster, async () => {
      const c = cluster.client(a);
      // Its first key turns into a string meanwhile: Redis serves it from the second, no WRONGTYPE.
      const popped = c.blpop('k8a', 'k8b', 0);
      await untilBlocked(a, 1);
      await on(b).set('k8a', 'now a string');
      await on(b).rpush('k8b', 'x');
      assert.deepEqual(await popped, ['k8b', 'x']);

      // Both keys become ready in one transaction: the one pushed first serves it.
      const popped2 = c.blpop('k9a', 'k9b', 0);
      await untilBlocked(a, 1);
      const tx = on(b).multi();
      tx.rpush('k9b', '1');
      tx.rpush('k9a', '2');
      await tx.exec();
      assert.deepEqual(await popped2, ['k9b', '1']);
      await listEverywhere('k9a', ['2']);
    }),
  );
});

/** Whether a failed command surely did not run (TRYAGAIN), or may have (anything else). */
function surelyNotApplied(e: unknown): boolean {
  return e instanceof Error && e.message.startsWith('TRYAGAIN');
}

/**
 * How long a command may go unanswered before the test fails naming it: the server answers every
 * command within its request timeout (5 s), a BLPOP within its own timeout more, or closes the
 * connection. Generous: CI is a loaded 2-core machine.
 */
const ANSWER_MS = 30_000;

/** A command that got no answer within ANSWER_MS. */
class NoAnswer extends Error {}

/** `command`'s answer; rejects with NoAnswer naming `what` if none comes within ANSWER_MS. */
async function answer<T>(what: string, command: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new NoAnswer(`${what}: no answer in ${ANSWER_MS} ms`)), ANSWER_MS);
  });
  try {
    return await Promise.race([command, late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * A client sending one command at a time to node `nodeId` until stopped; what it waits for, for
 * failure messages. After a failure it waits until its client is connected again, so that each
 * failure is one command that may have run (not a stream of refusals while its node is down).
 */
abstract class Worker {
  lastOk = 0;
  /** The command that got no answer in time: the worker stopped there (its connection is stuck). */
  unanswered: string | null = null;
  /** What it waits for now, and since when (Date.now()). */
  private waiting: { what: string; since: number } | null = null;
  private stopping = false;
  private done: Promise<void> | null = null;

  constructor(
    readonly name: string,
    readonly nodeId: number,
    protected readonly client: Redis,
  ) {}

  /** Starts the loop (not in the constructor: a subclass's fields are not set yet there). */
  start(): this {
    this.done = this.loop();
    this.done.catch(() => undefined); // reported by stop(); not an unhandled rejection meanwhile
    return this;
  }

  /** Stops after the command under way (answered within ANSWER_MS) or at once while reconnecting. */
  stop(): Promise<void> {
    this.stopping = true;
    return this.done ?? Promise.resolve();
  }

  /** What it waits for, if anything, for failure messages. */
  get state(): string {
    if (this.unanswered !== null) return `${this.name}@${this.nodeId}: stopped, ${this.unanswered}`;
    if (this.waiting === null) return `${this.name}@${this.nodeId}: idle`;
    return `${this.name}@${this.nodeId}: ${this.waiting.what} for ${Date.now() - this.waiting.since} ms`;
  }

  /** One command: resolves with its answer, or throws (NoAnswer after ANSWER_MS). */
  protected async send<T>(what: string, command: Promise<T>): Promise<T> {
    this.waiting = { what, since: Date.now() };
    try {
      return await answer(what, command);
    } finally {
      this.waiting = null;
    }
  }

  /** Runs `step` until stopped; `failed` is told of each failed step. */
  private async loop(): Promise<void> {
    while (!this.stopping) {
      try {
        await this.step();
        this.lastOk = Date.now();
      } catch (e) {
        if (e instanceof assert.AssertionError) throw e;
        this.failed(e);
        if (e instanceof NoAnswer) {
          this.unanswered = e.message;
          return;
        }
        this.waiting = { what: `reconnecting (${String(e)})`, since: Date.now() };
        while (this.client.status !== 'ready' && !this.stopping) await sleep(20);
        this.waiting = null;
      }
    }
  }

  protected abstract step(): Promise<void>;
  protected abstract failed(e: unknown): void;
}

/** Pushes unique elements onto `key` one at a time. */
class Producer extends Worker {
  readonly acked: string[] = [];
  /** Pushes that failed but may have been applied. */
  readonly unknown: string[] = [];
  private i = 0;

  constructor(
    name: string,
    nodeId: number,
    client: Redis,
    private readonly key: string,
  ) {
    super(name, nodeId, client);
  }

  protected async step(): Promise<void> {
    const element = `${this.name}:${this.i}`;
    await this.send(`RPUSH ${this.key} ${element}`, this.client.rpush(this.key, element));
    this.acked.push(element);
    this.i++;
  }

  protected failed(e: unknown): void {
    if (!surelyNotApplied(e)) this.unknown.push(`${this.name}:${this.i}`);
    this.i++;
  }
}

/** Pops from `key` with BLPOP (short timeouts, so it notices when to stop). */
class Consumer extends Worker {
  readonly popped: string[] = [];
  /** BLPOPs that failed but may have popped an element, which is then lost with the reply. */
  unknown = 0;

  constructor(
    name: string,
    nodeId: number,
    client: Redis,
    private readonly key: string,
  ) {
    super(name, nodeId, client);
  }

  protected async step(): Promise<void> {
    const reply = await this.send(`BLPOP ${this.key} 0.3`, this.client.blpop(this.key, 0.3));
    if (reply !== null) {
      assert.equal(reply[0], this.key);
      this.popped.push(reply[1]);
    }
  }

  protected failed(e: unknown): void {
    if (!surelyNotApplied(e)) this.unknown++;
  }
}

/**
 * Clients blocked on every node (BLPOP with no timeout) while the leader is cut off from the
 * others: the elements pushed meanwhile wake those on the other side at once, and those on the
 * cut-off node only once the network heals; no element is popped twice, none is lost.
 */
async function blockedAcrossAPartition(cluster: KvTestCluster): Promise<string> {
  const key = 'parted';
  const all = cluster.nodes.map((n) => n.id);
  const admin = new Map(all.map((id) => [id, cluster.client(id)]));
  const on = (id: number): Redis => admin.get(id)!;
  const isolated = await cluster.waitForLeader();
  const majority = all.filter((id) => id !== isolated);
  const waiters = all.flatMap((id) => Array.from({ length: id === isolated ? 3 : 1 }, () => id));
  const popped = new Map<number, [string, string] | null>();
  const failed = new Map<number, string>();
  waiters.forEach(
    (id, i) =>
      void cluster
        .client(id)
        .blpop(key, 0)
        .then(
          (reply) => popped.set(i, reply),
          (e: unknown) => failed.set(i, `BLPOP ${key} 0 on node ${id} failed: ${String(e)}`),
        ),
  );
  const answered = (i: number): boolean => popped.has(i) || failed.has(i);
  for (const id of all) {
    const n = waiters.filter((w) => w === id).length;
    await eventually(
      async () => (await answer(`INFO on node ${id}`, blockedClients(on(id)))) === n,
      `${n} clients blocked on node ${id}`,
    );
  }

  cluster.links.isolate(isolated);
  await cluster.waitForLeader(20000, majority);
  // A push sent to the cut-off node cannot commit there while it is cut off.
  const stranded: { outcome: 'pending' | 'acked' | 'refused' | 'unknown' } = { outcome: 'pending' };
  const strandedDone = on(isolated)
    .rpush(key, 'stranded')
    .then(
      () => (stranded.outcome = 'acked'),
      (e: unknown) => (stranded.outcome = surelyNotApplied(e) ? 'refused' : 'unknown'),
    );
  const pushed: string[] = [];
  for (let i = 0; i < 10; i++) {
    const element = `cut:${i}`;
    const id = majority[i % 2]!;
    await answer(`RPUSH ${key} ${element} on node ${id}`, on(id).rpush(key, element));
    pushed.push(element);
  }
  const onMajority = waiters.flatMap((id, i) => (id === isolated ? [] : [i]));
  await eventually(() => onMajority.every(answered), 'the clients blocked on the majority side pop');
  const early = waiters.flatMap((id, i) => (id === isolated && answered(i) ? [popped.get(i) ?? failed.get(i)] : []));
  assert.deepEqual(early, [], `clients blocked on the cut-off node ${isolated} popped before the heal`);
  assert.notEqual(stranded.outcome, 'acked', `a push on the cut-off node ${isolated} was acknowledged before the heal`);

  cluster.links.heal();
  await cluster.waitForLeader(30000);
  await eventually(
    () => waiters.every((_, i) => answered(i)),
    `the clients blocked on node ${isolated} pop after the heal`,
  );
  assert.deepEqual([...failed.values()], [], 'BLPOPs that failed');
  await answer(`RPUSH ${key} stranded on node ${isolated}`, strandedDone);
  if (stranded.outcome === 'acked') pushed.push('stranded');

  const taken = [...popped.values()].map((reply) => {
    assert.ok(reply !== null && reply[0] === key, `BLPOP ${key} 0 answered ${JSON.stringify(reply)}`);
    return reply[1];
  });
  assert.equal(new Set(taken).size, taken.length, `an element was popped twice: ${taken.join(', ')}`);
  const listOn = (id: number): Promise<string[]> => answer(`LRANGE ${key} on node ${id}`, on(id).lrange(key, 0, -1));
  const left = await listOn(majority[0]!);
  for (const id of all) assert.deepEqual(await listOn(id), left, `node ${id}`);
  for (const element of taken) assert.ok(!left.includes(element), `${element} was popped and is still in the list`);
  const maybe = stranded.outcome === 'unknown' ? ['stranded'] : [];
  for (const element of [...taken, ...left]) {
    assert.ok(pushed.includes(element) || maybe.includes(element), `${element} was never pushed (or refused)`);
  }
  const lost = pushed.filter((e) => !taken.includes(e) && !left.includes(e));
  assert.deepEqual(lost, [], 'acknowledged elements lost');
  return `node ${isolated} cut off with 3 clients blocked: ${taken.length} popped, ${left.length} left`;
}

test('under leader kills and a partition, producers and BLPOP consumers on every node: no element popped twice, none lost', async (t) => {
  const cluster = await KvTestCluster.start(t, { linkProxies: true });
  const key = 'work';
  const producers: Producer[] = [];
  const consumers: Consumer[] = [];
  for (const node of cluster.nodes) {
    for (let i = 0; i < 2; i++) {
      producers.push(new Producer(`p${node.id}.${i}`, node.id, cluster.client(node.id), key).start());
    }
    for (let i = 0; i < 3; i++) {
      consumers.push(new Consumer(`c${node.id}.${i}`, node.id, cluster.client(node.id), key).start());
    }
  }
  const workers: Worker[] = [...producers, ...consumers];
  // Should the test fail while waiting (the runner's timeout), no loop outlives it.
  t.after(() => workers.forEach((w) => void w.stop()));
  const popped = (): number => consumers.reduce((n, c) => n + c.popped.length, 0);
  const describe = (): string =>
    `pushed ${producers.map((p) => `${p.name}: ${p.acked.length} (+${p.unknown.length}?)`).join(', ')}; ` +
    `popped ${consumers.map((c) => `${c.name}: ${c.popped.length} (+${c.unknown}?)`).join(', ')}\n` +
    workers.map((w) => w.state).join('\n');
  /** Every producer on `nodes` has pushed since `since`, some consumer there has popped, and more than 20 pops. */
  const progress = async (what: string, since: number, nodes: number[]): Promise<void> => {
    const before = popped();
    await eventually(
      () =>
        producers.every((p) => !nodes.includes(p.nodeId) || p.lastOk > since) &&
        nodes.every((id) => consumers.some((c) => c.nodeId === id && c.lastOk > since)) &&
        popped() > before + 20,
      `${what}: pushes and pops on nodes ${nodes.join(', ')}`,
      20000,
    );
  };
  const admin = cluster.client(1);

  await withLogs(cluster, async () => {
    try {
      for (let round = 1; round <= 2; round++) {
        const all = cluster.nodes.map((n) => n.id);
        await progress(`round ${round}, before the kill`, Date.now(), all);
        const leader = await cluster.waitForLeader();
        const killedAt = Date.now();
        await cluster.kill(leader, 'SIGKILL');
        await cluster.waitForLeader(20000);
        const survivors = all.filter((id) => id !== leader);
        await progress(`round ${round}, after killing node ${leader}`, killedAt, survivors);
        const restartedAt = Date.now();
        cluster.launch(cluster.node(leader));
        await cluster.waitForLeader(30000);
        cluster.expectRunning(leader);
        await progress(`round ${round}, after restarting node ${leader}`, restartedAt, all);
      }
    } catch (e) {
      if (e instanceof Error) e.message += `\n${describe()}`;
      throw e;
    } finally {
      // Bounded: a worker whose node is down stops at once, one waiting for an answer within ANSWER_MS.
      await Promise.all(producers.map((p) => p.stop()));
      // The consumers drain what is left, then stop.
      await eventually(
        async () => (await answer('LLEN on node 1', admin.llen(key))) === 0,
        'the consumers empty the list',
        20000,
      ).catch(() => undefined);
      await Promise.all(consumers.map((c) => c.stop()));
    }
    const unanswered = workers.flatMap((w) =>
      w.unanswered === null ? [] : [`${w.name}@${w.nodeId}: ${w.unanswered}`],
    );
    assert.deepEqual(unanswered, [], `commands never answered\n${describe()}`);

    const pushedSurely = new Set(producers.flatMap((p) => p.acked));
    const pushedMaybe = new Set(producers.flatMap((p) => p.unknown));
    const takenOnce = new Set<string>();
    for (const c of consumers) {
      for (const element of c.popped) {
        assert.ok(!takenOnce.has(element), `${element} was popped twice`);
        assert.ok(pushedSurely.has(element) || pushedMaybe.has(element), `${element} was popped but never pushed`);
        takenOnce.add(element);
      }
    }
    const listOn = (id: number): Promise<string[]> =>
      answer(`LRANGE ${key} on node ${id}`, cluster.client(id).lrange(key, 0, -1));
    const left = await listOn(1);
    for (const n of cluster.nodes) assert.deepEqual(await listOn(n.id), left, `node ${n.id}`);
    for (const element of left) {
      assert.ok(!takenOnce.has(element), `${element} was popped and is still in the list`);
      assert.ok(pushedSurely.has(element) || pushedMaybe.has(element), `${element} is in the list but never pushed`);
    }
    // Every acknowledged push was popped or is still there, except at most one per BLPOP whose
    // reply was lost (its client's node died with it in flight, or its outcome was unknown).
    const unknownPops = consumers.reduce((n, c) => n + c.unknown, 0);
    const missing = [...pushedSurely].filter((e) => !takenOnce.has(e) && !left.includes(e));
    assert.ok(
      missing.length <= unknownPops,
      `${missing.length} acknowledged elements lost (${missing.slice(0, 5).join(', ')}), ` +
        `only ${unknownPops} pops of unknown outcome\n${describe()}`,
    );
    assert.ok(takenOnce.size > 200, `only ${takenOnce.size} elements popped\n${describe()}`);
    t.diagnostic(
      `${pushedSurely.size} pushes acknowledged (+${pushedMaybe.size} unknown), ${takenOnce.size} popped, ` +
        `${left.length} left, ${missing.length} lost with ${unknownPops} pops of unknown outcome`,
    );
    t.diagnostic(await blockedAcrossAPartition(cluster));
  })();
});
