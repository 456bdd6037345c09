// Shared by the bench files: latency samples and percentiles, number formatting, plain text
// tables, sleep.

/** The p-quantile (0..1) of ascending `sorted` by the nearest-rank-below rule; NaN if empty. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

/** Latency samples in milliseconds, in a growing Float64Array. */
export class Samples {
  private buf = new Float64Array(1 << 16);
  length = 0;

  push(v: number): void {
    if (this.length === this.buf.length) {
      const bigger = new Float64Array(this.buf.length * 2);
      bigger.set(this.buf);
      this.buf = bigger;
    }
    this.buf[this.length++] = v;
  }

  /** Sorts the samples in place; then the given quantiles (0..1). */
  percentiles(...ps: number[]): number[] {
    const sorted = this.buf.subarray(0, this.length).sort();
    return ps.map((p) => percentile(sorted, p));
  }
}

/** `n` with thousands separators and exactly `digits` decimals. */
export function fmt(n: number, digits = 0): string {
  return n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/**
 * Prints a table: a header, a rule, the lines. The first `leftColumns` columns are
 * left-aligned, the others right-aligned.
 */
export function printTable(header: string[], lines: string[][], leftColumns = 1): void {
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const row = (cells: string[]): string =>
    cells.map((c, i) => (i < leftColumns ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  console.log(row(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const l of lines) console.log(row(l));
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
