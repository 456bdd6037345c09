// Binary message codec for byte-oriented transports.
//
// Wire format, version 2 (all integers are unsigned LEB128 varints of at most 8 bytes
// holding values up to 2^53-1; booleans are one byte, 0 or 1):
//
//   u8 version (2) | u8 type tag | from | to | term | fromUid | toUid | fields of that type,
//   in this order (version 1, for messages without member identities, is the same without
//   fromUid, toUid and an append's memberUids):
//   1 vote-request         lastLogIndex lastLogTerm preVote:bool transfer:bool
//   2 vote-response        granted:bool preVote:bool
//   3 append               prevLogIndex prevLogTerm leaderCommit seq [memberUids] count entry*count
//        memberUids:       (version 2 only) count value*count: flattened [id, uid] pairs
//        entry:            index term kind:u8 length payload[length]
//                          kind 0: payload = codecs.transition bytes; kind 1: payload = membership
//   4 append-response      success:bool index hintIndex hintTerm seq
//   5 snapshot             lastIncludedIndex lastIncludedTerm membership termStarts offset done:bool seq
//                          dataIsBytes:bool length data[length]
//                          (dataIsBytes 1: data is the raw Uint8Array chunk; 0: codecs.snapshot bytes)
//   6 snapshot-response    lastIncludedIndex nextOffset seq
//   7 timeout-now          (nothing)
//   8 read-index           requestId
//   9 read-index-response  requestId readIndex
//   membership:            for voters, learners, outgoing: count id*count
//   termStarts:            count value*count: flattened [firstIndex, term] pairs (count even;
//                          indices strictly increasing, terms strictly increasing)
//
// A message is encoded in two passes over one description of the format: the first
// measures (and validates) it, the second writes it into a buffer of exactly that size.
// Decoding treats its input as untrusted: every defect raises a CodecError.

import type { LogEntry, Membership, Message, MessageType } from '../core/types.js';
import { isNat, termStartsProblem } from './numbers.js';
import { varintSize, writeVarint } from './varint.js';
import { CodecError } from './errors.js';

/** Turns values of one type into bytes and back. `decode` may throw on bad input. */
export interface Codec<V> {
  encode(value: V): Uint8Array;
  decode(bytes: Uint8Array): V;
}

/** Codecs for the application's payloads inside messages. */
export interface MessageCodecs<T, D> {
  transition: Codec<T>;
  snapshot: Codec<D>;
}

/**
 * The wire format version this module writes; it reads this one and version 1. Version 2 adds
 * fromUid and toUid (member identities) after the term, and is written only for messages that
 * carry them.
 */
export const CODEC_VERSION = 2;
const CODEC_VERSION_NO_UIDS = 1;

const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder('utf-8', { fatal: true });

/** JSON text in UTF-8. Values must be JSON-serializable (no Uint8Array, Map, bigint, ...). */
export function jsonCodec<V>(): Codec<V> {
  return {
    encode(value: V): Uint8Array {
      const text = JSON.stringify(value);
      if (text === undefined) throw new CodecError('jsonCodec: value is not JSON-serializable');
      return textEncoder.encode(text);
    },
    decode(bytes: Uint8Array): V {
      return JSON.parse(textDecoder.decode(bytes)) as V;
    },
  };
}

/** Identity codec for Uint8Array payloads. `decode` returns a copy, never a view of the frame. */
export const bytesCodec: Codec<Uint8Array> = {
  encode(value: Uint8Array): Uint8Array {
    if (!(value instanceof Uint8Array)) throw new CodecError('bytesCodec: value is not a Uint8Array');
    return value;
  },
  decode(bytes: Uint8Array): Uint8Array {
    return copyBytes(bytes, 0, bytes.length);
  },
};

// ---------------------------------------------------------------------------------------
// Shared bits

const TAGS = {
  'vote-request': 1,
  'vote-response': 2,
  append: 3,
  'append-response': 4,
  snapshot: 5,
  'snapshot-response': 6,
  'timeout-now': 7,
  'read-index': 8,
  'read-index-response': 9,
} as const;

/** TAGS inverted: the message type of each tag ('' for 0, which no type has). */
const TYPE_BY_TAG: readonly (MessageType | '')[] = ['', ...(Object.keys(TAGS) as MessageType[])];

