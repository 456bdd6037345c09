// Reads client requests off a Redis connection, chunk by chunk. A request is either a multibulk,
// "*<n>\r\n" then n bulk strings "$<length>\r\n<bytes>\r\n", or an inline line ("SET k v\r\n", as
// typed into telnet). The grammar, the leniencies and the error texts are redis-server 7.0's
// (networking.c: processMultibulkBuffer, processInlineBuffer; sds.c: sdssplitargs), with one
// difference: at most MAX_MULTIBULK_LENGTH arguments, as before Redis 7.0.
//
// Untrusted input decides nothing before it is checked: every count and length is validated before
// anything is kept or allocated for it, the arguments array grows only as bulk strings arrive, and
// nothing nests (a request is a flat list of bulk strings, read by a loop). A request whose
// arguments add up to more than the server can use is not kept: its bytes are dropped as they
// arrive and it is returned as an OversizedRequest, to be refused with the connection kept open.

/** Redis's PROTO_INLINE_MAX_SIZE: the most bytes of an inline request, or of a header line, before its end. */
export const MAX_INLINE_BYTES = 64 * 1024;
/** Arguments of one multibulk request. */
export const MAX_MULTIBULK_LENGTH = 1024 * 1024;
/** Redis's proto-max-bulk-len default: a longer bulk string is a protocol error. */
export const MAX_BULK_LENGTH = 512 * 1024 * 1024;
/** Redis's limits on a client that must still authenticate: arguments, and bytes of each. */
const UNAUTHENTICATED_MULTIBULK_LENGTH = 10;
const UNAUTHENTICATED_BULK_LENGTH = 16384;
/**
 * What an argument costs beyond its bytes while a request is incomplete (its Buffer view and its
 * slot in the arguments array), for pendingBytes().
 */
const ARGUMENT_OVERHEAD = 96;
/**
 * A bulk string of at least this many bytes that does not come in one chunk is copied into a
 * buffer of its length as its bytes arrive (Redis's PROTO_MBULK_BIG_ARG does the same), not
 * joined from its pieces at its end: joining touches all of a new buffer's memory in one go,
 * which for megabytes holds the event loop for tens of milliseconds (page faults), while each
 * chunk's copy costs little. The memory becomes resident only as it is written.
 */
const BIG_BULK = 32 * 1024;

/**
 * Why the stream is not a valid request: the connection answers `-ERR Protocol error: <detail>` and
 * closes, as Redis does.
 */
export class ProtocolError {
  constructor(readonly detail: string) {}
}

/** A complete request whose arguments were dropped unread: they add up to `bytes`, over the limit. */
export class OversizedRequest {
  constructor(readonly bytes: number) {}
}

export interface RequestParserOptions {
  /** The longest bulk string accepted (Redis's proto-max-bulk-len). */
  maxBulkLength: number;
  /**
   * The most argument bytes (bulk strings' lengths added up) a request may have to be kept; a
   * longer one is read to its end without keeping anything and returned as an OversizedRequest.
   */
  maxArgumentBytes: number;
  /**
   * Whether the client must still authenticate (asked as each request starts and at each bulk
   * header): then, as in Redis, at most 10 arguments of 16 KiB each.
   */
  unauthenticated?: () => boolean;
}

// What the parser is reading.
const IDLE = 0; // nothing: the next byte starts a request
const INLINE = 1; // an inline line, up to '\n'
const COUNT = 2; // a multibulk's "*<n>" line
const HEADER = 3; // a bulk string's "$<length>" line
const BULK = 4; // a bulk string's bytes and the two that end it
const SKIP = 5; // the same, of an oversized request: dropped as they arrive

const CR = 13;
const LF = 10;
const NUL = 0;
/** A header line's bytes that matter: the type byte and 21 more (Redis's numbers have at most 20). */
const HEAD_BYTES = 22;
const EMPTY = Buffer.alloc(0);

export class RequestParser {
  private readonly maxBulkLength: number;
  private readonly maxArgumentBytes: number;
  private readonly unauthenticated: () => boolean;
  private buf: Buffer = EMPTY;
  private pos = 0;
  private state = IDLE;
  private error: ProtocolError | null = null;
  /** Where in `buf` the request being read began (0 when it began in an earlier chunk). */
  private requestStart = 0;
  /** Bytes of the request being read that came in earlier chunks. */
  private carried = 0;

  /** A multibulk request's arguments so far, how many are still to come, and the length of the next. */
  private argv: Buffer[] = [];
  private argc = 0;
  private remaining = 0;
  private bulkLength = 0;
  /** The request's bulk lengths so far, added up: over maxArgumentBytes, it is being skipped. */
  private argumentBytes = 0;
  /** Bytes of the bulk string being skipped that are gone already. */
  private skipped = 0;

