// Binary encoding of a KvBatch, the KV service's Raft transition.
//
// Format, version 1 (integers are unsigned LEB128 varints holding values up to 2^53-1):
//   u8 version (1) | u8 idKind | origin | seq | at | [idKind 1: idLength id (UTF-8)]
//   | commandCount | command*: argc arg*: length bytes[length]
//   idKind 0: id is `${origin}:${seq}`; idKind 1: the id is stored.
// Version 2, for a batch holding MULTI/EXEC transactions, is version 1 followed by
//   | txCount (>= 1) | tx*: gap count (>= 1)
//   a transaction covers commands [start, start + count), start = the previous one's end + gap.
// Version 3, for a batch with a transaction that WATCHed keys, is version 2 with each transaction's
// watches after its count (and at least one watch in the batch):
//   | tx*: gap count watchCount watch*: keyLength key version present (u8: 0 or 1)
// A batch without transactions is written as version 1, byte for byte as before, and one without
// watches as version 2; all three decode.
//
// Decoding treats its input as untrusted: every count and length is checked against the bytes left
// before anything is allocated, so a small input can never make the decoder allocate much.
//
// Big batches (a SET of megabytes) are never copied in one go on the event loop: writing megabytes
// into new memory costs milliseconds per megabyte in page faults (~30 ms for 8 MiB on a small VM),
// held by one task. They are encoded a slice at a time (encodeInSlices) and decoded in place.

import { setImmediate as nextTurn } from 'node:timers/promises';

import { bytesCodec, CodecError, varintSize, writeVarint, type MessageCodecs } from 'little-raft';
import type { KvBatch, KvTransactionSpan, KvWatch } from './batch.js';

const VERSION = 1;
const VERSION_TX = 2;
const VERSION_WATCH = 3;
const ID_DERIVED = 0;
const ID_STORED = 1;
const MAX_VARINT_BYTES = 8;
/** encodeInSlices copies this much of an argument per turn of the event loop (a few ms at most). */
const SLICE_BYTES = 1024 * 1024;
/** A batch of at least this many bytes filling most of its buffer is decoded in place. */
const IN_PLACE_BYTES = 64 * 1024;

const utf8 = new TextEncoder();
const utf8Strict = new TextDecoder('utf-8', { fatal: true });

function checkNat(v: unknown, what: string): number {
  if (!Number.isSafeInteger(v) || (v as number) < 0) {
    throw new CodecError(`cannot encode batch: ${what} ${String(v)} is not a non-negative safe integer`);
  }
  return v as number;
}

/**
 * Each batch's bytes, made once: the leader encodes a batch for its log and for every follower,
 * and a follower stores the bytes it received. Batches are immutable, so the bytes stay right.
 */
const encodings = new WeakMap<KvBatch, Uint8Array>();

/** Encodes a batch into a new Uint8Array of exactly its size. Throws CodecError on a malformed batch. */
export function encodeBatch(batch: KvBatch): Uint8Array {
  if (batch instanceof EncodedBatch) return batch.bytes;
  const known = encodings.get(batch);
  if (known !== undefined) return known;
  const { out } = encodeInto(batch, 0, null);
  encodings.set(batch, out);
  return out;
}

/** A batch encoded by encodeInSlices, to be stamped with its time by {@link stampEncoding}. */
export interface SlicedEncoding {
  /** `prefix` bytes for the caller, then the batch's bytes. */
  readonly bytes: Uint8Array;
  readonly prefix: number;
  /** Where `at` is written, and in how many bytes. */
  readonly atOffset: number;
  readonly atBytes: number;
}

/**
 * Encodes `batch` after `prefix` bytes left for the caller, as encodeBatch does, but copies the
 * arguments of 1 MiB or more a slice of 1 MiB at a time, each in a turn of the event loop of
 * its own. Throws CodecError at once on a malformed batch.
 */
export async function encodeInSlices(batch: KvBatch, prefix: number): Promise<SlicedEncoding> {
  const big: { arg: Uint8Array; at: number }[] = [];
  const { out, atOffset } = encodeInto(batch, prefix, big);
  for (const { arg, at } of big) {
    for (let done = 0; done < arg.length; done += SLICE_BYTES) {
      await nextTurn();
      out.set(arg.subarray(done, done + SLICE_BYTES), at + done);
    }
  }
  return { bytes: out, prefix, atOffset, atBytes: varintSize(batch.at) };
}

/**
 * `encoding` (of a batch like `stamped` but for its `at`), stamped with `stamped.at`, as
 * encodeBatch(stamped) returns from now on; false (nothing done) when the time does not take as
 * many bytes as the one it was encoded with.
 */
