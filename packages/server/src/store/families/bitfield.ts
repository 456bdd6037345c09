// BITFIELD key [GET type offset | SET type offset value | INCRBY type offset increment |
// OVERFLOW WRAP | SAT | FAIL ...] and BITFIELD_RO (GETs only): integers of 1 to 64 bits (signed) or
// 63 (unsigned) at any bit offset of a string, as Redis 7.0's bitops.c reads, writes and overflows
// them. The arithmetic is C's 64-bit arithmetic, done here in bigints wrapped to 64 bits, so that
// its corner cases (SET of a value far outside the type under SAT) come out as in Redis.

import { intReply, latin1, parseInt64, parseInt64Arg } from '../../commands/args.js';
import { ERR_NOT_INTEGER, ERR_SYNTAX } from '../../resp/error-replies.js';
import { ErrorReply, type Reply } from '../../resp/reply.js';
import type { CommandHandler, KeyStore } from '../key-store.js';
import { cString, isCKeyword, parseBitOffset } from './bit-args.js';
import { stringForBitWrite } from './bitmaps.js';
import { markString } from './object.js';
import { stringAt } from './strings.js';

const ERR_TYPE = new ErrorReply(
  'ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.',
);
const ERR_OVERFLOW_TYPE = new ErrorReply('ERR Invalid OVERFLOW type specified');
const ERR_READONLY = new ErrorReply('ERR BITFIELD_RO only supports the GET subcommand');

type Overflow = 'wrap' | 'sat' | 'fail';
const OVERFLOWS: readonly Overflow[] = ['wrap', 'sat', 'fail'];

interface FieldOp {
  readonly opcode: 'get' | 'set' | 'incrby';
  readonly signed: boolean;
  readonly bits: number;
  readonly offset: number;
  readonly value: bigint;
  readonly overflow: Overflow;
}

/** getBitfieldTypeFromArgument: 'i' or 'u' (lowercase), then 1..64 or 1..63 bits. */
function parseType(arg: Uint8Array): { signed: boolean; bits: number } | ErrorReply {
  const s = cString(arg);
  const signed = s[0] === 0x69; /* 'i' */
  if (!signed && s[0] !== 0x75 /* 'u' */) return ERR_TYPE;
  const bits = parseInt64(latin1(s.subarray(1)));
  if (bits === null || bits < 1 || bits > (signed ? 64 : 63)) return ERR_TYPE;
  return { signed, bits: Number(bits) };
}

/** The operations, or the first error in them (Redis checks them all before touching the key). */
function parseOps(argv: readonly Uint8Array[]): FieldOp[] | ErrorReply {
  const ops: FieldOp[] = [];
  let overflow: Overflow = 'wrap';
  for (let j = 2; j < argv.length; j++) {
    const rest = argv.length - j - 1;
    const sub = argv[j]!;
    let opcode: FieldOp['opcode'];
    if (isCKeyword(sub, 'get') && rest >= 2) opcode = 'get';
    else if (isCKeyword(sub, 'set') && rest >= 3) opcode = 'set';
    else if (isCKeyword(sub, 'incrby') && rest >= 3) opcode = 'incrby';
    else if (isCKeyword(sub, 'overflow') && rest >= 1) {
      j++;
      const o = OVERFLOWS.find((name) => isCKeyword(argv[j]!, name));
      if (o === undefined) return ERR_OVERFLOW_TYPE;
      overflow = o;
      continue;
    } else return ERR_SYNTAX;
    const type = parseType(argv[j + 1]!);
    if (type instanceof ErrorReply) return type;
    const offset = parseBitOffset(argv[j + 2]!, type.bits);
    if (offset instanceof ErrorReply) return offset;
    let value = 0n;
    if (opcode !== 'get') {
      const v = parseInt64Arg(argv[j + 3]!);
      if (v === null) return ERR_NOT_INTEGER;
      value = BigInt(v);
    }
    ops.push({ opcode, ...type, offset, value, overflow });
    j += opcode === 'get' ? 2 : 3;
  }
  return ops;
}

/** The unsigned `bits`-bit integer at bit `offset` of `bytes` (bytes past the end read as 0). */
function readBits(bytes: Uint8Array, offset: number, bits: number): bigint {
  let v = 0n;
  for (let i = offset; i < offset + bits; i++) {
    const byte = Math.floor(i / 8);
    const b = byte < bytes.length ? (bytes[byte]! >> (7 - (i % 8))) & 1 : 0;
    v = (v << 1n) | BigInt(b);
  }
  return v;
}

function writeBits(bytes: Uint8Array, offset: number, bits: number, value: bigint): void {
  for (let k = 0; k < bits; k++) {
    const i = offset + k;
    const byte = Math.floor(i / 8);
    const mask = 1 << (7 - (i % 8));
    if ((value >> BigInt(bits - 1 - k)) & 1n) bytes[byte]! |= mask;
    else bytes[byte]! &= ~mask;
  }
}

const i64 = (v: bigint): bigint => BigInt.asIntN(64, v);

/**
 * checkUnsignedBitfieldOverflow and its signed twin: whether `value + incr` leaves the type, and
 * what WRAP or SAT makes of it (null under FAIL).
 */
