// RESP encoding of replies. One ReplyWriter per connection (or per tick) appends replies into a growing
// buffer; `take()` hands out what was written so far as one Buffer for a single socket write.
//
// RESP2 and RESP3 differ for our reply kinds in nil: "$-1\r\n" (RESP2) and "_\r\n" (RESP3), in
// maps, sets and pairs (HELLO's map, `writeMap`, MapReply, SetReply, PairsReply), which RESP2 sends
// as flat arrays, in pub/sub pushes ('>' frames or arrays), and in the sorted sets' doubles and
// null arrays (reply.ts).

import { formatScore } from '../store/families/numbers.js';
import {
  DoubleReply,
  ErrorReply,
  MapReply,
  NULL_ARRAY,
  PairsReply,
  Push,
  SetReply,
  SimpleString,
  type Reply,
} from './reply.js';

const WIDE_CHAR_RE = /[\u0100-\uffff]/;
const CRLF_RE = /[\r\n]/g;
const EDGE_CRLF_RE = /^[\r\n]+|[\r\n]+$/g;
const INITIAL_SIZE = 16 * 1024;

export class ReplyWriter {
  private buf: Buffer;
  /** Bytes [start, pos) are written but not yet taken; bytes before `start` were handed out by take(). */
  private start = 0;
  private pos = 0;

  constructor(initialSize = INITIAL_SIZE) {
    this.buf = Buffer.allocUnsafe(Math.max(64, initialSize));
  }

  /** Bytes written since the last take(). */
  get length(): number {
    return this.pos - this.start;
  }

  /** Appends one reply. */
  write(reply: Reply, resp3: boolean): void {
    if (reply === null) {
      this.ascii(resp3 ? '_\r\n' : '$-1\r\n');
    } else if (reply instanceof Uint8Array) {
      this.bulk(reply);
    } else if (typeof reply === 'number' || typeof reply === 'bigint') {
      this.integer(reply);
    } else if (Array.isArray(reply)) {
      this.header(42 /* '*' */, reply.length);
      for (let i = 0; i < reply.length; i++) this.write(reply[i]!, resp3);
    } else if (reply instanceof SimpleString) {
      this.line(43 /* '+' */, reply.value);
    } else if (reply instanceof ErrorReply) {
      // As addReplyErrorFormat: CR / LF at either end are trimmed, those inside become spaces (line()).
      this.line(45 /* '-' */, reply.message.replace(EDGE_CRLF_RE, ''));
    } else if (reply instanceof MapReply) {
      this.writeMap(reply.entries, resp3);
    } else if (reply instanceof SetReply) {
      this.header(resp3 ? 126 /* '~' */ : 42, reply.members.length);
      for (const m of reply.members) this.write(m, resp3);
    } else if (reply instanceof PairsReply) {
      this.pairs(reply.flat, resp3);
    } else if (reply instanceof Push) {
      for (const frame of reply.frames) {
        this.header(resp3 ? 62 /* '>' */ : 42 /* '*' */, frame.length);
        for (let i = 0; i < frame.length; i++) this.write(frame[i]!, resp3);
      }
    } else if (reply instanceof DoubleReply) {
      const text = formatScore(reply.value);
      if (resp3) this.line(44 /* ',' */, text);
      else {
        this.header(36 /* '$' */, text.length);
        this.ascii(text + '\r\n');
      }
    } else if (reply === NULL_ARRAY) {
      this.ascii(resp3 ? '_\r\n' : '*-1\r\n');
    } else {
      throw new TypeError(`not a Reply: ${Object.prototype.toString.call(reply)}`);
    }
  }

  /** Appends a map of `entries` (key, value, key, value, ...): a RESP3 map, or a flat RESP2 array. */
  writeMap(entries: readonly Reply[], resp3: boolean): void {
    if (entries.length % 2 !== 0) throw new RangeError('writeMap: entries must be key/value pairs');
    if (resp3) this.header(37 /* '%' */, entries.length / 2);
    else this.header(42 /* '*' */, entries.length);
    for (let i = 0; i < entries.length; i++) this.write(entries[i]!, resp3);
  }

