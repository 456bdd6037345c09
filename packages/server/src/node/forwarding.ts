// Messages between KV nodes, carried as TcpCluster application payloads: a follower forwards its
// clients' write batches to the leader; the leader says it proposed one (accept), so the origin
// does not send it again while it waits to apply it; a node that cannot propose one says so
// (reject), so the origin can send it elsewhere at once instead of waiting for its deadline.
// A follower's reads ask the leader for its time (time request); the leader answers with it, or
// says it does not lead (time reply), so that expiry is judged by the cluster's clock everywhere.
// The leader tells a member it removed so (removed): it may never see the configuration without it.
// Tags 10-13 are the pub/sub gossip's (pubsub-messages.ts): the node hands those there.

import type { KvBatch } from '../store/batch.js';
import { decodeBatch, encodeBatch, encodeInSlices } from '../store/batch-codec.js';

const FORWARD = 1;
const REJECT = 2;
const ACCEPT = 3;
const TIME_REQUEST = 4;
const TIME_REPLY = 5;
const REMOVED_TAG = 6;

export type NodeMessage =
  | { type: 'forward'; batch: KvBatch }
  /** `seq` was not proposed here; `leaderId` is who this node thinks leads (-1: nobody). */
  | { type: 'reject'; seq: number; leaderId: number }
  /** `seq` was proposed here. */
  | { type: 'accept'; seq: number }
  /** What is the time? `id` numbers the asker's requests. */
  | { type: 'time-request'; id: number }
  /** The answer to request `id`: the leader's `time` in `term`, or null from a node that does not lead. */
  | { type: 'time-reply'; id: number; term: number; time: number | null }
  /** The leader took this node out of the cluster's configuration. */
  | { type: 'removed' };

export function encodeForward(batch: KvBatch): Uint8Array {
  const body = encodeBatch(batch);
  const out = new Uint8Array(1 + body.length);
  out[0] = FORWARD;
  out.set(body, 1);
  return out;
}

/** encodeForward's bytes, the batch's big arguments copied a slice at a time (encodeInSlices). */
export async function encodeForwardInSlices(batch: KvBatch): Promise<Uint8Array> {
  const { bytes } = await encodeInSlices(batch, 1);
  bytes[0] = FORWARD;
  return bytes;
}

export function encodeReject(seq: number, leaderId: number | null): Uint8Array {
  const out = new Uint8Array(1 + 8 + 4);
  const view = new DataView(out.buffer);
  out[0] = REJECT;
  view.setFloat64(1, seq);
  view.setInt32(9, leaderId ?? -1);
  return out;
}

export function encodeAccept(seq: number): Uint8Array {
  const out = new Uint8Array(1 + 8);
  out[0] = ACCEPT;
  new DataView(out.buffer).setFloat64(1, seq);
  return out;
}

export function encodeTimeRequest(id: number): Uint8Array {
  const out = new Uint8Array(1 + 8);
  out[0] = TIME_REQUEST;
  new DataView(out.buffer).setFloat64(1, id);
  return out;
}

export function encodeTimeReply(id: number, term: number, time: number | null): Uint8Array {
  const out = new Uint8Array(1 + 8 + 8 + 8);
  const view = new DataView(out.buffer);
  out[0] = TIME_REPLY;
  view.setFloat64(1, id);
  view.setFloat64(9, term);
  view.setFloat64(17, time ?? NaN); // NaN: not the leader
  return out;
}

export function encodeRemoved(): Uint8Array {
  return Uint8Array.of(REMOVED_TAG);
}

function seqAt(bytes: Uint8Array, kind: string): number {
  const seq = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getFloat64(1);
  if (!Number.isSafeInteger(seq) || seq < 0) throw new Error(`${kind} message with a bad seq`);
  return seq;
}

/** Throws an Error naming what is wrong for bytes that are not a NodeMessage. */
export function decodeNodeMessage(bytes: Uint8Array): NodeMessage {
  if (bytes.length === 0) throw new Error('empty node message');
  if (bytes[0] === FORWARD) return { type: 'forward', batch: decodeBatch(bytes.subarray(1)) };
  if (bytes[0] === REJECT) {
    if (bytes.length !== 13) throw new Error(`reject message of ${bytes.length} bytes, expected 13`);
    const leaderId = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getInt32(9);
    return { type: 'reject', seq: seqAt(bytes, 'reject'), leaderId };
  }
  if (bytes[0] === ACCEPT) {
    if (bytes.length !== 9) throw new Error(`accept message of ${bytes.length} bytes, expected 9`);
    return { type: 'accept', seq: seqAt(bytes, 'accept') };
  }
  if (bytes[0] === TIME_REQUEST) {
    if (bytes.length !== 9) throw new Error(`time request of ${bytes.length} bytes, expected 9`);
    return { type: 'time-request', id: seqAt(bytes, 'time request') };
  }
  if (bytes[0] === TIME_REPLY) {
    if (bytes.length !== 25) throw new Error(`time reply of ${bytes.length} bytes, expected 25`);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const term = view.getFloat64(9);
    const time = view.getFloat64(17);
    if (!Number.isSafeInteger(term) || term < 0) throw new Error('time reply with a bad term');
    if (!Number.isNaN(time) && !Number.isFinite(time)) throw new Error('time reply with a bad time');
    return { type: 'time-reply', id: seqAt(bytes, 'time reply'), term, time: Number.isNaN(time) ? null : time };
  }
  if (bytes[0] === REMOVED_TAG) {
    if (bytes.length !== 1) throw new Error(`removed message of ${bytes.length} bytes, expected 1`);
    return { type: 'removed' };
  }
  throw new Error(`unknown node message type ${bytes[0]}`);
}
