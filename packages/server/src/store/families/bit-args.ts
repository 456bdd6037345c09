// Arguments of the bitmap commands (bitmaps.ts, bitfield.ts) as Redis 7.0 reads them: bit offsets
// (with BITFIELD's '#' form), and keywords Redis compares as C strings (strcasecmp, so "bit\0x"
// is BIT).

import { latin1, parseInt64 } from '../../commands/args.js';
import { ErrorReply } from '../../resp/reply.js';

const ERR_BIT_OFFSET = new ErrorReply('ERR bit offset is not an integer or out of range');

/** proto-max-bulk-len's default (512 MB): a bit offset must address a byte below it. */
const PROTO_MAX_BULK_LEN = 512n * 1024n * 1024n;

/**
 * getBitOffsetFromArgument: a bit offset below 2^32; with `bits` (BITFIELD), "#n" means n * bits,
 * multiplied in 64 bits as C does (an overflow wraps, to a negative offset or a small one).
 */
export function parseBitOffset(arg: Uint8Array, bits = 0): number | ErrorReply {
  const hash = bits > 0 && arg[0] === 0x23; /* '#' */
  const parsed = parseInt64(latin1(hash ? arg.subarray(1) : arg));
  if (parsed === null) return ERR_BIT_OFFSET;
  const offset = hash ? BigInt.asIntN(64, BigInt(parsed) * BigInt(bits)) : BigInt(parsed);
  if (offset < 0n || offset >> 3n >= PROTO_MAX_BULK_LEN) return ERR_BIT_OFFSET;
  return Number(offset);
}

/** The argument up to its first NUL, as C sees it. */
export function cString(arg: Uint8Array): Uint8Array {
  const nul = arg.indexOf(0);
  return nul === -1 ? arg : arg.subarray(0, nul);
}

/** strcasecmp(arg, lower) === 0: `arg` up to its first NUL equals the lowercase ASCII `lower`, in any case. */
export function isCKeyword(arg: Uint8Array, lower: string): boolean {
  const s = cString(arg);
  if (s.length !== lower.length) return false;
  for (let i = 0; i < s.length; i++) {
    let b = s[i]!;
    if (b >= 65 && b <= 90) b += 32;
    if (b !== lower.charCodeAt(i)) return false;
  }
  return true;
}
