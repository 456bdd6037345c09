// The event loop's delay for /status: the p99 of the last full second, sampled every 10 ms. A
// histogram of its own: prom-client's (nodejs_eventloop_lag_*) is reset by every scrape, so
// reading it here would cut Prometheus' windows short.

import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';

const WINDOW_MS = 1000;

export class EventLoopDelay {
  private histogram: IntervalHistogram | null = null;
  private lastP99Ms: number | null = null;

  /** The p99 in ms of the last second; null in the first second after the first call. */
  p99Ms(): number | null {
    if (this.histogram === null) {
      // Started at the first /status, so a node nobody asks does no sampling.
      const histogram = monitorEventLoopDelay({ resolution: 10 });
      histogram.enable();
      this.histogram = histogram;
      setInterval(() => {
        this.lastP99Ms = histogram.count > 0 ? histogram.percentile(99) / 1e6 : null;
        histogram.reset();
      }, WINDOW_MS).unref();
    }
    return this.lastP99Ms;
  }
}
