// The KV service's state: keys holding a value of one of Redis's types (store/values.ts), with
// optional expiry times, and the dispatch of Redis commands to the families that implement them
// (store/families/*.ts).
//
// Writes (`applyWrite`) run on every replica in log order with the leader's clock `at` from the batch,
// and use nothing else: no Date.now, no Math.random (`random()` is seeded by the log position), so
// all replicas reach the same state and replies. Reads (`read`) run on one node after the server's
// read barrier, at the cluster time the node was given.
//
// A key whose expiry is <= the time is absent. The state machine's clock never goes backwards (a new
// leader's clock may be behind the old one's), so a key that expired stays expired.
//
// Every change to a key bumps its version (the log index of the write), which WATCH compares; a
// list or sorted set that gains elements is recorded as ready, for the blocked clients of its node.
// Deleting a key that had expired is no change (it was absent already), nor is FLUSHDB to a key
// that was absent: WATCH's check (watch.ts) also compares presence, as Redis 7.0 does.

import type { SnapshotBytes } from 'little-raft';

import { checkArity, lookupCommand } from '../commands/command-table.js';
import { unknownCommand, WRONGTYPE } from '../resp/error-replies.js';
import type { KeyStore, StringEncoding } from './key-store.js';
import { ExpiryHeap } from './expiry-heap.js';
import { FrozenView } from './frozen-view.js';
import { decodeKeyspace, encodeKeyspace, type KeyspaceVisitor } from './keyspace-snapshot.js';
import { KeyspaceReader, STREAM_VERSION } from './keyspace-stream.js';
import { ErrorReply, type Reply } from '../resp/reply.js';
import { ScanIndex } from './scan-index.js';
import { ShardedMap } from './sharded-map.js';
import { ListValue, sizeOf, typeOf, ZSetValue, type TypeName, type Value } from './values.js';
import { READ_HANDLERS, WRITE_HANDLERS } from './families/index.js';

/** Expired keys deleted per write at most; the rest wait for the next writes (they read as absent). */
const PURGE_PER_WRITE = 256;
/** Stale heap entries tolerated beyond the live expiries before the heap is rebuilt. */
const HEAP_SLACK = 1024;
/**
 * Key versions remembered for WATCH, per generation: when the current one fills up it becomes the
 * previous one, and the one before is forgotten; a forgotten key counts as changed at the floor (a
 * transaction that watched it before two generations were filled may abort spuriously: safe, its
 * client retries; see store/watch.ts). One Map.set per change, no reordering: this runs on every
 * write.
 */
const VERSIONS_PER_GENERATION = 65536;

/** What the key space tells the node about, beside replies. */
export interface KeyspaceEvents {
  /** PUBLISH applied: delivers to this node's subscribers; returns how many receive it cluster-wide. */
  published(channel: string, message: string): number;
}

export class Keyspace implements KeyStore {
  // Not readonly: FLUSHDB during a snapshot gives the key space new maps and leaves the old ones
  // to the snapshot (frozen-view.ts).
  values = new ShardedMap<Value>();
  /** expireAt (ms since the epoch) of the keys that have one. */
  expires = new ShardedMap<number>();
  private readonly heap = new ExpiryHeap();
  index = new ScanIndex(this.values);
  /** Snapshots being taken from this key space: each is told of a key before it changes. */
  private views: FrozenView[] = [];
  /** The latest `at` applied: the state machine's clock. */
  private clock = 0;
  /** The log index of the batch being applied: the version its changes give keys. */
  private writeIndex = 0;
  /** Each command's position in the batch, for `random()`. */
  private seed = 0;
  private versions = new Map<string, number>();
  private olderVersions = new Map<string, number>();
  private versionFloor = 0;
  /** Lists and sorted sets that gained elements since the node last took this set. */
  readonly ready = new Set<string>();
  events: KeyspaceEvents | null = null;
  /** Not in snapshots: a restored key space encodes by value, as Redis does after loading an RDB. */
  readonly encodings = new Map<string, StringEncoding>();

  /** Keys held, including expired ones not yet purged (for INFO). */
  get size(): number {
    return this.values.size;
  }

  /** Keys held with an expiry, including expired ones not yet purged (for INFO). */
  get expiringSize(): number {
    return this.expires.size;
  }

