// The charts' history, kept by the page from the pushes (the server keeps none): one point per
// push, the last five minutes.
import type { DashboardState, MemberView } from '../src/dashboard/types.js';

const KEEP_SECONDS = 300;

export type Metric =
  'writesPerSec' | 'readsPerSec' | 'latencyP50Ms' | 'latencyP99Ms' | 'lagBehindLeader' | 'eventLoopDelayMs';

export interface History {
  /** Seconds since the epoch, one per push. */
  times: number[];
  /** Member id -> metric -> one value per time (null: no value then). */
  series: Map<number, Record<Metric, (number | null)[]>>;
}

const METRICS: Metric[] = [
  'writesPerSec',
  'readsPerSec',
  'latencyP50Ms',
  'latencyP99Ms',
  'lagBehindLeader',
  'eventLoopDelayMs',
];

export function emptyHistory(): History {
  return { times: [], series: new Map() };
}

function valueOf(m: MemberView | undefined, metric: Metric): number | null {
  if (m === undefined || m.role === 'down') return null;
  return m[metric];
}

/** The history with the state's point added and points older than five minutes dropped. */
export function addPoint(h: History, state: DashboardState): History {
  const t = state.at / 1000;
  const drop = h.times.findIndex((x) => x >= t - KEEP_SECONDS);
  const from = drop < 0 ? h.times.length : drop;
  const times = [...h.times.slice(from), t];
  const byId = new Map(state.members.map((m) => [m.id, m]));
  const ids = new Set([...h.series.keys(), ...byId.keys()]);
  const series = new Map<number, Record<Metric, (number | null)[]>>();
  for (const id of ids) {
    const old = h.series.get(id);
    const row = {} as Record<Metric, (number | null)[]>;
    for (const metric of METRICS) {
      const before = old?.[metric].slice(from) ?? new Array<number | null>(times.length - 1).fill(null);
      row[metric] = [...before, valueOf(byId.get(id), metric)];
    }
    series.set(id, row);
  }
  return { times, series };
}
