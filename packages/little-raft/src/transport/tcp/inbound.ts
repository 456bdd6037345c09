// What a TcpCluster connection does with the bytes it reads, without the socket: frames
// (frames.ts), then the handshake (handshake.ts), then Raft messages (codec.ts), checked to come
// from the authenticated peer and to be addressed to this replica. Pure, so it can be fuzzed.

import type { Message, ReplicaId } from '../../core/types.js';
import { decodeMessage, type MessageCodecs } from '../../encoding/codec.js';
import { CodecError } from '../../encoding/errors.js';
import { FrameDecoder, FrameError, FrameKind } from './frames.js';
import { Handshake, HandshakeError, MAX_HANDSHAKE_FRAME_BYTES, type HandshakeFailure } from './handshake.js';

/** Why a connection's input is refused. */
export type InboundFailure = FrameError['reason'] | HandshakeFailure | 'bad-frame' | 'undecodable' | 'wrong-sender';

export class InboundError extends Error {
  constructor(
    readonly reason: InboundFailure,
    message: string,
  ) {
    super(message);
    this.name = 'InboundError';
  }
}

export type InboundEvent<T, D> =
  /** A handshake step: frame bodies to send back; `peerId` once the other end is authenticated. */
  | { type: 'handshake'; send: Uint8Array[]; peerId: ReplicaId | null }
  | { type: 'message'; message: Message<T, D> }
  | { type: 'ping' }
  /** An application payload (FrameKind.app) from the authenticated peer. */
  | { type: 'app'; from: ReplicaId; payload: Uint8Array };

export interface InboundOptions<T, D> {
  /** This replica's id: messages must be addressed to it. */
  id: ReplicaId;
  handshake: Handshake;
  /** The frame limit once authenticated (before: the handshake's largest frame). */
  maxFrameBytes: number;
  codecs: MessageCodecs<T, D>;
}

/** The input side of one connection: feed() each chunk read, then next() until null. */
export class Inbound<T, D> {
  readonly decoder = new FrameDecoder(MAX_HANDSHAKE_FRAME_BYTES);
  private readonly options: InboundOptions<T, D>;
  private authenticatedAs: ReplicaId | null = null;

  constructor(options: InboundOptions<T, D>) {
    this.options = options;
  }

  /** The other end's id once the handshake is done, else null. */
  get peerId(): ReplicaId | null {
    return this.authenticatedAs;
  }

  feed(chunk: Uint8Array): void {
    try {
      this.decoder.feed(chunk);
    } catch (e) {
      throw asInboundError(e);
    }
  }

  /** The next event from the bytes fed so far, or null when they hold no more. Throws InboundError. */
  next(): InboundEvent<T, D> | null {
    let body: Uint8Array | null;
    try {
      body = this.decoder.next();
    } catch (e) {
      throw asInboundError(e);
    }
    if (body === null) return null;
    const peer = this.authenticatedAs;
    if (peer === null) return this.handshakeStep(body);
    const kind = body[0];
    if (kind === FrameKind.message) {
      let message: Message<T, D>;
      try {
        message = decodeMessage(body.subarray(1), this.options.codecs);
      } catch (e) {
        const what =
          e instanceof CodecError ? e.message : `codec failed: ${e instanceof Error ? e.message : String(e)}`;
        throw new InboundError('undecodable', `undecodable message from peer ${peer}: ${what}`);
      }
      if (message.from !== peer || message.to !== this.options.id) {
        throw new InboundError(
          'wrong-sender',
          `peer ${peer} sent a message from ${message.from} to ${message.to} (this is ${this.options.id})`,
        );
      }
      return { type: 'message', message };
    }
    if (kind === FrameKind.ping && body.length === 1) return { type: 'ping' };
    if (kind === FrameKind.app) return { type: 'app', from: peer, payload: body.subarray(1) };
    throw new InboundError(
      'bad-frame',
      `unexpected frame of kind ${String(kind)} (${body.length} bytes) from peer ${peer}`,
    );
  }

  private handshakeStep(body: Uint8Array): InboundEvent<T, D> {
    const handshake = this.options.handshake;
    let send: Uint8Array[];
    try {
      send = handshake.receive(body);
    } catch (e) {
      throw asInboundError(e);
    }
    if (!handshake.done) return { type: 'handshake', send, peerId: null };
    this.authenticatedAs = handshake.peerId!;
    this.decoder.setLimit(this.options.maxFrameBytes);
    return { type: 'handshake', send, peerId: this.authenticatedAs };
  }
}

/** Known failures become InboundErrors; anything else is a bug and propagates as it is. */
function asInboundError(e: unknown): unknown {
  if (e instanceof FrameError || e instanceof HandshakeError) return new InboundError(e.reason, e.message);
  return e;
}
