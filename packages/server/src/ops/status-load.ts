// The fields of /status that tell how busy a node is (the dashboard's cards and charts): counters
// and the latency histogram that the RESP server already keeps for Prometheus, read from
// prom-client, plus keys, memory and the event loop's delay. Counters count from the process
// start; the reader takes rates between two readings.

import type { EventLoopDelay } from './event-loop-delay.js';
import type { KvMetrics } from './metrics.js';
import type { KvNode } from '../node/node.js';

export interface StatusLoad {
  keys: number;
  /** Resident set size of the process. */
  memoryBytes: number;
  requests: {
    writes: number;
    reads: number;
    /** Request latency: upper bounds in seconds, cumulative counts per bound, the last for +Inf. */
    latency: { bounds: number[]; counts: number[] };
  };
  eventLoopDelayMs: number | null;
}

export async function statusLoad(node: KvNode, metrics: KvMetrics, delay: EventLoopDelay): Promise<StatusLoad> {
  const commands = await metrics.commands.get();
  const served = (kind: string): number =>
    commands.values.filter((v) => v.labels.kind === kind).reduce((n, v) => n + v.value, 0);
  const histogram = await metrics.requestSeconds.get();
  // Reads and writes together, by bound: prom-client gives one cumulative count per (kind, le).
  const byBound = new Map<number, number>();
  for (const v of histogram.values) {
    if (v.metricName !== 'little_raft_request_duration_seconds_bucket') continue;
    // prom-client's types know the declared labels only; the buckets carry `le` too.
    const bound = String((v.labels as Record<string, string | number | undefined>).le);
    const le = bound === '+Inf' ? Infinity : Number(bound);
    byBound.set(le, (byBound.get(le) ?? 0) + v.value);
  }
  // None yet (no request served): only the +Inf count, 0.
  if (!byBound.has(Infinity)) byBound.set(Infinity, 0);
  const bounds = [...byBound.keys()].sort((a, b) => a - b);
  return {
    keys: node.machine.keyspace.size,
    memoryBytes: process.memoryUsage.rss(),
    requests: {
      writes: served('write'),
      reads: served('read'),
      latency: {
        bounds: bounds.filter((b) => Number.isFinite(b)),
        counts: bounds.map((b) => byBound.get(b)!),
      },
    },
    eventLoopDelayMs: delay.p99Ms(),
  };
}
