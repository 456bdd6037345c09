// What a command answers, before RESP encoding. One value per Redis reply kind:
//   SimpleString -> "+OK", ErrorReply -> "-ERR ...", number/bigint -> ":1", Uint8Array -> bulk,
//   null -> nil bulk ("$-1"), NULL_ARRAY -> null array ("*-1"), Reply[] -> array, MapReply -> a RESP3
//   map (a flat array in RESP2).

export class SimpleString {
  constructor(readonly value: string) {}
}

export class ErrorReply {
  /** `message` is the whole error line without the leading '-', e.g. "ERR syntax error". */
  constructor(readonly message: string) {}
}

/** A map: `entries` holds key, value, key, value ... (LCS IDX). */
export class MapReply {
  constructor(readonly entries: Reply[]) {}
}

class NullArray {
  /** Makes the class nominal: an empty class would match any object or function in TypeScript. */
  private readonly nullArray = true;
}

export type Reply = SimpleString | ErrorReply | number | bigint | Uint8Array | null | NullArray | Reply[] | MapReply;

export const OK = new SimpleString('OK');

/**
 * Redis's other nil, the null array ("*-1" in RESP2, "_" in RESP3): LPOP key count of no key, LMPOP
 * with nothing to pop, a blocking command that times out.
 */
export const NULL_ARRAY: Reply = new NullArray();
