// WATCH and UNWATCH with Redis 7.0's rules, per connection (MULTI / EXEC are in transaction.ts).
//
// WATCH key... records, for each key, its version and whether it is present, as this node sees
// them after a read barrier: every write acknowledged before the WATCH was sent is seen, and so is
// every earlier command of the same connection. EXEC hands the records to the transaction, and a
// watched key that changed since (written, even with the same value; expired; flushed) makes EXEC
// answer nil and run nothing. The check is store/watch.ts's, made where it is linearizable: a
// transaction with a write carries its records in its span of the log entry, and the state machine
// checks them just before the span, on every replica alike; a read-only one is checked after EXEC's
// own read barrier, in the same synchronous step as its reads (nothing can change in between, and
// the state then includes everything acknowledged before EXEC), so it needs no log entry.
//
// EXEC (whatever it answers, except "EXEC without MULTI"), DISCARD inside MULTI and UNWATCH forget
// the watches, as in Redis.
//
// A connection's commands are classified as they arrive but run later, in order. Which WATCHes an
// EXEC checks is decided at classification (EXEC takes the connection's WatchSet; UNWATCH drops
// it); the records are filled in when each WATCH runs, which is before any later command runs.

import type { Classified, ExecRun } from '../resp/classified.js';
import { OK, ErrorReply, type Reply } from '../resp/reply.js';
import { wrongArity } from '../resp/error-replies.js';
import { latin1 } from './args.js';
import type { KvWatch } from '../store/batch.js';

/** What WATCH needs from the server. */
export interface WatchHost {
  readBarrier(): Promise<void>;
  /** `key`'s version and presence now (after readBarrier). */
  watchOf(key: Uint8Array): KvWatch;
}

/** What WATCH keeps on its connection (RespConnection). */
export interface WatchConnection {
  watching: WatchSet | null;
}

/** Roughly what a watched key adds to the transaction's log entry beyond its bytes. */
const WATCH_OVERHEAD = 16;
const NO_REPLIES: Reply[] = [];

/** The keys a connection watches, until EXEC, DISCARD or UNWATCH. */
export class WatchSet {
  /**
   * Each key (latin1) and its record; null until its WATCH has passed its read barrier, and for
   * good if that failed (then no EXEC may trust the set).
   */
  private readonly keys = new Map<string, KvWatch | null>();
  /** About what the records take in a log entry (counted into the transaction's size limit). */
  bytes = 0;

  /** The keys of WATCH's `argv` not watched yet, by name (a key's first record stands, as in Redis). */
  unwatched(argv: Buffer[]): Map<string, Buffer> {
    const fresh = new Map<string, Buffer>();
    for (let i = 1; i < argv.length; i++) {
      const name = latin1(argv[i]!);
      if (!this.keys.has(name) && !fresh.has(name)) fresh.set(name, argv[i]!);
    }
    return fresh;
  }

  /** Watches `fresh` (from unwatched), unrecorded until record(). */
  add(fresh: Map<string, Buffer>, bytes: number): void {
    this.bytes += bytes;
    for (const name of fresh.keys()) this.keys.set(name, null);
  }

  /** Records `fresh` as `host` sees them now (after a read barrier). */
  record(fresh: Map<string, Buffer>, host: WatchHost): void {
    for (const [name, key] of fresh) this.keys.set(name, host.watchOf(key));
  }

  /** The records for EXEC, in the order watched; null if one is missing (EXEC must answer nil). */
  records(): KvWatch[] | null {
    const out: KvWatch[] = [];
    for (const r of this.keys.values()) {
      if (r === null) return null;
      out.push(r);
    }
    return out;
  }
}

/**
 * WATCH outside MULTI: the keys not watched yet are recorded once a read barrier has passed.
 * `maxBytes`: how much the watched keys may take (with the queued commands, see transaction.ts).
 */
export function watchCommand(conn: WatchConnection, argv: Buffer[], host: WatchHost, maxBytes: number): Classified {
  if (argv.length < 2) return { kind: 'reply', reply: wrongArity('watch') };
  const set = (conn.watching ??= new WatchSet());
  const fresh = set.unwatched(argv);
  let bytes = 0;
  for (const key of fresh.values()) bytes += key.length + WATCH_OVERHEAD;
  if (set.bytes + bytes > maxBytes) {
    return { kind: 'reply', reply: new ErrorReply(`ERR a transaction may watch and queue at most ${maxBytes} bytes`) };
  }
  if (fresh.size === 0) return { kind: 'reply', reply: OK };
  set.add(fresh, bytes);
  const run: ExecRun = {
    kind: 'exec',
    as: 'read',
    // Failed, the barrier leaves the keys unrecorded: the connection answers its error.
    run: () =>
      host.readBarrier().then(() => {
        set.record(fresh, host);
        return NO_REPLIES;
      }),
    answer: () => OK,
  };
  return run;
}

/** UNWATCH outside MULTI (inside, it is queued and answers OK: EXEC forgets the watches anyway). */
export function unwatchCommand(conn: WatchConnection, argv: Buffer[]): Classified {
  if (argv.length !== 1) return { kind: 'reply', reply: wrongArity('unwatch') };
  conn.watching = null;
  return { kind: 'reply', reply: OK };
}
