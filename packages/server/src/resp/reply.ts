// What a command answers, before RESP encoding. One value per Redis reply kind:
//   SimpleString -> "+OK", ErrorReply -> "-ERR ...", number/bigint -> ":1", Uint8Array -> bulk,
//   null -> nil bulk ("$-1"), Reply[] -> array, and the kinds RESP3 tells apart from an array:
//   MapReply -> map ("%"), SetReply -> set ("~"), PairsReply -> array of pairs (RESP2: all flat),
//   Push -> pub/sub messages (RESP3 '>', RESP2 arrays).
// Three kinds are written differently per protocol, as Redis 7.0 writes them (sorted sets):
//   DoubleReply -> "," double in RESP3, its %.17g text as a bulk string in RESP2;
//   PairsReply -> an array of [a, b] pairs in RESP3, one flat array in RESP2;
//   NULL_ARRAY -> "_" in RESP3, the null array "*-1" in RESP2.

export class SimpleString {
  constructor(readonly value: string) {}
}

export class ErrorReply {
  /** `message` is the whole error line without the leading '-', e.g. "ERR syntax error". */
  constructor(readonly message: string) {}
}

/** A map: `entries` holds key, value, key, value ... (HGETALL, LCS IDX); RESP2 gets the flat array. */
export class MapReply {
  constructor(readonly entries: Reply[]) {}
}

/** Members of a set (SMEMBERS, SUNION ...): a RESP3 set; RESP2 gets an array. */
export class SetReply {
  constructor(readonly members: Reply[]) {}
}

/**
 * Pub/sub messages (SUBSCRIBE's confirmations): one or more frames written one after another, each
 * a RESP3 push ('>') or, in RESP2, an array. Several frames answer one command (SUBSCRIBE a b).
 */
export class Push {
  constructor(readonly frames: readonly (readonly Reply[])[]) {}
}

/** A double: ZSCORE, ZINCRBY, the scores of WITHSCORES. */
export class DoubleReply {
  constructor(readonly value: number) {}
}

/**
 * Pairs given flat (member, score, ... or field, value, ...): WITHSCORES, ZPOPMIN with a count,
 * HRANDFIELD WITHVALUES. RESP3 nests each pair in an array of 2; RESP2 gets the flat array.
 */
export class PairsReply {
  constructor(readonly flat: readonly Reply[]) {}
}

class NullArray {
  /** Makes the class nominal: an empty class would match any object in TypeScript. */
  private readonly nullArray = true;
}

export type Reply =
  | SimpleString
  | ErrorReply
  | DoubleReply
  | PairsReply
  | NullArray
  | MapReply
  | SetReply
  | Push
  | number
  | bigint
  | Uint8Array
  | null
  | Reply[];

export const OK = new SimpleString('OK');

/**
 * Redis's null array: ZMPOP, LMPOP or BZPOPMIN with nothing to pop, LPOP key count of no key, a
 * blocking command that times out.
 */
export const NULL_ARRAY: Reply = new NullArray();
