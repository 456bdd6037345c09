// Watches a cluster for the dashboard: polls every member's GET /status about once a second,
// makes one view per member (down, with the reason, when it does not answer or its supervisor
// says so), derives the cluster's events from successive views and tells its subscribers. It
// polls while started (start()) or while someone subscribes: a node whose dashboard nobody has
// open does not poll its peers.

import { deriveEvents } from './cluster-events.js';
import { perSecond, quantileMs } from './rates.js';
import { readStatus, type StatusReading } from './status-reading.js';
import type { ClusterEvent, DashboardState, MemberView } from './types.js';

export interface MemberSource {
  id: number;
  /** host:port of its HTTP port, or a base URL (https://host:port). */
  http: string;
  /** Set by a supervisor for a node it killed or paused; null: ask the node. */
  down: string | null;
}

export interface ClusterWatcherOptions {
  sources: () => MemberSource[];
  /** GET of a URL, signed when the cluster has a secret; resolves to the parsed JSON body. */
  request: (url: string) => Promise<unknown>;
  intervalMs?: number;
  controls: boolean;
  load?: () => boolean | null;
  now?: () => number;
}

/** Events kept for the timeline. */
const MAX_EVENTS = 200;

/** What the previous poll read from a member, for rates. */
interface Sample {
  at: number;
  reading: StatusReading;
}

type Answer = { source: MemberSource; reading: StatusReading } | { source: MemberSource; problem: string };

function statusUrl(http: string): string {
  const base = http.includes('://') ? http : `http://${http}`;
  // A node listening on every interface records that address; this machine reaches it on loopback.
  return base.replace('//0.0.0.0:', '//127.0.0.1:').replace('//[::]:', '//[::1]:') + '/status';
}

function whyUnreachable(e: unknown): string {
  const cause = (e as { cause?: { code?: unknown } }).cause;
  if (typeof cause?.code === 'string') return `unreachable (${cause.code})`;
  const message = e instanceof Error ? e.message : String(e);
  return `unreachable (${message.split('\n')[0]!.slice(0, 80)})`;
}

export class ClusterWatcher {
  private readonly intervalMs: number;
  private readonly now: () => number;
  private readonly listeners = new Set<(state: DashboardState) => void>();
  private started = false;
  private polling = false;
  private timer: NodeJS.Timeout | null = null;
  private views: MemberView[] | null = null;
  private events: ClusterEvent[] = [];
  private readonly samples = new Map<number, Sample>();
  private state: DashboardState;

  constructor(private readonly o: ClusterWatcherOptions) {
    this.intervalMs = o.intervalMs ?? 1000;
    this.now = o.now ?? Date.now;
    this.state = { at: this.now(), members: [], events: [], controls: o.controls, load: o.load?.() ?? null };
  }

  start(): void {
    this.started = true;
    this.wake();
  }

