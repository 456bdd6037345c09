// What the command families (store/families/*.ts) see of the key space: the Keyspace class
// implements it. An interface of its own so that the families and the key space do not import
// each other.

import type { ErrorReply, Reply } from '../resp/reply.js';
import type { ScanIndex } from './scan-index.js';
import type { KeyMap } from './sharded-map.js';
import type { TypeName, Value } from './values.js';

/**
 * How Redis would hold a string where its history decides rather than its value (OBJECT ENCODING):
 * 'raw' after APPEND or SETRANGE, 'embstr' for INCRBYFLOAT's integral results, 'int' for an
 * integer that is not the shared object (COPY).
 */
export type StringEncoding = 'raw' | 'embstr' | 'int';

export interface KeyStore {
  /** Every key held, expired ones not yet purged included (check with get). */
  readonly values: KeyMap<Value>;
  readonly index: ScanIndex;
  /** The state machine's clock: the latest leader time applied. */
  readonly now: number;
  /** The value of `key` if present and unexpired at `t`; reads delete nothing. */
  get(key: string, t: number): Value | undefined;
  /** For writes: like get, but an expired leftover is deleted, so its expiry cannot carry over. */
  getForWrite(key: string, t: number): Value | undefined;
  /** The value if it has `type`; undefined if absent; WRONGTYPE if another type. */
  typed(key: string, t: number, type: TypeName, write: boolean): Value | undefined | ErrorReply;
  /** Strings whose encoding their value does not tell (families/object.ts); put and remove forget a key's. */
  readonly encodings: Map<string, StringEncoding>;
  /** Stores a value (replacing any other), leaving the key's expiry as it is. */
  put(key: string, value: Value): void;
  /**
   * Stores a value without a new version: a change Redis makes without signalling the key, which
   * WATCH therefore does not see (BITFIELD growing a string when every write of it failed).
   */
  putUnsignalled(key: string, value: Value): void;
  /** After a change in place (HSET, LPUSH ...): bumps the version, deletes an emptied collection. */
  modified(key: string): void;
  remove(key: string): void;
  expireOf(key: string): number | undefined;
  setExpire(key: string, expireAt: number): void;
  persist(key: string): boolean;
  flush(): void;
  expiredCount(t: number): number;
  versionOf(key: string): number;
  /** A number in [0, 1) every replica draws alike (writes must not use Math.random). */
  random(): number;
  /** PUBLISH applied: the receivers on the cluster. */
  publish(channel: string, message: string): number;
}

/** One command of a family: its reply, with the key space at time `t`. */
export type CommandHandler = (ks: KeyStore, argv: readonly Uint8Array[], t: number) => Reply;
