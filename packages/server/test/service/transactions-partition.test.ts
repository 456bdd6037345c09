// Transactions under network partitions, end to end, on a 3-node cluster of real `little-raft
// serve` processes whose peer links run through LinkProxies. Clients on every node move units
// between accounts in MULTI/EXEC transactions (DECRBY one, INCRBY another) and run WATCH-based
// read-modify-writes (WATCH two accounts, MGET them, MULTI SET both EXEC), while the leader is cut
// off from the others (its clients stay connected to it) and the network heals, twice; the second
// cut lasts until the transport has given up on the silent connections (idle timeout) and a redial
// across the cut has timed out in its handshake. Readers on every node read all the accounts at
// once (MGET, and MULTI of GETs with LLEN of the transaction log).
//
// Every transaction RPUSHes its unique id onto one list, so the list is the order in which the
// cluster applied them. Checked: the accounts' sum holds in every read on every node, throughout;
// at the end every node holds the same accounts and list; no id is in the list twice; every
// acknowledged EXEC's id is there, and none answered TRYAGAIN or EXECABORT (not applied) or nil
// (WATCH aborted). Replaying the list from the starting balances gives the final balances, every
// acknowledged EXEC's replies, and the values each WATCH transaction read (WATCH's promise: they
// did not change before its EXEC). And it is linearizable: a transaction acknowledged before
// another began comes first in the list, and every read saw the state after a prefix of the list
// that includes every transaction acknowledged before the read began and none begun after it
// returned. (little-raft/sim's checkLinearizable checks independent registers, not multi-key
// transactions; the list makes the order visible, so no search is needed.)
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { test } from 'node:test';

import type { Redis } from 'ioredis';

import { KvTestCluster, sleep, withLogs } from '../support/kv-cluster.js';
import { eventually } from '../support/eventually.js';

const ACCOUNTS = Array.from({ length: 12 }, (_, i) => `acct:${i}`);
const START = 100;
const TOTAL = START * ACCOUNTS.length;
const LOG = 'txlog';

type TxOp =
  | { kind: 'transfer'; from: number; to: number; amount: number }
  /** Read `read` of accounts a and b under WATCH, then set them to `write`. */
  | { kind: 'watch'; a: number; b: number; read: [number, number]; write: [number, number] };

type Outcome = 'acked' | 'refused' | 'aborted' | 'unknown';

interface TxRecord {
  id: string;
  nodeId: number;
  op: TxOp;
  invokedAt: number;
  /** Infinity until answered, and when the outcome is unknown. */
  returnedAt: number;
  outcome: Outcome | null;
  replies: unknown[];
}

interface ReadRecord {
  nodeId: number;
  invokedAt: number;
  returnedAt: number;
  balances: number[];
  /** LLEN of the list, read in the same transaction; null for an MGET. */
  logLength: number | null;
}

/** A small deterministic generator (xorshift32). */
function generator(seed: number): (n: number) => number {
  let s = seed | 0 || 1;
  return (n) => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) % n;
  };
}

/** What an error answer says of a transaction: TRYAGAIN and EXECABORT were not applied. */
function outcomeOf(e: unknown): Outcome {
  const message = e instanceof Error ? e.message : String(e);
  return /^(TRYAGAIN|EXECABORT)/.test(message) ? 'refused' : 'unknown';
}

/** A loop of one client until stopped; a failed assertion stops it and is kept in `failure`. */
abstract class Loop {
  failure: unknown = null;
  lastOk = 0;
  lastError = 0;
  readonly errors = new Map<string, number>();
  private done: Promise<void> = Promise.resolve();
  protected stopping = false;

  constructor(
    readonly name: string,
    readonly nodeId: number,
    protected readonly client: Redis,
  ) {}

  start(): void {
    this.done = this.run().catch((e: unknown) => {
      this.failure = e;
    });
  }

  stop(): Promise<void> {
    this.stopping = true;
    return this.done;
  }

  protected ok(): void {
    this.lastOk = performance.now();
  }

  protected async failed(e: unknown): Promise<void> {
    const kind = (e instanceof Error ? e.message : String(e)).split(' ')[0]!;
    this.errors.set(kind, (this.errors.get(kind) ?? 0) + 1);
    this.lastError = performance.now();
    await sleep(20); // an answer that comes at once would otherwise spin
  }

  protected abstract run(): Promise<void>;
}

/** Transfers between two accounts, or WATCH read-modify-writes of two accounts. */
class TxWorker extends Loop {
  private readonly random: (n: number) => number;

  constructor(
    name: string,
    nodeId: number,
    client: Redis,
    private readonly watching: boolean,
    private readonly history: TxRecord[],
    seed: number,
  ) {
    super(name, nodeId, client);
    this.random = generator(seed);
  }

