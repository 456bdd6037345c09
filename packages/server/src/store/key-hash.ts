// A stable 32-bit hash of a key (a latin1 string): FNV-1a with a murmur3 finalizer for better spread.
// It orders keys for SCAN, so a SCAN cursor means the same on every node and across restarts; it must
// never change.

export function keyHash(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
