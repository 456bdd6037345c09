// Shared helpers for the KV unit tests.
import {
  ErrorReply,
  MapReply,
  NULL_ARRAY,
  PairsReply,
  SetReply,
  SimpleString,
  type Reply,
} from '../../src/resp/reply.js';

/** 'set a 1' -> argv as bytes. Arguments are latin1 (one char per byte), so '\xff' is byte 255. */
export function cmd(line: string | string[]): Uint8Array[] {
  const parts = typeof line === 'string' ? line.split(' ') : line;
  return parts.map((p) => Buffer.from(p, 'latin1'));
}

/**
 * A reply as plain, comparable data: '+OK', '-ERR ...', 1, 'bulk text', null, '*-1' (the null
 * array), [...], { map: [...] }. Sets and pairs come out flat, as RESP2 sends them
 * (encodeReply(r, true) shows their RESP3 form).
 */
export function plain(r: Reply): unknown {
  if (r instanceof SimpleString) return '+' + r.value;
  if (r instanceof ErrorReply) return '-' + r.message;
  if (r === NULL_ARRAY) return '*-1';
  if (r instanceof Uint8Array) return Buffer.from(r).toString('latin1');
  if (Array.isArray(r)) return r.map(plain);
  if (r instanceof MapReply) return { map: r.entries.map(plain) };
  if (r instanceof PairsReply) return r.flat.map(plain);
  if (r instanceof SetReply) return r.members.map(plain);
  if (typeof r === 'bigint') return r;
  return r;
}
