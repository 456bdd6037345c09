// Length-prefixed frames for TcpCluster, and an incremental parser for them.
//
// Wire format: a frame is `u32 length (big-endian) | body[length]`, 1 <= length <= maxFrameBytes.
// The first byte of a body is its kind (see FrameKind); the rest depends on the kind. A stream
// is a sequence of frames; several frames are usually written in one go (batching).
//
// FrameDecoder is pure (no sockets, no timers): push bytes in, get whole frame bodies out, or
// a FrameError for a stream that cannot be valid. It never holds more than one partial frame:
// at most 4 + maxFrameBytes bytes, and it allocates a frame's buffer only after its length has
// been checked against the limit, so a peer cannot make it allocate more than that.

/** The kinds of frame bodies. Handshake frames come first on a connection, then messages. */
export const FrameKind = {
  hello: 1,
  challenge: 2,
  proof: 3,
  welcome: 4,
  message: 5,
  /** Keeps an idle connection's liveness known (body: the kind byte alone). */
  ping: 6,
  /** An application payload riding the authenticated connection (TcpCluster.sendApp): opaque bytes. */
  app: 7,
} as const;
export type FrameKind = (typeof FrameKind)[keyof typeof FrameKind];

/** Bytes of the length prefix. */
export const FRAME_HEADER_BYTES = 4;
/** The largest body a u32 length can announce. */
const MAX_FRAME_LIMIT = 0xffffffff;

/** A stream that cannot be valid: `reason` is 'empty-frame' or 'oversized-frame'. */
export class FrameError extends Error {
  constructor(
    readonly reason: 'empty-frame' | 'oversized-frame',
    message: string,
  ) {
    super(message);
    this.name = 'FrameError';
  }
}

/** Prefixes `body` with its length: one frame, ready to write. */
export function encodeFrame(body: Uint8Array): Uint8Array {
  if (body.length === 0 || body.length > MAX_FRAME_LIMIT) {
    throw new RangeError(`frame body must be 1..${MAX_FRAME_LIMIT} bytes, not ${body.length}`);
  }
  const frame = new Uint8Array(FRAME_HEADER_BYTES + body.length);
  writeU32(frame, 0, body.length);
  frame.set(body, FRAME_HEADER_BYTES);
  return frame;
}

/** A message frame: kind byte, then the codec's bytes (`encoded`), with the length prefix. */
export function encodeMessageFrame(encoded: Uint8Array): Uint8Array {
  const length = 1 + encoded.length;
  const frame = new Uint8Array(FRAME_HEADER_BYTES + length);
  writeU32(frame, 0, length);
  frame[FRAME_HEADER_BYTES] = FrameKind.message;
  frame.set(encoded, FRAME_HEADER_BYTES + 1);
  return frame;
}

/**
 * A frame as pieces written one after the other (the bytes of its body that are big are not
 * copied into it), or whole.
 */
export type FramePieces = Uint8Array | readonly Uint8Array[];

/** Bytes before a message frame's or app frame's body proper: the length prefix and the kind byte. */
export const FRAME_HEAD_BYTES = FRAME_HEADER_BYTES + 1;

/**
 * Writes the length prefix and `kind` at the start of `head`, for a frame whose body is the kind
 * byte and `length` bytes after it.
 */
export function writeFrameHead(head: Uint8Array, kind: FrameKind, length: number): void {
  writeU32(head, 0, length + 1);
  head[FRAME_HEADER_BYTES] = kind;
}

/** The bytes of a frame made of pieces. */
export function frameLength(frame: FramePieces): number {
  if (frame instanceof Uint8Array) return frame.length;
  let length = 0;
  for (const piece of frame) length += piece.length;
  return length;
}

function writeU32(buf: Uint8Array, at: number, v: number): void {
  buf[at] = v >>> 24;
  buf[at + 1] = (v >>> 16) & 0xff;
  buf[at + 2] = (v >>> 8) & 0xff;
  buf[at + 3] = v & 0xff;
}

/**
 * Incremental frame parser. Either `push(chunk)`, which returns every body the chunk completes,
 * or `feed(chunk)` and then `next()` until it returns null, which lets the caller change the
 * limit between frames (a connection allows larger frames once its handshake is done). Bodies
 * are fresh Uint8Arrays the caller may keep. An invalid stream throws FrameError; after that the
 * decoder stays failed and throws the same error again.
 */
