// examples/lock-service: three real node processes over TCP with their logs on disk. A lock
// taken through the leader survives the leader's SIGKILL, and the killed node, started again on
// its directory, catches up (by snapshot: the others compact their logs every 5 entries).
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';

import { freePorts } from '../support/tcp.js';
import { tempDir } from '../support/temp-dir.js';
import { assertBuilt, spawnTsx, type Child } from './support.js';

const SECRET = 'the lock service test secret';
const DEADLINE_MS = 20_000;

interface Status {
  id: number;
  role: string;
  leaderId: number | null;
  commitIndex: number;
  lastApplied: number;
  snapshotIndex: number;
}

interface Holder {
  owner: string;
  token: number;
  expiresAt: number;
}

/** What the API answers (lock routes): an outcome, a read, or an error. */
interface Reply {
  ok?: boolean;
  reason?: string;
  holder?: Holder | null;
  error?: string;
  leader?: number | null;
}

interface Response<B> {
  status: number;
  body: B;
}

class LockCluster {
  readonly children = new Map<number, Child>();
  readonly peers: string;
  readonly http = new Map<number, string>();
  readonly dirs = new Map<number, string>();

  constructor(
    readonly ids: number[],
    ports: number[],
    dir: string,
  ) {
    this.peers = ids.map((id, i) => `${id}=127.0.0.1:${ports[i]!}`).join(',');
    ids.forEach((id, i) => {
      this.http.set(id, `127.0.0.1:${ports[ids.length + i]!}`);
      this.dirs.set(id, join(dir, `node-${id}`));
    });
  }

  /** Starts node `id` and waits until it answers HTTP (again if its port was not free yet). */
  async start(id: number): Promise<void> {
    const deadline = Date.now() + DEADLINE_MS;
    for (;;) {
      const args = ['examples/lock-service/node.ts', '--id', String(id), '--dir', this.dirs.get(id)!];
      args.push('--peers', this.peers, '--http', this.http.get(id)!, '--snapshot-every', '5');
      const child = spawnTsx(args, { LOCK_SECRET: SECRET });
      this.children.set(id, child);
      let exit: { code: number | null } | null = null;
      void child.exited.then((e) => (exit = e));
      while (exit === null && (await this.status(id)) === null) {
        if (Date.now() > deadline) throw new Error(`node ${id} did not start:\n${child.output()}`);
        await pause(50);
      }
      if (exit === null) return;
      // Exit code 3: a port was taken (freePorts only found them free a moment ago): try again.
      if ((exit as { code: number | null }).code !== 3 || Date.now() > deadline) {
        throw new Error(`node ${id} exited (${JSON.stringify(exit)}):\n${child.output()}`);
      }
    }
  }

  async kill(id: number): Promise<void> {
    const child = this.children.get(id)!;
    this.children.delete(id);
    child.process.kill('SIGKILL');
    await child.exited;
  }

  async stopAll(): Promise<void> {
    const running = [...this.children.values()];
    this.children.clear();
    for (const child of running) child.process.kill('SIGTERM');
    await Promise.all(running.map((c) => c.exited));
  }

