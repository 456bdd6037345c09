import type { MessageType, ReplicaId } from '../core/types.js';

/**
 * One recorded moment of a traced run (`simulate({ trace: true })`), at virtual time `t` (ms): the
 * structured form of the `--trace` lines, plus every message sent and every role change, which the
 * text trace leaves out. `text` is the trace line, where the event has one.
 */
export type TimelineEvent =
  | TimelineMessage
  | { t: number; kind: 'role'; node: ReplicaId; role: string; term: number }
  | { t: number; kind: 'elected'; node: ReplicaId; term: number; text: string }
  | { t: number; kind: 'commit'; node: ReplicaId; index: number; term: number; entry: string; text: string }
  | { t: number; kind: 'crash' | 'restart' | 'disk-lost'; node: ReplicaId; text: string }
  /** The network's cut links after a change (empty when whole), as [from, to] pairs. */
  | { t: number; kind: 'network'; cuts: [ReplicaId, ReplicaId][]; text: string }
  | { t: number; kind: 'note'; text: string }
  | { t: number; kind: 'violation'; text: string };

/** A message sent from one replica to another, and what became of it. */
export interface TimelineMessage {
  t: number;
  kind: 'message';
  from: ReplicaId;
  to: ReplicaId;
  type: MessageType;
  term: number;
  /** The log indexes it carries or names (entries sent, match index, snapshot index), or null. */
  first: number | null;
  last: number | null;
  /** Entries an append carries (0 for a heartbeat). */
  entries: number;
  /** When it arrives (for a drop: when it would have). */
  arrives: number;
  /** Delivered; dropped by the network or a cut link; or lost because the receiver was down. */
  fate: 'delivered' | 'dropped' | 'cut' | 'receiver-down';
  /** A second copy the network made (the `duplicate` fault). */
  duplicate: boolean;
  /** The trace line of a dropped message (none for dropped append responses, as in the trace). */
  text?: string;
}
