// What a command answers, before RESP encoding. One value per Redis reply kind:
//   SimpleString -> "+OK", ErrorReply -> "-ERR ...", number/bigint -> ":1", Uint8Array -> bulk,
//   null -> nil bulk ("$-1"), Reply[] -> array, Push -> pub/sub messages (RESP3 '>', RESP2 arrays).
//   RESP3 maps are not used.

export class SimpleString {
  constructor(readonly value: string) {}
}

export class ErrorReply {
  /** `message` is the whole error line without the leading '-', e.g. "ERR syntax error". */
  constructor(readonly message: string) {}
}

/**
 * Pub/sub messages (SUBSCRIBE's confirmations): one or more frames written one after another, each
 * a RESP3 push ('>') or, in RESP2, an array. Several frames answer one command (SUBSCRIBE a b).
 */
export class Push {
  constructor(readonly frames: readonly (readonly Reply[])[]) {}
}

export type Reply = SimpleString | ErrorReply | number | bigint | Uint8Array | null | Reply[] | Push;

export const OK = new SimpleString('OK');
