// This node's clients blocked in BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP, BZPOPMIN, BZPOPMAX or
// BZMPOP (the shapes in commands/blocking.ts).
//
// A blocking command is a write: applied in the log as its non-blocking form, it pops from the first
// of its keys with elements, or answers nil. On nil (outside MULTI) the client waits here, in a FIFO
// queue per key. When an applied batch, from any node, gives one of those keys elements (the key
// space's `ready` set), the first waiters of that key, as many as it has elements, run their command
// again as a write, narrowed to that key: one attempt at a time per waiter, keeping its place in
// every queue meanwhile. A nil answer (another client, maybe on another node, took the elements
// first) leaves it waiting in its place; anything else is its reply. So this node's clients are
// served first come, first served per key, as in Redis.
//
// The timeout runs here: when it passes, an idle waiter answers nil (NULL_ARRAY: "*-1", or "_" in
// RESP3, as Redis answers a timed-out blocking command); one with an attempt still waiting to go
// into a batch takes it back and answers nil; one whose attempt is already sent waits for it (it
// may have popped something, which must not be lost). A client that disconnects stops waiting and
// an attempt of it not yet sent is dropped; an attempt already sent may still pop an element, which
// is then lost with the client, as in Redis when a client dies while its reply is on the way.

import { BLOCKING, type BlockingCommand } from '../commands/blocking.js';
import { latin1 } from '../commands/args.js';
import { parseTimeout } from '../commands/timeout.js';
import { NULL_ARRAY, type Reply } from '../resp/reply.js';

/** One run of a waiter's command, sent as a write. */
export interface Attempt {
  readonly reply: Promise<Reply>;
  /** Takes the write back if it has not gone into a batch yet; whether it did. */
  cancel(): boolean;
}

/** What the waiters need from the node. */
export interface BlockingHost {
  /** Sends one write (the node batches it with the others). */
  submit(argv: Uint8Array[]): Attempt;
  /** How many elements `key` holds in this node's key space if it holds a `type`; else 0. */
  elements(key: string, type: 'list' | 'zset'): number;
}

/** setTimeout's longest delay: a longer timeout is waited out in steps. */
const MAX_DELAY = 2 ** 31 - 1;

interface Waiter {
  readonly owner: number;
  readonly argv: Uint8Array[];
  readonly command: BlockingCommand;
  /** Its keys (as the key space spells them) and their argv indexes. */
  readonly keys: string[];
  readonly keyArgs: number[];
  readonly resolve: (reply: Reply) => void;
  readonly reject: (e: unknown) => void;
  /** The attempt in flight, and the key it was narrowed to; null while idle. */
  attempt: Attempt | null;
  attemptKey: string | null;
  /** Wall-clock ms at which it times out; 0: never. */
  deadline: number;
  timer: ReturnType<typeof setTimeout> | null;
  /** It timed out while an attempt was in flight: that attempt's answer is the last. */
  expired: boolean;
}

/** Whether a reply means "nothing to pop": the blocking commands' nil. */
function isNil(reply: Reply): boolean {
  return reply === null || reply === NULL_ARRAY;
}

export class BlockedClients {
  /** The waiters of each key, first come first. */
  private readonly queues = new Map<string, Set<Waiter>>();
  private readonly waiters = new Map<number, Waiter>();
  /** Keys made ready by applied batches, looked at once the apply is over. */
  private readonly pending = new Set<string>();
  private scheduled = false;
  private closedWith: Error | null = null;

  constructor(private readonly host: BlockingHost) {}

  /** How many clients are blocked (INFO's blocked_clients). */
  get size(): number {
    return this.waiters.size;
  }

  /**
   * Blocks client `owner`'s command `argv`, whose first run found nothing to pop `elapsedMs` ago:
   * resolves with its reply once a later run pops something, or NULL_ARRAY once its timeout has
   * passed since that first run; rejects if an attempt fails (its error is the reply).
   */
  block(owner: number, argv: Uint8Array[], elapsedMs: number): Promise<Reply> {
    const command = BLOCKING.get(latin1(argv[0]!).toLowerCase());
    if (command === undefined) return Promise.resolve(NULL_ARRAY);
    if (this.closedWith !== null) return Promise.reject(this.closedWith);
    const timeout = parseTimeout(argv[command.timeout(argv)]!);
    if (typeof timeout !== 'number') return Promise.resolve(timeout); // the first run answered nil: unreachable
    if (timeout > 0 && timeout <= elapsedMs) return Promise.resolve(NULL_ARRAY);
    return new Promise((resolve, reject) => {
      const keyArgs = command.keys(argv);
      const w: Waiter = {
        owner,
        argv,
        command,
        keys: keyArgs.map((i) => latin1(argv[i]!)),
        keyArgs,
        resolve,
        reject,
        attempt: null,
        attemptKey: null,
        deadline: timeout > 0 ? Date.now() + timeout - elapsedMs : 0,
        timer: null,
        expired: false,
      };
      this.cancel(owner); // one blocked command per connection; defensive
      this.waiters.set(owner, w);
      for (const key of w.keys) {
        let queue = this.queues.get(key);
        if (queue === undefined) this.queues.set(key, (queue = new Set()));
        queue.add(w);
      }
      if (w.deadline > 0) this.arm(w);
      // Elements may have come between its first run and now: the next look would miss them.
      for (const key of w.keys) this.pending.add(key);
      this.schedule();
    });
  }

