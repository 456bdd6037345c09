// INFO memory: Redis's fields for used memory and the limit (node/memory-limit.ts), and, as a
// little-raft addition, the heap limit V8 runs with (raised to fit --maxmemory: cli/heap-limit.ts)
// and how far the heap grows between full collections (node/heap-growth.ts).

import { totalmem } from 'node:os';
import { getHeapStatistics } from 'node:v8';

import { heapGrowingPercent } from '../node/heap-growth.js';
import type { MemoryLimit } from '../node/memory-limit.js';

const UNITS = ['K', 'M', 'G', 'T', 'P'];

/**
 * Redis's bytesToHuman: `1000B`, `1.50M`, `3.00G`. Two decimals rounded as C's printf rounds the
 * exact quotient (a tie to even: 1152 bytes is `1.12K`), so the text is Redis's for every size.
 */
export function bytesToHuman(n: number): string {
  if (n < 1024) return `${n}B`;
  let unit = 0;
  let scale = 1024n;
  while (unit < UNITS.length - 1 && BigInt(n) >= scale * 1024n) {
    unit++;
    scale *= 1024n;
  }
  if (BigInt(n) >= scale * 1024n) return `${n}B`; // 1024 P and more, as Redis
  const hundredths = BigInt(n) * 100n;
  let q = hundredths / scale;
  const twice = 2n * (hundredths - q * scale);
  if (twice > scale || (twice === scale && q % 2n === 1n)) q++;
  const text = q.toString().padStart(3, '0');
  return `${text.slice(0, -2)}.${text.slice(-2)}${UNITS[unit]}`;
}

/** The `# Memory` section's lines (without its trailing blank line). */
export function memoryInfo(limit: MemoryLimit): string[] {
  const used = limit.used();
  const rss = process.memoryUsage.rss();
  const system = totalmem();
  const heapLimit = getHeapStatistics().heap_size_limit;
  const growing = heapGrowingPercent();
  return [
    '# Memory',
    `used_memory:${used}`,
    `used_memory_human:${bytesToHuman(used)}`,
    `used_memory_rss:${rss}`,
    `used_memory_rss_human:${bytesToHuman(rss)}`,
    `used_memory_peak:${limit.peak}`,
    `used_memory_peak_human:${bytesToHuman(limit.peak)}`,
    `total_system_memory:${system}`,
    `total_system_memory_human:${bytesToHuman(system)}`,
    `maxmemory:${limit.maxmemory}`,
    `maxmemory_human:${bytesToHuman(limit.maxmemory)}`,
    'maxmemory_policy:noeviction',
    `node_heap_size_limit:${heapLimit}`,
    `node_heap_size_limit_human:${bytesToHuman(heapLimit)}`,
    ...(growing === null ? [] : [`node_heap_growing_percent:${growing}`]),
  ];
}
