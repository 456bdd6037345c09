// What a command answers, before RESP encoding. One value per Redis reply kind:
//   SimpleString -> "+OK", ErrorReply -> "-ERR ...", number/bigint -> ":1", Uint8Array -> bulk,
//   null -> nil bulk ("$-1"), NIL_ARRAY -> nil array ("*-1"), Reply[] -> array. RESP3 maps are not used.

export class SimpleString {
  constructor(readonly value: string) {}
}

export class ErrorReply {
  /** `message` is the whole error line without the leading '-', e.g. "ERR syntax error". */
  constructor(readonly message: string) {}
}

/**
 * Redis's other nil: the nil array ("*-1" in RESP2, "_" in RESP3), answered by LPOP key count of
 * no key and by a blocking command that times out. Only the NIL_ARRAY instance is used.
 */
export class NilArray {
  /** Makes the class nominal: an empty class would match any object or function in TypeScript. */
  private readonly nilArray = true;
}
export const NIL_ARRAY = new NilArray();

export type Reply = SimpleString | ErrorReply | number | bigint | Uint8Array | null | NilArray | Reply[];

export const OK = new SimpleString('OK');
