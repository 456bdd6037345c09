// The bitmap commands on string values: SETBIT, GETBIT, BITCOUNT, BITPOS, as Redis 7.0's bitops.c
// answers them (BITOP: bitop.ts; BITFIELD: bitfield.ts). Bit 0 is the most significant bit of the
// first byte. Offsets reach 2^32 - 1 as in Redis; a string past this server's longest one answers
// the proto-max-bulk-len error instead (strings.ts MAX_VALUE_LENGTH).

import { latin1, parseInt64Arg } from '../../commands/args.js';
import { ERR_NOT_INTEGER, ERR_SYNTAX } from '../../resp/error-replies.js';
import { ErrorReply } from '../../resp/reply.js';
import type { CommandHandler, KeyStore } from '../key-store.js';
import { isCKeyword, parseBitOffset } from './bit-args.js';
import { markString } from './object.js';
import { ERR_TOO_BIG, MAX_VALUE_LENGTH, stringAt } from './strings.js';

const ERR_BIT_VALUE = new ErrorReply('ERR bit is not an integer or out of range');
const ERR_BIT_ARG = new ErrorReply('ERR The bit argument must be 1 or 0.');

/** Beyond any string's length in bits: larger indexes (bigints too) behave alike. */
const FAR = 2 ** 53;

function clamp(v: number | bigint): number {
  return v > FAR ? FAR : v < -FAR ? -FAR : Number(v);
}

/** Set bits of each byte value. */
const POPCOUNT = new Uint8Array(256);
for (let i = 1; i < 256; i++) POPCOUNT[i] = (i & 1) + POPCOUNT[i >> 1]!;

/** The string `key` holds for a bit write, grown with zero bytes to hold `byte`; whether it grew or was made. */
export function stringForBitWrite(
  ks: KeyStore,
  key: string,
  byte: number,
  t: number,
): { value: string; grown: boolean } | ErrorReply {
  const old = stringAt(ks, key, t, true);
  if (old instanceof ErrorReply) return old;
  if (byte + 1 > MAX_VALUE_LENGTH) return ERR_TOO_BIG;
  if (old !== undefined && old.length > byte) return { value: old, grown: false };
  const base = old ?? '';
  return { value: base + '\0'.repeat(byte + 1 - base.length), grown: true };
}

/** SETBIT key offset 0|1: the bit's old value. Redis signals the key only if it grew or the bit changed. */
const setbit: CommandHandler = (ks, argv, t) => {
  const offset = parseBitOffset(argv[2]!);
  if (offset instanceof ErrorReply) return offset;
  const on = parseInt64Arg(argv[3]!);
  if (on !== 0 && on !== 1) return ERR_BIT_VALUE;
  const key = latin1(argv[1]!);
  const byte = Math.floor(offset / 8);
  const target = stringForBitWrite(ks, key, byte, t);
  if (target instanceof ErrorReply) return target;
  const { value, grown } = target;
  const mask = 1 << (7 - (offset % 8));
  const old = value.charCodeAt(byte);
  const was = (old & mask) !== 0 ? 1 : 0;
  let stored = value;
  if (grown || was !== on) {
    const next = on === 1 ? old | mask : old & ~mask;
    stored = value.slice(0, byte) + String.fromCharCode(next) + value.slice(byte + 1);
    ks.put(key, stored);
  }
  markString(ks, key, stored, true); // Redis edits a raw copy in place, changed or not
  return was;
};

/** GETBIT key offset: 0 beyond the string or for no key. */
const getbit: CommandHandler = (ks, argv, t) => {
  const offset = parseBitOffset(argv[2]!);
  if (offset instanceof ErrorReply) return offset;
  const v = stringAt(ks, latin1(argv[1]!), t, false);
  if (v === undefined || v instanceof ErrorReply) return v ?? 0;
  const byte = Math.floor(offset / 8);
  if (byte >= v.length) return 0;
  return (v.charCodeAt(byte) >> (7 - (offset % 8))) & 1;
};

/** A BIT / BYTE range unit (C string, any case): true for BIT, null if neither. */
function unitIsBit(arg: Uint8Array): boolean | null {
  if (isCKeyword(arg, 'bit')) return true;
  return isCKeyword(arg, 'byte') ? false : null;
}

/** A BITCOUNT / BITPOS range as the bytes to read, and masks of the bits of its edge bytes outside it. */
interface ByteRange {
  start: number;
  end: number;
  firstMask: number;
  lastMask: number;
}

/**
 * Resolves [start, end] in a string of `total` units (bytes, or bits when `isBit`): negative ends
 * count from the end, the end is cut to the string. An empty result has start > end.
 */
function byteRange(start: number, end: number, total: number, isBit: boolean): ByteRange {
  if (start < 0) start = Math.max(0, total + start);
  if (end < 0) end = Math.max(0, total + end);
  if (end >= total) end = total - 1;
  if (!isBit || start > end) return { start, end, firstMask: 0, lastMask: 0 };
  return {
    start: Math.floor(start / 8),
    end: Math.floor(end / 8),
    firstMask: ~((1 << (8 - (start % 8))) - 1) & 0xff,
    lastMask: (1 << (7 - (end % 8))) - 1,
  };
}

