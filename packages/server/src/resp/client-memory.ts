// The memory all clients together make the server hold (Redis's maxmemory-clients): each
// connection reports what it holds when that changes; past the limit, the connection holding the
// most is disconnected first, then the next, until the total is under the limit again.

/** A client whose memory is counted. */
export interface MemoryHolder {
  /** What it holds now (reported values may be stale: bytes the kernel took since). */
  heldBytes(): number;
  /** Disconnects it, saying why; it then reports 0 (or is forgotten). */
  evict(reason: string): void;
}

export class ClientMemory {
  private readonly limit: number;
  /** Each holder's last report, for those that reported more than 0. */
  private readonly held = new Map<MemoryHolder, number>();
  private total = 0;
  private evicting = false;

  /** `limit`: bytes; 0: no limit (the total is still kept). */
  constructor(limit: number) {
    this.limit = limit;
  }

  /** How much more all clients may hold before the limit (Infinity: none). */
  headroom(): number {
    return this.limit > 0 ? this.limit - this.total : Infinity;
  }

  /** `holder` holds `bytes` now. */
  report(holder: MemoryHolder, bytes: number): void {
    const before = this.held.get(holder) ?? 0;
    if (bytes === before) return;
    this.total += bytes - before;
    if (bytes === 0) this.held.delete(holder);
    else this.held.set(holder, bytes);
    if (this.limit > 0 && this.total > this.limit && !this.evicting) this.evict();
  }

  forget(holder: MemoryHolder): void {
    this.report(holder, 0);
  }

  /** Redis's evictClients: the biggest first, as they are now (reports may be out of date). */
  private evict(): void {
    this.evicting = true;
    try {
      this.total = 0;
      for (const holder of [...this.held.keys()]) {
        const bytes = holder.heldBytes();
        if (bytes === 0) this.held.delete(holder);
        else this.held.set(holder, bytes);
        this.total += bytes;
      }
      while (this.total > this.limit) {
        let biggest: MemoryHolder | null = null;
        let most = 0;
        for (const [holder, bytes] of this.held) {
          if (bytes > most) {
            biggest = holder;
            most = bytes;
          }
        }
        if (biggest === null) break;
        const total = this.total;
        this.held.delete(biggest);
        this.total -= most;
        biggest.evict(`it held ${most} bytes, the most of all clients, which held ${total} (limit ${this.limit})`);
      }
    } finally {
      this.evicting = false;
    }
  }
}
