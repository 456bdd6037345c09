// The node's --maxmemory: how much memory it holds, measured cheaply, against the limit.
//
// Used memory is V8's heap in use plus its external memory (Buffers and ArrayBuffers: the Raft log's
// entries, client buffers), which is what the process holds for data: it is the analog of Redis's
// used_memory (bytes allocated, not resident). One v8.getHeapStatistics() call costs under a
// microsecond and makes no system call (process.memoryUsage() reads /proc: ~15 us); still, the
// sample is reused for SAMPLE_MS, so a pipeline of writes is checked against one measurement. The
// heap in use includes garbage not yet collected: memory freed by DEL counts until the collector
// runs, which it does as the node keeps working (or, idle, within seconds).

import { getHeapStatistics } from 'node:v8';

/** How long a sample of the used memory is reused, in ms. */
const SAMPLE_MS = 5;

/** Bytes the process holds for data now: V8's heap in use and its external memory. */
function measureUsedMemory(): number {
  const heap = getHeapStatistics();
  return heap.used_heap_size + heap.external_memory;
}

export class MemoryLimit {
  /** Bytes; 0: no limit. */
  readonly maxmemory: number;
  private readonly measure: () => number;
  private readonly now: () => number;
  private sample = 0;
  private sampledAt = -Infinity;
  private peakBytes = 0;

  constructor(maxmemory: number, measure: () => number = measureUsedMemory, now: () => number = Date.now) {
    this.maxmemory = maxmemory;
    this.measure = measure;
    this.now = now;
  }

  /** Whether used memory is over the limit (Redis: `used_memory > maxmemory`); always false without one. */
  exceeded(): boolean {
    if (this.maxmemory === 0) return false;
    const now = this.now();
    if (now - this.sampledAt >= SAMPLE_MS) this.take(now);
    return this.sample > this.maxmemory;
  }

  /** Used memory, measured now (for INFO: not on the hot path). */
  used(): number {
    this.take(this.now());
    return this.sample;
  }

  /** The most used memory seen by a measurement. */
  get peak(): number {
    return this.peakBytes;
  }

  private take(now: number): void {
    this.sample = this.measure();
    this.sampledAt = now;
    if (this.sample > this.peakBytes) this.peakBytes = this.sample;
  }
}
