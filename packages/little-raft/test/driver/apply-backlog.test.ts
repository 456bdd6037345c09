// A backlog of committed entries is applied a bounded amount (maxApplyBytes) per turn of the event
// loop, so that a follower catching up never holds its loop for the whole backlog.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { Calculator, ReplicaNet, type Op } from '../support/replica-net.js';

/** Counts turns of the event loop: one setImmediate each, until stopped. */
function turnCounter(): { now: () => number; stop: () => void } {
  let turns = 0;
  let running = true;
  const tick = (): void => {
    turns++;
    if (running) setImmediate(tick);
  };
  setImmediate(tick);
  return { now: () => turns, stop: () => (running = false) };
}

/** A Calculator that notes the turn each transition was applied in. */
class TurnNotingCalculator extends Calculator {
  readonly turns: number[] = [];
  constructor(private readonly turnNow: () => number) {
    super();
  }
  override applyTransition(op: Op): void {
    this.turns.push(this.turnNow());
    super.applyTransition(op);
  }
}

test('a follower catching up applies its backlog over many turns, maxApplyBytes per turn', async () => {
  // 24 + 100 bytes per entry: two entries fit in 250 bytes, a third does not.
  const net = new ReplicaNet({ seed: 71, replica: { maxApplyBytes: 250, transitionSize: () => 100 } });
  net.startAll();
  const leader = await net.waitForLeader();
  const lagging = net.followers(leader)[0]!;
  net.isolate(lagging);
  const ops: Op[] = Array.from({ length: 30 }, (_, i) => ({ id: 100 + i, delta: 1 }));
  net.machine(leader).submit(...ops);
  await net.until(() => net.machine(leader).value === 30, 'the leader applies the 30 transitions');

  const counter = turnCounter();
  const machine = new TurnNotingCalculator(counter.now);
  await net.stop(lagging);
  net.start(lagging, {}, machine);
  net.heal();
  await net.until(() => machine.value === 30, 'the restarted follower catches up');
  counter.stop();

  const perTurn = new Map<number, number>();
  for (const t of machine.turns) perTurn.set(t, (perTurn.get(t) ?? 0) + 1);
  assert.ok(machine.turns.length >= 30, `${machine.turns.length} transitions applied`);
  // Two entries per run; in one turn the replica runs once as scheduled and at most once more
  // from its timer (this net's clock moves once per turn).
  assert.ok(Math.max(...perTurn.values()) <= 4, `at most four per turn: ${JSON.stringify([...perTurn])}`);
  assert.ok(perTurn.size >= 8, `spread over ${perTurn.size} turns`);
  await net.stopAll();
});
