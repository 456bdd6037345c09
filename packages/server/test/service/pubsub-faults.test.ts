// Pub/sub under network partitions and a leader kill, on 3-node clusters of real `little-raft
// serve` processes whose peer links run through LinkProxies. Subscribers on every node; publishers
// publishing numbered messages one at a time. PUBLISH goes through the log and every node delivers
// a message when it applies it, so every subscriber receives a run of the log's messages with no
// gap: the same sequence for all that were there from the start and stayed (the log's order), a
// prefix of it for one whose connection ended, the rest of it from some point on for one that
// came later. In that sequence no message comes twice, each publisher's acknowledged messages come
// in the order published, every acknowledged one is there, and none refused with TRYAGAIN.
//
// 1. The leader is cut off from the others (its clients stay connected to it), the network heals,
//    then the leader is SIGKILLed and restarted: nothing published after the cut reaches the
//    cut-off node's subscribers before the heal, and everything acknowledged meanwhile does after
//    it (late, not never); PUBSUB NUMSUB counts every node's subscribers again once the gossip's
//    links are back.
// 2. A follower is cut off until the leader's log was compacted past it, so it catches up from a
//    snapshot, which skips the PUBLISHes it covers: that node disconnects its subscribers rather
//    than leave them open with a gap.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { Redis } from 'ioredis';

import { KvTestCluster, sleep, withLogs } from '../support/kv-cluster.js';

const CHANNEL = 'faults';
const FENCE = 'fence';

