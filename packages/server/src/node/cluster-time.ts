// The cluster's time, by which reads judge expiry. Writes carry the leader's clock (KvBatch.at); a
// read must be judged by it too, or a node whose own clock runs ahead answers nil for a key the
// others still have, and one behind serves a key the others say is gone: reads would stop being
// linearizable under clock skew. So a read takes, with its read barrier, a leader time read after
// the read began: on the leader its own clock; on a follower the leader's, asked for over the
// node-to-node channel at the same time as the barrier, which takes longer, so it adds no round
// trip. Followers' concurrent reads share one request in flight (like a ReadIndex batch): those of
// one event-loop turn go together (the replica sends the barrier's read index at the end of the
// turn too), and reads that arrive while it is out wait for the next, since a time read before
// they began could let them serve a key the leader had already called expired.

import { NotLeaderError, TimeoutError, type ReplicaId } from 'little-raft';

import { encodeTimeReply, encodeTimeRequest } from './forwarding.js';

/** What ClusterTime needs from its node. */
export interface ClusterTimeHost {
  readonly id: ReplicaId;
  /** This node's wall clock, ms since the epoch (KvNodeOptions.clock). */
  clock(): number;
  leaderId(): ReplicaId | null;
  term(): number;
  /** Sends a node message; false if it could not even be queued. */
  send(to: ReplicaId, payload: Uint8Array): boolean;
}

/**
 * A request or its reply can be lost with a connection: the reads waiting for it fail (and retry,
 * as after a failed barrier) this long after it was sent.
 */
export const TIME_REQUEST_TIMEOUT_MS = 1000;

interface Waiter {
  resolve: (time: number) => void;
  reject: (e: Error) => void;
}

interface Request {
  id: number;
  to: ReplicaId;
  /** This node's term when it asked: an answer from an older term's leader is refused. */
  term: number;
  waiters: Waiter[];
  timer: ReturnType<typeof setTimeout>;
}

export class ClusterTime {
  /** The latest cluster time this node has read at or handed out: it never goes back. */
  private agreed = 0;
  private counter = 0;
  private inFlight: Request | null = null;
  /** Reads that came while a request was out: they go in the next one. */
  private queued: Waiter[] = [];
  /** A request goes at the end of this event-loop turn (setImmediate), with every read of the turn. */
  private askScheduled = false;
  private stopped = false;

  constructor(private readonly host: ClusterTimeHost) {}

  /** The time to read at: the latest one a completed read barrier brought (see confirm). */
  get now(): number {
    return this.agreed;
  }

  /**
   * A leader time read after this call: this node's clock if it leads (never below a time it
   * already handed out), else the leader's, asked for. Rejects with NotLeaderError (no leader, or
   * the one asked no longer leads) or TimeoutError (no answer): retry like a read barrier.
   */
  fetch(): Promise<number> {
    if (this.stopped) return Promise.reject(new Error('the node is shutting down'));
    const leader = this.host.leaderId();
    if (leader === this.host.id) return Promise.resolve(this.leaderNow());
    if (leader === null) return Promise.reject(new NotLeaderError(null));
    return new Promise((resolve, reject) => {
      this.queued.push({ resolve, reject });
      if (this.inFlight !== null || this.askScheduled) return;
      this.askScheduled = true;
      setImmediate(() => {
        this.askScheduled = false;
        if (this.inFlight === null) this.ask();
      });
    });
  }

  /** A read's barrier and its fetch() both succeeded: later reads are judged at `time` or later. */
  confirm(time: number): void {
    if (time > this.agreed) this.agreed = time;
  }

  /** Leader: the answer to another node's time request `id`, or a refusal if this node does not lead. */
  answer(id: number): Uint8Array {
    const leads = !this.stopped && this.host.leaderId() === this.host.id;
    return encodeTimeReply(id, this.host.term(), leads ? this.leaderNow() : null);
  }

  /** A time reply from `from`: settles the request in flight if it is the answer to it. */
  onReply(from: ReplicaId, id: number, term: number, time: number | null): void {
    const request = this.inFlight;
    if (request === null || request.id !== id || request.to !== from) return; // late, after a retry
    if (time === null || term < request.term) this.settle(new NotLeaderError(this.host.leaderId()));
    else this.settle(time);
  }

  /** The leader changed: the request in flight went to a node that may not lead; its reads retry. */
  leaderChanged(): void {
    if (this.inFlight !== null) this.settle(new NotLeaderError(this.host.leaderId()));
  }

  stop(): void {
    this.stopped = true;
    const error = new Error('the node is shutting down');
    if (this.inFlight !== null) this.settle(error);
    for (const w of this.queued.splice(0)) w.reject(error);
  }

  /** This node's clock as the leader's time, never below one it already handed out or read at. */
  leaderNow(): number {
    return (this.agreed = Math.max(this.agreed, this.host.clock()));
  }

  /** Sends the queued reads' request to the leader. */
  private ask(): void {
    const waiters = this.queued;
    this.queued = [];
    if (waiters.length === 0 || this.stopped) return;
    const leader = this.host.leaderId();
    const id = ++this.counter;
    if (leader === null || leader === this.host.id || !this.host.send(leader, encodeTimeRequest(id))) {
      // The leader moved (to this node, even) since they asked: they retry and take that path.
      const error = new NotLeaderError(leader);
      for (const w of waiters) w.reject(error);
      return;
    }
    const timer = setTimeout(
      () => this.settle(new TimeoutError(`no time from leader ${leader} in ${TIME_REQUEST_TIMEOUT_MS} ms`)),
      TIME_REQUEST_TIMEOUT_MS,
    );
    this.inFlight = { id, to: leader, term: this.host.term(), waiters, timer };
  }

  /** Ends the request in flight with a time or an error, then sends the next one. */
  private settle(result: number | Error): void {
    const request = this.inFlight!;
    this.inFlight = null;
    clearTimeout(request.timer);
    for (const w of request.waiters) {
      if (typeof result === 'number') w.resolve(result);
      else w.reject(result);
    }
    this.ask();
  }
}
