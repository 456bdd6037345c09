// Membership (node/membership.ts) against a stand-in replica and transport: which peers the
// transport is given, how add / remove / transfer / promotion go, step by step, and what they
// refuse. The replica's configuration is what the test says it is; writes are applied at once to a
// real state machine (its member table).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pino } from 'pino';

import type { MembershipChange, ReplicaStatus } from 'little-raft';
import { NotLeaderError } from 'little-raft';
import { Membership, MembershipError } from '../../src/node/membership.js';
import type { KvBatch } from '../../src/store/batch.js';
import { seqOf } from '../../src/store/dedupe.js';
import { memberSetCommand, type MemberAddresses } from '../../src/store/members.js';
import type { Reply } from '../../src/resp/reply.js';
import { KvStateMachine } from '../../src/store/state-machine.js';

const at = (id: number): MemberAddresses => ({
  raft: `10.0.0.${id}:7000`,
  redis: `10.0.0.${id}:6379`,
  http: `10.0.0.${id}:8080`,
});

/** A deferred promise: a step of the replica the test completes when it wants. */
interface Step {
  what: string;
  resolve: () => void;
  reject: (e: Error) => void;
}

/** The world one Membership sees: its replica's status, its transport, its writes. */
class World {
  status: ReplicaStatus;
  connected: number[] = [];
  readonly transport = new Map<number, string>();
  /** What happened, in order: writes, configuration changes, notices, transport changes. */
  readonly events: string[] = [];
  /** Replica operations waiting for the test to finish them. */
  readonly steps: Step[] = [];
  readonly machine: KvStateMachine;
  readonly membership: Membership;
  private counter = 0;

  constructor(
    o: {
      id?: number;
      voters?: number[];
      learners?: number[];
      role?: ReplicaStatus['role'];
      seeds?: [number, string][];
      lastKnown?: [number, string][];
    } = {},
  ) {
    const id = o.id ?? 1;
    const role = o.role ?? 'leader';
    this.status = {
      id,
      role,
      term: 2,
      leaderId: role === 'leader' ? id : null,
      commitIndex: 100,
      lastApplied: 100,
      configIndex: 90,
      lastLogIndex: 100,
      snapshotIndex: 0,
      voters: o.voters ?? [1, 2, 3],
      learners: o.learners ?? [],
      matchIndex: {},
      identity: null,
    };
    this.machine = new KvStateMachine({ applied() {}, abandoned() {}, pending: () => [], restored() {} });
    const replica = {
      status: () => structuredClone(this.status),
      changeMembership: (change: MembershipChange) =>
        this.step(`config voters=${change.voters.join(',')} learners=${(change.learners ?? []).join(',')}`),
      transferLeadership: (to: number) => this.step(`transfer ${to}`),
    };
    const cluster = {
      connectedPeers: () => [...this.connected],
      peerAddresses: () => Object.fromEntries(this.transport),
      addPeer: (peer: number, address: string) => {
        this.transport.set(peer, address);
        this.events.push(`peer+ ${peer} ${address}`);
      },
      removePeer: (peer: number) => {
        this.transport.delete(peer);
        this.events.push(`peer- ${peer}`);
      },
    };
    this.membership = new Membership({
      id,
      self: at(id),
      seeds: new Map(o.seeds ?? []),
      lastKnown: new Map(o.lastKnown ?? []),
      machine: this.machine,
      replica: () => replica as never,
      cluster: () => cluster as never,
      peerIds: [],
      submit: (commands) => Promise.resolve(this.write(commands)),
      notifyRemoved: (peer) => this.events.push(`removed-notice ${peer}`),
      log: pino({ level: 'silent' }),
    });
  }

  /** Applies `commands` as one batch of this node (a member command's reply is 'OK'). */
  write(commands: Uint8Array[][]): Reply[] {
    let replies: Reply[] = [];
    const machine = new KvStateMachine({
      applied: (_b, r) => (replies = r ?? []),
      abandoned() {},
      pending: () => [],
      restored() {},
    });
    machine.members = this.machine.members;
    const seq = seqOf(1, ++this.counter);
    const batch: KvBatch = { id: `9:${seq}`, origin: 9, seq, at: 0, commands };
    machine.applyTransition(batch, this.counter);
    for (const c of commands) this.events.push(`write ${c.map((a) => Buffer.from(a).toString()).join(' ')}`);
    return replies;
  }

  private step(what: string): Promise<void> {
    this.events.push(what);
    return new Promise((resolve, reject) => this.steps.push({ what, resolve, reject }));
  }

  /** Finishes the oldest waiting replica step (successfully, or with `error`). */
  async finish(error?: Error): Promise<void> {
    const step = this.steps.shift();
    assert.ok(step !== undefined, 'a replica step is waiting');
    if (error === undefined) step.resolve();
    else step.reject(error);
    await settle();
  }

