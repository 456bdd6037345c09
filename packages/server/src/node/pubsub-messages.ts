// The pub/sub gossip between KV nodes (pubsub-gossip.ts), as TcpCluster application payloads: each
// node tells the others how many of its clients listen to each channel and pattern, so that PUBLISH
// can count the receivers on the whole cluster. Tags 10-13; forwarding.ts uses 1-3.
//
//   beacon   "my table is at (epoch, version)": sent every second; a peer whose copy is older asks.
//   full     the whole table at (epoch, version): the answer to a request.
//   delta    the counts that changed from version `base` to `version` (0: none left).
//   request  "send me your whole table".
//
// An epoch is drawn at each start of a node: a table of a restarted node never passes for the old.

const BEACON = 10;
const FULL = 11;
const DELTA = 12;
const REQUEST = 13;

/** Whether an entry counts a channel's subscribers or a pattern's. */
export const CHANNEL = 0;
export const PATTERN = 1;
export type SubscriptionKind = typeof CHANNEL | typeof PATTERN;

/** One count of a table: `name` (latin1, one char per byte) of `kind` has `count` subscribers. */
export interface TableEntry {
  kind: SubscriptionKind;
  name: string;
  count: number;
}

export type GossipMessage =
  | { type: 'beacon'; epoch: number; version: number }
  | { type: 'full'; epoch: number; version: number; entries: TableEntry[] }
  | { type: 'delta'; epoch: number; base: number; version: number; entries: TableEntry[] }
  | { type: 'request' };

/** Whether a node message is pub/sub gossip (the caller hands the others to forwarding.ts). */
export function isGossip(bytes: Uint8Array): boolean {
  return bytes.length > 0 && bytes[0]! >= BEACON && bytes[0]! <= REQUEST;
}

export function encodeBeacon(epoch: number, version: number): Uint8Array {
  const out = new Uint8Array(17);
  out[0] = BEACON;
  const view = new DataView(out.buffer);
  view.setFloat64(1, epoch);
  view.setFloat64(9, version);
  return out;
}

export function encodeRequest(): Uint8Array {
  return Uint8Array.of(REQUEST);
}

export function encodeFull(epoch: number, version: number, entries: readonly TableEntry[]): Uint8Array {
  return encodeTable(FULL, epoch, 0, version, entries);
}

export function encodeDelta(epoch: number, base: number, version: number, entries: readonly TableEntry[]): Uint8Array {
  return encodeTable(DELTA, epoch, base, version, entries);
}

/** tag, epoch, base, version (float64 each), entry count (uint32), entries: kind, name length, name, count. */
function encodeTable(
  tag: number,
  epoch: number,
  base: number,
  version: number,
  entries: readonly TableEntry[],
): Uint8Array {
  let size = 1 + 24 + 4;
  for (const e of entries) size += 1 + 4 + e.name.length + 4;
  const out = Buffer.allocUnsafe(size);
  out[0] = tag;
  out.writeDoubleBE(epoch, 1);
  out.writeDoubleBE(base, 9);
  out.writeDoubleBE(version, 17);
  out.writeUInt32BE(entries.length, 25);
  let pos = 29;
  for (const e of entries) {
    out[pos++] = e.kind;
    out.writeUInt32BE(e.name.length, pos);
    pos += 4;
    pos += out.write(e.name, pos, 'latin1');
    out.writeUInt32BE(e.count, pos);
    pos += 4;
  }
  return out;
}

/** Throws an Error naming what is wrong for bytes that are not a GossipMessage. */
export function decodeGossip(bytes: Uint8Array): GossipMessage {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const tag = buf[0];
  if (tag === REQUEST) {
    if (buf.length !== 1) throw new Error(`pub/sub request of ${buf.length} bytes, expected 1`);
    return { type: 'request' };
  }
  if (tag === BEACON) {
    if (buf.length !== 17) throw new Error(`pub/sub beacon of ${buf.length} bytes, expected 17`);
    return { type: 'beacon', epoch: buf.readDoubleBE(1), version: buf.readDoubleBE(9) };
  }
  if (tag !== FULL && tag !== DELTA) throw new Error(`not a pub/sub message (tag ${tag})`);
  if (buf.length < 29) throw new Error(`pub/sub table of ${buf.length} bytes is too short`);
  const epoch = buf.readDoubleBE(1);
  const base = buf.readDoubleBE(9);
  const version = buf.readDoubleBE(17);
  const n = buf.readUInt32BE(25);
  const entries: TableEntry[] = [];
  let pos = 29;
  for (let i = 0; i < n; i++) {
    if (pos + 5 > buf.length) throw new Error('pub/sub table: truncated entry');
    const kind = buf[pos++]!;
    if (kind !== CHANNEL && kind !== PATTERN) throw new Error(`pub/sub table: unknown kind ${kind}`);
    const length = buf.readUInt32BE(pos);
    pos += 4;
    if (pos + length + 4 > buf.length) throw new Error('pub/sub table: truncated entry');
    const name = buf.toString('latin1', pos, pos + length);
    pos += length;
    entries.push({ kind, name, count: buf.readUInt32BE(pos) });
    pos += 4;
  }
  if (pos !== buf.length) throw new Error(`pub/sub table: ${buf.length - pos} bytes after the entries`);
  return tag === FULL ? { type: 'full', epoch, version, entries } : { type: 'delta', epoch, base, version, entries };
}