/** Polls `check` until it returns true; fails with `what` after `ms`. */
async function eventually(check: () => boolean | Promise<boolean>, what: () => string, ms = 20000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for: ${what()}`);
    await sleep(20);
  }
}

/** A subscriber's connection: what it received, and whether its connection ended (never reopened). */
class Subscriber {
  readonly got: string[] = [];
  dropped = false;
  /** Per publisher, the first n it sent after this subscriber's SUBSCRIBE was confirmed. */
  from = new Map<string, number>();

  private constructor(
    readonly name: string,
    readonly nodeId: number,
    readonly client: Redis,
  ) {
    client.on('message', (_channel: string, message: string) => this.got.push(message));
    client.on('close', () => (this.dropped = true));
  }

  /** Subscribes to CHANNEL on node `nodeId`; resolves once the node confirmed it. */
  static async open(
    cluster: KvTestCluster,
    name: string,
    nodeId: number,
    publishers: Publisher[],
  ): Promise<Subscriber> {
    // No reconnecting: a connection that ends stays ended, so what it received stays one run.
    const client = new Redis({
      port: cluster.node(nodeId).redisPort,
      host: '127.0.0.1',
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    client.on('error', () => undefined);
    const subscriber = new Subscriber(name, nodeId, client);
    await client.subscribe(CHANNEL);
    subscriber.from = new Map(publishers.map((p) => [p.name, p.next]));
    return subscriber;
  }
}

/** Publishes `<name>:<n>` for n = 0, 1, 2, ... one at a time until stopped. */
class Publisher {
  /** The next n to publish: every n below was sent. */
  next = 0;
  readonly acked: number[] = [];
  /** Answered TRYAGAIN: never applied. */
  readonly refused = new Set<number>();
  lastOk = 0;
  lastError = 0;
  readonly errors = new Map<string, number>();
  private done: Promise<void> = Promise.resolve();
  private stopping = false;

  constructor(
    readonly name: string,
    readonly nodeId: number,
    private readonly client: Redis,
  ) {}

  start(): void {
    this.done = this.run();
  }

  stop(): Promise<void> {
    this.stopping = true;
    return this.done;
  }

  private async run(): Promise<void> {
    while (!this.stopping) {
      const n = this.next++;
      try {
        await this.client.publish(CHANNEL, `${this.name}:${n}`);
        this.acked.push(n);
        this.lastOk = Date.now();
      } catch (e) {
        const message = (e as Error).message;
        if (message.startsWith('TRYAGAIN')) this.refused.add(n);
        const kind = message.split(' ')[0]!;
        this.errors.set(kind, (this.errors.get(kind) ?? 0) + 1);
        this.lastError = Date.now();
        // Its node may be down: one PUBLISH per connection, not a stream of refusals.
        while (!this.stopping && this.client.status !== 'ready') await sleep(20);
      }
    }
  }
}

/** `<publisher>:<n>` -> [publisher, n]. */
function parse(message: string): [string, number] {
  const colon = message.lastIndexOf(':');
  return [message.slice(0, colon), Number(message.slice(colon + 1))];
}

/** Subscribers and publishers on a cluster, and the checks of what the subscribers received. */
class PubSubRun {
  readonly subscribers: Subscriber[] = [];
  readonly publishers: Publisher[] = [];

  constructor(private readonly cluster: KvTestCluster) {}

  async subscribe(nodeId: number, name: string): Promise<Subscriber> {
    const s = await Subscriber.open(this.cluster, name, nodeId, this.publishers);
    this.subscribers.push(s);
    return s;
  }

  publish(nodeId: number, name: string): void {
    const p = new Publisher(name, nodeId, this.cluster.client(nodeId));
    this.publishers.push(p);
    p.start();
  }

  close(): void {
    for (const s of this.subscribers) s.client.disconnect();
  }

  acked(): number {
    return this.publishers.reduce((n, p) => n + p.acked.length, 0);
  }

  describe(): string {
    const pubs = this.publishers.map((p) => `${p.name}: ${p.acked.length}/${p.next} ${JSON.stringify([...p.errors])}`);
    const subs = this.subscribers.map((s) => `${s.name}: ${s.got.length}${s.dropped ? ' (dropped)' : ''}`);
    return `published ${pubs.join(', ')}; received ${subs.join(', ')}; links cut: ${this.cluster.links.cutLinks.join(' ') || 'none'}`;
  }

  /** Publishers on `nodes` are acknowledged after `since`, and more than `n` messages in all. */
  async progress(what: string, since: number, nodes: readonly number[], n = 30): Promise<void> {
    const before = this.acked();
    await eventually(
      () => this.publishers.every((p) => !nodes.includes(p.nodeId) || p.lastOk > since) && this.acked() > before + n,
      () => `${what}: publishers on nodes ${nodes.join(', ')} acknowledged\n${this.describe()}`,
    );
  }

  /** Per publisher, the first n it sends from now on. */
  marks(): Map<string, number> {
    return new Map(this.publishers.map((p) => [p.name, p.next]));
  }

  /** The messages acknowledged with n at or after `marks`. */
  ackedSince(marks: ReadonlyMap<string, number>): string[] {
    return this.publishers.flatMap((p) => p.acked.filter((n) => n >= marks.get(p.name)!).map((n) => `${p.name}:${n}`));
  }

  /** The messages `s` received that were published at or after `marks`. */
  receivedSince(s: Subscriber, marks: ReadonlyMap<string, number>): string[] {
    return s.got.filter((m) => {
      const [name, n] = parse(m);
      return n >= marks.get(name)!;
    });
  }

  /** Every node counts `n` subscribers of CHANNEL (the gossip reached it from every node). */
  counted(n: number, what: string): Promise<void> {
    return eventually(
      async () => {
        for (const node of this.cluster.nodes) {
          const reply = (await this.cluster.client(node.id).call('PUBSUB', 'NUMSUB', CHANNEL)) as [string, number];
          if (reply[1] !== n) return false;
        }
        return true;
      },
      () => `${what}: every node counts ${n} subscribers\n${this.describe()}`,
    );
  }

  /** Stops publishing; then a last message, after every other, reaches every live subscriber. */
  async finish(): Promise<void> {
    await Promise.all(this.publishers.map((p) => p.stop()));
    const live = this.subscribers.filter((s) => !s.dropped);
    await this.cluster.client(live[0]!.nodeId).publish(CHANNEL, FENCE);
    await eventually(
      () => live.every((s) => s.got.includes(FENCE)),
      () => `every live subscriber receives the fence\n${this.describe()}`,
    );
  }

  /** The checks of the header, after finish(); `whole`: the subscribers there from the start to the end. */
  check(whole: readonly Subscriber[]): string[] {
    assert.ok(whole.length >= 2, this.describe());
    const order = whole[0]!.got;
    for (const s of whole) assert.deepEqual(s.got, order, `${s.name} and ${whole[0]!.name} differ`);
    assert.equal(order.at(-1), FENCE);
    const published = order.slice(0, -1);
    assert.equal(new Set(published).size, published.length, 'a message arrived twice');
    const byName = new Map(this.publishers.map((p) => [p.name, p]));
    const lastAcked = new Map<string, number>();
    for (const m of published) {
      const [name, n] = parse(m);
      const p = byName.get(name);
      assert.ok(p !== undefined && Number.isInteger(n) && n >= 0 && n < p.next, `${m} was never published`);
      assert.ok(!p.refused.has(n), `${m} was refused with TRYAGAIN but delivered`);
      // A PUBLISH answered -TIMEOUT may be applied after later ones (docs/server.md, limitations).
      if (!p.acked.includes(n)) continue;
      assert.ok(n > (lastAcked.get(name) ?? -1), `${m} after ${name}:${lastAcked.get(name)}: out of publish order`);
      lastAcked.set(name, n);
    }
    const received = new Set(published);
    for (const p of this.publishers) {
      const missing = p.acked.filter((n) => !received.has(`${p.name}:${n}`));
      assert.deepEqual(missing, [], `acknowledged messages of ${p.name} that never arrived`);
    }
    for (const s of this.subscribers) {
      if (whole.includes(s)) continue;
      const start = s.got.length === 0 ? order.length : order.indexOf(s.got[0]!);
      assert.ok(start >= 0, `${s.name} received ${s.got[0]}, which the others did not`);
      assert.deepEqual(s.got, order.slice(start, start + s.got.length), `${s.name}: a gap, or not the log's order`);
      if (!s.dropped) assert.equal(start + s.got.length, order.length, `${s.name} stopped short`);
      if (s.dropped) continue;
      const got = new Set(s.got);
      for (const p of this.publishers) {
        const missing = p.acked.filter((n) => n >= (s.from.get(p.name) ?? 0) && !got.has(`${p.name}:${n}`));
        assert.deepEqual(missing, [], `${s.name} misses messages of ${p.name} published after it subscribed`);
      }
    }
    return published;
  }
}

