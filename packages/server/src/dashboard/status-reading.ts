// One node's GET /status answer, checked field by field: the watcher reads other nodes' answers,
// which may come from another version or from something that is not a node at all.

export interface StatusReading {
  id: number;
  role: 'leader' | 'follower' | 'learner' | 'candidate';
  term: number;
  leaderId: number | null;
  commitIndex: number;
  appliedIndex: number;
  lastLogIndex: number;
  snapshotIndex: number;
  redis: string | null;
  http: string | null;
  connectedPeers: number[];
  /** Leader only: entries each member is behind, by id. */
  replicationLag: Map<number, number>;
  /** The member table as this node knows it. */
  members: { id: number; raft: string | null; redis: string | null; http: string | null }[];
  keys: number;
  memoryBytes: number;
  /** Client commands served since the process started. */
  writes: number;
  reads: number;
  /** Request latency histogram since the process started: upper bounds in seconds, cumulative counts. */
  latencyBounds: number[];
  latencyCounts: number[];
  eventLoopDelayMs: number | null;
}

const ROLES = new Set(['leader', 'follower', 'learner', 'candidate']);

type Json = Record<string, unknown>;

function object(v: unknown, what: string): Json {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error(`${what} is not an object`);
  return v as Json;
}

function count(o: Json, key: string): number {
  const v = o[key];
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new Error(`${key} is not a count`);
  return v;
}

function numbers(v: unknown, what: string): number[] {
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'number' && Number.isFinite(x))) {
    throw new Error(`${what} is not a list of numbers`);
  }
  return v as number[];
}

function address(v: unknown): string | null {
  return typeof v === 'string' ? v : null;
}

/** The reading of a /status body; throws a one-line Error saying which field is wrong. */
export function readStatus(body: unknown): StatusReading {
  const o = object(body, '/status');
  const role = o.role;
  if (typeof role !== 'string' || !ROLES.has(role)) throw new Error('role is missing (the node has not started)');
  const leaderId = o.leaderId;
  const lag = object(o.replicationLag ?? {}, 'replicationLag');
  const requests = object(o.requests, 'requests');
  const latency = object(requests.latency, 'requests.latency');
  const latencyBounds = numbers(latency.bounds, 'requests.latency.bounds');
  const latencyCounts = numbers(latency.counts, 'requests.latency.counts');
  if (latencyCounts.length !== latencyBounds.length + 1)
    throw new Error('requests.latency.counts has the wrong length');
  const members = o.members;
  if (!Array.isArray(members)) throw new Error('members is not a list');
  const delay = o.eventLoopDelayMs;
  return {
    id: count(o, 'id'),
    role: role as StatusReading['role'],
    term: count(o, 'term'),
    leaderId: typeof leaderId === 'number' ? leaderId : null,
    commitIndex: count(o, 'commitIndex'),
    appliedIndex: count(o, 'lastApplied'),
    lastLogIndex: count(o, 'lastLogIndex'),
    snapshotIndex: count(o, 'snapshotIndex'),
    redis: address(o.redis),
    http: address(o.http),
    connectedPeers: numbers(o.connectedPeers, 'connectedPeers'),
    replicationLag: new Map(
      Object.entries(lag).flatMap(([id, n]) => (typeof n === 'number' ? [[Number(id), n] as const] : [])),
    ),
    members: members.map((m, i) => {
      const row = object(m, `members[${i}]`);
      return { id: count(row, 'id'), raft: address(row.raft), redis: address(row.redis), http: address(row.http) };
    }),
    keys: count(o, 'keys'),
    memoryBytes: count(o, 'memoryBytes'),
    writes: count(requests, 'writes'),
    reads: count(requests, 'reads'),
    latencyBounds,
    latencyCounts,
    eventLoopDelayMs: typeof delay === 'number' ? delay : null,
  };
}