  // A line (inline request or header) that is not complete in `buf`:
  /** Its bytes so far. */
  private lineBytes = 0;
  /**
   * A NUL byte came before its end. Redis looks for the end with strchr, which stops at the NUL, so
   * the line never ends: it grows until it is too big.
   */
  private lineStuck = false;
  /** A header line's '\r' was the last byte so far: the next byte, whatever it is, ends the line. */
  private lineCr = false;
  /** A header line's first bytes (longer lines are invalid whatever follows). */
  private readonly head = Buffer.alloc(HEAD_BYTES);
  /** The header line just read: line[lineFrom, lineTo), from its type byte up to its '\r'. */
  private line: Buffer = EMPTY;
  private lineFrom = 0;
  private lineTo = 0;
  /** Pieces of an inline line or of a bulk string that spans chunks, copied once it is complete. */
  private held: Buffer[] = [];
  private heldBytes = 0;
  /** A big bulk string (BIG_BULK) that spans chunks: its bytes so far, the first heldBytes of it. */
  private bulk: Buffer | null = null;
  /** The first NUL at or after `pos` in `buf` (buf.length: none), for inline lines; -1: not searched yet. */
  private nul = -1;

  constructor(options: RequestParserOptions) {
    this.maxBulkLength = options.maxBulkLength;
    this.maxArgumentBytes = options.maxArgumentBytes;
    this.unauthenticated = options.unauthenticated ?? (() => false);
  }

  /** Takes the next chunk received. Requests are then read with next() until it returns undefined. */
  push(chunk: Buffer): void {
    if (this.state !== IDLE) this.carried += this.pos - this.requestStart;
    // Bytes the caller did not read requests from yet (it stopped early) stay ahead of the chunk.
    this.buf = this.pos < this.buf.length ? Buffer.concat([this.buf.subarray(this.pos), chunk]) : chunk;
    this.pos = 0;
    this.requestStart = 0;
    this.nul = -1;
  }

  /**
   * The next complete request (never empty: empty requests are skipped, as in Redis), undefined when
   * more bytes are needed, or the protocol error that ends the stream (returned again on every call).
   */
  next(): Buffer[] | OversizedRequest | ProtocolError | undefined {
    while (this.error === null && this.pos < this.buf.length) {
      let request: Buffer[] | OversizedRequest | undefined;
      switch (this.state) {
        case IDLE:
          this.requestStart = this.pos;
          this.carried = 0;
          this.state = this.buf[this.pos] === 42 /* '*' */ ? COUNT : INLINE;
          this.startLine();
          continue;
        case INLINE:
          request = this.readInline();
          break;
        case COUNT:
          this.readCount();
          break;
        case HEADER:
          this.readHeader();
          break;
        case BULK:
          request = this.readBulk();
          break;
        default:
          request = this.skipBulk();
      }
      if (request !== undefined) return request;
    }
    return this.error ?? undefined;
  }

  /**
   * About what the request being read holds in memory (its bytes received so far and its
   * arguments); 0 between requests and while an oversized one is skipped, which holds nothing.
   */
  pendingBytes(): number {
    if (this.state === IDLE || this.error !== null || this.argumentBytes > this.maxArgumentBytes) return 0;
    return this.carried + this.pos - this.requestStart + this.argc * ARGUMENT_OVERHEAD;
  }

  private fail(detail: string): void {
    this.error = new ProtocolError(detail);
    this.argv = [];
    this.held = [];
    this.bulk = null;
  }

  private startLine(): void {
    this.lineBytes = 0;
    this.lineStuck = false;
    this.lineCr = false;
  }

  /** An inline request: sdssplitargs of the line up to '\n' (a '\r' before it is dropped). */
  private readInline(): Buffer[] | undefined {
    const buf = this.buf;
    const start = this.pos;
    let lf = -1;
    if (!this.lineStuck) {
      if (this.nul < start) {
        this.nul = buf.indexOf(NUL, start);
        if (this.nul < 0) this.nul = buf.length;
      }
      lf = buf.indexOf(LF, start);
      if (this.nul < (lf < 0 ? buf.length : lf)) {
        this.lineStuck = true;
        this.held = [];
        this.heldBytes = 0;
      }
    }
    if (lf < 0 || this.lineStuck) {
      this.pos = buf.length;
      this.lineBytes += buf.length - start;
      if (this.lineBytes > MAX_INLINE_BYTES) this.fail('too big inline request');
      else if (!this.lineStuck) this.hold(buf.subarray(start));
      return undefined;
    }
    this.pos = lf + 1;
    this.state = IDLE;
    let line = buf.subarray(start, lf);
    if (this.heldBytes > 0) {
      this.held.push(line);
      line = Buffer.concat(this.held);
      this.held = [];
      this.heldBytes = 0;
    }
    if (line.length > 0 && line[line.length - 1] === CR) line = line.subarray(0, line.length - 1);
    const argv = splitArgs(line);
    if (argv === null) {
      this.fail('unbalanced quotes in request');
      return undefined;
    }
    return argv.length > 0 ? argv : undefined;
  }