test('pub/sub under a partition of the leader and a leader kill: one log order, nothing twice, nothing acknowledged lost', async (t) => {
  const cluster = await KvTestCluster.start(t, { linkProxies: true });
  const run = new PubSubRun(cluster);
  t.after(() => run.close());
  const all = cluster.nodes.map((n) => n.id);
  for (const id of all) for (let i = 0; i < 2; i++) await run.subscribe(id, `s${id}.${i}`);
  for (const id of all) for (let i = 0; i < 2; i++) run.publish(id, `p${id}.${i}`);
  await run.counted(run.subscribers.length, 'at the start');
  const fromStart = [...run.subscribers];

  await withLogs(cluster, async () => {
    try {
      await run.progress('before the partition', Date.now(), all);

      // ---- the leader cut off from the others; its clients stay connected to it -------------
      const isolated = await cluster.waitForLeader();
      const majority = all.filter((id) => id !== isolated);
      const cut = run.marks();
      const cutAt = Date.now();
      cluster.links.isolate(isolated);
      await cluster.waitForLeader(20000, majority);
      await run.progress(`node ${isolated} cut off`, cutAt, majority);
      // Its own publishers get an answer, an error: a write there cannot commit.
      const cutOff = run.publishers.filter((p) => p.nodeId === isolated);
      await eventually(
        () => cutOff.every((p) => p.lastError > cutAt),
        () => `node ${isolated}'s publishers answered while it is cut off\n${run.describe()}`,
      );
      // Nothing published after the cut was acknowledged on the cut-off node, or reached its subscribers.
      for (const p of cutOff) {
        const early = p.acked.filter((n) => n >= cut.get(p.name)!);
        assert.deepEqual(early, [], `${p.name} on node ${isolated} acknowledged while cut off`);
      }
      const minority = run.subscribers.filter((s) => s.nodeId === isolated);
      for (const s of minority) {
        assert.deepEqual(
          run.receivedSince(s, cut),
          [],
          `${s.name} on node ${isolated} received messages published after the cut`,
        );
      }
      const ackedWhileCut = run.ackedSince(cut);

      const healedAt = Date.now();
      cluster.links.heal();
      await cluster.waitForLeader(20000);
      await run.progress('after the heal', healedAt, all);
      // Late, not never: what was acknowledged during the cut reaches the cut-off node's subscribers.
      await eventually(
        () => minority.every((s) => ackedWhileCut.every((m) => s.got.includes(m))),
        () =>
          `the subscribers on node ${isolated} receive the ${ackedWhileCut.length} messages acknowledged while it was cut off\n${run.describe()}`,
      );
      await run.counted(run.subscribers.length, 'after the heal');

      // ---- the leader killed and restarted ---------------------------------------------------
      const killed = await cluster.waitForLeader();
      const survivors = all.filter((id) => id !== killed);
      const killedAt = Date.now();
      await cluster.kill(killed, 'SIGKILL');
      await cluster.waitForLeader(20000, survivors);
      await run.progress(`node ${killed} killed`, killedAt, survivors);
      cluster.launch(cluster.node(killed));
      await cluster.waitForLeader(30000);
      // Its old subscribers' connections ended; new ones subscribe there.
      for (let i = 0; i < 2; i++) await run.subscribe(killed, `s${killed}.late${i}`);
      await run.progress(`node ${killed} restarted`, Date.now(), all);
      for (const s of run.subscribers) {
        const expected = fromStart.includes(s) && s.nodeId === killed;
        assert.equal(s.dropped, expected, `${s.name}: only the killed node's first subscribers lost their connection`);
      }
    } finally {
      await Promise.all(run.publishers.map((p) => p.stop()));
    }
    await run.counted(run.subscribers.filter((s) => !s.dropped).length, 'at the end');
    await run.finish();
    const published = run.check(fromStart.filter((s) => !s.dropped));
    t.diagnostic(`${run.acked()} published acknowledged, ${published.length} delivered; ${run.describe()}`);
  })();
});