  register(id: number, a: MemberAddresses = at(id)): void {
    this.machine.members.apply(memberSetCommand(id, a));
  }
}

/** Lets promise callbacks run. */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

async function refusal(p: Promise<unknown>): Promise<{ status: number; message: string; leaderId: number | null }> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof MembershipError, String(e));
    return { status: e.status, message: e.message, leaderId: e.leaderId };
  }
  assert.fail('expected a MembershipError');
}

test('peers: the configuration and the table, at a --peers address first, else the table, else the last copy', () => {
  const w = new World({
    voters: [1, 2, 3, 4],
    learners: [5],
    seeds: [
      [2, '192.168.0.2:7000'],
      [3, '192.168.0.3:7000'],
      [9, '192.168.0.9:7000'], // a seed no longer a member
    ],
    lastKnown: [
      [4, '10.0.0.4:7000'],
      [5, '172.16.0.5:7000'],
    ],
  });
  w.register(2);
  w.register(5);
  w.register(6); // in the table only: being added (its configuration not yet there)
  w.transport.set(7, '10.0.0.7:7000'); // neither: a member removed since
  w.membership.tick();
  assert.deepEqual(
    Object.fromEntries(w.transport),
    {
      2: '192.168.0.2:7000',
      3: '192.168.0.3:7000',
      4: '10.0.0.4:7000',
      5: '10.0.0.5:7000',
      6: '10.0.0.6:7000',
    },
    '2 and 3 at their seeds, 4 from the last copy, 5 and 6 from the table; 7 dropped, 9 not added',
  );
  // Nothing changed: nothing is done again.
  const before = w.events.length;
  w.membership.tick();
  assert.equal(w.events.length, before);
});

test('peers: a joining node with no configuration yet talks to the members it was told of', () => {
  const w = new World({
    id: 4,
    voters: [],
    role: 'learner',
    seeds: [[1, '10.0.0.1:7000']],
    lastKnown: [[2, '10.0.0.2:7000']],
  });
  w.membership.tick();
  assert.deepEqual(Object.fromEntries(w.transport), { 1: '10.0.0.1:7000', 2: '10.0.0.2:7000' });
});

test('add: the address is recorded, the transport told, then the node added as a learner', async () => {
  const w = new World();
  w.connected = [2, 3];
  const added = w.membership.add(4, at(4));
  await settle();
  assert.deepEqual(w.events, [
    'write LITTLE-RAFT.MEMBER SET 4 10.0.0.4:7000 10.0.0.4:6379 10.0.0.4:8080',
    'peer+ 4 10.0.0.4:7000',
    'config voters=1,2,3 learners=4',
  ]);
  assert.equal(w.membership.changeInProgress, true);
  assert.deepEqual(await refusal(w.membership.remove(2, false)), {
    status: 409,
    message: 'a membership change is already in progress',
    leaderId: null,
  });
  await w.finish();
  await added;
  assert.equal(w.membership.changeInProgress, false);
});

test('add: asked again for the same server is done; another server under a member id or address is refused', async () => {
  const w = new World({ voters: [1, 2, 3], learners: [4] });
  w.register(3);
  w.register(4);
  await w.membership.add(4, at(4));
  assert.deepEqual(w.events, [], 'nothing to do');
  assert.deepEqual(await refusal(w.membership.add(4, at(8))), {
    status: 409,
    message: 'node 4 is already a member (raft 10.0.0.4:7000)',
    leaderId: null,
  });
  assert.deepEqual(await refusal(w.membership.add(8, at(3))), {
    status: 409,
    message: 'raft address 10.0.0.3:7000 belongs to member 3',
    leaderId: null,
  });
  assert.deepEqual(w.events, []);
});

test('a follower refuses changes and names the leader (421); with no leader known, 503', async () => {
  const w = new World({ role: 'follower' });
  w.status.leaderId = 2;
  assert.deepEqual(await refusal(w.membership.add(4, at(4))), {
    status: 421,
    message: 'node 1 is not the leader',
    leaderId: 2,
  });
  w.status.leaderId = null;
  assert.deepEqual(await refusal(w.membership.remove(3, false)), {
    status: 503,
    message: 'no leader is known; try again',
    leaderId: null,
  });
  assert.deepEqual(w.events, []);
});

test('remove: the configuration first, then the removed node is told, then its address forgotten', async () => {
  const w = new World({ voters: [1, 2, 3] });
  w.connected = [2, 3];
  w.register(3);
  const removing = w.membership.remove(3, false);
  await settle();
  assert.deepEqual(w.events, ['config voters=1,2 learners=']);
  await w.finish();
  await removing;
  assert.deepEqual(w.events, ['config voters=1,2 learners=', 'removed-notice 3', 'write LITTLE-RAFT.MEMBER DEL 3']);
  assert.equal(w.machine.members.get(3), undefined);
});

