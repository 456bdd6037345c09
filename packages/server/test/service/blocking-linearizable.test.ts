// End to end, in the manner of Jepsen: lists used as FIFO queues stay linearizable through faults.
// Clients on every node RPUSH unique values to a few lists and pop them with BLPOP (short timeouts,
// so some answer nil) and LPOP, while the leader is frozen (SIGSTOP: cut off from the others,
// which elect a new leader, its clients still connected to it) and thawed, then cut off by the
// network (support/link-proxies.ts: it keeps running, its clients keep talking to it) and healed,
// and later killed (SIGKILL) and restarted. Each list's history of pushes and pops, with call and
// return times, must be linearizable for a FIFO queue (support/queue-linearizability.ts); then,
// once everything is drained: no element popped twice, and every acknowledged push popped but for
// one per pop whose outcome is unknown. How outcomes count: TRYAGAIN was never proposed, so it did
// nothing; TIMEOUT or a dropped connection may have taken effect at any time after the call (a
// blocked client's retry sent just before its node died may pop an element lost with its reply).
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { KvTestCluster, sleep, withLogs } from '../support/kv-cluster.js';
import { freezeLeader, killAndRestartLeader } from '../support/leader-faults.js';
import { checkQueueLinearizable, type QueueHistoryEntry } from '../support/queue-linearizability.js';
import { formatValue, RespClient, type RespValue } from '../support/resp-client.js';

const LISTS = ['queue:a', 'queue:b'];
const CLIENTS_PER_NODE = 4;
const BLPOP_TIMEOUTS = ['0.2', '0.5', '1'];

/** What a reply means for the history: a push's or pop's result, not applied, or an unknown outcome. */
type Outcome =
  { kind: 'pushed' } | { kind: 'popped'; value: string | null } | { kind: 'not-applied' } | { kind: 'unknown' };

/** A client that pushes and pops in a loop on one node, recording each operation, until stopped. */
class QueueClient {
  readonly done: Promise<void>;
  /** Error replies other than TRYAGAIN and TIMEOUT (there should be none). */
  readonly surprises: string[] = [];
  /** Its BLPOPs with a known outcome. */
  readonly blpops: QueueHistoryEntry[] = [];
  private stopping = false;
  private n = 0;
  private conn: RespClient | null = null;
  private state: number;

  constructor(
    readonly id: number,
    private readonly port: () => number,
    private readonly history: QueueHistoryEntry[],
  ) {
    this.state = id * 7919 + 17;
    this.done = this.run();
  }

  stop(): Promise<void> {
    this.stopping = true;
    return this.done;
  }

  /** A small deterministic generator: which list, which command. */
  private next(): number {
    this.state = (this.state * 1103515245 + 12345) % 2147483648;
    return this.state >> 8;
  }

  private async connection(): Promise<RespClient | null> {
    if (this.conn !== null) return this.conn;
    try {
      this.conn = await RespClient.connect(this.port());
    } catch {
      await sleep(50); // the node is down: try again shortly, no spinning
    }
    return this.conn;
  }

  private async run(): Promise<void> {
    while (!this.stopping) {
      const conn = await this.connection();
      if (conn === null) continue;
      const r = this.next();
      const list = LISTS[r % LISTS.length]!;
      const choice = (r >> 4) % 20;
      const invokedAt = performance.now();
      if (choice < 9) {
        const value = `c${this.id}:${this.n++}`;
        const outcome = await this.send(conn, ['RPUSH', list, value], (v) => {
          assert.equal(v.type, 'integer', `RPUSH answered ${formatValue(v)}`);
          return { kind: 'pushed' };
        });
        if (outcome.kind === 'not-applied') continue;
        const returnedAt = outcome.kind === 'unknown' ? Infinity : performance.now();
        this.history.push({ client: this.id, op: { kind: 'push', list, value }, invokedAt, returnedAt });
      } else {
        const blocking = choice < 17;
        const command = blocking ? ['BLPOP', list, BLPOP_TIMEOUTS[(r >> 9) % BLPOP_TIMEOUTS.length]!] : ['LPOP', list];
        const outcome = await this.send(conn, command, (v) => popped(v, list, blocking));
        if (outcome.kind === 'not-applied') continue;
        const returnedAt = outcome.kind === 'unknown' ? Infinity : performance.now();
        const result = outcome.kind === 'popped' ? outcome.value : null;
        const entry: QueueHistoryEntry = { client: this.id, op: { kind: 'pop', list, result }, invokedAt, returnedAt };
        this.history.push(entry);
        if (blocking && outcome.kind === 'popped') this.blpops.push(entry);
      }
    }
    this.conn?.close();
  }