test('a subscriber on a node that catches up from a snapshot is disconnected, never left with a gap', async (t) => {
  const cluster = await KvTestCluster.start(t, { linkProxies: true, snapshotEntries: 50 });
  const run = new PubSubRun(cluster);
  t.after(() => run.close());
  const leader = await cluster.waitForLeader();
  const [behind, other] = cluster.nodes.map((n) => n.id).filter((id) => id !== leader) as [number, number];
  const majority = [leader, other];
  const whole = [await run.subscribe(leader, 'leader'), await run.subscribe(other, 'other')];
  const lagging = [await run.subscribe(behind, 'behind0'), await run.subscribe(behind, 'behind1')];
  for (const id of majority) run.publish(id, `p${id}`);

  await withLogs(cluster, async () => {
    try {
      await run.progress('before the partition', Date.now(), majority);
      const cut = run.marks();
      cluster.links.isolate(behind);
      const left = Number((await cluster.status(behind))?.['lastLogIndex']);
      // The log is compacted past where node `behind` stopped: only a snapshot can bring it back.
      await eventually(
        async () => {
          for (const id of majority)
            if (!(Number((await cluster.status(id))?.['snapshotIndex']) > left + 100)) return false;
          return true;
        },
        () => `the log compacted past index ${left}\n${run.describe()}`,
      );
      for (const s of lagging)
        assert.deepEqual(run.receivedSince(s, cut), [], `${s.name} received messages published after the cut`);

      cluster.links.heal();
      await eventually(
        async () => Number((await cluster.status(behind))?.['snapshotIndex']) > left,
        () => `node ${behind} installs a snapshot\n${run.describe()}`,
      );
      await eventually(
        () => lagging.every((s) => s.dropped),
        () => `node ${behind} disconnects its subscribers\n${run.describe()}`,
      );
      await run.subscribe(behind, 'resubscribed');
      await run.progress('after the heal', Date.now(), majority);
    } finally {
      await Promise.all(run.publishers.map((p) => p.stop()));
    }
    await run.finish();
    assert.ok(whole.every((s) => !s.dropped));
    const published = run.check(whole);
    // The dropped ones got what came before the cut, at least: the check saw them end with no gap.
    for (const s of lagging) assert.ok(s.got.length > 0, `${s.name} received nothing`);
    t.diagnostic(`${published.length} delivered; ${run.describe()}`);
  })();
});
