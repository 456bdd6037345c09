// /metrics (ops/metrics.ts): a real node exports Node's default metrics under their standard
// names, the event-loop delay among them; snapshot phases reported to the metrics object show up
// as the last duration and a count per phase.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { KvMetrics } from '../../src/ops/metrics.js';
import type { KvNode } from '../../src/node/node.js';
import { KvTestCluster } from '../support/kv-cluster.js';

/** The value of the sample `name` (with its labels, as written) in Prometheus text, or undefined. */
function sample(text: string, name: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.slice(name.length + 1));
}

test('a real node exports the event-loop delay and the process metrics under their standard names', async (t) => {
  const cluster = await KvTestCluster.start(t, { nodes: 1 });
  const res = await fetch(`http://127.0.0.1:${cluster.nodes[0]!.httpPort}/metrics`, {
    signal: AbortSignal.timeout(10_000),
  });
  assert.equal(res.status, 200);
  const text = await res.text();
  for (const name of [
    'nodejs_eventloop_lag_max_seconds',
    'nodejs_eventloop_lag_p99_seconds',
    'process_cpu_user_seconds_total',
    'process_resident_memory_bytes',
  ]) {
    const value = sample(text, name);
    assert.ok(value !== undefined && Number.isFinite(value) && value >= 0, `${name}: ${String(value)}`);
  }
  assert.doesNotMatch(text, /^little_raft_process_/m);
  // The snapshot counters are there before any snapshot, at 0.
  assert.equal(sample(text, 'little_raft_snapshots_total{phase="install"}'), 0);
});

test('snapshotPhase sets the phase last duration and counts it', async () => {
  // Only the snapshot metrics are read here: nothing of the node is asked.
  const metrics = new KvMetrics({} as KvNode);
  metrics.snapshotPhase('take', 0.25);
  metrics.snapshotPhase('take', 1.5);
  metrics.snapshotPhase('send', 0.125);
  const durations = await metrics.registry.getSingleMetricAsString('little_raft_snapshot_last_duration_seconds');
  assert.equal(sample(durations, 'little_raft_snapshot_last_duration_seconds{phase="take"}'), 1.5);
  assert.equal(sample(durations, 'little_raft_snapshot_last_duration_seconds{phase="send"}'), 0.125);
  assert.equal(sample(durations, 'little_raft_snapshot_last_duration_seconds{phase="load"}'), undefined);
  const counts = await metrics.registry.getSingleMetricAsString('little_raft_snapshots_total');
  const expected = { take: 2, write: 0, send: 1, install: 0, load: 0 };
  for (const [phase, count] of Object.entries(expected)) {
    assert.equal(sample(counts, `little_raft_snapshots_total{phase="${phase}"}`), count, phase);
  }
});