  /** Appends the header of an array of `n` elements; the caller writes them after it (EXEC, exec-reply.ts). */
  writeArrayHeader(n: number): void {
    this.header(42 /* '*' */, n);
  }

  /** Appends bytes that are already RESP (e.g. a reply cached by the caller). */
  writeRaw(bytes: Uint8Array): void {
    this.reserve(bytes.length);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
  }

  /** Everything written since the last take(), as one Buffer; the writer keeps going after it. */
  take(): Buffer {
    const out = this.buf.subarray(this.start, this.pos);
    this.start = this.pos;
    return out;
  }

  /** Flat pairs: one array in RESP2; an array of two-element arrays in RESP3. */
  private pairs(flat: readonly Reply[], resp3: boolean): void {
    if (!resp3) {
      this.header(42 /* '*' */, flat.length);
      for (let i = 0; i < flat.length; i++) this.write(flat[i]!, false);
      return;
    }
    this.header(42 /* '*' */, flat.length >> 1);
    for (let i = 0; i + 1 < flat.length; i += 2) {
      this.header(42 /* '*' */, 2);
      this.write(flat[i]!, true);
      this.write(flat[i + 1]!, true);
    }
  }

  private integer(n: number | bigint): void {
    const text = typeof n === 'bigint' ? n.toString() : Number.isSafeInteger(n) ? String(n) : integerText(n);
    this.line(58 /* ':' */, text);
  }

  private bulk(data: Uint8Array): void {
    this.header(36 /* '$' */, data.length);
    this.reserve(data.length + 2);
    this.buf.set(data, this.pos);
    this.pos += data.length;
    this.buf[this.pos++] = 13;
    this.buf[this.pos++] = 10;
  }

  /** `<type><n>\r\n`. */
  private header(type: number, n: number): void {
    this.reserve(24);
    this.buf[this.pos++] = type;
    this.pos += this.buf.write(String(n), this.pos, 'latin1');
    this.buf[this.pos++] = 13;
    this.buf[this.pos++] = 10;
  }

  /**
   * `<type><text>\r\n`; CR and LF inside `text` become spaces so the line cannot break the protocol.
   * Text of one-byte chars is written as latin1, so client bytes quoted in an error go back as they
   * came; text with wider chars (a message of ours) as UTF-8.
   */
  private line(type: number, text: string): void {
    if (text.indexOf('\r') !== -1 || text.indexOf('\n') !== -1) text = text.replace(CRLF_RE, ' ');
    const encoding = WIDE_CHAR_RE.test(text) ? 'utf8' : 'latin1';
    const max = Buffer.byteLength(text, encoding);
    this.reserve(max + 3);
    this.buf[this.pos++] = type;
    this.pos += this.buf.write(text, this.pos, encoding);
    this.buf[this.pos++] = 13;
    this.buf[this.pos++] = 10;
  }

  private ascii(text: string): void {
    this.reserve(text.length);
    this.pos += this.buf.write(text, this.pos, 'latin1');
  }

  /** Makes room for `n` more bytes. Bytes already taken stay where they are (the socket may hold them). */
  private reserve(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const pending = this.pos - this.start;
    const size = Math.max(INITIAL_SIZE, (pending + n) * 2);
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, this.start, this.pos);
    this.buf = next;
    this.start = 0;
    this.pos = pending;
  }
}

/** A number that is not a safe integer, written as Redis would write the integer it stands for. */
function integerText(n: number): string {
  if (!Number.isFinite(n)) throw new RangeError(`integer reply is not finite: ${n}`);
  return BigInt(Math.trunc(n)).toString();
}

/** Encodes one reply on its own (tests, one-off replies); the server should reuse a ReplyWriter. */
export function encodeReply(reply: Reply, resp3 = false): Buffer {
  const w = new ReplyWriter(256);
  w.write(reply, resp3);
  return w.take();
}