  /** The state machine's clock: the latest leader time applied. */
  get now(): number {
    return this.clock;
  }

  /** Called before the commands of the batch at log `index` are applied. */
  beginBatch(index: number): void {
    this.writeIndex = index;
    this.seed = 0;
  }

  /**
   * Applies one write command at the leader's time `at` and returns its reply. Deterministic: the
   * same commands with the same `at` values give the same state and replies on every replica.
   */
  applyWrite(argv: readonly Uint8Array[], at: number): Reply {
    if (at > this.clock) this.clock = at;
    const t = this.clock;
    this.purge(t);
    this.seed++;
    const spec = argv.length > 0 ? lookupCommand(argv[0]!) : undefined;
    if (spec === undefined) return unknownCommand(argv);
    const arityError = checkArity(spec, argv.length);
    if (arityError !== null) return arityError;
    const handler = WRITE_HANDLERS.get(spec.name);
    if (handler === undefined) return new ErrorReply(`ERR '${spec.name}' is not a write command`);
    return handler(this, argv, t);
  }

  /**
   * Applies one command of a MULTI/EXEC transaction at the leader's time `at`: a write as applyWrite
   * does, a read at the state machine's clock, so it sees the writes before it (the transaction's
   * own) and answers the same on every replica.
   */
  applyInTransaction(argv: readonly Uint8Array[], at: number): Reply {
    const spec = argv.length > 0 ? lookupCommand(argv[0]!) : undefined;
    if (spec === undefined || spec.kind !== 'read') return this.applyWrite(argv, at);
    if (at > this.clock) this.clock = at;
    return this.read(argv, this.clock);
  }

  /**
   * Answers a read command at cluster time `now` (treated as the state machine's clock if that is
   * later, so a key the log already expired never reappears). Changes nothing.
   */
  read(argv: readonly Uint8Array[], now: number): Reply {
    const t = now > this.clock ? now : this.clock;
    const spec = argv.length > 0 ? lookupCommand(argv[0]!) : undefined;
    if (spec === undefined) return unknownCommand(argv);
    const arityError = checkArity(spec, argv.length);
    if (arityError !== null) return arityError;
    const handler = READ_HANDLERS.get(spec.name);
    if (handler === undefined) return new ErrorReply(`ERR '${spec.name}' is not a read command`);
    return handler(this, argv, t);
  }

  /**
   * The key space as snapshot bytes; keys expired at the state machine's clock are left out. With
   * `reserve`, that many bytes come first, left for the caller to fill.
   */
  serialize(reserve = 0): Uint8Array {
    const versions = { floor: this.versionFloor, older: this.olderVersions, current: this.versions };
    return encodeKeyspace(this.clock, this.values, this.expires, versions, reserve);
  }

  /**
   * A view of the key space as it is now, read in slices while writes go on (frozen-view.ts);
   * release() it when done.
   */
  freeze(): FrozenView {
    const versions = { floor: this.versionFloor, older: this.olderVersions, current: new Map(this.versions) };
    const view = new FrozenView(this.clock, this.values, this.expires, versions);
    this.views.push(view);
    return view;
  }

  release(view: FrozenView): void {
    this.views = this.views.filter((v) => v !== view);
  }

  /** A key space from snapshot bytes, all at once. Throws SnapshotError on malformed bytes. */
  static restore(bytes: Uint8Array): Keyspace {
    const loading = Keyspace.loading(bytes);
    while (!loading.step(Infinity));
    return loading.keyspace;
  }