  protected async run(): Promise<void> {
    for (let i = 0; !this.stopping; i++) {
      const id = `${this.name}:${i}`;
      const a = this.random(ACCOUNTS.length);
      const b = (a + 1 + this.random(ACCOUNTS.length - 1)) % ACCOUNTS.length;
      const invokedAt = performance.now();
      let op: TxOp;
      if (this.watching) {
        let read: [number, number];
        try {
          await this.client.watch(ACCOUNTS[a]!, ACCOUNTS[b]!);
          const values = await this.client.mget(ACCOUNTS[a]!, ACCOUNTS[b]!);
          read = [Number(values[0]), Number(values[1])];
        } catch (e) {
          await this.client.unwatch().catch(() => undefined);
          await this.failed(e);
          continue;
        }
        // Half of a's units go to b (or one unit back when a has none to give).
        const move = read[0] > 0 ? Math.ceil(read[0] / 2) : -1;
        op = { kind: 'watch', a, b, read, write: [read[0] - move, read[1] + move] };
      } else {
        op = { kind: 'transfer', from: a, to: b, amount: 1 + this.random(10) };
      }
      const record: TxRecord = {
        id,
        nodeId: this.nodeId,
        op,
        invokedAt,
        returnedAt: Infinity,
        outcome: null,
        replies: [],
      };
      this.history.push(record);
      const tx = this.client.multi();
      if (op.kind === 'watch') tx.set(ACCOUNTS[a]!, String(op.write[0])).set(ACCOUNTS[b]!, String(op.write[1]));
      else tx.decrby(ACCOUNTS[op.from]!, op.amount).incrby(ACCOUNTS[op.to]!, op.amount);
      tx.rpush(LOG, id);
      let replies: [Error | null, unknown][] | null;
      try {
        replies = await tx.exec();
      } catch (e) {
        record.outcome = outcomeOf(e);
        if (record.outcome === 'refused') record.returnedAt = performance.now();
        await this.failed(e);
        continue;
      }
      record.returnedAt = performance.now();
      if (replies === null) {
        assert.ok(this.watching, `${id}: EXEC answered nil with no WATCH`);
        record.outcome = 'aborted';
        this.ok();
        continue;
      }
      record.replies = replies.map(([error, value]) => {
        assert.equal(error, null, `${id}: ${String(error)}`);
        return value;
      });
      record.outcome = 'acked';
      this.ok();
    }
  }
}

/** Reads every account at once, by MGET and by MULTI (GETs and LLEN) in turn; checks the sum each time. */
class Reader extends Loop {
  constructor(
    name: string,
    nodeId: number,
    client: Redis,
    private readonly reads: ReadRecord[],
  ) {
    super(name, nodeId, client);
  }

  protected async run(): Promise<void> {
    for (let i = 0; !this.stopping; i++) {
      const invokedAt = performance.now();
      let values: unknown[];
      let logLength: number | null = null;
      try {
        if (i % 2 === 0) {
          values = await this.client.mget(...ACCOUNTS);
        } else {
          const tx = this.client.multi();
          for (const key of ACCOUNTS) tx.get(key);
          const replies = await tx.llen(LOG).exec();
          assert.ok(replies !== null, `${this.name}: EXEC of reads answered nil`);
          values = replies.map(([error, value]) => {
            assert.equal(error, null, `${this.name}: ${String(error)}`);
            return value;
          });
          logLength = values.pop() as number;
        }
      } catch (e) {
        if (e instanceof assert.AssertionError) throw e;
        await this.failed(e);
        continue;
      }
      const balances = values.map(Number);
      const sum = balances.reduce((s, v) => s + v, 0);
      assert.ok(
        balances.every(Number.isInteger) && sum === TOTAL,
        `${this.name} on node ${this.nodeId} read ${JSON.stringify(values)}: the sum is ${sum}, not ${TOTAL}`,
      );
      this.reads.push({ nodeId: this.nodeId, invokedAt, returnedAt: performance.now(), balances, logLength });
      this.ok();
    }
  }
}

/** The balances after each prefix of `log` (states[k]: after the first k), checking every step against `byId`. */
function replay(log: readonly string[], byId: ReadonlyMap<string, TxRecord>): number[][] {
  const balances = ACCOUNTS.map(() => START);
  const states = [[...balances]];
  log.forEach((id, position) => {
    const tx = byId.get(id);
    assert.ok(tx !== undefined, `${id} is in the list but was never run`);
    const op = tx.op;
    if (op.kind === 'transfer') {
      balances[op.from]! -= op.amount;
      balances[op.to]! += op.amount;
      if (tx.outcome === 'acked') {
        assert.deepEqual(tx.replies, [balances[op.from], balances[op.to], position + 1], `${id}'s replies`);
      }
    } else {
      assert.deepEqual(
        [balances[op.a], balances[op.b]],
        op.read,
        `${id} read ${JSON.stringify(op.read)} under WATCH, but the accounts changed before its EXEC`,
      );
      [balances[op.a], balances[op.b]] = op.write;
      if (tx.outcome === 'acked') assert.deepEqual(tx.replies, ['OK', 'OK', position + 1], `${id}'s replies`);
    }
    states.push([...balances]);
  });
  return states;
}