  private readCount(): void {
    let count = this.quickNumber();
    if (count < 0) {
      if (!this.readLine()) return;
      count = parseLength(this.line, this.lineFrom + 1, this.lineTo);
    }
    if (Number.isNaN(count) || count > MAX_MULTIBULK_LENGTH) return this.fail('invalid multibulk length');
    if (count > UNAUTHENTICATED_MULTIBULK_LENGTH && this.unauthenticated()) {
      return this.fail('unauthenticated multibulk length');
    }
    if (count <= 0) {
      this.state = IDLE; // "*0", "*-1": nothing to run, as in Redis
      return;
    }
    // Sized for the count only up to a point: the count is what the client claims, not what it sent.
    this.argv = new Array<Buffer>(Math.min(count, 1024));
    this.argc = 0;
    this.argumentBytes = 0;
    this.remaining = count;
    this.state = HEADER;
    this.startLine();
  }

  private readHeader(): void {
    if (this.quickHeader() || !this.readLine()) return;
    // Redis looks at the type byte only once the line is complete; a line may be just its '\r'.
    const type = this.lineTo > this.lineFrom ? this.line[this.lineFrom]! : CR;
    if (type !== 36 /* '$' */) {
      // Redis prints the byte as is, its addReplyErrorFormat turning CR and LF into spaces.
      return this.fail(`expected '$', got '${type === CR || type === LF ? ' ' : String.fromCharCode(type)}'`);
    }
    const length = parseLength(this.line, this.lineFrom + 1, this.lineTo);
    if (Number.isNaN(length) || length < 0 || length > this.maxBulkLength) return this.fail('invalid bulk length');
    if (length > UNAUTHENTICATED_BULK_LENGTH && this.unauthenticated()) return this.fail('unauthenticated bulk length');
    this.startBulk(length);
  }

  /** A valid bulk length was read: its bytes come next, kept or, in an oversized request, skipped. */
  private startBulk(length: number): void {
    this.bulkLength = length;
    this.argumentBytes += length;
    if (this.argumentBytes <= this.maxArgumentBytes) {
      this.state = BULK;
      return;
    }
    this.state = SKIP;
    this.skipped = 0;
    if (this.argc > 0 || this.heldBytes > 0) {
      // What was kept of the request goes now, not when it ends.
      this.argv = [];
      this.argc = 0;
      this.held = [];
      this.heldBytes = 0;
    }
  }

  /** A "$<length>" line that quickNumber reads: true when it was one (then BULK is next, or an error). */
  private quickHeader(): boolean {
    if (this.pos >= this.buf.length || this.buf[this.pos] !== 36 /* '$' */) return false;
    const length = this.quickNumber();
    if (length < 0) return false;
    if (length > this.maxBulkLength) this.fail('invalid bulk length');
    else if (length > UNAUTHENTICATED_BULK_LENGTH && this.unauthenticated()) this.fail('unauthenticated bulk length');
    else this.startBulk(length);
    return true;
  }

  /**
   * The common header line in one pass: whole in `buf`, its type byte then a plain number (1 to 15
   * digits, no sign, no leading zero). Returns the number with `pos` past the line, or -1 with
   * nothing consumed for readLine to take over.
   */
  private quickNumber(): number {
    if (this.lineBytes > 0 || this.lineCr) return -1; // the line began in an earlier chunk
    const buf = this.buf;
    let i = this.pos + 1;
    if (i >= buf.length) return -1;
    let c = buf[i]!;
    if (c < 49 || c > 57) return -1;
    let value = c - 48;
    const end = Math.min(buf.length - 1, i + 16); // the '\r' and the byte after it must be in buf
    for (i++; i < end; i++) {
      c = buf[i]!;
      if (c < 48 || c > 57) break;
      value = value * 10 + (c - 48);
    }
    if (i >= end || c !== CR) return -1;
    this.pos = i + 2;
    return value;
  }