function overflowed(op: FieldOp, value: bigint, incr: bigint): { overflow: boolean; limit: bigint | null } {
  const { bits, signed } = op;
  let up: boolean;
  let down: boolean;
  let max: bigint;
  let min: bigint;
  if (signed) {
    max = bits === 64 ? 2n ** 63n - 1n : (1n << BigInt(bits - 1)) - 1n;
    min = -max - 1n;
    const maxIncr = i64(max - value);
    const minIncr = i64(min - value);
    up = value > max || (bits !== 64 && incr > maxIncr) || (value >= 0n && incr > 0n && incr > maxIncr);
    down = !up && (value < min || (bits !== 64 && incr < minIncr) || (value < 0n && incr < 0n && incr < minIncr));
  } else {
    max = (1n << BigInt(bits)) - 1n;
    min = 0n;
    up = value > max || (incr > 0n && incr > i64(max - value));
    down = !up && incr < 0n && incr < i64(-value);
  }
  if (!up && !down) return { overflow: false, limit: null };
  if (op.overflow === 'fail') return { overflow: true, limit: null };
  if (op.overflow === 'sat') return { overflow: true, limit: up ? max : min };
  const sum = BigInt.asUintN(64, value + incr);
  return { overflow: true, limit: signed ? BigInt.asIntN(bits, sum) : BigInt.asUintN(bits, sum) };
}

/** One SET or INCRBY on `bytes`: the reply (null when FAIL refuses) and whether the field changed. */
function writeOp(bytes: Uint8Array, op: FieldOp): { reply: Reply; changed: boolean } {
  const raw = readBits(bytes, op.offset, op.bits);
  const old = op.signed ? BigInt.asIntN(op.bits, raw) : raw;
  let next: bigint;
  let reply: bigint;
  if (op.opcode === 'incrby') {
    const o = overflowed(op, old, op.value);
    if (o.overflow && o.limit === null) return { reply: null, changed: false };
    next = o.limit ?? old + op.value;
    reply = next;
  } else {
    const value = op.signed ? op.value : BigInt.asUintN(64, op.value);
    const o = overflowed(op, value, 0n);
    if (o.overflow && o.limit === null) return { reply: null, changed: false };
    next = o.limit ?? value;
    reply = old;
  }
  writeBits(bytes, op.offset, op.bits, BigInt.asUintN(op.bits, next));
  return { reply: intReply(reply), changed: next !== old };
}

/** A GET: the field's value (zeros past the end of the string). */
function getField(bytes: Uint8Array, op: FieldOp): number | bigint {
  const raw = readBits(bytes, op.offset, op.bits);
  return intReply(op.signed ? BigInt.asIntN(op.bits, raw) : raw);
}

/** The GETs of a read, on the string as it is (absent: zeros). */
function readOps(value: string | undefined, ops: readonly FieldOp[]): Reply[] {
  const bytes = Buffer.from(value ?? '', 'latin1');
  return ops.map((op) => getField(bytes, op));
}

function bitfieldWrite(ks: KeyStore, key: string, ops: readonly FieldOp[], t: number): Reply {
  let highest = 0;
  for (const op of ops) if (op.opcode !== 'get') highest = Math.max(highest, op.offset + op.bits - 1);
  const target = stringForBitWrite(ks, key, Math.floor(highest / 8), t);
  if (target instanceof ErrorReply) return target;
  const bytes = Buffer.from(target.value, 'latin1');
  let changes = 0;
  const replies = ops.map((op): Reply => {
    if (op.opcode === 'get') return getField(bytes, op); // after the writes before it
    const { reply, changed } = writeOp(bytes, op);
    // Redis counts a write that grew the string or changed its field; not one FAIL refused.
    if (reply !== null && (target.grown || changed)) changes++;
    return reply;
  });
  const value = changes > 0 || target.grown ? bytes.toString('latin1') : target.value;
  if (changes > 0) ks.put(key, value);
  else if (target.grown) ks.putUnsignalled(key, value); // grown, but Redis signals no change
  markString(ks, key, value, true); // Redis edits a raw copy in place
  return replies;
}

/** BITFIELD: a write when it has a SET or INCRBY (Redis then makes room up to the farthest bit written). */
const bitfield: CommandHandler = (ks, argv, t) => {
  const ops = parseOps(argv);
  if (ops instanceof ErrorReply) return ops;
  const key = latin1(argv[1]!);
  if (ops.some((op) => op.opcode !== 'get')) return bitfieldWrite(ks, key, ops, t);
  const v = stringAt(ks, key, t, true);
  return v instanceof ErrorReply ? v : readOps(v, ops);
};

const bitfieldRo: CommandHandler = (ks, argv, t) => {
  const ops = parseOps(argv);
  if (ops instanceof ErrorReply) return ops;
  if (ops.some((op) => op.opcode !== 'get')) return ERR_READONLY;
  const v = stringAt(ks, latin1(argv[1]!), t, false);
  return v instanceof ErrorReply ? v : readOps(v, ops);
};

export const BITFIELD_WRITES: Record<string, CommandHandler> = { bitfield };

export const BITFIELD_READS: Record<string, CommandHandler> = { bitfield_ro: bitfieldRo };