  /**
   * Reads snapshot bytes into a new key space in steps (`step(deadline)` until it returns true),
   * so that loading millions of keys never holds the event loop. Versions 1 and 2 (written before
   * snapshots were taken in slices) are read in one step.
   */
  static loading(bytes: SnapshotBytes): {
    keyspace: Keyspace;
    step(deadline: number): boolean;
    readonly progress: number;
  } {
    const ks = new Keyspace();
    const visitor: KeyspaceVisitor = {
      entry(key, value, expireAt) {
        const before = ks.values.size;
        ks.values.set(key, value);
        if (ks.values.size === before) return false;
        if (expireAt !== undefined) {
          ks.expires.set(key, expireAt);
          // Into the heap now, within the load's slices: a rebuild at the end was one step of
          // O(keys with an expiry). Its order is the entries' alone (expiry-heap.ts), as rebuilt.
          ks.heap.push(expireAt, key);
        }
        return true;
      },
      version(key, version, older) {
        (older ? ks.olderVersions : ks.versions).set(key, version);
      },
    };
    const done = (clock: number, versionFloor: number): void => {
      ks.clock = clock;
      ks.versionFloor = versionFloor;
    };
    if (bytes.length > 4 && bytes.subarray(4, 5)[0] === STREAM_VERSION) {
      const reader = new KeyspaceReader(bytes, visitor);
      return {
        keyspace: ks,
        get progress() {
          return reader.progress;
        },
        step(deadline) {
          if (!reader.step(deadline)) return false;
          done(reader.clock, reader.versionFloor);
          return true;
        },
      };
    }
    let read = false;
    return {
      keyspace: ks,
      get progress() {
        return read ? 1 : 0;
      },
      step() {
        // Written before snapshots were streamed: read whole (once, at the first restart after an upgrade).
        const whole = bytes instanceof Uint8Array ? bytes : bytes.subarray(0, bytes.length);
        const decoded = decodeKeyspace(whole, visitor);
        done(decoded.clock, decoded.versionFloor);
        read = true;
        return true;
      },
    };
  }

  // ---- for the command families ------------------------------------------------------------

  /** The value of `key` if it is present and unexpired at `t` (reads: nothing is deleted). */
  get(key: string, t: number): Value | undefined {
    const v = this.values.get(key);
    if (v === undefined || this.expires.size === 0) return v;
    const e = this.expires.get(key);
    return e !== undefined && e <= t ? undefined : v;
  }

  /** For writes: like get, but an expired leftover is deleted, so its expiry cannot carry over. */
  getForWrite(key: string, t: number): Value | undefined {
    const v = this.values.get(key);
    // The caller may change a collection in place: a snapshot being taken keeps it first.
    if (v !== undefined && this.views.length !== 0) this.saveForViews(key);
    if (v === undefined || this.expires.size === 0) return v;
    const e = this.expires.get(key);
    if (e === undefined || e > t) return v;
    this.drop(key); // expired: absent already, so no new version
    return undefined;
  }

  /**
   * The value of `key` if it has type `type`; undefined if absent; WRONGTYPE if it holds another
   * type. `write`: as getForWrite.
   */
  typed(key: string, t: number, type: TypeName, write: boolean): Value | undefined | ErrorReply {
    const v = write ? this.getForWrite(key, t) : this.get(key, t);
    if (v === undefined) return undefined;
    return typeOf(v) === type ? v : WRONGTYPE;
  }

  /** Stores a value (replacing any other), leaving the key's expiry as it is. */
  put(key: string, value: Value): void {
    if (this.views.length !== 0) this.saveForViews(key);
    const before = this.values.size;
    this.values.set(key, value);
    if (this.values.size !== before) this.index.added(key);
    if (this.encodings.size !== 0) this.encodings.delete(key);
    this.modified(key);
  }

  /** Stores a value with no new version (see KeyStore.putUnsignalled). */
  putUnsignalled(key: string, value: Value): void {
    if (this.views.length !== 0) this.saveForViews(key);
    const before = this.values.size;
    this.values.set(key, value);
    if (this.values.size !== before) this.index.added(key);
    if (this.encodings.size !== 0) this.encodings.delete(key);
  }

  /**
   * Records a change to `key`'s value in place (HSET, LPUSH ...): bumps its version, deletes it if
   * the collection is now empty, marks a list or sorted set with elements as ready.
   */
  modified(key: string): void {
    this.touch(key);
    const v = this.values.get(key);
    if (v === undefined || typeof v === 'string') return;
    if (sizeOf(v) === 0) this.remove(key);
    else if (v instanceof ListValue || v instanceof ZSetValue) this.ready.add(key);
  }

  /** Deletes `key` (present or not). */
  remove(key: string): void {
    if (this.drop(key)) this.touch(key);
  }

  expireOf(key: string): number | undefined {
    return this.expires.get(key);
  }