  /**
   * Reads a header line, which (as in Redis) ends with '\r' and any one byte after it. Once it is
   * complete, returns true with the line from its type byte up to its '\r' in line[lineFrom, lineTo)
   * and `pos` past its end.
   */
  private readLine(): boolean {
    const buf = this.buf;
    const start = this.pos;
    if (this.lineCr) {
      this.pos = start + 1;
      return this.lineInHead();
    }
    let i = start;
    if (!this.lineStuck) {
      for (; i < buf.length; i++) {
        const c = buf[i]!;
        if (c === CR) break;
        if (c === NUL) {
          this.lineStuck = true;
          break;
        }
      }
    }
    if (!this.lineStuck && i + 1 < buf.length) {
      this.pos = i + 2;
      if (this.lineBytes > 0) {
        this.keepHead(buf, start, i);
        return this.lineInHead();
      }
      this.line = buf;
      this.lineFrom = start;
      this.lineTo = i;
      return true;
    }
    // No end in this chunk, or a '\r' last in it that waits for the byte ending the line.
    this.lineCr = !this.lineStuck && i < buf.length;
    this.keepHead(buf, start, this.lineCr ? i : buf.length);
    this.pos = buf.length;
    if (!this.lineCr && this.lineBytes > MAX_INLINE_BYTES) {
      this.fail(this.state === COUNT ? 'too big mbulk count string' : 'too big bulk count string');
    }
    return false;
  }

  /** The line that spanned chunks; only its first HEAD_BYTES are kept, enough to parse any valid number. */
  private lineInHead(): true {
    this.line = this.head;
    this.lineFrom = 0;
    this.lineTo = this.lineBytes;
    return true;
  }

  /** Counts buf[start, end) into the line, keeping its first HEAD_BYTES. */
  private keepHead(buf: Buffer, start: number, end: number): void {
    if (this.lineBytes < HEAD_BYTES) buf.copy(this.head, this.lineBytes, start, Math.min(end, start + HEAD_BYTES));
    this.lineBytes += end - start;
  }

  /**
   * A bulk string's bytes, then two more that Redis skips without looking at them; then, while the
   * bytes are there, the next header and bulk string (the hot path, without going back to next()).
   */
  private readBulk(): Buffer[] | undefined {
    const buf = this.buf;
    for (;;) {
      const start = this.pos;
      const need = this.bulkLength + 2 - this.heldBytes;
      if (buf.length - start < need) {
        if (this.bulkLength >= BIG_BULK) this.fill(buf, start, buf.length);
        else this.hold(buf.subarray(start));
        this.pos = buf.length;
        return undefined;
      }
      this.pos = start + need;
      let arg: Buffer;
      if (this.heldBytes === 0) {
        arg = buf.subarray(start, start + this.bulkLength); // no copy: the whole bulk string is in this chunk
      } else if (this.bulk !== null) {
        this.fill(buf, start, start + need);
        arg = this.bulk;
        this.bulk = null;
        this.heldBytes = 0;
      } else {
        this.held.push(buf.subarray(start, start + need));
        arg = Buffer.concat(this.held, this.bulkLength);
        this.held = [];
        this.heldBytes = 0;
      }
      this.argv[this.argc++] = arg;
      if (--this.remaining === 0) {
        this.state = IDLE;
        return this.argv;
      }
      this.state = HEADER;
      this.startLine();
      if (!this.quickHeader() || this.state !== BULK) return undefined;
    }
  }

  /** A bulk string of an oversized request: its bytes (and the two after) are dropped as they come. */
  private skipBulk(): OversizedRequest | undefined {
    const available = this.buf.length - this.pos;
    const need = this.bulkLength + 2 - this.skipped;
    if (available < need) {
      this.skipped += available;
      this.pos = this.buf.length;
      return undefined;
    }
    this.pos += need;
    if (--this.remaining === 0) {
      this.state = IDLE;
      return new OversizedRequest(this.argumentBytes);
    }
    this.state = HEADER;
    this.startLine();
    return undefined;
  }

  /**
   * Copies buf[start, end), the next bytes of a big bulk string (and maybe of the two after it,
   * which are dropped), into its buffer, made at its first piece.
   */
  private fill(buf: Buffer, start: number, end: number): void {
    this.bulk ??= Buffer.allocUnsafe(this.bulkLength);
    const room = this.bulkLength - this.heldBytes;
    if (room > 0) buf.copy(this.bulk, this.heldBytes, start, Math.min(end, start + room));
    this.heldBytes += end - start;
  }