export class FrameDecoder {
  private maxFrameBytes: number;
  private readonly header = new Uint8Array(FRAME_HEADER_BYTES);
  private headerHave = 0;
  private body: Uint8Array | null = null;
  private bodyHave = 0;
  private failed: FrameError | null = null;
  private chunk: Uint8Array | null = null;
  private pos = 0;

  constructor(maxFrameBytes: number) {
    this.maxFrameBytes = checkLimit(maxFrameBytes);
  }

  /** The current limit on a body's length. */
  get limit(): number {
    return this.maxFrameBytes;
  }

  /** Changes the limit for frames whose length prefix has not been read yet. */
  setLimit(maxFrameBytes: number): void {
    this.maxFrameBytes = checkLimit(maxFrameBytes);
  }

  /** Bytes held for the frame in progress (prefix and body so far): at most 4 + the limit. */
  get buffered(): number {
    return this.headerHave + this.bodyHave;
  }

  /** Bytes allocated for the frame in progress: at most 4 + the limit. */
  get allocated(): number {
    return FRAME_HEADER_BYTES + (this.body?.length ?? 0);
  }

  /** True while a frame is partly read (a stream that ends now was cut mid-frame). */
  get partial(): boolean {
    return this.headerHave > 0;
  }

  /** Every frame body that `chunk` completes. */
  push(chunk: Uint8Array): Uint8Array[] {
    this.feed(chunk);
    const frames: Uint8Array[] = [];
    for (let body = this.next(); body !== null; body = this.next()) frames.push(body);
    return frames;
  }

  /** Hands the decoder its next chunk; read its frames with next() before feeding another. */
  feed(chunk: Uint8Array): void {
    if (this.failed) throw this.failed;
    if (this.chunk !== null) throw new Error('FrameDecoder.feed: the previous chunk is not consumed yet');
    if (chunk.length > 0) {
      this.chunk = chunk;
      this.pos = 0;
    }
  }

  /** The next complete frame body, or null once the fed chunk is used up (a partial frame is kept). */
  next(): Uint8Array | null {
    if (this.failed) throw this.failed;
    const chunk = this.chunk;
    if (chunk === null) return null;
    const n = chunk.length;
    let p = this.pos;
    let frame: Uint8Array | null = null;
    while (frame === null && p < n) {
      if (this.body === null) {
        // Reading the length prefix, possibly split across chunks.
        while (this.headerHave < FRAME_HEADER_BYTES && p < n) this.header[this.headerHave++] = chunk[p++]!;
        if (this.headerHave < FRAME_HEADER_BYTES) break;
        const h = this.header;
        const length = ((h[0]! << 24) | (h[1]! << 16) | (h[2]! << 8) | h[3]!) >>> 0;
        if (length === 0) return this.fail(new FrameError('empty-frame', 'frame of length 0'));
        if (length > this.maxFrameBytes) {
          return this.fail(
            new FrameError('oversized-frame', `frame of ${length} bytes exceeds the limit of ${this.maxFrameBytes}`),
          );
        }
        this.body = new Uint8Array(length);
        this.bodyHave = 0;
      }
      const body = this.body;
      const take = Math.min(body.length - this.bodyHave, n - p);
      body.set(chunk.subarray(p, p + take), this.bodyHave);
      this.bodyHave += take;
      p += take;
      if (this.bodyHave === body.length) {
        frame = body;
        this.body = null;
        this.bodyHave = 0;
        this.headerHave = 0;
      }
    }
    if (p >= n) this.chunk = null;
    else this.pos = p;
    return frame;
  }

  private fail(error: FrameError): never {
    this.failed = error;
    this.body = null;
    this.bodyHave = 0;
    this.headerHave = 0;
    this.chunk = null;
    throw error;
  }
}

function checkLimit(maxFrameBytes: number): number {
  if (!Number.isSafeInteger(maxFrameBytes) || maxFrameBytes < 1 || maxFrameBytes > MAX_FRAME_LIMIT) {
    throw new RangeError(`maxFrameBytes must be an integer in 1..${MAX_FRAME_LIMIT}, not ${String(maxFrameBytes)}`);
  }
  return maxFrameBytes;
}
