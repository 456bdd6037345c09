// What a command answers, before RESP encoding. One value per Redis reply kind:
//   SimpleString -> "+OK", ErrorReply -> "-ERR ...", number/bigint -> ":1", Uint8Array -> bulk,
//   null -> nil bulk ("$-1"), Reply[] -> array, and the kinds RESP3 tells apart from an array:
//   MapReply -> map ("%"), SetReply -> set ("~"), PairsReply -> array of pairs (RESP2: all flat).

export class SimpleString {
  constructor(readonly value: string) {}
}

export class ErrorReply {
  /** `message` is the whole error line without the leading '-', e.g. "ERR syntax error". */
  constructor(readonly message: string) {}
}

/** Key/value pairs, flat (HGETALL): a RESP3 map; RESP2 gets the flat array. */
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

export type Reply =
  SimpleString | ErrorReply | number | bigint | Uint8Array | null | Reply[] | MapReply | SetReply | PairsReply;

export const OK = new SimpleString('OK');
