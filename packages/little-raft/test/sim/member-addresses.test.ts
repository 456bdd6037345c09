import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AddressChecker } from '../../src/sim/checkers/member-addresses.js';
import { SimCluster, type SimNode, type Tx } from '../../src/sim/cluster.js';
import { SimKernel, Violation } from '../../src/sim/kernel.js';
import type { KvMachine } from '../../src/sim/kv-machine.js';
import { addressOf, forgetAddress, recordAddress } from '../../src/sim/member-addresses.js';
import { SimNetwork } from '../../src/sim/network.js';
import { Random } from '../../src/sim/random.js';
import { simulate } from '../../src/sim/simulator.js';
import { kvWorkload } from '../../src/sim/workload.js';

/**
 * Three voters and a spare (n4) on a fault-free simulated network, with the address checker
 * after every event and a leader elected: the stage for changes made by hand, step by step.
 */
async function stage() {
  const kernel = new SimKernel(new Random(1), false);
  const cluster = new SimCluster(kernel, kvWorkload(1, [1, 2, 3]), 3, 1, false, false, 0);
  const network = new SimNetwork(kernel, cluster, { drop: false, duplicate: false, reorder: false, delay: false });
  cluster.createNodes();
  const checker = new AddressChecker(kernel, cluster.initialVoters);
  cluster.hooks = {
    send: (from, to, m) => network.send(from, to, m),
    applied: (node, index, t) => checker.applied(node, index, t),
    state: () => {},
    snapshot: () => {},
    leader: () => {},
  };
  for (const node of cluster.nodes) cluster.boot(node);
  /** Runs `ms` of virtual time; rejects with the first violation. */
  const run = (ms: number) => kernel.runUntil(kernel.time + ms, () => checker.check(cluster.nodes));
  await run(2_000);
  const leader = cluster.leaderNode();
  assert.ok(leader, 'a leader within 2 s');
  /** Starts an operation on the replicas; the run lets its promise settle. */
  const start = (operation: Promise<void>): Promise<void> => {
    kernel.track(operation, 'operation');
    return operation;
  };
  const propose = (t: Tx) => start(leader.replica.propose(t));
  const change = (voters: number[], learners: number[]) => start(leader.replica.changeMembership({ voters, learners }));
  return { cluster, leader, run, propose, change };
}

const addressIn = (node: SimNode, id: number) => addressOf(node.machine.inner as KvMachine, id);

test("the server's protocol holds: record, add as learner, promote; remove, then delete the record", async () => {
  const { cluster, leader, run, propose, change } = await stage();
  const gone = [1, 2, 3].find((id) => id !== leader.id)!;
  const staying = [1, 2, 3, 4].filter((id) => id !== gone);
  for (const step of [
    () => propose(recordAddress(4, 1)),
    () => change([1, 2, 3], [4]),
    () => change([1, 2, 3, 4], []),
    () => change(staying, []),
    () => propose(forgetAddress(gone, 2)),
  ]) {
    const done = step();
    await run(3_000);
    await done;
  }
  for (const node of staying.map((id) => cluster.node(id))) {
    assert.equal(addressIn(node, 4), 'addr-4', `n${node.id} knows n4`);
    assert.equal(addressIn(node, gone), undefined, `n${node.id} forgot n${gone}`);
  }
});

test('adding a member before its address record is committed is a violation', async () => {
  const { run, change } = await stage();
  void change([1, 2, 3], [4]).catch(() => {});
  await assert.rejects(
    run(3_000),
    (e: unknown) =>
      e instanceof Violation &&
      /member addresses: n[123] applied \d+, past the configuration voters \{1,2,3\} learners \{4\}, without an address record for its member n4$/.test(
        e.message,
      ),
  );
});

test("deleting a member's address record before a configuration without it is committed is a violation", async () => {
  const { run, propose } = await stage();
  void propose(forgetAddress(2, 1)).catch(() => {});
  await assert.rejects(
    run(3_000),
    (e: unknown) =>
      e instanceof Violation &&
      /member addresses: n[123] deleted member n2's address record at index \d+, while n2 is in the committed configuration voters \{1,2,3\}/.test(
        e.message,
      ),
  );
});

test('under every fault, members are added as learners, promoted and removed, their addresses checked', async () => {
  const totals = { added: 0, promoted: 0, removed: 0 };
  for (const nodes of [3, 5]) {
    for (let seed = 1; seed <= 10; seed++) {
      const r = await simulate({ seed, nodes });
      assert.equal(r.violation, null, `seed ${seed} nodes ${nodes}`);
      totals.added += r.stats.membersAdded;
      totals.promoted += r.stats.membersPromoted;
      totals.removed += r.stats.membersRemoved;
    }
  }
  assert.ok(totals.added > 10 && totals.promoted > 0 && totals.removed > 5, JSON.stringify(totals));
});