test('transactions under a partition of the leader, twice: never half applied, exactly once, linearizable', async (t) => {
  const cluster = await KvTestCluster.start(t, { linkProxies: true });
  const all = cluster.nodes.map((n) => n.id);
  await cluster.client(all[0]!).mset(Object.fromEntries(ACCOUNTS.map((k) => [k, String(START)])));
  const history: TxRecord[] = [];
  const reads: ReadRecord[] = [];
  const workers: TxWorker[] = [];
  const readers: Reader[] = [];
  for (const id of all) {
    for (let i = 0; i < 4; i++) {
      workers.push(new TxWorker(`n${id}w${i}`, id, cluster.client(id), i >= 2, history, id * 100 + i));
    }
    readers.push(new Reader(`n${id}r`, id, cluster.client(id), reads));
  }
  const loops = [...workers, ...readers];
  for (const loop of loops) loop.start();
  const failed = (): boolean => {
    const broken = loops.find((l) => l.failure !== null);
    if (broken) throw broken.failure;
    return false;
  };
  const acked = (): number => history.filter((tx) => tx.outcome === 'acked').length;
  const tally = (name: string): string => {
    const mine = history.filter((tx) => tx.id.startsWith(`${name}:`));
    return ['acked', 'aborted', 'refused', 'unknown']
      .map((o) => mine.filter((tx) => tx.outcome === o).length)
      .join('/');
  };
  const describe = (): string =>
    loops.map((l) => `${l.name}: ${tally(l.name)} errors ${JSON.stringify([...l.errors])}`).join(', ') +
    `; ${acked()} acknowledged of ${history.length}, ${reads.length} reads; links cut: ${cluster.links.cutLinks.join(' ') || 'none'}`;
  const wait = (what: string, check: () => boolean | Promise<boolean>, ms = 20000): Promise<void> =>
    eventually(
      async () => failed() || (await check()),
      () => `${what}\n${describe()}`,
      ms,
    );
  /** Transactions and reads succeed on `nodes` after `since`, and more than 30 transactions in all. */
  const progress = (what: string, since: number, nodes: readonly number[], ms = 20000): Promise<void> => {
    const before = acked();
    return wait(
      `${what}: transactions and reads on nodes ${nodes.join(', ')}`,
      () => loops.every((l) => !nodes.includes(l.nodeId) || l.lastOk > since) && acked() > before + 30,
      ms,
    );
  };
  const peersOf = async (id: number): Promise<number[]> =>
    ((await cluster.status(id))?.['connectedPeers'] as number[] | undefined) ?? [];
  const handshakeTimeouts = async (): Promise<number> => {
    let n = 0;
    for (const id of all) {
      const transport = (await cluster.status(id))?.['transport'] as { rejected: Record<string, number> } | undefined;
      n += transport?.rejected['handshake-timeout'] ?? 0;
    }
    return n;
  };

  await withLogs(cluster, async () => {
    try {
      for (let round = 1; round <= 2; round++) {
        await progress(`round ${round}, before the cut`, performance.now(), all);
        const isolated = await cluster.waitForLeader();
        const majority = all.filter((id) => id !== isolated);
        const timeoutsBefore = await handshakeTimeouts();
        const cutAt = performance.now();
        cluster.links.isolate(isolated);
        await cluster.waitForLeader(20000, majority);
        await progress(`round ${round}, node ${isolated} cut off`, cutAt, majority);
        // Its clients get answers, errors: nothing can commit there.
        const cutOff = loops.filter((l) => l.nodeId === isolated);
        await wait(`round ${round}: node ${isolated}'s clients answered while it is cut off`, () =>
          cutOff.every((l) => l.lastError > cutAt),
        );
        if (round === 2) {
          // Long enough for the transport to notice: the silent connections closed by their idle
          // timeout, and a redial across the cut failed by its handshake timeout.
          await wait(
            `node ${isolated} and the others give up their silent connections`,
            async () =>
              (await peersOf(isolated)).length === 0 &&
              (await Promise.all(majority.map(peersOf))).every((p) => !p.includes(isolated)),
            30000,
          );
          await wait(
            'a redial across the cut times out in its handshake',
            async () => (await handshakeTimeouts()) > timeoutsBefore,
            30000,
          );
        }
        const healAt = performance.now();
        const early = [
          ...history.filter((tx) => tx.nodeId === isolated && tx.invokedAt > cutAt && tx.outcome === 'acked'),
          ...reads.filter((r) => r.nodeId === isolated && r.invokedAt > cutAt),
        ];
        assert.deepEqual(early, [], `node ${isolated} answered a transaction or a read while cut off`);
        cluster.links.heal();
        await cluster.waitForLeader(30000);
        // Generous: after a cut that outlasted the transport's timeouts, the healed node takes the
        // backlog its peers queued for it first (seen taking over 20 s on a loaded 2-core machine).
        await progress(`round ${round}, after the heal`, healAt, all, 60000);
        await wait('every node connected to every other again', async () =>
          (await Promise.all(all.map(peersOf))).every((p) => p.length === all.length - 1),
        );
      }
    } finally {
      await Promise.all(loops.map((l) => l.stop()));
    }
    failed();

    // Every node holds the same accounts and list.
    const views = await Promise.all(
      all.map(async (id) => {
        const client = cluster.client(id);
        return { balances: (await client.mget(...ACCOUNTS)).map(Number), log: await client.lrange(LOG, 0, -1) };
      }),
    );
    for (const [i, view] of views.entries()) {
      assert.deepEqual(view.balances, views[0]!.balances, `node ${all[i]} and node ${all[0]} differ in the accounts`);
      assert.deepEqual(view.log, views[0]!.log, `node ${all[i]} and node ${all[0]} differ in the list`);
    }
    const { balances, log } = views[0]!;
    assert.equal(
      balances.reduce((s, v) => s + v, 0),
      TOTAL,
    );

    // Exactly once: acknowledged ids once each, refused and aborted ones not at all.
    assert.equal(new Set(log).size, log.length, 'a transaction was applied twice');
    const position = new Map(log.map((id, i) => [id, i]));
    const byId = new Map(history.map((tx) => [tx.id, tx]));
    for (const tx of history) {
      if (tx.outcome === 'acked') assert.ok(position.has(tx.id), `${tx.id} was acknowledged but is not applied`);
      if (tx.outcome === 'refused' || tx.outcome === 'aborted') {
        assert.ok(!position.has(tx.id), `${tx.id} was answered ${tx.outcome} but is applied`);
      }
    }

    // The list replayed: the final balances, the acknowledged replies, what WATCH read.
    const states = replay(log, byId);
    assert.deepEqual(balances, states.at(-1), 'the balances are not those the list replays to');

    // Linearizable: the list's order respects real time, and each read saw a prefix of it.
    const applied = log.map((id) => byId.get(id)!);
    const ackedTxs = applied.filter((tx) => tx.outcome === 'acked');
    for (const later of applied) {
      for (const earlier of ackedTxs) {
        if (earlier.returnedAt < later.invokedAt) {
          assert.ok(
            position.get(earlier.id)! < position.get(later.id)!,
            `${earlier.id} was acknowledged before ${later.id} began, but comes after it`,
          );
        }
      }
    }
    for (const read of reads) {
      let lo = 0;
      for (const tx of ackedTxs) if (tx.returnedAt < read.invokedAt) lo = Math.max(lo, position.get(tx.id)! + 1);
      let hi = log.length;
      for (const tx of applied) if (tx.invokedAt > read.returnedAt) hi = Math.min(hi, position.get(tx.id)!);
      const what = `a read on node ${read.nodeId} (${JSON.stringify(read.balances)}, list length ${read.logLength})`;
      if (read.logLength !== null) {
        assert.ok(lo <= read.logLength && read.logLength <= hi, `${what} is not within ${lo}..${hi}`);
        assert.deepEqual(read.balances, states[read.logLength], `${what} is not the state after that prefix`);
      } else {
        let seen = false;
        for (let k = lo; k <= hi && !seen; k++) seen = states[k]!.every((v, i) => v === read.balances[i]);
        assert.ok(seen, `${what} is no state after a prefix of ${lo}..${hi} transactions`);
      }
    }

    const count = (o: Outcome): number => history.filter((tx) => tx.outcome === o).length;
    assert.ok(acked() > 200, `only ${acked()} transactions acknowledged\n${describe()}`);
    assert.ok(count('aborted') > 0, `no WATCH transaction was aborted: WATCH was not put to the test\n${describe()}`);
    t.diagnostic(
      `${log.length} applied: ${acked()} acknowledged, ${applied.length - ackedTxs.length} of unknown outcome; ` +
        `${count('refused')} refused, ${count('aborted')} aborted by WATCH, ${count('unknown')} unknown; ${reads.length} reads; ${describe()}`,
    );
  })();
});