  /** Sets the expiry of a present key (a time <= now deletes it at the next purge or read). */
  setExpire(key: string, expireAt: number): void {
    if (this.views.length !== 0) this.saveForViews(key);
    this.expires.set(key, expireAt);
    this.heap.push(expireAt, key);
    if (this.heap.size > 2 * this.expires.size + HEAP_SLACK) this.heap.rebuild(this.expires);
    this.touch(key);
  }

  /** Removes a key's expiry; whether it had one. */
  persist(key: string): boolean {
    if (this.views.length !== 0) this.saveForViews(key);
    if (!this.expires.delete(key)) return false;
    this.touch(key);
    return true;
  }

  /**
   * Deletes every key. Versions stay: a watcher of a present key sees it absent now, and one of an
   * absent key sees no change (as in Redis 7.0).
   */
  flush(): void {
    if (this.views.length !== 0) {
      // Snapshots being taken keep the old maps, which nothing changes any more.
      for (const view of this.views) view.detach();
      this.views = [];
      this.values = new ShardedMap();
      this.expires = new ShardedMap();
      this.index = new ScanIndex(this.values);
    } else {
      this.values.clear();
      this.expires.clear();
      this.index.reset();
    }
    this.encodings.clear();
    this.heap.rebuild([]);
  }

  /** How many held keys are expired at `t` (not yet purged). */
  expiredCount(t: number): number {
    if (this.heap.peekTime() > t) return 0;
    const expired = new Set<string>();
    this.heap.forEachUpTo(t, (time, key) => {
      if (this.expires.get(key) === time) expired.add(key);
    });
    return expired.size;
  }

  /** The version of `key` for WATCH: the log index of its last change (or a later one). */
  versionOf(key: string): number {
    return this.versions.get(key) ?? this.olderVersions.get(key) ?? this.versionFloor;
  }

  /**
   * A number in [0, 1) that every replica draws alike: from the log index and the command's place
   * in its batch (SPOP, SRANDMEMBER, RANDOMKEY ... on a write path must not use Math.random).
   */
  random(): number {
    // One step of mulberry32 from (log index, draws so far in this batch).
    let a = (Math.imul(this.writeIndex | 0, 0x9e3779b1) ^ Math.imul(this.seed++, 0x85ebca6b)) >>> 0;
    a = (a + 0x6d2b79f5) | 0;
    let r = Math.imul(a ^ (a >>> 15), 1 | a);
    r = (r + Math.imul(r ^ (r >>> 7), 61 | r)) ^ r;
    return ((r ^ (r >>> 14)) >>> 0) / 4294967296;
  }

  /** Publishes on the cluster (PUBLISH applied); the receivers, or 0 without a node. */
  publish(channel: string, message: string): number {
    return this.events?.published(channel, message) ?? 0;
  }

  // ---------------------------------------------------------------------------------------------

  /** Deletes `key` without a new version; whether it was held. */
  private drop(key: string): boolean {
    if (this.views.length !== 0) this.saveForViews(key);
    if (!this.values.delete(key)) return false;
    this.expires.delete(key);
    if (this.encodings.size !== 0) this.encodings.delete(key);
    this.index.deleted();
    return true;
  }

  private saveForViews(key: string): void {
    for (const view of this.views) view.save(key);
  }

  private touch(key: string): void {
    const versions = this.versions;
    versions.set(key, this.writeIndex);
    if (versions.size > VERSIONS_PER_GENERATION) {
      // Every version forgotten now is at most the newest of the older generation: the index at
      // which it was the current one and filled up, or earlier.
      for (const v of this.olderVersions.values()) if (v > this.versionFloor) this.versionFloor = v;
      this.olderVersions = versions;
      this.versions = new Map();
    }
  }

  /** Deletes up to PURGE_PER_WRITE keys expired at `t`, earliest (then smallest key) first. */
  private purge(t: number): void {
    let deleted = 0;
    while (this.heap.peekTime() <= t && deleted < PURGE_PER_WRITE) {
      const time = this.heap.peekTime();
      const key = this.heap.peekKey()!;
      this.heap.pop();
      if (this.expires.get(key) === time) {
        this.drop(key); // expired: absent already, so no new version
        deleted++;
      }
    }
  }
}
