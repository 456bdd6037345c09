// What a command answers, before RESP encoding. One value per Redis reply kind:
//   SimpleString -> "+OK", ErrorReply -> "-ERR ...", number/bigint -> ":1", Uint8Array -> bulk,
//   null -> nil bulk ("$-1"), Reply[] -> array. RESP3 maps are not used.

export class SimpleString {
  constructor(readonly value: string) {}
}

export class ErrorReply {
  /** `message` is the whole error line without the leading '-', e.g. "ERR syntax error". */
  constructor(readonly message: string) {}
}

export type Reply = SimpleString | ErrorReply | number | bigint | Uint8Array | null | Reply[];

export const OK = new SimpleString('OK');
