// Pub/sub on one KV node: which of its clients listen to which channels and patterns, and the
// delivery of published messages to them.
//
// PUBLISH is a write: it goes through the log, and every node applies it once, in log order, and
// hands the message to its own subscribers here (`published`, the key space's event). A message
// therefore reaches each subscriber on the cluster once, and a publisher's messages arrive in the
// order it sent them. PUBLISH answers how many receive it on the whole cluster: this node's
// receivers plus, for each other node, its receivers according to the table it last gossiped
// (pubsub-gossip.ts). PUBSUB CHANNELS, NUMSUB and NUMPAT answer from the same tables, for the whole
// cluster too (a Redis cluster answers them per node).

import type { ReplicaId } from 'little-raft';

import { latin1Bytes } from '../commands/args.js';
import { globMatch } from '../commands/glob.js';
import { Push, type Reply } from '../resp/reply.js';
import { encodeReply } from '../resp/resp-encode.js';
import type { KeyspaceEvents } from '../store/keyspace.js';
import { PubSubGossip, type SubscriptionTable } from './pubsub-gossip.js';
import { CHANNEL, isGossip, PATTERN, type SubscriptionKind, type TableEntry } from './pubsub-messages.js';

export { CHANNEL, PATTERN, type SubscriptionKind } from './pubsub-messages.js';

/** A client connection that receives messages (RespConnection). */
export interface Subscriber {
  /** The protocol its messages are encoded in: RESP3 pushes, or RESP2 arrays. */
  readonly resp3: boolean;
  /** Writes an encoded message to the client, after everything written to it so far. */
  pushRaw(bytes: Uint8Array): void;
  /** Closes the client's connection. */
  close(): void;
}

export interface PubSubOptions {
  /** The other nodes, which the subscription tables are gossiped to. */
  peers: readonly ReplicaId[];
  send(to: ReplicaId, bytes: Uint8Array): void;
  warn(message: string): void;
  /** Gossip timing (tests): the beacon period and how long changes are gathered, in ms. */
  beaconMs?: number;
  flushMs?: number;
}

const MESSAGE = Buffer.from('message');
const PMESSAGE = Buffer.from('pmessage');

export class PubSub implements KeyspaceEvents {
  /** Subscribers per channel and per pattern, in the order they subscribed. */
  private readonly subscribers = [new Map<string, Set<Subscriber>>(), new Map<string, Set<Subscriber>>()] as const;
  /** What each subscriber listens to, so that a closed connection can be removed everywhere. */
  private readonly bySubscriber = new Map<Subscriber, [Set<string>, Set<string>]>();
  private readonly gossip: PubSubGossip;

  constructor(options: PubSubOptions) {
    this.gossip = new PubSubGossip({
      peers: options.peers,
      send: (to, bytes) => options.send(to, bytes),
      local: () => this.localTable(),
      warn: (from, problem) => options.warn(`undecodable pub/sub message from node ${from}: ${problem}`),
      ...(options.beaconMs !== undefined && { beaconMs: options.beaconMs }),
      ...(options.flushMs !== undefined && { flushMs: options.flushMs }),
    });
  }

  /** Starts gossiping this node's table. */
  start(): void {
    this.gossip.start();
  }

  stop(): void {
    this.gossip.stop();
  }

  /** Takes a node message if it is pub/sub gossip; false for the others. */
  onNodeMessage(from: ReplicaId, payload: Uint8Array): boolean {
    if (!isGossip(payload)) return false;
    this.gossip.onMessage(from, payload);
    return true;
  }

  // ---- this node's subscriptions ------------------------------------------------------------

  /** `sub` now receives the messages of channel or pattern `name` (once, however often called). */
  subscribe(sub: Subscriber, kind: SubscriptionKind, name: string): void {
    let own = this.bySubscriber.get(sub);
    if (own === undefined) {
      own = [new Set(), new Set()];
      this.bySubscriber.set(sub, own);
    }
    if (own[kind].has(name)) return;
    own[kind].add(name);
    const map = this.subscribers[kind];
    let set = map.get(name);
    if (set === undefined) {
      set = new Set();
      map.set(name, set);
    }
    set.add(sub);
    this.gossip.changed(kind, name, set.size);
  }

  unsubscribe(sub: Subscriber, kind: SubscriptionKind, name: string): void {
    const own = this.bySubscriber.get(sub);
    if (own === undefined || !own[kind].delete(name)) return;
    if (own[0].size === 0 && own[1].size === 0) this.bySubscriber.delete(sub);
    this.leave(sub, kind, name);
  }