const KIND_TRANSITION = 0;
const KIND_CONFIG = 1;
/** Smallest encoding of one entry: index, term, kind, length. */
const MIN_ENTRY_BYTES = 4;
const MAX_VARINT_BYTES = 8;
const EMPTY = new Uint8Array(0);
/**
 * Payloads (transitions, snapshot data) of at least this many bytes are not copied by
 * encodeMessageParts: copying megabytes into new memory holds the event loop for milliseconds
 * per megabyte (page faults), for every follower it is sent to.
 */
const SHARED_PAYLOAD_BYTES = 64 * 1024;
const NO_PAYLOADS: Uint8Array[] = [];

function copyBytes(bytes: Uint8Array, start: number, end: number): Uint8Array {
  const out = new Uint8Array(end - start);
  out.set(bytes.subarray(start, end));
  return out;
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function isTransition(t: unknown): boolean {
  if (typeof t !== 'object' || t === null) return false;
  const id = (t as { id?: unknown }).id;
  return typeof id === 'string' || typeof id === 'number';
}

// ---------------------------------------------------------------------------------------
// Encoding

/** Where the format goes: a Sizer measures and validates, a Writer writes. */
interface Sink {
  u8(v: number): void;
  bool(v: boolean, what: string): void;
  varint(v: number, what: string, item?: number): void;
  raw(b: Uint8Array): void;
}

function label(what: string, item: number | undefined): string {
  return item === undefined ? what : `entries[${item}].${what}`;
}

class Sizer implements Sink {
  size = 0;
  u8(): void {
    this.size += 1;
  }
  bool(v: boolean, what: string): void {
    if (typeof v !== 'boolean') throw new CodecError(`cannot encode ${what}: not a boolean`);
    this.size += 1;
  }
  varint(v: number, what: string, item?: number): void {
    if (!isNat(v)) {
      throw new CodecError(`cannot encode ${label(what, item)}: ${String(v)} is not a non-negative safe integer`);
    }
    this.size += varintSize(v);
  }
  raw(b: Uint8Array): void {
    this.size += b.length;
  }
}

/**
 * Measures a message as pieces (encodeMessageParts): the bytes copied into its own buffer, apart
 * from the payloads of SHARED_PAYLOAD_BYTES or more, which are written as they are.
 */
class PartsSizer extends Sizer {
  shared = 0;
  override raw(b: Uint8Array): void {
    if (b.length >= SHARED_PAYLOAD_BYTES) this.shared += b.length;
    else this.size += b.length;
  }
}

class Writer implements Sink {
  pos = 0;
  constructor(readonly buf: Uint8Array) {}
  u8(v: number): void {
    this.buf[this.pos++] = v;
  }
  bool(v: boolean): void {
    this.buf[this.pos++] = v ? 1 : 0;
  }
  varint(v: number): void {
    this.pos = writeVarint(this.buf, this.pos, v);
  }
  raw(b: Uint8Array): void {
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }
}

/** Writes a message as pieces: its own buffer's stretches, and between them the shared payloads. */
class PartsWriter extends Writer {
  readonly parts: Uint8Array[] = [];
  private from: number;
  constructor(buf: Uint8Array, headroom: number) {
    super(buf);
    this.pos = headroom;
    this.from = 0;
  }
  override raw(b: Uint8Array): void {
    if (b.length < SHARED_PAYLOAD_BYTES) return super.raw(b);
    this.parts.push(this.buf.subarray(this.from, this.pos), b);
    this.from = this.pos;
  }
  finish(): Uint8Array[] {
    if (this.pos > this.from || this.parts.length === 0) this.parts.push(this.buf.subarray(this.from, this.pos));
    return this.parts;
  }
}

function idsSize(ids: readonly number[]): number {
  let n = varintSize(ids.length);
  for (let i = 0; i < ids.length; i++) n += varintSize(ids[i]!);
  return n;
}

function membershipSize(m: Membership): number {
  return idsSize(m.voters) + idsSize(m.learners) + idsSize(m.outgoing);
}

function writeIds(s: Sink, ids: readonly number[], what: string): void {
  // Checked at run time (JavaScript callers), on an unknown copy so that `ids` is not narrowed to any[].
  const list: unknown = ids;
  if (!Array.isArray(list)) throw new CodecError(`cannot encode ${what}: not an array`);
  s.varint(ids.length, what);
  for (let i = 0; i < ids.length; i++) s.varint(ids[i]!, what);
}

function writeMembership(s: Sink, m: Membership): void {
  if (typeof m !== 'object' || m === null) throw new CodecError('cannot encode config: missing');
  writeIds(s, m.voters, 'config voters');
  writeIds(s, m.learners, 'config learners');
  writeIds(s, m.outgoing, 'config outgoing');
}

/** Writes the whole message; `payloads` holds the transition bytes or snapshot data. */
function writeMessage<T, D>(s: Sink, m: Message<T, D>, payloads: Uint8Array[]): void {
  const uids = (m.fromUid ?? 0) !== 0 || (m.toUid ?? 0) !== 0 || (m.type === 'append' && m.memberUids !== undefined);
  s.u8(uids ? CODEC_VERSION : CODEC_VERSION_NO_UIDS);
  s.u8(TAGS[m.type]);
  s.varint(m.from, 'from');
  s.varint(m.to, 'to');
  s.varint(m.term, 'term');
  if (uids) {
    s.varint(m.fromUid ?? 0, 'fromUid');
    s.varint(m.toUid ?? 0, 'toUid');
  }
  switch (m.type) {
    case 'vote-request':
      s.varint(m.lastLogIndex, 'lastLogIndex');
      s.varint(m.lastLogTerm, 'lastLogTerm');
      s.bool(m.preVote, 'preVote');
      s.bool(m.transfer, 'transfer');
      return;
    case 'vote-response':
      s.bool(m.granted, 'granted');
      s.bool(m.preVote, 'preVote');
      return;
    case 'append': {
      s.varint(m.prevLogIndex, 'prevLogIndex');
      s.varint(m.prevLogTerm, 'prevLogTerm');
      s.varint(m.leaderCommit, 'leaderCommit');
      s.varint(m.seq, 'seq');
      if (uids) writeIds(s, m.memberUids ?? [], 'memberUids');
      const entries = m.entries;
      s.varint(entries.length, 'entries.length');
      for (let i = 0; i < entries.length; i++) {
        const e = entries[i]!;
        s.varint(e.index, 'index', i);
        s.varint(e.term, 'term', i);
        if (e.config !== undefined) {
          s.u8(KIND_CONFIG);
          s.varint(membershipSize(e.config), 'config length', i);
          writeMembership(s, e.config);
        } else {
          const payload = payloads[i]!;
          s.u8(KIND_TRANSITION);
          s.varint(payload.length, 'transition length', i);
          s.raw(payload);
        }
      }
      return;
    }
    case 'append-response':
      s.bool(m.success, 'success');
      s.varint(m.index, 'index');
      s.varint(m.hintIndex, 'hintIndex');
      s.varint(m.hintTerm, 'hintTerm');
      s.varint(m.seq, 'seq');
      return;
    case 'snapshot': {
      s.varint(m.lastIncludedIndex, 'lastIncludedIndex');
      s.varint(m.lastIncludedTerm, 'lastIncludedTerm');
      writeMembership(s, m.config);
      const problem = termStartsProblem(m.termStarts);
      if (problem !== null) throw new CodecError(`cannot encode a snapshot: ${problem}`);
      writeIds(s, m.termStarts, 'termStarts');
      s.varint(m.offset, 'offset');
      s.bool(m.done, 'done');
      s.varint(m.seq, 'seq');
      const data = payloads[0]!;
      s.bool(m.data instanceof Uint8Array, 'dataIsBytes');
      s.varint(data.length, 'data length');
      s.raw(data);
      return;
    }
    case 'snapshot-response':
      s.varint(m.lastIncludedIndex, 'lastIncludedIndex');
      s.varint(m.nextOffset, 'nextOffset');
      s.varint(m.seq, 'seq');
      return;
    case 'timeout-now':
      return;
    case 'read-index':
      s.varint(m.requestId, 'requestId');
      return;
    case 'read-index-response':
      s.varint(m.requestId, 'requestId');
      s.varint(m.readIndex, 'readIndex');
      return;
  }
}

/** Encodes the application payloads of `m` (transitions, snapshot data) with `codecs`. */
function encodePayloads<T, D>(m: Message<T, D>, codecs: MessageCodecs<T, D>): Uint8Array[] {
  if (m.type === 'snapshot') {
    const data = m.data;
    if (data instanceof Uint8Array) return [data];
    let bytes: Uint8Array;
    try {
      bytes = codecs.snapshot.encode(data);
    } catch (e) {
      throw new CodecError(`cannot encode snapshot data: ${errorText(e)}`);
    }
    if (!(bytes instanceof Uint8Array)) {
      throw new CodecError('cannot encode snapshot data: the snapshot codec returned no Uint8Array');
    }
    return [bytes];
  }
  if (m.type !== 'append') return NO_PAYLOADS;
  const entries = m.entries;
  if (!Array.isArray(entries)) throw new CodecError('cannot encode append: entries is not an array');
  if (entries.length === 0) return NO_PAYLOADS;
  const payloads = new Array<Uint8Array>(entries.length);
  for (let i = 0; i < entries.length; i++) {
    const e: LogEntry<T> = entries[i]!;
    if (e.config !== undefined) {
      if (e.transition !== undefined) {
        throw new CodecError(`cannot encode entries[${i}]: it has both a transition and a config`);
      }
      payloads[i] = EMPTY;
      continue;
    }
    if (e.transition === undefined) {
      throw new CodecError(`cannot encode entries[${i}]: it has neither a transition nor a config`);
    }
    let bytes: Uint8Array;
    try {
      bytes = codecs.transition.encode(e.transition);
    } catch (err) {
      throw new CodecError(`cannot encode entries[${i}].transition: ${errorText(err)}`);
    }
    if (!(bytes instanceof Uint8Array)) {
      throw new CodecError(`cannot encode entries[${i}].transition: the transition codec returned no Uint8Array`);
    }
    payloads[i] = bytes;
  }
  return payloads;
}

/** Encodes a message into a new Uint8Array of exactly its size. Throws CodecError on bad input. */
export function encodeMessage<T, D>(msg: Message<T, D>, codecs: MessageCodecs<T, D>): Uint8Array {
  checkType(msg);
  try {
    const payloads = encodePayloads(msg, codecs);
    const sizer = new Sizer();
    writeMessage(sizer, msg, payloads);
    const writer = new Writer(new Uint8Array(sizer.size));
    writeMessage(writer, msg, payloads);
    return writer.buf;
  } catch (e) {
    throw encodeError(msg, e);
  }
}

/**
 * The bytes of encodeMessage as pieces to be written one after the other, with `headroom` free
 * bytes at the start of the first (for a frame header): payloads of 64 KiB or more are pieces of
 * their own, the codecs' bytes themselves (which must not change while they wait to be written),
 * and the rest is copied into one buffer. Also returns the message's length (headroom excluded).
 */
export function encodeMessageParts<T, D>(
  msg: Message<T, D>,
  codecs: MessageCodecs<T, D>,
  headroom: number,
): { parts: Uint8Array[]; length: number } {
  checkType(msg);
  try {
    const payloads = encodePayloads(msg, codecs);
    const sizer = new PartsSizer();
    writeMessage(sizer, msg, payloads);
    const writer = new PartsWriter(new Uint8Array(headroom + sizer.size), headroom);
    writeMessage(writer, msg, payloads);
    return { parts: writer.finish(), length: sizer.size + sizer.shared };
  } catch (e) {
    throw encodeError(msg, e);
  }
}

function checkType(msg: Message<unknown, unknown>): void {
  if (typeof msg !== 'object' || msg === null || !Object.hasOwn(TAGS, msg.type)) {
    throw new CodecError(`cannot encode message: unknown type ${String((msg as { type?: unknown } | null)?.type)}`);
  }
}

function encodeError(msg: Message<unknown, unknown>, e: unknown): CodecError {
  return e instanceof CodecError ? e : new CodecError(`cannot encode ${msg.type} message: ${errorText(e)}`);
}

// ---------------------------------------------------------------------------------------
// Decoding

/**
 * A cursor over untrusted bytes. Every read checks bounds against `end` and names what it
 * was reading (`ctx`, `item`, field) in its error; names are only formatted on failure.
 */
class Reader {
  pos = 0;
  end: number;
  ctx = 'message';
  item = -1;

  constructor(readonly bytes: Uint8Array) {
    this.end = bytes.length;
  }

  where(field: string): string {
    const at = this.item >= 0 ? `${this.ctx} ${this.item}` : this.ctx;
    return field === '' ? at : `${at} ${field}`;
  }

  fail(field: string, detail: string): never {
    throw new CodecError(`${this.where(field)}: ${detail}`);
  }

  truncated(field: string, need: number): never {
    const have = this.end - this.pos;
    throw new CodecError(`truncated ${this.where(field)}: need ${need} byte${need === 1 ? '' : 's'}, have ${have}`);
  }

  u8(field: string): number {
    if (this.pos >= this.end) this.truncated(field, 1);
    return this.bytes[this.pos++]!;
  }

  bool(field: string): boolean {
    const b = this.u8(field);
    if (b > 1) this.fail(field, `boolean byte is ${b}, expected 0 or 1`);
    return b === 1;
  }

  varint(field: string): number {
    const bytes = this.bytes;
    const end = this.end;
    let p = this.pos;
    if (p >= end) this.truncated(field, 1);
    let b = bytes[p++]!;
    if (b < 0x80) {
      this.pos = p;
      return b;
    }
    let result = b & 0x7f;
    let mul = 128;
    for (let n = 1; n < MAX_VARINT_BYTES; n++) {
      if (p >= end) {
        throw new CodecError(
          `truncated ${this.where(field)}: varint continues past the end after ${n} byte${n === 1 ? '' : 's'}`,
        );
      }
      b = bytes[p++]!;
      result += (b & 0x7f) * mul;
      if (b < 0x80) {
        if (result > Number.MAX_SAFE_INTEGER) {
          this.fail(field, `varint value ${result} exceeds 2^53-1`);
        }
        this.pos = p;
        return result;
      }
      mul *= 128;
    }
    return this.fail(field, `varint longer than ${MAX_VARINT_BYTES} bytes`);
  }

  /** A count of items that each take at least `minBytes`; rejects counts the input cannot hold. */
  count(field: string, minBytes: number): number {
    const n = this.varint(field);
    const have = this.end - this.pos;
    if (n * minBytes > have) {
      this.fail(field, `count ${n} needs at least ${n * minBytes} bytes, have ${have}`);
    }
    return n;
  }

  /** A varint length followed by that many bytes; returns the start offset of the bytes. */
  lengthPrefixed(field: string): number {
    const len = this.varint(field);
    if (len > this.end - this.pos) this.truncated(field, len);
    const start = this.pos;
    this.pos += len;
    return start;
  }

  ids(field: string): number[] {
    const n = this.count(field, 1);
    const ids: number[] = [];
    for (let i = 0; i < n; i++) ids.push(this.varint(field));
    return ids;
  }

  membership(): Membership {
    const voters = this.ids('voters');
    const learners = this.ids('learners');
    const outgoing = this.ids('outgoing');
    return { voters, learners, outgoing };
  }
}

function decodeEntries<T>(r: Reader, codecs: MessageCodecs<T, unknown>): LogEntry<T>[] {
  const n = r.count('entry count', MIN_ENTRY_BYTES);
  const entries: LogEntry<T>[] = [];
  r.ctx = 'append entry';
  for (let i = 0; i < n; i++) {
    r.item = i;
    const index = r.varint('index');
    const term = r.varint('term');
    const kind = r.u8('kind');
    if (kind === KIND_CONFIG) {
      const start = r.lengthPrefixed('config');
      const after = r.pos;
      // Parse the membership within its own length only.
      r.pos = start;
      r.end = after;
      const config = r.membership();
      if (r.pos !== after) r.fail('config', `${after - r.pos} bytes left after the membership`);
      r.end = r.bytes.length;
      entries.push({ index, term, config });
    } else if (kind === KIND_TRANSITION) {
      const start = r.lengthPrefixed('payload');
      let transition: T;
      try {
        transition = codecs.transition.decode(r.bytes.subarray(start, r.pos));
      } catch (e) {
        throw new CodecError(`${r.where('payload')}: transition codec failed: ${errorText(e)}`);
      }
      if (!isTransition(transition)) {
        r.fail('payload', 'the transition codec returned no object with a string or number id');
      }
      entries.push({ index, term, transition });
    } else {
      r.fail('kind', `unknown entry kind ${kind}`);
    }
  }
  r.item = -1;
  return entries;
}

/**
 * Decodes one message. The input is untrusted: truncation, trailing bytes, unknown
 * versions, types or kinds, impossible lengths or counts, integers beyond 2^53-1 and
 * payloads the codecs reject all raise a CodecError naming what was wrong.
 */
export function decodeMessage<T, D>(bytes: Uint8Array, codecs: MessageCodecs<T, D>): Message<T, D> {
  if (!(bytes instanceof Uint8Array)) throw new CodecError('cannot decode: input is not a Uint8Array');
  const r = new Reader(bytes);
  r.ctx = 'message header';
  if (bytes.length < 2) r.truncated('', 2);
  const version = r.u8('version');
  if (version !== CODEC_VERSION && version !== CODEC_VERSION_NO_UIDS) {
    throw new CodecError(
      `unsupported codec version ${version} (this decoder reads ${CODEC_VERSION_NO_UIDS} and ${CODEC_VERSION})`,
    );
  }
  const tag = r.u8('type');
  const type = TYPE_BY_TAG[tag];
  if (type === undefined || type === '') throw new CodecError(`unknown message type tag ${tag}`);
  r.ctx = type;
  const from = r.varint('from');
  const to = r.varint('to');
  const term = r.varint('term');
  const fromUid = version === CODEC_VERSION ? r.varint('fromUid') : 0;
  const toUid = version === CODEC_VERSION ? r.varint('toUid') : 0;
  let msg: Message<T, D>;
  switch (type) {
    case 'vote-request': {
      const lastLogIndex = r.varint('lastLogIndex');
      const lastLogTerm = r.varint('lastLogTerm');
      const preVote = r.bool('preVote');
      const transfer = r.bool('transfer');
      msg = { type, from, to, term, lastLogIndex, lastLogTerm, preVote, transfer };
      break;
    }
    case 'vote-response': {
      const granted = r.bool('granted');
      const preVote = r.bool('preVote');
      msg = { type, from, to, term, granted, preVote };
      break;
    }
    case 'append': {
      const prevLogIndex = r.varint('prevLogIndex');
      const prevLogTerm = r.varint('prevLogTerm');
      const leaderCommit = r.varint('leaderCommit');
      const seq = r.varint('seq');
      const memberUids = version === CODEC_VERSION ? r.ids('memberUids') : undefined;
      if (memberUids !== undefined && memberUids.length % 2 !== 0) {
        r.fail('memberUids', `count ${memberUids.length} is odd, expected [id, uid] pairs`);
      }
      const entries = decodeEntries(r, codecs);
      r.ctx = type;
      msg = { type, from, to, term, prevLogIndex, prevLogTerm, entries, leaderCommit, seq };
      if (memberUids !== undefined && memberUids.length > 0) msg.memberUids = memberUids;
      break;
    }
    case 'append-response': {
      const success = r.bool('success');
      const index = r.varint('index');
      const hintIndex = r.varint('hintIndex');
      const hintTerm = r.varint('hintTerm');
      const seq = r.varint('seq');
      msg = { type, from, to, term, success, index, hintIndex, hintTerm, seq };
      break;
    }
    case 'snapshot': {
      const lastIncludedIndex = r.varint('lastIncludedIndex');
      const lastIncludedTerm = r.varint('lastIncludedTerm');
      r.ctx = 'snapshot config';
      const config = r.membership();
      r.ctx = type;
      const termStarts = r.ids('termStarts');
      const problem = termStartsProblem(termStarts);
      if (problem !== null) r.fail('termStarts', problem);
      const offset = r.varint('offset');
      const done = r.bool('done');
      const seq = r.varint('seq');
      const dataIsBytes = r.bool('dataIsBytes');
      const start = r.lengthPrefixed('data');
      let data: D | Uint8Array;
      if (dataIsBytes) {
        data = copyBytes(bytes, start, r.pos);
      } else {
        try {
          data = codecs.snapshot.decode(bytes.subarray(start, r.pos));
        } catch (e) {
          throw new CodecError(`snapshot data: snapshot codec failed: ${errorText(e)}`);
        }
        if (data === undefined) r.fail('data', 'the snapshot codec returned undefined');
      }
      msg = {
        type,
        from,
        to,
        term,
        lastIncludedIndex,
        lastIncludedTerm,
        config,
        termStarts,
        offset,
        data,
        done,
        seq,
      };
      break;
    }
    case 'snapshot-response': {
      const lastIncludedIndex = r.varint('lastIncludedIndex');
      const nextOffset = r.varint('nextOffset');
      const seq = r.varint('seq');
      msg = { type, from, to, term, lastIncludedIndex, nextOffset, seq };
      break;
    }
    case 'timeout-now':
      msg = { type, from, to, term };
      break;
    case 'read-index': {
      const requestId = r.varint('requestId');
      msg = { type, from, to, term, requestId };
      break;
    }
    case 'read-index-response': {
      const requestId = r.varint('requestId');
      const readIndex = r.varint('readIndex');
      msg = { type, from, to, term, requestId, readIndex };
      break;
    }
  }
  if (r.pos !== bytes.length) {
    throw new CodecError(
      `trailing garbage: ${bytes.length - r.pos} byte${bytes.length - r.pos === 1 ? '' : 's'} after the ${type} message`,
    );
  }
  if (fromUid !== 0) msg.fromUid = fromUid;
  if (toUid !== 0) msg.toUid = toUid;
  return msg;
}
