// Prometheus metrics of a KV node (prom-client): Raft state read at scrape time, counters kept by
// the node, request latency histograms observed by the RESP connections, snapshot phase durations
// reported by the snapshot code, and Node's default metrics under their standard names
// (`process_*`, `nodejs_*`, which dashboards and alerts expect), the event-loop delay among them.

import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

import type { KvNode } from '../node/node.js';

const ROLES = ['follower', 'candidate', 'leader', 'learner'] as const;

/**
 * The phases of a snapshot's life: taken from the key space, written to disk, sent to a follower,
 * installed by a follower, loaded at a restart.
 */
const SNAPSHOT_PHASES = ['take', 'write', 'send', 'install', 'load'] as const;
export type SnapshotPhase = (typeof SNAPSHOT_PHASES)[number];

export class KvMetrics {
  readonly registry = new Registry();
  readonly requestSeconds: Histogram<'kind'>;
  readonly commands: Counter<'kind'>;
  readonly connections: Gauge;
  private readonly snapshotSeconds: Gauge<'phase'>;
  private readonly snapshots: Counter<'phase'>;

  constructor(node: KvNode) {
    const registry = this.registry;
    // Among them nodejs_eventloop_lag_{max,p99,...}_seconds: the delay since the previous scrape
    // (prom-client resets its histogram at each one), sampled every 10 ms.
    collectDefaultMetrics({ register: registry });
    const status = (): ReturnType<KvNode['status']> => node.status();
    new Gauge({
      name: 'little_raft_term',
      help: 'Current Raft term',
      registers: [registry],
      collect() {
        this.set(status()?.term ?? 0);
      },
    });
    new Gauge({
      name: 'little_raft_role',
      help: '1 for the role this node has now',
      labelNames: ['role'],
      registers: [registry],
      collect() {
        const role = status()?.role;
        for (const r of ROLES) this.set({ role: r }, r === role ? 1 : 0);
      },
    });
    new Gauge({
      name: 'little_raft_is_leader',
      help: '1 when this node leads',
      registers: [registry],
      collect() {
        this.set(status()?.role === 'leader' ? 1 : 0);
      },
    });
    new Gauge({
      name: 'little_raft_commit_index',
      help: 'Highest log index known committed',
      registers: [registry],
      collect() {
        this.set(status()?.commitIndex ?? 0);
      },
    });
    new Gauge({
      name: 'little_raft_applied_index',
      help: 'Highest log index applied to the key space',
      registers: [registry],
      collect() {
        this.set(status()?.lastApplied ?? 0);
      },
    });
    new Gauge({
      name: 'little_raft_last_log_index',
      help: 'Index of the last entry in this node log',
      registers: [registry],
      collect() {
        this.set(status()?.lastLogIndex ?? 0);
      },
    });
    new Gauge({
      name: 'little_raft_snapshot_index',
      help: 'Last index covered by the newest snapshot',
      registers: [registry],
      collect() {
        this.set(status()?.snapshotIndex ?? 0);
      },
    });
    new Gauge({
      name: 'little_raft_replication_lag_entries',
      help: 'Leader only: entries each follower is behind the leader log',
      labelNames: ['peer'],
      registers: [registry],
      collect() {
        this.reset();
        for (const [peer, lag] of Object.entries(node.replicationLag())) this.set({ peer }, lag);
      },
    });
    new Gauge({
      name: 'little_raft_peer_connected',
      help: '1 when the authenticated connection to the peer is up',
      labelNames: ['peer'],
      registers: [registry],
      collect() {
        this.reset();
        const s = status();
        const up = new Set(node.connectedPeers());
        for (const id of [...(s?.voters ?? []), ...(s?.learners ?? [])]) {
          if (id !== node.id) this.set({ peer: String(id) }, up.has(id) ? 1 : 0);
        }
      },
    });
    new Gauge({
      name: 'little_raft_keys',
      help: 'Keys in the key space (expired ones not yet purged included)',
      registers: [registry],
      collect() {
        this.set(node.machine.keyspace.size);
      },
    });
    const fromCounters = (name: string, help: string, key: keyof KvNode['counters']): void => {
      new Counter({
        name,
        help,
        registers: [registry],
        collect() {
          this.reset();
          this.inc(node.counters[key]);
        },
      });
    };
    fromCounters('little_raft_proposals_total', 'Write batches proposed by this node as leader', 'batchesProposed');
    fromCounters('little_raft_forwarded_batches_total', 'Write batches forwarded to the leader', 'batchesForwarded');
    fromCounters('little_raft_applied_commands_total', 'Write commands applied', 'commandsApplied');
    fromCounters('little_raft_leader_changes_total', 'Leader changes seen (elections)', 'leaderChanges');
    fromCounters('little_raft_read_barriers_total', 'Linearizable read barriers', 'readBarriers');
    fromCounters('little_raft_request_timeouts_total', 'Write batches that timed out', 'requestsTimedOut');
    fromCounters(
      'little_raft_forwards_resent_total',
      'Forwarded write batches sent to the leader again after no answer',
      'forwardsResent',
    );
    this.requestSeconds = new Histogram({
      name: 'little_raft_request_duration_seconds',
      help: 'Time from a command group starting to its answers, by kind',
      labelNames: ['kind'],
      buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    });
    this.commands = new Counter({
      name: 'little_raft_commands_total',
      help: 'Client commands served, by kind',
      labelNames: ['kind'],
      registers: [registry],
    });
    this.connections = new Gauge({
      name: 'little_raft_client_connections',
      help: 'Open Redis client connections',
      registers: [registry],
    });
    this.snapshotSeconds = new Gauge({
      name: 'little_raft_snapshot_last_duration_seconds',
      help: 'How long the last snapshot took in each phase (take, write, send, install, load)',
      labelNames: ['phase'],
      registers: [registry],
    });
    this.snapshots = new Counter({
      name: 'little_raft_snapshots_total',
      help: 'Snapshots through each phase (take, write, send, install, load)',
      labelNames: ['phase'],
      registers: [registry],
    });
    // Every phase is there from the start: a rate over a counter that appears later misses its first count.
    for (const phase of SNAPSHOT_PHASES) this.snapshots.inc({ phase }, 0);
  }

  /** A snapshot finished `phase` in `seconds`. */
  snapshotPhase(phase: SnapshotPhase, seconds: number): void {
    this.snapshotSeconds.set({ phase }, seconds);
    this.snapshots.inc({ phase });
  }
}
