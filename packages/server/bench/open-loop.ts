// An open-loop stream of Redis commands for the big key space bench (bench/bigkeys.ts): one
// command every `intervalMs` on one connection, sent on schedule whether or not the earlier ones
// were answered, so that a server holding its event loop for a second shows as a second of
// latency on every command scheduled meanwhile (a closed loop would send one and wait, and
// count one slow answer). Latency is measured from the scheduled time. Each answer is kept with
// that time, so a phase of the bench reads the answers of its own window.
import { Redis } from 'ioredis';

import { Samples } from '../../little-raft/bench/stats.js';

/** What the commands of a window came to. */
export interface WindowStats {
  /** Commands scheduled in the window. */
  scheduled: number;
  /** Latencies (ms) of those answered without an error. */
  latencies: Samples;
  /** Error answers (and refused or closed connections), by message. */
  errors: Map<string, number>;
  /** Still unanswered when the stats were read. */
  unanswered: number;
}

interface Sent {
  at: number;
  /** ms, once answered without an error. */
  latency: number | null;
  error: string | null;
}

export class OpenLoop {
  private client: Redis | null = null;
  private timer: NodeJS.Timeout | null = null;
  private next = 0;
  private count = 0;
  private readonly sent: Sent[] = [];

  /**
   * `command(i)` is the i-th command; `check(reply)` says what is wrong with an answer that is
   * not an error (null: nothing).
   */
  constructor(
    private readonly intervalMs: number,
    private readonly command: (i: number) => [string, ...string[]],
    private readonly check: (reply: unknown) => string | null = () => null,
  ) {}

  /** Starts sending to `port`, or moves there (what the old connection still owes fails). */
  target(port: number): void {
    this.client?.disconnect();
    const client = new Redis({
      host: '127.0.0.1',
      port,
      enableReadyCheck: false,
      // A command goes now or fails now: queued for later, its latency would be the queue's.
      enableOfflineQueue: false,
      autoResendUnfulfilledCommands: false,
      maxRetriesPerRequest: 0,
      retryStrategy: () => 50,
    });
    client.on('error', () => undefined); // each command's failure is counted
    this.client = client;
    if (this.timer === null) {
      this.next = performance.now();
      this.tick();
    }
  }

  private tick(): void {
    const now = performance.now();
    // Late (this process was busy): whatever was due goes now, with its scheduled time.
    while (this.next <= now) {
      this.send(this.next);
      this.next += this.intervalMs;
    }
    this.timer = setTimeout(() => this.tick(), this.next - performance.now());
  }

  private send(at: number): void {
    const record: Sent = { at, latency: null, error: null };
    this.sent.push(record);
    const [name, ...args] = this.command(this.count++);
    this.client!.call(name, ...args).then(
      (reply) => {
        const problem = this.check(reply);
        if (problem === null) record.latency = performance.now() - at;
        else record.error = problem;
      },
      (error: unknown) => {
        record.error = errorText(error);
      },
    );
  }

  /** The commands scheduled from `from` to `to` (performance.now() times). */
  window(from: number, to: number): WindowStats {
    const stats: WindowStats = { scheduled: 0, latencies: new Samples(), errors: new Map(), unanswered: 0 };
    for (const s of this.sent) {
      if (s.at < from || s.at >= to) continue;
      stats.scheduled++;
      if (s.latency !== null) stats.latencies.push(s.latency);
      else if (s.error !== null) stats.errors.set(s.error, (stats.errors.get(s.error) ?? 0) + 1);
      else stats.unanswered++;
    }
    return stats;
  }

  stop(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.client?.disconnect();
    this.client = null;
  }
}

/** An error reply's first line; ioredis's own failures (no connection) said shortly. */
function errorText(error: unknown): string {
  const message = (error instanceof Error ? error.message : String(error)).split('\n')[0]!;
  if (message.startsWith("Stream isn't writeable")) return 'not connected';
  if (message.startsWith('Reached the max retries') || message === 'Connection is closed.') return 'connection lost';
  return message;
}