export function stampEncoding(encoding: SlicedEncoding, stamped: KvBatch): boolean {
  if (varintSize(checkNat(stamped.at, 'at')) !== encoding.atBytes) return false;
  writeVarint(encoding.bytes, encoding.atOffset, stamped.at);
  encodings.set(stamped, encoding.bytes.subarray(encoding.prefix));
  return true;
}

/** True when `batch` has an argument of 1 MiB or more (encodeInSlices copies it a slice at a time). */
export function hasBigArgument(batch: KvBatch): boolean {
  for (const argv of batch.commands) for (const arg of argv) if (arg.length >= SLICE_BYTES) return true;
  return false;
}

/**
 * Encodes `batch` into a new Uint8Array after `prefix` free bytes. With `big`, the arguments of
 * SLICE_BYTES or more are not copied: their places are listed there.
 */
function encodeInto(
  batch: KvBatch,
  prefix: number,
  big: { arg: Uint8Array; at: number }[] | null,
): { out: Uint8Array; atOffset: number } {
  if (typeof batch !== 'object' || batch === null) throw new CodecError('cannot encode batch: not an object');
  const origin = checkNat(batch.origin, 'origin');
  const seq = checkNat(batch.seq, 'seq');
  const at = checkNat(batch.at, 'at');
  if (typeof batch.id !== 'string') throw new CodecError('cannot encode batch: id is not a string');
  const idBytes = batch.id === `${origin}:${seq}` ? null : utf8.encode(batch.id);
  const commands = batch.commands;
  if (!Array.isArray(commands)) throw new CodecError('cannot encode batch: commands is not an array');

  let size = 2 + varintSize(origin) + varintSize(seq) + varintSize(at) + varintSize(commands.length);
  if (idBytes !== null) size += varintSize(idBytes.length) + idBytes.length;
  for (let i = 0; i < commands.length; i++) {
    const argv = commands[i];
    if (!Array.isArray(argv) || argv.length === 0) {
      throw new CodecError(`cannot encode batch: command ${i} is not a non-empty array`);
    }
    size += varintSize(argv.length);
    for (let j = 0; j < argv.length; j++) {
      const arg = argv[j];
      if (!(arg instanceof Uint8Array)) {
        throw new CodecError(`cannot encode batch: command ${i} argument ${j} is not a Uint8Array`);
      }
      size += varintSize(arg.length) + arg.length;
    }
  }

  const txs = batch.transactions;
  const withTx = txs !== undefined && txs.length > 0;
  const withWatch = withTx && Array.isArray(txs) && txs.some(hasWatches);
  if (withTx) size += transactionsSize(txs, commands.length, withWatch);

  // Zeroed memory is given as it is touched: the bytes of big arguments not copied yet cost nothing.
  const out = new Uint8Array(prefix + size);
  out[prefix] = withWatch ? VERSION_WATCH : withTx ? VERSION_TX : VERSION;
  out[prefix + 1] = idBytes === null ? ID_DERIVED : ID_STORED;
  let p = writeVarint(out, prefix + 2, origin);
  p = writeVarint(out, p, seq);
  const atOffset = p;
  p = writeVarint(out, p, at);
  if (idBytes !== null) {
    p = writeVarint(out, p, idBytes.length);
    out.set(idBytes, p);
    p += idBytes.length;
  }
  p = writeVarint(out, p, commands.length);
  for (const argv of commands) {
    p = writeVarint(out, p, argv.length);
    for (const arg of argv) {
      p = writeVarint(out, p, arg.length);
      if (big !== null && arg.length >= SLICE_BYTES) big.push({ arg, at: p });
      else out.set(arg, p);
      p += arg.length;
    }
  }
  if (withTx) {
    p = writeVarint(out, p, txs.length);
    let end = 0;
    for (const tx of txs) {
      p = writeVarint(out, p, tx.start - end);
      p = writeVarint(out, p, tx.count);
      end = tx.start + tx.count;
      if (withWatch) p = writeWatches(out, p, tx.watches ?? []);
    }
  }
  return { out, atOffset };
}

function hasWatches(tx: KvTransactionSpan | undefined): boolean {
  const watches = tx?.watches;
  return watches !== undefined && watches.length > 0;
}

/**
 * The encoded size of the transaction list (`withWatch`: version 3's, with the watches); throws
 * CodecError unless the spans are in order, apart and inside, and the watches well formed.
 */
function transactionsSize(txs: readonly KvTransactionSpan[], commands: number, withWatch: boolean): number {
  // Checked at run time (JavaScript callers), on an unknown copy so that `txs` is not narrowed to any[].
  const list: unknown = txs;
  if (!Array.isArray(list)) throw new CodecError('cannot encode batch: transactions is not an array');
  let size = varintSize(txs.length);
  let end = 0;
  for (let i = 0; i < txs.length; i++) {
    const start = checkNat(txs[i]?.start, `transaction ${i} start`);
    const count = checkNat(txs[i]?.count, `transaction ${i} count`);
    if (start < end || count === 0 || start + count > commands) {
      throw new CodecError(
        `cannot encode batch: transaction ${i} [${start}, +${count}) is empty, out of order or outside`,
      );
    }
    size += varintSize(start - end) + varintSize(count);
    end = start + count;
    if (withWatch) size += watchesSize(txs[i]!.watches ?? [], i);
  }
  return size;
}

