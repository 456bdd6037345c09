// What a command answers, before RESP encoding. One value per Redis reply kind:
//   SimpleString -> "+OK", ErrorReply -> "-ERR ...", number/bigint -> ":1", Uint8Array -> bulk,
//   null -> nil bulk ("$-1"), Reply[] -> array, and the kinds RESP3 tells apart from an array:
//   MapReply -> map ("%"), SetReply -> set ("~"), PairsReply -> array of pairs (RESP2: all flat),
//   Push -> pub/sub messages (RESP3 '>', RESP2 arrays).

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

/** Pairs, flat (HRANDFIELD WITHVALUES): RESP3 nests each pair in an array of 2; RESP2 gets the flat array. */
export class PairsReply {
  constructor(readonly entries: Reply[]) {}
}

/**
 * Pub/sub messages (SUBSCRIBE's confirmations): one or more frames written one after another, each
 * a RESP3 push ('>') or, in RESP2, an array. Several frames answer one command (SUBSCRIBE a b).
 */
export class Push {
  constructor(readonly frames: readonly (readonly Reply[])[]) {}
}

export type Reply =
  SimpleString | ErrorReply | number | bigint | Uint8Array | null | Reply[] | MapReply | SetReply | PairsReply | Push;

export const OK = new SimpleString('OK');