  /** Sends one command and reads what its reply means; a failed connection is closed and forgotten. */
  private async send(conn: RespClient, command: string[], read: (v: RespValue) => Outcome): Promise<Outcome> {
    let reply: RespValue;
    try {
      reply = (await conn.command(...command)).value;
    } catch {
      conn.close();
      this.conn = null;
      return { kind: 'unknown' };
    }
    if (reply.type !== 'error') return read(reply);
    // LOADING (a restarted node still loading its snapshot) refuses the command, as TRYAGAIN does.
    if (reply.text.startsWith('TRYAGAIN') || reply.text.startsWith('LOADING')) return { kind: 'not-applied' };
    if (!reply.text.startsWith('TIMEOUT')) this.surprises.push(`${command.join(' ')}: -${reply.text}`);
    return { kind: 'unknown' };
  }
}

/** A pop's reply: nil, or the element (BLPOP answers [list, element]). */
function popped(v: RespValue, list: string, blocking: boolean): Outcome {
  if (v.type === 'null') return { kind: 'popped', value: null };
  if (!blocking) {
    assert.equal(v.type, 'bulk', `LPOP answered ${formatValue(v)}`);
    return { kind: 'popped', value: v.data.toString() };
  }
  const [key, element] = v.type === 'array' ? v.items : [];
  assert.ok(key?.type === 'bulk' && element?.type === 'bulk', `BLPOP answered ${formatValue(v)}`);
  assert.equal(key.data.toString(), list);
  return { kind: 'popped', value: element.data.toString() };
}