test('remove: refused without a quorum of live voters left (unless forced), for the last voter and an unknown id', async () => {
  const w = new World({ voters: [1, 2, 3] });
  w.connected = [2]; // 3 is down
  assert.deepEqual(await refusal(w.membership.remove(2, false)), {
    status: 409,
    message: 'removing node 2 would leave 1 live of 2 voters, fewer than a quorum of 2 (use --force)',
    leaderId: null,
  });
  assert.deepEqual(w.events, []);
  const forced = w.membership.remove(2, true);
  await settle();
  assert.deepEqual(w.events, ['config voters=1,3 learners=']);
  await w.finish();
  await forced;
  // Removing the down node itself leaves 2 live of 2: fine.
  const w2 = new World({ voters: [1, 2, 3] });
  w2.connected = [2];
  const ok = w2.membership.remove(3, false);
  await settle();
  await w2.finish();
  await ok;

  const alone = new World({ voters: [1] });
  assert.deepEqual(await refusal(alone.membership.remove(1, false)), {
    status: 409,
    message: 'node 1 is the last voter; it cannot be removed',
    leaderId: null,
  });
  assert.deepEqual(await refusal(w.membership.remove(9, false)), {
    status: 404,
    message: 'node 9 is not a member',
    leaderId: null,
  });
});

test('remove: a member only the table still has (an interrupted removal) is forgotten', async () => {
  const w = new World({ voters: [1, 2, 3] });
  w.register(5);
  await w.membership.remove(5, false);
  assert.deepEqual(w.events, ['write LITTLE-RAFT.MEMBER DEL 5']);
});

test('remove: the leader removing itself hands over to the most up-to-date live voter, then answers 421', async () => {
  const w = new World({ voters: [1, 2, 3, 4] });
  w.connected = [2, 3];
  w.status.matchIndex = { 2: 90, 3: 95, 4: 100 }; // 4 is the most up to date, but not connected
  const removing = refusal(w.membership.remove(1, false));
  await settle();
  assert.deepEqual(w.events, ['transfer 3']);
  await w.finish();
  assert.deepEqual(await removing, {
    status: 421,
    message: 'leadership handed to node 3; ask it to remove node 1',
    leaderId: 3,
  });
});

test('failures of the replica come back as the status a client can act on', async () => {
  const w = new World();
  const lost = refusal(w.membership.add(4, at(4)));
  await settle();
  await w.finish(new NotLeaderError(2, 'leadership lost during the operation'));
  assert.deepEqual(await lost, {
    status: 503,
    message: 'leadership was lost: leadership lost during the operation',
    leaderId: null,
  });
  const busy = refusal(w.membership.transfer(2));
  await settle();
  await w.finish(new Error('changeMembership: another membership change is in progress'));
  assert.equal((await busy).status, 409);
  const timeout = refusal(w.membership.transfer(3));
  await settle();
  await w.finish(new Error('leadership transfer to 3 timed out'));
  assert.deepEqual(await timeout, { status: 500, message: 'leadership transfer to 3 timed out', leaderId: null });
  assert.equal(w.membership.changeInProgress, false, 'a failed change leaves none in progress');
});

test('promotion: a connected learner caught up with the commit index, one at a time, by the leader only', async () => {
  const w = new World({ voters: [1, 2, 3], learners: [4, 5] });
  w.connected = [2, 3, 5];
  w.status.matchIndex = { 2: 100, 3: 100, 4: 100, 5: 99 };
  w.membership.tick();
  assert.deepEqual(
    w.events.filter((e) => e.startsWith('config')),
    [],
    '4 is not connected, 5 is behind',
  );
  w.status.matchIndex[5] = 100;
  w.membership.tick();
  w.membership.tick();
  assert.deepEqual(
    w.events.filter((e) => e.startsWith('config')),
    ['config voters=1,2,3,5 learners=4'],
    'once',
  );
  assert.equal(w.membership.changeInProgress, true);
  await w.finish(new Error('changeMembership: new voters 5 did not catch up'));
  assert.equal(w.membership.changeInProgress, false, 'tried again later');

  const follower = new World({ voters: [1, 2, 3], learners: [4], role: 'follower' });
  follower.connected = [2, 3, 4];
  follower.status.matchIndex = { 4: 100 };
  follower.membership.tick();
  assert.deepEqual(
    follower.events.filter((e) => e.startsWith('config')),
    [],
  );
});

test('member rows: this node shows its own addresses even before it has registered them', () => {
  const w = new World({ voters: [1, 2, 3] });
  w.connected = [2];
  w.register(2);
  const rows = w.membership.rows();
  assert.deepEqual(
    rows.map((r) => [r.id, r.raft, r.redis, r.http, r.role, r.connected]),
    [
      [1, '10.0.0.1:7000', '10.0.0.1:6379', '10.0.0.1:8080', 'leader', true],
      [2, '10.0.0.2:7000', '10.0.0.2:6379', '10.0.0.2:8080', 'follower', true],
      [3, null, null, null, 'down', false],
    ],
  );
});
