// A raw RESP client for tests that compare servers byte for byte (redis-diff.ts): commands go out as
// multibulk requests, pipelined in one write; every reply comes back as its exact bytes and as a
// parsed value. Its parser reads all of RESP2 and RESP3 (HELLO 3) and checks nothing but framing,
// so it shows what a server sent, not what a client library makes of it.
import * as net from 'node:net';

/** One parsed reply, its kind kept exactly (a RESP2 nil bulk and a RESP3 null are different values). */
export type RespValue =
  | { readonly type: 'simple' | 'error' | 'double' | 'bignum'; readonly text: string }
  | { readonly type: 'integer'; readonly value: bigint }
  | { readonly type: 'boolean'; readonly value: boolean }
  | { readonly type: 'bulk'; readonly data: Buffer }
  | { readonly type: 'verbatim'; readonly format: string; readonly data: Buffer }
  /** `$-1` and `*-1` (RESP2's nils) or `_` (RESP3's null): `marker` is the type byte. */
  | { readonly type: 'null'; readonly marker: '$' | '*' | '_' }
  | { readonly type: 'array' | 'set' | 'push'; readonly items: readonly RespValue[] }
  | { readonly type: 'map'; readonly entries: readonly (readonly [RespValue, RespValue])[] }
  /** A RESP3 attribute (`|`) and the reply it comes with. */
  | {
      readonly type: 'attribute';
      readonly entries: readonly (readonly [RespValue, RespValue])[];
      readonly value: RespValue;
    };

/** One reply as the server sent it. */
export interface RawReply {
  readonly bytes: Buffer;
  readonly value: RespValue;
}

/** A command's arguments, name first. */
export type Argv = readonly Uint8Array[];

const CRLF = Buffer.from('\r\n');

