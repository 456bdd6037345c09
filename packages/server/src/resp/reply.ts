// What a command answers, before RESP encoding. One value per Redis reply kind:
//   SimpleString -> "+OK", ErrorReply -> "-ERR ...", number/bigint -> ":1", Uint8Array -> bulk,
//   null -> nil bulk ("$-1"), Reply[] -> array, MapReply -> a RESP3 map (a flat array in RESP2).

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

export type Reply = SimpleString | ErrorReply | number | bigint | Uint8Array | null | Reply[] | MapReply;

export const OK = new SimpleString('OK');
