// EXEC's answer when a queued HELLO is among its elements. Redis answers each queued command as
// it runs it, so a HELLO 3 inside MULTI answers itself as a RESP3 map and switches the protocol of
// the elements after it, inside the same array. A plain Reply[] cannot say that; this can. And
// EXEC's nil when a watched key changed: a null array ("*-1", RESP3 "_"), which no Reply is.

import type { Reply } from '../resp/reply.js';
import type { ReplyWriter } from '../resp/resp-encode.js';

export interface ExecElement {
  reply: Reply;
  /** A flat key/value list to encode as a map (HELLO). */
  map: boolean;
  /** The protocol this element and every one after it are written in (HELLO 2 / HELLO 3). */
  switchTo: 'resp2' | 'resp3' | undefined;
}

const NULL_ARRAY = Buffer.from('*-1\r\n');
const RESP3_NULL = Buffer.from('_\r\n');

export class ExecReply {
  /** `elements` null: the transaction was aborted (EXEC_NIL). */
  constructor(readonly elements: readonly ExecElement[] | null) {}

  /** Writes the array, starting in protocol `resp3`; returns the protocol after it. */
  write(writer: ReplyWriter, resp3: boolean): boolean {
    if (this.elements === null) {
      writer.writeRaw(resp3 ? RESP3_NULL : NULL_ARRAY);
      return resp3;
    }
    writer.writeArrayHeader(this.elements.length);
    for (const e of this.elements) {
      if (e.switchTo !== undefined) resp3 = e.switchTo === 'resp3';
      if (e.map && Array.isArray(e.reply)) writer.writeMap(e.reply, resp3);
      else writer.write(e.reply, resp3);
    }
    return resp3;
  }
}

/** EXEC's answer when a watched key changed: nil, and nothing ran. */
export const EXEC_NIL = new ExecReply(null);
