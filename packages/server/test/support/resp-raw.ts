// A bare RESP client for byte-exact checks: sends commands on one socket and hands back each reply
// as the exact bytes the server wrote (latin1 text), RESP2 or RESP3 (HELLO 3 first).
import * as net from 'node:net';

/** The end of the one complete reply starting at `i` in `s`, or -1 while it is incomplete. */
function replyEnd(s: string, i: number): number {
  const nl = s.indexOf('\r\n', i);
  if (nl < 0) return -1;
  const type = s[i]!;
  const n = Number(s.slice(i + 1, nl));
  if ('+-:_,#('.includes(type)) return nl + 2;
  if (type === '$' || type === '=' || type === '!') {
    if (n < 0) return nl + 2;
    return s.length >= nl + 2 + n + 2 ? nl + 2 + n + 2 : -1;
  }
  if ('*~>%|'.includes(type)) {
    if (n < 0) return nl + 2;
    let j = nl + 2;
    for (let k = 0; k < (type === '%' || type === '|' ? 2 * n : n); k++) {
      j = replyEnd(s, j);
      if (j < 0) return -1;
    }
    return j;
  }
  throw new Error(`not a RESP reply at ${i}: ${JSON.stringify(s.slice(i, i + 40))}`);
}

/** A command as RESP bytes; arguments are latin1 (one char per byte). */
export function encodeCommand(args: readonly string[]): Buffer {
  let s = `*${args.length}\r\n`;
  for (const a of args) s += `$${a.length}\r\n${a}\r\n`;
  return Buffer.from(s, 'latin1');
}

export class RawClient {
  private buffered = '';
  private readonly waiting: ((reply: string) => void)[] = [];
  private closedWith: Error | null = null;

  private constructor(private readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.buffered += chunk.toString('latin1');
      this.drain();
    });
    socket.on('error', (e) => (this.closedWith = e));
  }

  private drain(): void {
    while (this.buffered.length > 0 && this.waiting.length > 0) {
      const end = replyEnd(this.buffered, 0);
      if (end < 0) return;
      const reply = this.buffered.slice(0, end);
      this.buffered = this.buffered.slice(end);
      this.waiting.shift()!(reply);
    }
  }

  /** Connects to `port` on loopback; with `resp3`, switches the connection to RESP3 first. */
  static async connect(port: number, resp3 = false): Promise<RawClient> {
    const socket = net.connect(port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    const client = new RawClient(socket);
    if (resp3) await client.send(['HELLO', '3']);
    return client;
  }

  /** Sends one command; resolves with its reply's bytes (replies come in order). */
  send(args: readonly string[]): Promise<string> {
    return this.sendRaw(encodeCommand(args));
  }

  /** Writes `bytes` (one or more commands); resolves with the reply of the first of them. */
  sendRaw(bytes: Buffer): Promise<string> {
    if (this.closedWith !== null) return Promise.reject(this.closedWith);
    const reply = this.next();
    this.socket.write(bytes);
    return reply;
  }

  /** The next reply not yet claimed (for pipelines: one call per command after sendRaw). */
  next(): Promise<string> {
    const reply = new Promise<string>((resolve) => this.waiting.push(resolve));
    this.drain();
    return reply;
  }

  close(): void {
    this.socket.destroy();
  }
}