/** The multibulk request for `argv`. */
function encodeCommand(argv: Argv): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${argv.length}\r\n`)];
  for (const a of argv) parts.push(Buffer.from(`$${a.length}\r\n`), Buffer.from(a), CRLF);
  return Buffer.concat(parts);
}

/** 'set k v' or ['set', 'k', 'v'] as argv (latin1: one char per byte, so '\xff' is byte 255). */
export function argv(command: string | readonly (string | Uint8Array)[]): Buffer[] {
  const parts = typeof command === 'string' ? command.split(' ') : command;
  return parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : Buffer.from(p)));
}

class ProtocolError extends Error {}

/**
 * Parses the reply that starts at `start`: the value and the offset after it, or null when the
 * buffer ends first. Throws ProtocolError on bytes that are not RESP.
 */
function parseReply(buf: Buffer, start: number): { value: RespValue; end: number } | null {
  const eol = buf.indexOf(CRLF, start);
  if (eol < 0) return null;
  const marker = String.fromCharCode(buf[start]!);
  const line = buf.toString('latin1', start + 1, eol);
  let pos = eol + 2;
  const count = (): number => {
    if (!/^(-1|0|[1-9][0-9]*)$/.test(line)) throw new ProtocolError(`bad length ${JSON.stringify(line)}`);
    return Number(line);
  };
  /** `n` values after the header, or null when the buffer ends first. */
  const values = (n: number): RespValue[] | null => {
    const out: RespValue[] = [];
    for (let i = 0; i < n; i++) {
      const r = parseReply(buf, pos);
      if (r === null) return null;
      out.push(r.value);
      pos = r.end;
    }
    return out;
  };
  const pairs = (items: RespValue[]): [RespValue, RespValue][] => {
    const out: [RespValue, RespValue][] = [];
    for (let i = 0; i < items.length; i += 2) out.push([items[i]!, items[i + 1]!]);
    return out;
  };
  switch (marker) {
    case '+':
      return { value: { type: 'simple', text: buf.toString('utf8', start + 1, eol) }, end: pos };
    case '-':
      return { value: { type: 'error', text: buf.toString('utf8', start + 1, eol) }, end: pos };
    case ',':
      return { value: { type: 'double', text: line }, end: pos };
    case '(':
      return { value: { type: 'bignum', text: line }, end: pos };
    case ':':
      if (!/^-?[0-9]+$/.test(line)) throw new ProtocolError(`bad integer ${JSON.stringify(line)}`);
      return { value: { type: 'integer', value: BigInt(line) }, end: pos };
    case '#':
      if (line !== 't' && line !== 'f') throw new ProtocolError(`bad boolean ${JSON.stringify(line)}`);
      return { value: { type: 'boolean', value: line === 't' }, end: pos };
    case '_':
      if (line !== '') throw new ProtocolError(`bad null ${JSON.stringify(line)}`);
      return { value: { type: 'null', marker: '_' }, end: pos };
    case '$':
    case '=': {
      const n = count();
      if (n < 0) {
        if (marker === '=') throw new ProtocolError('negative verbatim length');
        return { value: { type: 'null', marker: '$' }, end: pos };
      }
      if (buf.length < pos + n + 2) return null;
      if (buf[pos + n] !== 13 || buf[pos + n + 1] !== 10) throw new ProtocolError('bulk not followed by CRLF');
      const data = Buffer.from(buf.subarray(pos, pos + n));
      const end = pos + n + 2;
      if (marker === '$') return { value: { type: 'bulk', data }, end };
      if (n < 4 || data[3] !== 58 /* ':' */) throw new ProtocolError('verbatim string without a format');
      return { value: { type: 'verbatim', format: data.toString('latin1', 0, 3), data: data.subarray(4) }, end };
    }
    case '*':
    case '~':
    case '>': {
      const n = count();
      if (n < 0) {
        if (marker !== '*') throw new ProtocolError(`negative ${marker} length`);
        return { value: { type: 'null', marker: '*' }, end: pos };
      }
      const items = values(n);
      if (items === null) return null;
      const type = marker === '*' ? 'array' : marker === '~' ? 'set' : 'push';
      return { value: { type, items }, end: pos };
    }
    case '%':
    case '|': {
      const n = count();
      if (n < 0) throw new ProtocolError(`negative ${marker} length`);
      const items = values(2 * n);
      if (items === null) return null;
      if (marker === '%') return { value: { type: 'map', entries: pairs(items) }, end: pos };
      const next = parseReply(buf, pos);
      if (next === null) return null;
      return { value: { type: 'attribute', entries: pairs(items), value: next.value }, end: next.end };
    }
    default:
      throw new ProtocolError(`unknown reply type byte ${buf[start]!} at ${JSON.stringify(line.slice(0, 40))}`);
  }
}

/** Bytes as a quoted, escaped string: printable ASCII as is, the rest as \n, \r, \t, \" , \\ or \xNN. */
function quote(data: Uint8Array): string {
  let s = '"';
  for (const b of data) {
    if (b === 34) s += '\\"';
    else if (b === 92) s += '\\\\';
    else if (b === 10) s += '\\n';
    else if (b === 13) s += '\\r';
    else if (b === 9) s += '\\t';
    else if (b >= 32 && b < 127) s += String.fromCharCode(b);
    else s += '\\x' + b.toString(16).padStart(2, '0');
  }
  return s + '"';
}

/**
 * A command for a message: plain arguments bare, the others quoted (`SET k "a b" EX 100`); an
 * argument over 100 bytes shown by its first 40 and its length.
 */
export function formatCommand(command: Argv): string {
  return command
    .map((a) => {
      if (a.length > 100) return `${quote(a.subarray(0, 40))}...(${a.length} bytes)`;
      const text = Buffer.from(a).toString('latin1');
      return a.length > 0 && /^[\x21-\x7e]+$/.test(text) && !/["\\]/.test(text) ? text : quote(a);
    })
    .join(' ');
}

/** A reply on one line, every kind distinct: +OK, -ERR x, :1, "bulk", $-1, *-1, _, [a, b], {k: v}, ~[..], >[..]. */
export function formatValue(v: RespValue): string {
  const list = (items: readonly RespValue[]): string => `[${items.map(formatValue).join(', ')}]`;
  const map = (entries: readonly (readonly [RespValue, RespValue])[]): string =>
    `{${entries.map(([k, x]) => `${formatValue(k)}: ${formatValue(x)}`).join(', ')}}`;
  switch (v.type) {
    case 'simple':
      return `+${v.text}`;
    case 'error':
      return `-${v.text}`;
    case 'double':
      return `,${v.text}`;
    case 'bignum':
      return `(${v.text}`;
    case 'integer':
      return `:${v.value}`;
    case 'boolean':
      return v.value ? '#t' : '#f';
    case 'bulk':
      return v.data.length > 200 ? `${quote(v.data.subarray(0, 200))}... (${v.data.length} bytes)` : quote(v.data);
    case 'verbatim':
      return `=${v.format}:${quote(v.data)}`;
    case 'null':
      return v.marker === '_' ? '_' : `${v.marker}-1`;
    case 'array':
      return list(v.items);
    case 'set':
      return `~${list(v.items)}`;
    case 'push':
      return `>${list(v.items)}`;
    case 'map':
      return map(v.entries);
    case 'attribute':
      return `|${map(v.entries)} ${formatValue(v.value)}`;
  }
}

/** One connection to a RESP server. Replies are read in order with next() (or call()). */
export class RespClient {
  private pending: Buffer = Buffer.alloc(0);
  private readonly replies: RawReply[] = [];
  private readonly waiters: { resolve: (r: RawReply) => void; reject: (e: Error) => void }[] = [];
  private failure: Error | null = null;

  private constructor(
    private readonly socket: net.Socket,
    readonly port: number,
  ) {
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (e) => this.fail(e));
    socket.on('close', () => this.fail(new Error(`connection to port ${port} closed`)));
  }

  static connect(port: number, host = '127.0.0.1'): Promise<RespClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ port, host, noDelay: true });
      socket.once('error', reject);
      socket.once('connect', () => {
        socket.off('error', reject);
        resolve(new RespClient(socket, port));
      });
    });
  }

  /** Writes the commands, pipelined: one write holding every request. */
  send(commands: readonly Argv[]): void {
    if (commands.length > 0) this.socket.write(Buffer.concat(commands.map(encodeCommand)));
  }

  /**
   * The next reply (pushes included). Fails if the connection ends first or nothing comes within
   * `timeoutMs` (a guard against hanging on a missing reply, not a measure of speed).
   */
  next(timeoutMs = 20_000): Promise<RawReply> {
    const ready = this.replies.shift();
    if (ready !== undefined) return Promise.resolve(ready);
    if (this.failure !== null) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      const waiter = {
        resolve: (r: RawReply): void => {
          clearTimeout(timer);
          resolve(r);
        },
        reject: (e: Error): void => {
          clearTimeout(timer);
          reject(e);
        },
      };
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        reject(new Error(`no reply from port ${this.port} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  /**
   * Sends the commands pipelined and reads one reply per command. For commands that answer with
   * more or fewer replies (SUBSCRIBE to several channels, CLIENT REPLY OFF), use send() and next().
   */
  async call(commands: readonly Argv[]): Promise<RawReply[]> {
    this.send(commands);
    const out: RawReply[] = [];
    for (let i = 0; i < commands.length; i++) out.push(await this.next());
    return out;
  }

  /** One command, e.g. `await c.command('set', 'k', 'v')`. */
  async command(...args: (string | Uint8Array)[]): Promise<RawReply> {
    const [reply] = await this.call([argv(args)]);
    return reply!;
  }

  close(): void {
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    let start = 0;
    for (;;) {
      let parsed: { value: RespValue; end: number } | null;
      try {
        parsed = start < this.pending.length ? parseReply(this.pending, start) : null;
      } catch (e) {
        this.fail(e instanceof Error ? e : new Error(String(e)));
        this.socket.destroy();
        return;
      }
      if (parsed === null) break;
      const reply = { bytes: Buffer.from(this.pending.subarray(start, parsed.end)), value: parsed.value };
      start = parsed.end;
      const waiter = this.waiters.shift();
      if (waiter !== undefined) waiter.resolve(reply);
      else this.replies.push(reply);
    }
    this.pending = this.pending.subarray(start);
  }

  private fail(e: Error): void {
    this.failure ??= e;
    for (const w of this.waiters.splice(0)) w.reject(this.failure);
  }
}
