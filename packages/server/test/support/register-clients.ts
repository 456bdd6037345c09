// Clients for Jepsen-style register tests: each SETs unique values and GETs a few keys (each key a
// register) in a loop through one node, recording every operation with its call and return times
// for little-raft/sim checkLinearizable. A write refused with TRYAGAIN was not applied and is left
// out; one whose outcome is unknown (TIMEOUT, a dropped connection) may have taken effect at any
// time after its call; a read that failed says nothing.
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';

import { Redis } from 'ioredis';

import { checkLinearizable, type HistoryEntry } from 'little-raft/sim';
import { sleep } from './kv-cluster.js';

const KEYS = 3;

/** A client's operations in a loop until stopped: puts of unique values and gets, on KEYS keys. */
export class RegisterClient {
  readonly done: Promise<void>;
  private stopping = false;
  private n = 0;
  /** A small deterministic generator: which key, put or get. */
  private state: number;

  constructor(
    readonly id: number,
    private readonly redis: Redis,
    private readonly history: HistoryEntry[],
  ) {
    this.state = id * 7919 + 1;
    this.done = this.run();
  }

  stop(): Promise<void> {
    this.stopping = true;
    return this.done;
  }

  private next(): number {
    this.state = (this.state * 1103515245 + 12345) % 2147483648;
    return this.state;
  }

  private async run(): Promise<void> {
    while (!this.stopping) {
      const r = this.next();
      const key = `reg:${r % KEYS}`;
      const invokedAt = performance.now();
      let failed = false;
      if ((r >> 8) % 2 === 0) {
        const value = `c${this.id}:${this.n++}`;
        try {
          assert.equal(await this.redis.set(key, value), 'OK');
          this.history.push({
            client: this.id,
            op: { kind: 'put', key, value },
            invokedAt,
            returnedAt: performance.now(),
          });
        } catch (e) {
          if (e instanceof assert.AssertionError) throw e;
          failed = true;
          // TRYAGAIN: never proposed, so it never takes effect. Anything else: it may have.
          if (!(e instanceof Error && e.message.startsWith('TRYAGAIN'))) {
            this.history.push({ client: this.id, op: { kind: 'put', key, value }, invokedAt, returnedAt: Infinity });
          }
        }
      } else {
        try {
          const result = await this.redis.get(key);
          this.history.push({
            client: this.id,
            op: { kind: 'get', key, result },
            invokedAt,
            returnedAt: performance.now(),
          });
        } catch {
          failed = true; // a read that failed tells nothing
        }
      }
      if (failed) await sleep(20); // a node that is down refuses at once: no spinning
    }
  }
}

/** A client of the node whose Redis port is `port` that sends each command once (no resends). */
export function registerClient(t: TestContext, port: number, id: number, history: HistoryEntry[]): RegisterClient {
  const redis = new Redis({
    port,
    host: '127.0.0.1',
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false, // a command is sent once, or the test would send duplicates itself
    retryStrategy: () => 50,
  });
  redis.on('error', () => undefined);
  t.after(() => redis.disconnect());
  return new RegisterClient(id, redis, history);
}

/** Counts of a history, for assertions and diagnostics. */
export function historySummary(history: readonly HistoryEntry[]): { puts: number; gets: number; unknown: number } {
  const puts = history.filter((h) => h.op.kind === 'put' && h.returnedAt !== Infinity).length;
  const gets = history.filter((h) => h.op.kind === 'get').length;
  return { puts, gets, unknown: history.length - puts - gets };
}

/** Asserts the history is linearizable, saying on which key and why not. */
export function assertLinearizable(history: HistoryEntry[], context: string): void {
  const result = checkLinearizable(history, { maxSteps: 10_000_000 });
  assert.ok(result.ok, `not linearizable on ${result.key}: ${result.reason} (${context})`);
}
