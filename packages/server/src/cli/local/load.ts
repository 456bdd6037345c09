// The built-in load of `little-raft local`'s dashboard: a modest stream of SETs and GETs (about
// RATE a second, spread over the running nodes) so that its charts move. One connection per node,
// requests pipelined in small batches, replies read and dropped: what it measures is the nodes'
// business (their metrics), not its own. A node that is down or paused is skipped until it answers.

import * as net from 'node:net';

/** Requests a second, over all nodes: enough to move the charts, not to load a laptop. */
const RATE = 300;
const TICK_MS = 100;
/** Keys written and read, reused: the key space stays small. */
const KEYS = 1000;
/** Unread requests past this (a paused node) and the node is skipped until they drain. */
const MAX_BUFFERED = 64 * 1024;

function command(...parts: string[]): string {
  let out = `*${parts.length}\r\n`;
  for (const p of parts) out += `$${Buffer.byteLength(p)}\r\n${p}\r\n`;
  return out;
}

export class LoadGenerator {
  private readonly sockets = new Map<string, net.Socket>();
  private timer: NodeJS.Timeout | null = null;
  private next = 0;

  /** `targets` gives the Redis addresses ('host:port') of the nodes running now. */
  constructor(private readonly targets: () => string[]) {}

  get running(): boolean {
    return this.timer !== null;
  }

  start(): void {
    if (this.timer !== null) return;
    this.timer = setInterval(() => this.tick(), TICK_MS);
  }

  stop(): void {
    if (this.timer === null) return;
    clearInterval(this.timer);
    this.timer = null;
    for (const socket of this.sockets.values()) socket.destroy();
    this.sockets.clear();
  }

  private tick(): void {
    const targets = this.targets();
    for (const [address, socket] of this.sockets) {
      if (!targets.includes(address)) {
        socket.destroy();
        this.sockets.delete(address);
      }
    }
    if (targets.length === 0) return;
    const perNode = Math.max(1, Math.round((RATE * TICK_MS) / 1000 / targets.length / 2));
    for (const address of targets) {
      const socket = this.socket(address);
      if (socket.connecting || socket.writableLength > MAX_BUFFERED) continue;
      let batch = '';
      for (let i = 0; i < perNode; i++) {
        const n = this.next++;
        const key = `load:${n % KEYS}`;
        batch += command('SET', key, `value ${n}`) + command('GET', `load:${(n * 7) % KEYS}`);
      }
      socket.write(batch);
    }
  }

  private socket(address: string): net.Socket {
    const known = this.sockets.get(address);
    if (known !== undefined && !known.destroyed) return known;
    const at = address.lastIndexOf(':');
    const socket = net.connect({ host: address.slice(0, at), port: Number(address.slice(at + 1)), noDelay: true });
    socket.resume(); // replies are dropped
    socket.on('error', () => undefined); // 'close' follows; the next tick connects again
    socket.on('close', () => {
      if (this.sockets.get(address) === socket) this.sockets.delete(address);
    });
    this.sockets.set(address, socket);
    return socket;
  }
}
