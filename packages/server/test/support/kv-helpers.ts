// Shared helpers for the KV unit tests.
import { lookupCommand } from '../../src/commands/command-table.js';
import { encodeReply } from '../../src/resp/resp-encode.js';
import { Keyspace } from '../../src/store/keyspace.js';
import {
  ErrorReply,
  MapReply,
  NULL_ARRAY,
  PairsReply,
  SetReply,
  SimpleString,
  type Reply,
} from '../../src/resp/reply.js';

/** The time the unit tests apply writes and read at, unless they say otherwise (Nov 2023, in ms). */
export const T0 = 1_700_000_000_000;

/** Redis's WRONGTYPE error as plain() shows it. */
export const WRONGTYPE = '-WRONGTYPE Operation against a key holding the wrong kind of value';

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

/** A new key space with helpers that apply a write at `at` and read at `now` (T0 unless given), as plain() shows the replies. */
export function ks(): {
  w: (line: string | string[], at?: number) => unknown;
  r: (line: string | string[], now?: number) => unknown;
  k: Keyspace;
} {
  const k = new Keyspace();
  return {
    k,
    w: (line, at = T0) => plain(k.applyWrite(cmd(line), at)),
    r: (line, now = T0) => plain(k.read(cmd(line), now)),
  };
}

/**
 * Key space `k` that applies each write as its own log entry (index `firstIndex`, then the next
 * ...) and reads at T0: `run` answers as plain() shows a reply, `raw` as the RESP bytes.
 */
export function batchedKs(
  k = new Keyspace(),
  firstIndex = 1,
): {
  run: (line: string | string[]) => unknown;
  raw: (line: string | string[], resp3: boolean) => string;
  k: Keyspace;
} {
  let index = firstIndex - 1;
  const apply = (line: string | string[]): Reply => {
    const argv = cmd(line);
    if (lookupCommand(argv[0]!)?.kind === 'read') return k.read(argv, T0);
    k.beginBatch(++index);
    return k.applyWrite(argv, T0);
  };
  return {
    k,
    run: (line) => plain(apply(line)),
    raw: (line, resp3) => encodeReply(apply(line), resp3).toString('latin1'),
  };
}