  private hold(piece: Buffer): void {
    this.held.push(piece);
    this.heldBytes += piece.length;
  }
}

/**
 * Redis's string2ll over buf[start, end): an optional '-', then digits with no leading zero ("0"
 * alone is fine), under 21 characters, within 64 bits. NaN when it is not such a number; beyond
 * 2^53 the value is approximate (every caller's limit is far below).
 */
export function parseLength(buf: Uint8Array, start: number, end: number): number {
  const length = end - start;
  if (length <= 0 || length >= 21) return NaN;
  if (length === 1 && buf[start] === 48 /* '0' */) return 0;
  const negative = buf[start] === 45; /* '-' */
  const first = negative ? start + 1 : start;
  if (first === end || buf[first]! < 49 || buf[first]! > 57) return NaN; // '1'..'9'
  let value = 0;
  for (let i = first; i < end; i++) {
    const digit = buf[i]! - 48;
    if (digit < 0 || digit > 9) return NaN;
    value = value * 10 + digit;
  }
  if (end - first >= 19 && !fitsInt64(buf, first, end, negative)) return NaN;
  return negative ? -value : value;
}

const INT64_MAX = Buffer.from('9223372036854775807');
const INT64_MIN_MAGNITUDE = Buffer.from('9223372036854775808');

/** Digits buf[start, end) (19 or 20 of them) are at most 2^63 - 1, or 2^63 when negative. */
function fitsInt64(buf: Uint8Array, start: number, end: number, negative: boolean): boolean {
  if (end - start > 19) return false;
  const limit = negative ? INT64_MIN_MAGNITUDE : INT64_MAX;
  for (let i = 0; i < 19; i++) {
    const d = buf[start + i]!;
    if (d !== limit[i]) return d < limit[i]!;
  }
  return true;
}

/**
 * Redis's sdssplitargs: words separated by blanks; "double quotes" take \n \r \t \b \a \xHH and
 * \<any byte> escapes, 'single quotes' take \'; a closing quote must be followed by a blank or the
 * end. null for unbalanced quotes. The line holds no NUL and no '\n' (see readInline).
 */
export function splitArgs(line: Buffer): Buffer[] | null {
  const words: Buffer[] = [];
  const n = line.length;
  /** The byte at i, 0 past the end (the C string's terminator). */
  const at = (i: number): number => (i < n ? line[i]! : NUL);
  let out: Buffer | null = null; // words are copied out of the line: escapes make them shorter
  let o = 0;
  let p = 0;
  for (;;) {
    while (p < n && isSpace(line[p]!)) p++;
    if (p >= n) return words;
    out ??= Buffer.allocUnsafe(n);
    const start = o;
    let inDouble = false;
    let inSingle = false;
    for (let done = false; !done;) {
      const c = at(p);
      if (inDouble) {
        if (c === 92 /* \ */ && at(p + 1) === 120 /* x */ && isHex(at(p + 2)) && isHex(at(p + 3))) {
          out[o++] = hexValue(at(p + 2)) * 16 + hexValue(at(p + 3));
          p += 3;
        } else if (c === 92 && at(p + 1) !== NUL) {
          p++;
          out[o++] = unescape(at(p));
        } else if (c === 34 /* " */) {
          if (at(p + 1) !== NUL && !isSpace(at(p + 1))) return null;
          done = true;
        } else if (c === NUL) {
          return null;
        } else {
          out[o++] = c;
        }
      } else if (inSingle) {
        if (c === 92 && at(p + 1) === 39 /* ' */) {
          p++;
          out[o++] = 39;
        } else if (c === 39) {
          if (at(p + 1) !== NUL && !isSpace(at(p + 1))) return null;
          done = true;
        } else if (c === NUL) {
          return null;
        } else {
          out[o++] = c;
        }
      } else if (c === 32 || c === LF || c === CR || c === 9 || c === NUL) {
        done = true;
      } else if (c === 34) {
        inDouble = true;
      } else if (c === 39) {
        inSingle = true;
      } else {
        out[o++] = c;
      }
      if (at(p) !== NUL) p++;
    }
    words.push(out.subarray(start, o));
  }
}

/** C's isspace in the C locale. */
function isSpace(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13);
}

function isHex(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70);
}

function hexValue(c: number): number {
  return c <= 57 ? c - 48 : (c | 32) - 87;
}

function unescape(c: number): number {
  switch (c) {
    case 110: // n
      return LF;
    case 114: // r
      return CR;
    case 116: // t
      return 9;
    case 98: // b
      return 8;
    case 97: // a
      return 7;
    default:
      return c;
  }
}