function watchesSize(watches: readonly KvWatch[], tx: number): number {
  const list: unknown = watches;
  if (!Array.isArray(list)) throw new CodecError(`cannot encode batch: transaction ${tx} watches is not an array`);
  let size = varintSize(watches.length);
  for (let i = 0; i < watches.length; i++) {
    const w = watches[i];
    const what = `transaction ${tx} watch ${i}`;
    if (!(w?.key instanceof Uint8Array)) throw new CodecError(`cannot encode batch: ${what} key is not a Uint8Array`);
    if (typeof w.present !== 'boolean') throw new CodecError(`cannot encode batch: ${what} present is not a boolean`);
    size += varintSize(w.key.length) + w.key.length + varintSize(checkNat(w.version, `${what} version`)) + 1;
  }
  return size;
}

function writeWatches(out: Uint8Array, p: number, watches: readonly KvWatch[]): number {
  p = writeVarint(out, p, watches.length);
  for (const w of watches) {
    p = writeVarint(out, p, w.key.length);
    out.set(w.key, p);
    p += w.key.length;
    p = writeVarint(out, p, w.version);
    out[p++] = w.present ? 1 : 0;
  }
  return p;
}

/** A bounds-checked cursor over untrusted bytes. */
class Cursor {
  pos = 0;
  constructor(readonly bytes: Uint8Array) {}

  get left(): number {
    return this.bytes.length - this.pos;
  }

  fail(detail: string): never {
    throw new CodecError(`malformed batch at byte ${this.pos}: ${detail}`);
  }

  u8(what: string): number {
    if (this.pos >= this.bytes.length) this.fail(`truncated ${what}`);
    return this.bytes[this.pos++]!;
  }

  varint(what: string): number {
    let result = 0;
    let mul = 1;
    for (let n = 0; n < MAX_VARINT_BYTES; n++) {
      const b = this.u8(what);
      result += (b & 0x7f) * mul;
      if (b < 0x80) {
        if (result > Number.MAX_SAFE_INTEGER) this.fail(`${what} exceeds 2^53-1`);
        return result;
      }
      mul *= 128;
    }
    return this.fail(`${what}: varint longer than ${MAX_VARINT_BYTES} bytes`);
  }

  /** A count of items taking at least one byte each: never more than the bytes left. */
  count(what: string): number {
    const n = this.varint(what);
    if (n > this.left) this.fail(`${what} ${n} exceeds the ${this.left} bytes left`);
    return n;
  }

  /** A length-prefixed byte string: a view of `bytes`. */
  blob(what: string): Uint8Array {
    const len = this.varint(`${what} length`);
    if (len > this.left) this.fail(`truncated ${what}: need ${len} bytes, have ${this.left}`);
    const start = this.pos;
    this.pos += len;
    return this.bytes.subarray(start, this.pos);
  }
}

function decodeId(r: Cursor): string {
  const raw = r.blob('id');
  try {
    return utf8Strict.decode(raw);
  } catch {
    return r.fail('id is not valid UTF-8');
  }
}

/** The transaction list of version 2 (or 3, `withWatch`), checked against the batch's `commands` count. */
function decodeTransactions(r: Cursor, commands: number, withWatch: boolean): KvTransactionSpan[] {
  const n = r.count('transaction count');
  if (n === 0) r.fail(`a version ${withWatch ? VERSION_WATCH : VERSION_TX} batch without transactions`);
  const txs: KvTransactionSpan[] = [];
  let end = 0;
  let watched = false;
  for (let i = 0; i < n; i++) {
    const start = end + r.varint(`transaction ${i} gap`);
    const count = r.varint(`transaction ${i} count`);
    if (count === 0) r.fail(`transaction ${i} is empty`);
    if (start + count > commands) r.fail(`transaction ${i} [${start}, +${count}) exceeds the ${commands} commands`);
    end = start + count;
    const watches = withWatch ? decodeWatches(r, i) : [];
    if (watches.length === 0) {
      txs.push({ start, count });
    } else {
      watched = true;
      txs.push({ start, count, watches });
    }
  }
  if (withWatch && !watched) r.fail('a version 3 batch without watches');
  return txs;
}

