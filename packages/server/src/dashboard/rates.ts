// Rates and latency percentiles between two polls of a node's counters, which count from the
// process start (a restart sets them back: no rate then).

/** Per second between two readings of a counter; 0 when it went back (the node restarted). */
export function perSecond(before: number, after: number, seconds: number): number {
  if (seconds <= 0 || after < before) return 0;
  return (after - before) / seconds;
}

/**
 * The q-quantile in ms of the requests between two readings of a histogram (cumulative counts per
 * upper bound, the last one +Inf), interpolated within its bucket as Prometheus' histogram_quantile
 * does; null when no request finished in between (or the node restarted).
 */
export function quantileMs(bounds: number[], before: number[], after: number[], q: number): number | null {
  const delta = after.map((n, i) => n - (before[i] ?? 0));
  const total = delta[delta.length - 1] ?? 0;
  if (total <= 0 || delta.some((n) => n < 0)) return null;
  const rank = q * total;
  const i = delta.findIndex((n) => n >= rank);
  // Beyond the last finite bound: the bound is all that is known.
  if (i >= bounds.length) return bounds[bounds.length - 1]! * 1000;
  const lower = i === 0 ? 0 : bounds[i - 1]!;
  const below = i === 0 ? 0 : delta[i - 1]!;
  const inBucket = delta[i]! - below;
  const fraction = inBucket === 0 ? 1 : (rank - below) / inBucket;
  return (lower + (bounds[i]! - lower) * fraction) * 1000;
}
