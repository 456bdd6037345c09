// TcpCluster's logging: warnings with repeats summarized, so a peer failing the same way many
// times a second (a wrong secret, a port scanner) costs one line per period, not a flood.

import type { TcpLogger } from './options.js';

/** Repeats of one log line (same peer, same problem) within this many ms are summarized. */
const LOG_REPEAT_MS = 10000;

export class TcpLog {
  private readonly logged = new Map<string, { at: number; suppressed: number }>();

  constructor(private readonly logger: TcpLogger) {}

  info(message: string): void {
    this.logger.info?.(message);
  }

  /** Logs a warning; repeats of one `key` within LOG_REPEAT_MS are counted and summarized. */
  warn(key: string, message: string): void {
    const now = Date.now();
    const last = this.logged.get(key);
    if (last !== undefined && now - last.at < LOG_REPEAT_MS) {
      last.suppressed++;
      return;
    }
    const suppressed = last?.suppressed ?? 0;
    if (this.logged.size > 1000) this.logged.clear();
    this.logged.set(key, { at: now, suppressed: 0 });
    this.logger.warn(suppressed > 0 ? `${message} (and ${suppressed} similar in the last period)` : message);
  }
}

export function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