  stop(): void {
    this.started = false;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  current(): DashboardState {
    return this.state;
  }

  subscribe(listener: (state: DashboardState) => void): () => void {
    this.listeners.add(listener);
    this.wake();
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** One poll now, without waiting for the timer (tests; a supervisor after it changed a node). */
  async pollOnce(): Promise<DashboardState> {
    const sources = [...this.o.sources()].sort((a, b) => a.id - b.id);
    const answers = await Promise.all(sources.map((s) => this.ask(s)));
    const at = this.now();
    const views = this.viewsOf(answers, at);
    const events = deriveEvents(this.views, views, at);
    this.views = views;
    if (events.length > 0) this.events = [...this.events, ...events].slice(-MAX_EVENTS);
    this.state = { at, members: views, events: this.events, controls: this.o.controls, load: this.o.load?.() ?? null };
    for (const listener of this.listeners) listener(this.state);
    return this.state;
  }

  private get wanted(): boolean {
    return this.started || this.listeners.size > 0;
  }

  private wake(): void {
    if (this.polling || this.timer !== null || !this.wanted) return;
    this.loop();
  }

  private loop(): void {
    this.timer = null;
    if (!this.wanted) return;
    this.polling = true;
    const began = this.now();
    void this.pollOnce()
      .catch(() => undefined) // a listener that throws must not stop the watching
      .finally(() => {
        this.polling = false;
        if (!this.wanted) return;
        const wait = Math.max(0, this.intervalMs - (this.now() - began));
        this.timer = setTimeout(() => this.loop(), wait);
        this.timer.unref();
      });
  }

  private async ask(source: MemberSource): Promise<Answer> {
    if (source.down !== null) return { source, problem: source.down };
    let body: unknown;
    try {
      body = await this.request(statusUrl(source.http));
    } catch (e) {
      return { source, problem: whyUnreachable(e) };
    }
    try {
      return { source, reading: readStatus(body) };
    } catch (e) {
      return { source, problem: `bad /status: ${(e as Error).message}` };
    }
  }

  /** The request, given up after two intervals: a paused node never answers. */
  private request(url: string): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no answer')), 2 * this.intervalMs);
      this.o.request(url).then(
        (v) => {
          clearTimeout(timer);
          resolve(v);
        },
        (e: unknown) => {
          clearTimeout(timer);
          reject(e instanceof Error ? e : new Error(String(e)));
        },
      );
    });
  }

  private viewsOf(answers: Answer[], at: number): MemberView[] {
    const readings = answers.flatMap((a) => ('reading' in a ? [a.reading] : []));
    const table = new Map<number, { raft: string | null; redis: string | null; http: string | null }>();
    for (const r of readings) for (const row of r.members) table.set(row.id, row);
    let leader: StatusReading | null = null;
    for (const r of readings) if (r.role === 'leader' && (leader === null || r.term > leader.term)) leader = r;
    const previous = new Map((this.views ?? []).map((v) => [v.id, v]));
    return answers.map((a): MemberView => {
      const id = a.source.id;
      const row = table.get(id);
      const addresses = {
        redis: row?.redis ?? null,
        raft: row?.raft ?? null,
        http: row?.http ?? a.source.http,
      };
      if (!('reading' in a)) {
        this.samples.delete(id);
        const last = previous.get(id);
        return {
          id,
          ...addresses,
          role: 'down',
          down: a.problem,
          // What it last showed, so its log strip stays where it was.
          term: last?.term ?? 0,
          commitIndex: last?.commitIndex ?? 0,
          appliedIndex: last?.appliedIndex ?? 0,
          lastLogIndex: last?.lastLogIndex ?? 0,
          snapshotIndex: last?.snapshotIndex ?? 0,
          lagBehindLeader: null,
          connectedPeers: [],
          keys: last?.keys ?? 0,
          memoryBytes: 0,
          writesPerSec: 0,
          readsPerSec: 0,
          latencyP50Ms: null,
          latencyP99Ms: null,
          eventLoopDelayMs: null,
        };
      }
      const r = a.reading;
      const before = this.samples.get(id);
      this.samples.set(id, { at, reading: r });
      const seconds = before === undefined ? 0 : (at - before.at) / 1000;
      // Before its first request a node has no buckets yet: all of them counted 0 then.
      const latencyBefore =
        before === undefined
          ? null
          : before.reading.latencyBounds.length === 0
            ? []
            : before.reading.latencyBounds.join() === r.latencyBounds.join()
              ? before.reading.latencyCounts
              : null;
      let lag: number | null = null;
      if (leader !== null) {
        lag =
          leader.id === id ? 0 : (leader.replicationLag.get(id) ?? Math.max(0, leader.lastLogIndex - r.lastLogIndex));
      }
      return {
        id,
        redis: r.redis ?? addresses.redis,
        raft: addresses.raft,
        http: r.http ?? addresses.http,
        role: r.role,
        down: null,
        term: r.term,
        commitIndex: r.commitIndex,
        appliedIndex: r.appliedIndex,
        lastLogIndex: r.lastLogIndex,
        snapshotIndex: r.snapshotIndex,
        lagBehindLeader: lag,
        connectedPeers: r.connectedPeers,
        keys: r.keys,
        memoryBytes: r.memoryBytes,
        writesPerSec: before === undefined ? 0 : perSecond(before.reading.writes, r.writes, seconds),
        readsPerSec: before === undefined ? 0 : perSecond(before.reading.reads, r.reads, seconds),
        latencyP50Ms: latencyBefore && quantileMs(r.latencyBounds, latencyBefore, r.latencyCounts, 0.5),
        latencyP99Ms: latencyBefore && quantileMs(r.latencyBounds, latencyBefore, r.latencyCounts, 0.99),
        eventLoopDelayMs: r.eventLoopDelayMs,
      };
    });
  }
}
