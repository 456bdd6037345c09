// The timeout argument of the blocking commands (BLPOP ... BZMPOP), read as Redis 7.0 reads it
// (getTimeoutFromObjectOrReply): string2ld, then ceill(seconds * 1000) in x87 extended precision,
// cast to a 64-bit integer (a value out of its range becomes its most negative value). Emulated
// exactly (long-double.ts), because at the edges it decides between an error and waiting forever:
// "-0.001" waits forever in Redis (its long double is a hair above -0.001, so the product rounds
// up to -0) while "-0.0011" is negative; "inf" and "1e30" are negative (out of range), "1e5000"
// is no float at all; "0.0000001" waits one millisecond.

import { ErrorReply } from '../resp/reply.js';
import { multiplyLongDouble, parseLongDouble, type LongDouble } from '../store/families/long-double.js';
import { latin1 } from './args.js';

const ERR_TIMEOUT_NOT_FLOAT = new ErrorReply('ERR timeout is not a float or out of range');
const ERR_TIMEOUT_NEGATIVE = new ErrorReply('ERR timeout is negative');
const INT64_LIMIT = 1n << 63n;

/**
 * The timeout in milliseconds (0: wait forever), or Redis's error. Milliseconds beyond 2^53 are
 * approximate (they are centuries).
 */
export function parseTimeout(arg: Uint8Array): number | ErrorReply {
  const seconds = parseLongDouble(latin1(arg));
  if (seconds === null) return ERR_TIMEOUT_NOT_FLOAT;
  const ms = ceiling(multiplyLongDouble(seconds, 1000n));
  if (ms === null || ms < 0n || ms >= INT64_LIMIT) return ERR_TIMEOUT_NEGATIVE;
  return Number(ms);
}

/** ceill(v) as an integer; null for an infinity. */
function ceiling(v: LongDouble): bigint | null {
  if ('inf' in v) return null;
  if (v.exp >= 0) return (v.neg ? -1n : 1n) * (v.m << BigInt(v.exp));
  const shift = BigInt(-v.exp);
  const floor = v.m >> shift;
  if (v.neg) return -floor;
  return floor << shift === v.m ? floor : floor + 1n;
}
