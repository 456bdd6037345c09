// A Map split into a fixed number of smaller Maps by a stable hash of the key.
//
// JavaScript's Map grows its table in one step, rehashing every entry: measured here, going past
// 1,048,576 keys held the event loop ~300 ms, past 2,097,152 about a second. A key space of
// millions of keys in one Map stalls the node (elections, timeouts) each time it doubles, and
// loading a snapshot into a new one stalls it every doubling (Redis rehashes incrementally for the
// same reason). Split into SHARDS Maps, each stays small and grows in microseconds; iteration
// walks the shards in order (stable for a given history, so every replica walks alike).

import { keyHash } from './key-hash.js';

const SHARD_BITS = 12;
export const SHARDS = 1 << SHARD_BITS;

/** The shard `key` lives in. */
export function shardOf(key: string): number {
  return keyHash(key) >>> (32 - SHARD_BITS);
}

/** What readers of a key space's maps use (the command families, snapshots). */
export interface KeyMap<V> {
  readonly size: number;
  get(key: string): V | undefined;
  has(key: string): boolean;
  keys(): IterableIterator<string>;
  entries(): IterableIterator<[string, V]>;
  /** Shard `i`'s own Map: a walk that goes a shard at a time (frozen-view.ts). */
  shard(i: number): ReadonlyMap<string, V>;
}

export class ShardedMap<V> implements KeyMap<V> {
  private readonly shards: Map<string, V>[] = Array.from({ length: SHARDS }, () => new Map<string, V>());
  private count = 0;

  get size(): number {
    return this.count;
  }

  get(key: string): V | undefined {
    return this.shards[shardOf(key)]!.get(key);
  }

  has(key: string): boolean {
    return this.shards[shardOf(key)]!.has(key);
  }

  set(key: string, value: V): this {
    const shard = this.shards[shardOf(key)]!;
    const before = shard.size;
    shard.set(key, value);
    this.count += shard.size - before;
    return this;
  }

  delete(key: string): boolean {
    if (!this.shards[shardOf(key)]!.delete(key)) return false;
    this.count--;
    return true;
  }

  clear(): void {
    for (const shard of this.shards) shard.clear();
    this.count = 0;
  }

  shard(i: number): ReadonlyMap<string, V> {
    return this.shards[i]!;
  }

  *keys(): IterableIterator<string> {
    for (const shard of this.shards) yield* shard.keys();
  }

  *entries(): IterableIterator<[string, V]> {
    for (const shard of this.shards) yield* shard.entries();
  }

  [Symbol.iterator](): IterableIterator<[string, V]> {
    return this.entries();
  }
}