  /** Removes `sub` from everything it listens to (its connection closed, or RESET). */
  drop(sub: Subscriber): void {
    const own = this.bySubscriber.get(sub);
    if (own === undefined) return;
    this.bySubscriber.delete(sub);
    for (const kind of [CHANNEL, PATTERN] as const) for (const name of own[kind]) this.leave(sub, kind, name);
  }

  /**
   * Closes every subscriber's connection; how many there were. For when this node skipped
   * messages: the PUBLISHes a snapshot covers were never applied here one by one, so they were
   * delivered to nobody here. A closed connection tells a client to subscribe again (and that it
   * may have missed messages), where one left open would miss them without a sign.
   */
  disconnectAll(): number {
    const subs = [...this.bySubscriber.keys()];
    for (const sub of subs) {
      this.drop(sub);
      sub.close();
    }
    return subs.length;
  }

  private leave(sub: Subscriber, kind: SubscriptionKind, name: string): void {
    const map = this.subscribers[kind];
    const set = map.get(name)!;
    set.delete(sub);
    if (set.size === 0) map.delete(name);
    this.gossip.changed(kind, name, set.size);
  }

  private localTable(): TableEntry[] {
    const entries: TableEntry[] = [];
    for (const kind of [CHANNEL, PATTERN] as const) {
      for (const [name, set] of this.subscribers[kind]) entries.push({ kind, name, count: set.size });
    }
    return entries;
  }

  // ---- delivery -----------------------------------------------------------------------------

  /**
   * PUBLISH applied (in log order): hands the message to this node's subscribers of the channel
   * and of every pattern that matches it; returns how many receive it on the cluster.
   */
  published(channel: string, message: string): number {
    let receivers = 0;
    const subs = this.subscribers[CHANNEL].get(channel);
    const patterns = this.subscribers[PATTERN];
    if (subs !== undefined || patterns.size > 0) {
      const channelBytes = latin1Bytes(channel);
      const messageBytes = latin1Bytes(message);
      if (subs !== undefined) receivers += deliver(subs, [MESSAGE, channelBytes, messageBytes]);
      for (const [pattern, psubs] of patterns) {
        if (globMatch(pattern, channel)) {
          receivers += deliver(psubs, [PMESSAGE, latin1Bytes(pattern), channelBytes, messageBytes]);
        }
      }
    }
    for (const table of this.gossip.tables()) receivers += receiversIn(table, channel);
    return receivers;
  }

  // ---- PUBSUB: the cluster's counts -----------------------------------------------------------

  /** PUBSUB NUMSUB: the subscribers of `channel` on the cluster (pattern subscriptions not counted). */
  numsub(channel: string): number {
    let n = this.subscribers[CHANNEL].get(channel)?.size ?? 0;
    for (const table of this.gossip.tables()) n += table.channels.get(channel) ?? 0;
    return n;
  }

  /** PUBSUB NUMPAT: how many patterns some client on the cluster listens to. */
  numpat(): number {
    return this.names(PATTERN).size;
  }

  /** PUBSUB CHANNELS: the channels with subscribers on the cluster; matching `pattern` if given. */
  channels(pattern: string | null): string[] {
    const out: string[] = [];
    for (const name of this.names(CHANNEL)) if (pattern === null || globMatch(pattern, name)) out.push(name);
    return out;
  }

  private names(kind: SubscriptionKind): Set<string> {
    const names = new Set(this.subscribers[kind].keys());
    for (const table of this.gossip.tables()) {
      for (const name of (kind === CHANNEL ? table.channels : table.patterns).keys()) names.add(name);
    }
    return names;
  }
}

/** Writes one message to `subs`, encoded once per protocol; how many got it. */
function deliver(subs: ReadonlySet<Subscriber>, frame: Reply[]): number {
  let resp2: Buffer | undefined;
  let resp3: Buffer | undefined;
  for (const sub of subs) {
    if (sub.resp3) sub.pushRaw((resp3 ??= encodeReply(new Push([frame]), true)));
    else sub.pushRaw((resp2 ??= encodeReply(new Push([frame]), false)));
  }
  return subs.size;
}

/** How many receive a message of `channel` on the node of `table`. */
function receiversIn(table: SubscriptionTable, channel: string): number {
  let n = table.channels.get(channel) ?? 0;
  for (const [pattern, count] of table.patterns) if (globMatch(pattern, channel)) n += count;
  return n;
}
