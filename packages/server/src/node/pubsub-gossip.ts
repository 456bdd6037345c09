// How the KV nodes learn each other's subscription tables (channel or pattern -> how many of the
// node's clients listen), for PUBLISH's count of receivers and PUBSUB's cluster-wide answers. The
// messages are in pubsub-messages.ts.
//
// A node's table has a version, raised each time its changes go out: the changes made within
// FLUSH_MS go to every peer as one delta. Every BEACON_MS it tells its peers its (epoch, version);
// a peer whose copy is not at that version (a delta was dropped, it restarted, the sender
// restarted) asks for the whole table. A table not heard of for TTL_BEACONS beacons is forgotten:
// its node is down or cut off, and its clients are not counted (if they are still there, they
// count again as soon as the node is heard from). The counts are therefore eventually consistent:
// a subscription made on another node counts after about FLUSH_MS plus a network hop.

import type { ReplicaId } from 'little-raft';
import {
  CHANNEL,
  decodeGossip,
  encodeBeacon,
  encodeDelta,
  encodeFull,
  encodeRequest,
  PATTERN,
  type SubscriptionKind,
  type TableEntry,
} from './pubsub-messages.js';

const BEACON_MS = 1000;
const FLUSH_MS = 5;
/** Beacons missed before a peer's table is forgotten. */
const TTL_BEACONS = 3.5;
/** A peer is asked for its whole table at most this often. */
const REQUEST_EVERY_MS = 200;

/** One node's counts. */
export interface SubscriptionTable {
  readonly channels: ReadonlyMap<string, number>;
  readonly patterns: ReadonlyMap<string, number>;
}

interface PeerTable extends SubscriptionTable {
  readonly epoch: number;
  version: number;
  heardAt: number;
  readonly channels: Map<string, number>;
  readonly patterns: Map<string, number>;
}

export interface GossipOptions {
  /** The other nodes. */
  peers: readonly ReplicaId[];
  send(to: ReplicaId, bytes: Uint8Array): void;
  /** This node's counts, all of them. */
  local(): TableEntry[];
  /** An undecodable message came. */
  warn(from: ReplicaId, problem: string): void;
  beaconMs?: number;
  flushMs?: number;
}

export class PubSubGossip {
  /** Drawn at start: a peer can tell this run's tables from an earlier run's. */
  private readonly epoch = Math.floor(Math.random() * 2 ** 48);
  private version = 0;
  private readonly dirty = [new Map<string, number>(), new Map<string, number>()] as const;
  private dirtyCount = 0;
  private flushTimer: ReturnType<typeof setTimeout> | null = null;
  private beaconTimer: ReturnType<typeof setInterval> | null = null;
  private readonly remote = new Map<ReplicaId, PeerTable>();
  private readonly requestedAt = new Map<ReplicaId, number>();
  private readonly beaconMs: number;
  private readonly flushMs: number;

  constructor(private readonly options: GossipOptions) {
    this.beaconMs = options.beaconMs ?? BEACON_MS;
    this.flushMs = options.flushMs ?? FLUSH_MS;
  }

  start(): void {
    if (this.beaconTimer !== null) return;
    this.beaconTimer = setInterval(() => this.beacon(), this.beaconMs);
    this.beaconTimer.unref();
    this.beacon();
  }

  stop(): void {
    if (this.beaconTimer !== null) clearInterval(this.beaconTimer);
    if (this.flushTimer !== null) clearTimeout(this.flushTimer);
    this.beaconTimer = null;
    this.flushTimer = null;
  }

  /** The tables of the other nodes that were heard from lately. */
  tables(): IterableIterator<SubscriptionTable> {
    return this.remote.values();
  }

  /** This node now has `count` subscribers of `name`: the peers hear of it shortly. */
  changed(kind: SubscriptionKind, name: string, count: number): void {
    this.dirty[kind].set(name, count);
    this.dirtyCount++;
    if (this.flushTimer !== null || this.beaconTimer === null) return;
    this.flushTimer = setTimeout(() => this.flush(), this.flushMs);
    this.flushTimer.unref();
  }

  /** Takes a peer's message; none while stopped (a stopped node neither tells nor asks). */
  onMessage(from: ReplicaId, bytes: Uint8Array): void {
    if (this.beaconTimer === null) return;
    let message;
    try {
      message = decodeGossip(bytes);
    } catch (e) {
      this.options.warn(from, (e as Error).message);
      return;
    }
    switch (message.type) {
      case 'request':
        this.options.send(from, encodeFull(this.epoch, this.version, this.options.local()));
        return;
      case 'beacon': {
        const table = this.current(from, message.epoch);
        if (table === undefined || table.version !== message.version) this.request(from);
        else table.heardAt = Date.now();
        return;
      }
      case 'full': {
        const table: PeerTable = {
          epoch: message.epoch,
          version: message.version,
          heardAt: Date.now(),
          channels: new Map(),
          patterns: new Map(),
        };
        apply(table, message.entries);
        this.remote.set(from, table);
        return;
      }
      case 'delta': {
        const table = this.current(from, message.epoch);
        if (table === undefined || table.version !== message.base) {
          this.request(from);
          return;
        }
        apply(table, message.entries);
        table.version = message.version;
        table.heardAt = Date.now();
      }
    }
  }

  /** The table held of `from` if it is of `epoch`; one of another epoch is dropped (its node restarted). */
  private current(from: ReplicaId, epoch: number): PeerTable | undefined {
    const table = this.remote.get(from);
    if (table === undefined || table.epoch === epoch) return table;
    this.remote.delete(from);
    return undefined;
  }

  private request(from: ReplicaId): void {
    const now = Date.now();
    if (now - (this.requestedAt.get(from) ?? 0) < REQUEST_EVERY_MS) return;
    this.requestedAt.set(from, now);
    this.options.send(from, encodeRequest());
  }

  private flush(): void {
    this.flushTimer = null;
    if (this.dirtyCount === 0) return;
    const entries: TableEntry[] = [];
    for (const kind of [CHANNEL, PATTERN] as const) {
      for (const [name, count] of this.dirty[kind]) entries.push({ kind, name, count });
      this.dirty[kind].clear();
    }
    this.dirtyCount = 0;
    const base = this.version++;
    const bytes = encodeDelta(this.epoch, base, this.version, entries);
    for (const peer of this.options.peers) this.options.send(peer, bytes);
  }

  private beacon(): void {
    const now = Date.now();
    const ttl = TTL_BEACONS * this.beaconMs;
    for (const [id, table] of this.remote) if (now - table.heardAt > ttl) this.remote.delete(id);
    const bytes = encodeBeacon(this.epoch, this.version);
    for (const peer of this.options.peers) this.options.send(peer, bytes);
  }
}

/** Sets the counts of `entries` in `table` (0 removes one). */
function apply(table: PeerTable, entries: readonly TableEntry[]): void {
  for (const e of entries) {
    const map = e.kind === CHANNEL ? table.channels : table.patterns;
    if (e.count === 0) map.delete(e.name);
    else map.set(e.name, e.count);
  }
}