  /**
   * Client `owner` is gone: it stops waiting and takes nothing more (an attempt not yet sent is
   * dropped; one already sent may still pop, and its answer is discarded).
   */
  cancel(owner: number): void {
    const w = this.waiters.get(owner);
    if (w === undefined) return;
    w.attempt?.cancel();
    this.remove(w);
    w.resolve(NULL_ARRAY); // nobody reads it
  }

  /** Keys that gained elements in an applied batch (called during the apply: looked at right after). */
  ready(keys: Iterable<string>): void {
    if (this.waiters.size === 0) return;
    for (const key of keys) if (this.queues.has(key)) this.pending.add(key);
    if (this.pending.size > 0) this.schedule();
  }

  /** The key space was replaced (a snapshot was installed): every waiter's keys are looked at again. */
  recheckAll(): void {
    for (const key of this.queues.keys()) this.pending.add(key);
    if (this.pending.size > 0) this.schedule();
  }

  /** The node stops: every waiter fails with `error`, and so does any later block(). */
  close(error: Error): void {
    this.closedWith = error;
    for (const w of [...this.waiters.values()]) {
      w.attempt?.cancel();
      this.remove(w);
      w.reject(error);
    }
  }

  // ---------------------------------------------------------------------------------------------

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    queueMicrotask(() => {
      this.scheduled = false;
      const keys = [...this.pending];
      this.pending.clear();
      for (const key of keys) this.wake(key);
    });
  }

  /** Starts attempts for the first idle waiters of `key`, as many as it has elements not yet claimed. */
  private wake(key: string): void {
    const queue = this.queues.get(key);
    if (queue === undefined || this.closedWith !== null) return;
    for (const type of ['list', 'zset'] as const) {
      let available = this.host.elements(key, type);
      if (available === 0) continue;
      for (const w of queue) if (w.attemptKey === key && w.command.type === type) available--;
      for (const w of queue) {
        if (available <= 0) break;
        if (w.attempt !== null || w.command.type !== type) continue;
        this.launch(w, key);
        available--;
      }
    }
  }

  private launch(w: Waiter, key: string): void {
    const attempt = this.host.submit(w.command.narrow(w.argv, w.keyArgs[w.keys.indexOf(key)]!));
    w.attempt = attempt;
    w.attemptKey = key;
    attempt.reply.then(
      (reply) => this.answered(w, attempt, reply),
      (e: unknown) => {
        if (w.attempt !== attempt) return;
        this.remove(w);
        w.reject(e);
      },
    );
  }

  private answered(w: Waiter, attempt: Attempt, reply: Reply): void {
    if (w.attempt !== attempt) return; // cancelled meanwhile
    w.attempt = null;
    w.attemptKey = null;
    if (!isNil(reply) || w.expired) {
      this.remove(w);
      w.resolve(isNil(reply) ? NULL_ARRAY : reply);
    }
    // Its keys may hold more (for the waiters behind it) or again (for itself, still waiting).
    for (const key of w.keys) this.pending.add(key);
    this.schedule();
  }

  private arm(w: Waiter): void {
    const left = w.deadline - Date.now();
    if (left > 0) {
      w.timer = setTimeout(() => this.arm(w), Math.min(left, MAX_DELAY));
      return;
    }
    w.timer = null;
    if (w.attempt !== null && !w.attempt.cancel()) {
      w.expired = true; // sent: its answer decides
      return;
    }
    this.remove(w);
    w.resolve(NULL_ARRAY);
  }

  private remove(w: Waiter): void {
    if (this.waiters.get(w.owner) === w) this.waiters.delete(w.owner);
    if (w.timer !== null) clearTimeout(w.timer);
    w.timer = null;
    // It leaves with an attempt taken back, failed or to be ignored: the element that attempt went
    // for was counted as claimed, so the waiters behind it were not woken for it. They look again
    // (else they could wait, with the element there, until the key's next write).
    if (w.attemptKey !== null) {
      this.pending.add(w.attemptKey);
      this.schedule();
    }
    w.attempt = null;
    w.attemptKey = null;
    for (const key of w.keys) {
      const queue = this.queues.get(key);
      if (queue === undefined) continue;
      queue.delete(w);
      if (queue.size === 0) this.queues.delete(key);
    }
  }
}
