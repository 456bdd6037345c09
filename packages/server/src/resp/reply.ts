// What a command answers, before RESP encoding. One value per Redis reply kind:
//   SimpleString -> "+OK", ErrorReply -> "-ERR ...", number/bigint -> ":1", Uint8Array -> bulk,
//   null -> nil bulk ("$-1"), Reply[] -> array, MapReply -> a RESP3 map (a flat array in RESP2).
// Three more kinds are written differently per protocol, as Redis 7.0 writes them (sorted sets):
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

/** A double: ZSCORE, ZINCRBY, the scores of WITHSCORES. */
export class DoubleReply {
  constructor(readonly value: number) {}
}

/** Pairs given flat (member, score, member, score ...): WITHSCORES, ZPOPMIN with a count. */
export class PairsReply {
  constructor(readonly flat: readonly Reply[]) {}
}

class NullArray {
  /** Makes the class nominal: an empty class would match any object in TypeScript. */
  private readonly nullArray = true;
}

/** A map: `entries` holds key, value, key, value ... (LCS IDX). */
export class MapReply {
  constructor(readonly entries: Reply[]) {}
}

export type Reply =
  | SimpleString
  | ErrorReply
  | DoubleReply
  | PairsReply
  | NullArray
  | MapReply
  | number
  | bigint
  | Uint8Array
  | null
  | Reply[];

export const OK = new SimpleString('OK');

/** Redis's null array (ZMPOP or BZPOPMIN with nothing to pop). */
export const NULL_ARRAY: Reply = new NullArray();