  async request<B = Reply>(id: number, method: string, path: string, body?: object): Promise<Response<B>> {
    const res = await fetch(`http://${this.http.get(id)!}${path}`, {
      method,
      ...(body !== undefined && { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(5_000),
    });
    return { status: res.status, body: (await res.json()) as B };
  }

  async status(id: number): Promise<Status | null> {
    try {
      const res = await this.request<Status>(id, 'GET', '/status');
      return res.status === 200 ? res.body : null;
    } catch {
      return null;
    }
  }

  /** The leader every running node agrees on. */
  async leader(): Promise<number> {
    return poll('a leader every running node follows', async () => {
      const statuses = await Promise.all([...this.children.keys()].map((id) => this.status(id)));
      const leader = statuses.find((s) => s?.role === 'leader');
      if (!leader || !statuses.every((s) => s?.leaderId === leader.id)) return null;
      return leader.id;
    });
  }

  /** POSTs through the leader, retrying while leadership moves (421) or is unsure (503). */
  async write(path: string, body: object): Promise<Response<Reply>> {
    return poll(`POST ${path}`, async () => {
      const res = await this.request(await this.leader(), 'POST', path, body).catch(() => null);
      return res === null || res.status === 421 || res.status === 503 ? null : res;
    });
  }

  async holder(id: number, lock: string, stale = false): Promise<Holder | null> {
    const res = await this.request(id, 'GET', `/locks/${lock}${stale ? '?stale' : ''}`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body.holder ?? null;
  }
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Calls `check` until it returns non-null; fails after DEADLINE_MS. */
async function poll<V>(what: string, check: () => Promise<V | null>): Promise<V> {
  const deadline = Date.now() + DEADLINE_MS;
  for (;;) {
    const value = await check();
    if (value !== null) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await pause(50);
  }
}

test('the lock service keeps its locks through a SIGKILL of the leader, and the node catches up', async (t) => {
  assertBuilt();
  const ids = [1, 2, 3];
  const cluster = new LockCluster(ids, await freePorts(6), tempDir(t, 'little-raft-locks-'));
  t.after(() => cluster.stopAll());
  const diagnostics = (): string => [...cluster.children].map(([id, c]) => `--- node ${id}\n${c.output()}`).join('\n');
  try {
    await Promise.all(ids.map((id) => cluster.start(id)));

    const first = await cluster.leader();
    const taken = await cluster.write('/locks/db-migrations/acquire', { owner: 'alice', leaseMs: 600_000 });
    assert.equal(taken.status, 200, JSON.stringify(taken.body));
    const alices = taken.body.holder;
    assert.equal(alices?.owner, 'alice');
    const token = alices.token;
    // A follower takes no writes: it names the leader.
    const follower = ids.find((id) => id !== first)!;
    const redirected = await cluster.request(follower, 'POST', '/locks/x/acquire', { owner: 'alice' });
    assert.equal(redirected.status, 421);

    await cluster.kill(first);
    const second = await cluster.leader();
    assert.notEqual(second, first);
    assert.deepEqual(await cluster.holder(second, 'db-migrations'), alices);
    const refused = await cluster.write('/locks/db-migrations/acquire', { owner: 'bob', leaseMs: 600_000 });
    assert.equal(refused.status, 409, JSON.stringify(refused.body));
    assert.equal(refused.body.reason, 'held-by-another');
    assert.equal(refused.body.holder?.owner, 'alice');

    // While the old leader is down: enough writes that the others compact past its log.
    for (let i = 0; i < 12; i++) {
      const res = await cluster.write(`/locks/job-${i}/acquire`, { owner: 'carol', leaseMs: 600_000 });
      assert.equal(res.status, 200, JSON.stringify(res.body));
    }
    assert.equal((await cluster.write('/locks/db-migrations/release', { owner: 'bob' })).status, 409);
    assert.equal((await cluster.write('/locks/db-migrations/release', { owner: 'alice' })).status, 200);
    const bobs = await cluster.write('/locks/db-migrations/acquire', { owner: 'bob', leaseMs: 600_000 });
    assert.equal(bobs.status, 200, JSON.stringify(bobs.body));
    const bobsHolder = bobs.body.holder;
    assert.equal(bobsHolder?.owner, 'bob');
    assert.ok(bobsHolder.token > token, 'a new holder gets a larger fencing token');

    await cluster.start(first);
    const target = (await cluster.status(await cluster.leader()))!.commitIndex;
    const caughtUp = await poll(`node ${first} to apply through ${target}`, async () => {
      const s = await cluster.status(first);
      return s !== null && s.lastApplied >= target ? s : null;
    });
    assert.ok(
      caughtUp.snapshotIndex > 0,
      'the restarted node holds a snapshot (installed from the leader or taken itself)',
    );
    // Its own state, without asking the leader.
    assert.deepEqual(await cluster.holder(first, 'db-migrations', true), bobsHolder);
    assert.equal((await cluster.holder(first, 'job-11', true))?.owner, 'carol');
    // And it has rejoined: the three agree on one leader again.
    await cluster.leader();
  } catch (e) {
    console.error(diagnostics());
    throw e;
  }
});