/** One transaction's watches (version 3). */
function decodeWatches(r: Cursor, tx: number): KvWatch[] {
  // A watch takes at least 3 bytes (key length, version, present): count() bounds n by the bytes left.
  const n = r.count(`transaction ${tx} watch count`);
  const watches: KvWatch[] = [];
  for (let i = 0; i < n; i++) {
    const key = r.blob(`transaction ${tx} watch ${i} key`);
    const version = r.varint(`transaction ${tx} watch ${i} version`);
    const present = r.u8(`transaction ${tx} watch ${i} present`);
    if (present > 1) r.fail(`transaction ${tx} watch ${i} present is ${present}, not 0 or 1`);
    watches.push({ key, version, present: present === 1 });
  }
  return watches;
}

/**
 * Decodes a batch. The arguments are views of one private copy of `bytes`, so the caller may reuse its
 * buffer; except for a batch of 64 KiB or more that fills at least half of its buffer (a frame of
 * its own, as the transport and the forwarding path hand them over), decoded in place: it must not
 * change afterwards (its arguments become the key space's values). Keeping its views keeps little
 * else alive. The batch is an {@link EncodedBatch}: the log keeps its bytes, not its decoded
 * commands. Throws CodecError on anything malformed: truncation, trailing bytes, unknown version,
 * bad id.
 */
export function decodeBatch(bytes: Uint8Array): KvBatch {
  if (!(bytes instanceof Uint8Array)) throw new CodecError('cannot decode batch: input is not a Uint8Array');
  const inPlace = bytes.length >= IN_PLACE_BYTES && 2 * bytes.length >= bytes.buffer.byteLength;
  const copy = inPlace ? bytes : bytes.slice();
  return new EncodedBatch(copy, decodeFields(copy));
}

/** The fields of a batch's bytes (`copy`, which the arguments are views of). */
function decodeFields(copy: Uint8Array): KvBatch {
  const r = new Cursor(copy);
  const version = r.u8('version');
  if (version !== VERSION && version !== VERSION_TX && version !== VERSION_WATCH) {
    r.fail(`unsupported batch version ${version} (this decoder reads ${VERSION} to ${VERSION_WATCH})`);
  }
  const idKind = r.u8('id kind');
  if (idKind !== ID_DERIVED && idKind !== ID_STORED) r.fail(`unknown id kind ${idKind}`);
  const origin = r.varint('origin');
  const seq = r.varint('seq');
  const at = r.varint('at');
  const id = idKind === ID_STORED ? decodeId(r) : `${origin}:${seq}`;
  const n = r.count('command count');
  const commands: Uint8Array[][] = [];
  for (let i = 0; i < n; i++) {
    const argc = r.count(`command ${i} argument count`);
    if (argc === 0) r.fail(`command ${i} has no arguments`);
    const argv: Uint8Array[] = [];
    for (let j = 0; j < argc; j++) argv.push(r.blob(`command ${i} argument ${j}`));
    commands.push(argv);
  }
  const transactions = version === VERSION ? undefined : decodeTransactions(r, n, version === VERSION_WATCH);
  if (r.left !== 0) r.fail(`${r.left} trailing bytes`);
  return transactions === undefined
    ? { id, origin, seq, at, commands }
    : { id, origin, seq, at, commands, transactions };
}

/**
 * A batch kept as its bytes, as the Raft log holds it until a snapshot covers it: decoded, a
 * batch of 100-byte SETs costs about 460 bytes of JavaScript heap per command here, against
 * 120 bytes of encoding, and it is the heap that V8's full collections walk. The decoded
 * commands it is made with are handed out once (to the apply that follows); a later read
 * decodes them from the bytes again.
 */
export class EncodedBatch implements KvBatch {
  readonly id: string;
  readonly origin: number;
  readonly seq: number;
  readonly at: number;
  /** Kept decoded: few batches have any, and they are small. */
  readonly transactions: KvBatch['transactions'];
  private decoded: KvBatch | null;

  constructor(
    /** The batch's encoding, as encodeBatch returns it; never changed. */
    readonly bytes: Uint8Array,
    decoded: KvBatch,
  ) {
    this.id = decoded.id;
    this.origin = decoded.origin;
    this.seq = decoded.seq;
    this.at = decoded.at;
    this.transactions = decoded.transactions;
    this.decoded = decoded;
  }

  get commands(): Uint8Array[][] {
    const decoded = this.decoded ?? decodeFields(this.bytes);
    this.decoded = null;
    return decoded.commands;
  }
}

/** `batch` as the log should hold it: its bytes (encoded now if they were not yet). */
export function asEncoded(batch: KvBatch): KvBatch {
  return batch instanceof EncodedBatch ? batch : new EncodedBatch(encodeBatch(batch), batch);
}

/** The codecs TcpCluster needs for the KV service: batches as transitions, snapshots as raw bytes. */
export const kvCodecs: MessageCodecs<KvBatch, Uint8Array> = {
  transition: { encode: encodeBatch, decode: decodeBatch },
  snapshot: bytesCodec,
};
