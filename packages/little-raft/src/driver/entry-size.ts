import type { LogEntry } from '../core/types.js';

/**
 * A cheap estimate of an entry's encoded size, for the per-message byte bound: it looks one
 * level into the transition (strings, byte arrays, numbers) without allocating.
 */
export function estimateEntrySize<T>(entry: LogEntry<T>): number {
  const t = entry.transition as unknown;
  if (t === undefined) return 64;
  return 24 + valueSize(t, 1);
}

function valueSize(v: unknown, depth: number): number {
  switch (typeof v) {
    case 'string':
      return v.length + 2;
    case 'number':
    case 'bigint':
      return 8;
    case 'boolean':
      return 1;
    case 'object': {
      if (v === null) return 1;
      if (ArrayBuffer.isView(v)) return v.byteLength + 4;
      if (depth === 0) return 32;
      let size = 2;
      const record = v as Record<string, unknown>;
      for (const key in record) size += key.length + 1 + valueSize(record[key], depth - 1);
      return size;
    }
    default:
      return 8;
  }
}