test('lists as queues: pushes and blocking pops through every node stay linearizable across a freeze, a partition and a crash of the leader', async (t) => {
  const cluster = await KvTestCluster.start(t, { linkProxies: true });
  const history: QueueHistoryEntry[] = [];
  const clients: QueueClient[] = [];
  for (const node of cluster.nodes) {
    for (let i = 0; i < CLIENTS_PER_NODE; i++) {
      clients.push(new QueueClient(clients.length, () => node.redisPort, history));
    }
  }
  const faults: string[] = [];
  let thawedAt = Infinity;
  let healedAt = Infinity;
  let restartedAt = Infinity;
  await withLogs(cluster, async () => {
    try {
      await sleep(1500);
      thawedAt = await freezeLeader(cluster, 2500, faults);
      await sleep(1500);
      // The leader cut off by the network, its clients still connected to it: the others elect.
      const isolatedId = await cluster.waitForLeader();
      cluster.links.isolate(isolatedId);
      faults.push(`cut node ${isolatedId} off`);
      try {
        await cluster.waitForLeader(
          20000,
          cluster.nodes.map((n) => n.id).filter((id) => id !== isolatedId),
        );
        await sleep(2000);
      } finally {
        cluster.links.heal();
        healedAt = performance.now();
      }
      await cluster.waitForLeader();
      await sleep(1500);
      restartedAt = await killAndRestartLeader(cluster, 1000, faults);
      await cluster.waitForLeader();
      await sleep(2000);
    } finally {
      await Promise.all(clients.map((c) => c.stop()));
    }

    // Drain what is left, recorded like any pop: the last nil of each list says it is empty.
    const drain = await RespClient.connect(cluster.node(await cluster.waitForLeader()).redisPort);
    for (const list of LISTS) {
      for (;;) {
        const invokedAt = performance.now();
        const reply = (await drain.command('LPOP', list)).value;
        if (reply.type === 'error' && /^(TRYAGAIN|LOADING)/.test(reply.text)) continue; // not applied: again
        const outcome = popped(reply, list, false);
        assert.equal(outcome.kind, 'popped');
        const result = outcome.kind === 'popped' ? outcome.value : null;
        history.push({ client: -1, op: { kind: 'pop', list, result }, invokedAt, returnedAt: performance.now() });
        if (result === null) break;
      }
    }
    drain.close();
    for (const node of cluster.nodes) {
      const c = await RespClient.connect(node.redisPort);
      for (const list of LISTS)
        assert.equal(formatValue((await c.command('LLEN', list)).value), ':0', `node ${node.id}`);
      c.close();
    }

    const known = history.filter((e) => e.returnedAt !== Infinity);
    const pushes = known.filter((e) => e.op.kind === 'push');
    const pops = known.filter((e) => e.op.kind === 'pop');
    const nils = pops.filter((e) => e.op.kind === 'pop' && e.op.result === null).length;
    const unknownPushes = history.filter((e) => e.op.kind === 'push' && e.returnedAt === Infinity).length;
    const unknownPops = history.filter((e) => e.op.kind === 'pop' && e.returnedAt === Infinity).length;
    // BLPOPs answered with an element whose push was invoked after them: they blocked and were woken.
    const pushedAt = new Map(history.flatMap((e) => (e.op.kind === 'push' ? [[e.op.value, e.invokedAt]] : [])));
    const woken = clients
      .flatMap((c) => c.blpops)
      .filter((e) => e.op.kind === 'pop' && e.op.result !== null && pushedAt.get(e.op.result)! > e.invokedAt).length;
    const summary =
      `${pushes.length} pushes (+${unknownPushes} unknown), ${pops.length} pops (${nils} nil, +${unknownPops} ` +
      `unknown), ${woken} BLPOPs woken by a later push; ${faults.join(', ')}`;
    t.diagnostic(summary);
    assert.deepEqual(
      clients.flatMap((c) => c.surprises),
      [],
      'only TRYAGAIN and TIMEOUT errors',
    );

    // Not vacuous: enough got through, before and after the faults, and BLPOPs really blocked.
    assert.ok(pushes.length >= 200 && pops.length >= 200, `too little got through: ${summary}`);
    const finishedAfter = (at: number): number => known.filter((e) => e.invokedAt > at).length;
    assert.ok(finishedAfter(thawedAt) >= 50, `${finishedAfter(thawedAt)} operations after the thaw: ${summary}`);
    assert.ok(finishedAfter(healedAt) >= 50, `${finishedAfter(healedAt)} operations after the heal: ${summary}`);
    assert.ok(finishedAfter(restartedAt) >= 50, `${finishedAfter(restartedAt)} after the restart: ${summary}`);
    assert.ok(woken >= 10, `only ${woken} BLPOPs were woken by a push: ${summary}`);
    assert.ok(nils >= 10, `only ${nils} pops answered nil: ${summary}`);

    // No element popped twice, none acknowledged and lost but for one per pop of unknown outcome.
    const takenBy = new Map<string, QueueHistoryEntry>();
    for (const e of pops) {
      if (e.op.kind !== 'pop' || e.op.result === null) continue;
      const first = takenBy.get(e.op.result);
      assert.equal(first, undefined, `${e.op.result} popped twice: ${JSON.stringify([first, e])}`);
      takenBy.set(e.op.result, e);
    }
    const lost = pushes.filter((e) => e.op.kind === 'push' && !takenBy.has(e.op.value));
    assert.ok(
      lost.length <= unknownPops,
      `${lost.length} acknowledged pushes lost, only ${unknownPops} pops of unknown outcome: ` +
        `${JSON.stringify(lost.slice(0, 5))} (${summary})`,
    );

    const result = checkQueueLinearizable(history, { maxSteps: 5_000_000 });
    assert.ok(result.ok, `not linearizable on ${result.list}: ${result.reason} (${summary})`);
    t.diagnostic(`checked in ${result.explored} steps`);
  })();
});
