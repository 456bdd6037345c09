// The public API of little-raft (see API.md).
export { Replica } from './driver/replica.js';
export type {
  Cluster,
  Clock,
  MemberIdentityStatus,
  ReplicaOptions,
  ReplicaStatus,
  StateMachine,
} from './driver/replica.js';
export { NotLeaderError, ReplicaStoppedError } from './driver/errors.js';
export { TimeoutError } from './driver/waiters.js';
export type { MembershipChange } from './driver/membership.js';
export { MemoryStorage } from './storage/memory.js';
export { encodeMessage, decodeMessage, jsonCodec, bytesCodec, CodecError } from './encoding/codec.js';
export type { Codec, MessageCodecs } from './encoding/codec.js';
// Building blocks for byte formats of your own (a state machine's snapshot, a transport).
export { crc32 } from './encoding/crc32.js';
export { varintSize, writeVarint } from './encoding/varint.js';
export { Raft } from './core/raft.js';
export type { RaftOptions, Ready, RaftRole } from './core/raft.js';
export type * from './core/types.js';
