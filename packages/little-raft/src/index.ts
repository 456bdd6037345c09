// The public API of little-raft (docs/api.md).
export { Replica } from './driver/replica.js';
export type {
  Cluster,
  Clock,
  MemberIdentityStatus,
  ReplicaOptions,
  ReplicaStatus,
  StateMachine,
} from './driver/replica.js';
export { NotLeaderError, ReplicaStoppedError, TimeoutError, CodecError } from './encoding/errors.js';
export type { MembershipChange } from './driver/membership.js';
export { MemoryStorage } from './storage/memory.js';
export { encodeMessage, decodeMessage, jsonCodec, bytesCodec } from './encoding/codec.js';
export type { Codec, MessageCodecs } from './encoding/codec.js';
// Building blocks for byte formats of your own (a state machine's snapshot, a transport).
export { crc32 } from './encoding/crc32.js';
export { varintSize, writeVarint } from './encoding/varint.js';
import { Raft as RaftCore, type RaftOptions } from './core/raft.js';
/**
 * The pure Raft state machine behind a {@link Replica}: no I/O, no clock, no randomness of its own;
 * step it with its methods and carry out what `ready()` returns. For those who drive it themselves:
 * most users want `Replica`. Its state (term, role, commit index, ...) can be read, never written.
 */
export type Raft<T, D> = Readonly<RaftCore<T, D>>;
export const Raft: new <T, D>(options: RaftOptions<T, D>) => Raft<T, D> = RaftCore;
export type { RaftOptions, Ready, RaftRole } from './core/raft.js';
export type * from './core/types.js';
export type { SnapshotBytes, SnapshotWriter } from './storage/snapshot-bytes.js';
export { ChunkedBytes } from './storage/snapshot-bytes.js';
