// Pub/sub clients for the fault tests (pubsub-faults, pubsub-snapshot): subscribers that do not
// reconnect, publishers of numbered messages, and the checks of what the subscribers received.
// PUBLISH goes through the log and every node delivers a message when it applies it, so every
// subscriber receives a run of the log's messages with no gap: the same sequence for all that were
// there from the start and stayed (the log's order), a prefix of it for one whose connection
// ended, the rest of it from some point on for one that came later. In that sequence no message
// comes twice, each publisher's acknowledged messages come in the order published, every
// acknowledged one is there, and none refused with TRYAGAIN; and none acknowledged before a
// subscriber subscribed reaches it.
import assert from 'node:assert/strict';

import { Redis } from 'ioredis';

import { type KvTestCluster, sleep } from './kv-cluster.js';

const CHANNEL = 'faults';
const FENCE = 'fence';

/** Polls `check` until it returns true; fails with `what` after `ms`. */
export async function eventually(
  check: () => boolean | Promise<boolean>,
  what: () => string,
  ms = 20000,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for: ${what()}`);
    await sleep(20);
  }
}

/** A subscriber's connection: what it received, and whether its connection ended (never reopened). */
export class Subscriber {
  readonly got: string[] = [];
  dropped = false;
  /** Per publisher, the first n it sent after this subscriber's SUBSCRIBE was confirmed. */
  from = new Map<string, number>();
  /** The messages acknowledged before its SUBSCRIBE was sent: it must not receive them. */
  answeredBefore = new Set<string>();

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
    subscriber.answeredBefore = new Set(publishers.flatMap((p) => p.acked.map((n) => `${p.name}:${n}`)));
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
export class PubSubRun {
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
      const old = s.got.filter((m) => s.answeredBefore.has(m));
      assert.deepEqual(old, [], `${s.name} received messages acknowledged before it subscribed`);
      if (whole.includes(s)) continue;
      const start = s.got.length === 0 ? order.length : order.indexOf(s.got[0]!);
      assert.ok(start >= 0, `${s.name} received ${s.got[0]}, which the others did not`);
      assert.deepEqual(s.got, order.slice(start, start + s.got.length), `${s.name}: a gap, or not the log's order`);
      // Subscribed before anything was published: from the first message on.
      const first = this.publishers.every((p) => (s.from.get(p.name) ?? 0) === 0);
      if (first && s.got.length > 0) assert.equal(start, 0, `${s.name} missed the first messages`);
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
