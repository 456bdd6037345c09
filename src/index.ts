// The public API of little-raft (see API.md).
export { Replica } from './replica.js';
export type { Cluster, Clock, MemberIdentityStatus, ReplicaOptions, ReplicaStatus, StateMachine } from './replica.js';
export { NotLeaderError, ReplicaStoppedError } from './errors.js';
export { TimeoutError } from './waiters.js';
export type { MembershipChange } from './membership.js';
export { MemoryStorage } from './storage/memory.js';
export { encodeMessage, decodeMessage, jsonCodec, bytesCodec, CodecError } from './transport/codec.js';
export type { Codec, MessageCodecs } from './transport/codec.js';
export { Raft } from './core/raft.js';
export type { RaftOptions, Ready, RaftRole } from './core/raft.js';
export type * from './core/types.js';