/** BITCOUNT key [start end [BYTE | BIT]]: set bits in the range; an absent key is 0 whatever the arguments. */
const bitcount: CommandHandler = (ks, argv, t) => {
  const v = stringAt(ks, latin1(argv[1]!), t, false);
  if (v === undefined || v instanceof ErrorReply) return v ?? 0;
  let start: number;
  let end: number;
  let firstMask = 0;
  let lastMask = 0;
  if (argv.length === 4 || argv.length === 5) {
    const from = parseInt64Arg(argv[2]!);
    if (from === null) return ERR_NOT_INTEGER;
    const to = parseInt64Arg(argv[3]!);
    if (to === null) return ERR_NOT_INTEGER;
    const isBit = argv.length === 5 ? unitIsBit(argv[4]!) : false;
    if (isBit === null) return ERR_SYNTAX;
    const total = isBit ? v.length * 8 : v.length;
    if (from < 0 && to < 0 && from > to) return 0;
    ({ start, end, firstMask, lastMask } = byteRange(clamp(from), clamp(to), total, isBit));
  } else if (argv.length === 2) {
    start = 0;
    end = v.length - 1;
  } else {
    return ERR_SYNTAX;
  }
  if (start > end) return 0;
  let count = 0;
  for (let i = start; i <= end; i++) count += POPCOUNT[v.charCodeAt(i)]!;
  return count - POPCOUNT[v.charCodeAt(start) & firstMask]! - POPCOUNT[v.charCodeAt(end) & lastMask]!;
};

/** redisBitpos: the first `bit` in the bytes [from, from + count), relative to from; -1 for no 1, count * 8 for no 0. */
function findBit(v: string, from: number, count: number, bit: number): number {
  const skip = bit === 1 ? 0 : 0xff;
  for (let i = from; i < from + count; i++) {
    const b = v.charCodeAt(i);
    if (b !== skip) return (i - from) * 8 + firstBitOfByte(b, bit);
  }
  return bit === 1 ? -1 : count * 8;
}

/** The first `bit` of the byte `b` (0 = most significant), or -1 / 8 (for 0) if none. */
function firstBitOfByte(b: number, bit: number): number {
  for (let i = 0; i < 8; i++) if (((b >> (7 - i)) & 1) === bit) return i;
  return bit === 1 ? -1 : 8;
}

/**
 * BITPOS key bit [start [end [BYTE | BIT]]]: the first bit set (or clear) in the range, -1 if none;
 * looking for 0 with no end given, the bit just past the string counts as clear. The search is
 * bitopsCommand's, step for step, so its edge cases come out as in Redis.
 */
const bitpos: CommandHandler = (ks, argv, t) => {
  const bit = parseInt64Arg(argv[2]!);
  if (bit === null) return ERR_NOT_INTEGER;
  if (bit !== 0 && bit !== 1) return ERR_BIT_ARG;
  const v = stringAt(ks, latin1(argv[1]!), t, false);
  if (v === undefined) return bit === 1 ? -1 : 0; // an endless run of zeros
  if (v instanceof ErrorReply) return v;
  let start: number;
  let end: number;
  let endGiven = false;
  let firstMask = 0;
  let lastMask = 0;
  if (argv.length >= 4 && argv.length <= 6) {
    const from = parseInt64Arg(argv[3]!);
    if (from === null) return ERR_NOT_INTEGER;
    const isBit = argv.length === 6 ? unitIsBit(argv[5]!) : false;
    if (isBit === null) return ERR_SYNTAX;
    let total = v.length;
    if (argv.length >= 5) {
      const to = parseInt64Arg(argv[4]!);
      if (to === null) return ERR_NOT_INTEGER;
      end = clamp(to);
      endGiven = true;
    } else {
      end = isBit ? total * 8 + 7 : total - 1;
    }
    if (isBit) total *= 8;
    ({ start, end, firstMask, lastMask } = byteRange(clamp(from), end, total, isBit));
  } else if (argv.length === 3) {
    start = 0;
    end = v.length - 1;
  } else {
    return ERR_SYNTAX;
  }
  if (start > end) return -1; // an empty range holds neither a 0 nor a 1
  let bytes = end - start + 1;
  let pos = -1;
  search: {
    if (firstMask !== 0) {
      // The first byte with its bits before the range made the opposite of `bit`.
      let b = v.charCodeAt(start);
      b = bit === 1 ? b & ~firstMask : b | firstMask;
      if (lastMask !== 0 && bytes === 1) b = bit === 1 ? b & ~lastMask : b | lastMask;
      pos = firstBitOfByte(b & 0xff, bit);
      if (bytes === 1 || (pos !== -1 && pos !== 8)) break search;
      start++;
      bytes--;
    }
    const whole = bytes - (lastMask !== 0 ? 1 : 0);
    if (whole > 0) {
      pos = findBit(v, start, whole, bit);
      if (bytes === whole || (pos !== -1 && pos !== whole * 8)) break search;
      start += whole;
      bytes -= whole;
    }
    const b = v.charCodeAt(end);
    pos = firstBitOfByte((bit === 1 ? b & ~lastMask : b | lastMask) & 0xff, bit);
  }
  // Looking for 0 in a range with an explicit end: the bit past it is outside, not clear.
  if (endGiven && bit === 0 && pos === bytes * 8) return -1;
  return pos === -1 ? -1 : pos + start * 8;
};

export const BITMAP_WRITES: Record<string, CommandHandler> = { setbit };

export const BITMAP_READS: Record<string, CommandHandler> = { getbit, bitcount, bitpos };
