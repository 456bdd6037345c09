// The TcpCluster handshake: both ends prove they hold the cluster secret, and learn who the
// other is, before any Raft message crosses the connection.
//
// The dialer opens the connection. Frame bodies (after the kind byte; ids are u64 big-endian,
// at most 2^53-1; nonces are 32 random bytes, fresh per connection):
//
//   dialer   -> acceptor  hello      'LRFT' | version (1) | dialerId | acceptorId | dialerNonce
//   acceptor -> dialer    challenge  acceptorId | acceptorNonce | proof('acceptor')
//   dialer   -> acceptor  proof      proof('dialer')
//   acceptor -> dialer    welcome    (empty)
//
//   proof(role) = HMAC-SHA256(secret, 'little-raft/tcp v1 ' + role | dialerNonce | acceptorNonce
//                                     | dialerId | acceptorId)
//
// Each side checks the other's proof with timingSafeEqual. Both nonces go into both proofs, so
// a proof cannot be replayed on another connection; the role label keeps the acceptor's proof
// from being reflected back as the dialer's. The acceptor refuses a hello that does not name it
// or that comes from an id outside its peers; the dialer refuses a challenge from another id than
// the one it dialed. Without a secret (mutual TLS, or `insecure`) the key is a fixed public
// constant: the exchange still carries the ids, but proves nothing by itself.
//
// Handshake is pure: frame bodies in, frame bodies out, a HandshakeError for anything wrong.
// Randomness is injected so a fuzzer can replay it.

import { createHmac, randomBytes as cryptoRandomBytes, timingSafeEqual } from 'node:crypto';

import type { ReplicaId } from '../../core/types.js';
import { FrameKind } from './frames.js';

const HANDSHAKE_VERSION = 1;
const NONCE_BYTES = 32;
const PROOF_BYTES = 32;
const MAGIC = [0x4c, 0x52, 0x46, 0x54]; // 'LRFT'
const HELLO_BYTES = 1 + 4 + 1 + 8 + 8 + NONCE_BYTES;
const CHALLENGE_BYTES = 1 + 8 + NONCE_BYTES + PROOF_BYTES;
const PROOF_FRAME_BYTES = 1 + PROOF_BYTES;
const WELCOME_BYTES = 1;
/** The largest handshake frame body: the frame limit while a connection is unauthenticated. */
export const MAX_HANDSHAKE_FRAME_BYTES = CHALLENGE_BYTES;
/** The key when no secret is configured (TLS authenticates, or the cluster is insecure). */
export const PUBLIC_KEY = new TextEncoder().encode('little-raft/tcp: no shared secret');

const LABEL_DIALER = new TextEncoder().encode('little-raft/tcp v1 dialer');
const LABEL_ACCEPTOR = new TextEncoder().encode('little-raft/tcp v1 acceptor');

export type HandshakeFailure =
  | 'bad-handshake' // malformed or unexpected frame
  | 'version' // the other end speaks another handshake version
  | 'unknown-peer' // the dialer claims an id outside our peers (or our own)
  | 'wrong-peer' // the other end is not who it should be
  | 'bad-proof'; // the other end does not hold the secret

export class HandshakeError extends Error {
  constructor(
    readonly reason: HandshakeFailure,
    message: string,
  ) {
    super(message);
    this.name = 'HandshakeError';
  }
}

export interface HandshakeOptions {
  role: 'dialer' | 'acceptor';
  /** This replica's id. */
  id: ReplicaId;
  /** The dialer: the id it means to reach. */
  peerId?: ReplicaId;
  /** The acceptor: null if `id` may connect, else why not (unknown, or not one that dials us). */
  checkPeer?: (id: ReplicaId) => string | null;
  /** The shared secret's bytes (PUBLIC_KEY without one). */
  key: Uint8Array;
  /** Default: node:crypto randomBytes. */
  randomBytes?: (n: number) => Uint8Array;
}

type State = 'start' | 'await-hello' | 'await-challenge' | 'await-proof' | 'await-welcome' | 'done' | 'failed';

/** One side of one connection's handshake. */
export class Handshake {
  readonly role: 'dialer' | 'acceptor';
  private state: State = 'start';
  private readonly id: ReplicaId;
  private readonly key: Uint8Array;
  private readonly random: (n: number) => Uint8Array;
  private readonly checkPeer: (id: ReplicaId) => string | null;
  private dialerNonce: Uint8Array | null = null;
  private acceptorNonce: Uint8Array | null = null;
  private other: ReplicaId | null;

  constructor(options: HandshakeOptions) {
    checkId(options.id, 'id');
    this.role = options.role;
    this.id = options.id;
    this.key = options.key;
    this.random = options.randomBytes ?? ((n) => cryptoRandomBytes(n));
    this.checkPeer = options.checkPeer ?? (() => 'no peer may connect');
    if (options.role === 'dialer') {
      if (options.peerId === undefined) throw new TypeError('a dialer needs the peerId it means to reach');
      checkId(options.peerId, 'peerId');
      this.other = options.peerId;
    } else {
      this.other = null;
    }
  }

  /** True once both ends are authenticated; `peerId` is then the other end's id. */
  get done(): boolean {
    return this.state === 'done';
  }

  /** The other end's id: the dialed id for a dialer, the claimed one for an acceptor (valid once done). */
  get peerId(): ReplicaId | null {
    return this.other;
  }

  /** The frame bodies to send first (the dialer's hello; nothing for the acceptor). */
  start(): Uint8Array[] {
    if (this.state !== 'start') throw new Error('Handshake.start called twice');
    if (this.role === 'acceptor') {
      this.state = 'await-hello';
      return [];
    }
    this.dialerNonce = this.nonce();
    const hello = new Uint8Array(HELLO_BYTES);
    hello[0] = FrameKind.hello;
    hello.set(MAGIC, 1);
    hello[5] = HANDSHAKE_VERSION;
    writeId(hello, 6, this.id);
    writeId(hello, 14, this.other!);
    hello.set(this.dialerNonce, 22);
    this.state = 'await-challenge';
    return [hello];
  }

  /** Takes one frame body from the other end; returns the bodies to send back. */
  receive(body: Uint8Array): Uint8Array[] {
    try {
      switch (this.state) {
        case 'await-hello':
          return this.onHello(body);
        case 'await-challenge':
          return this.onChallenge(body);
        case 'await-proof':
          return this.onProof(body);
        case 'await-welcome':
          expect(body, FrameKind.welcome, WELCOME_BYTES, 'welcome');
          this.state = 'done';
          return [];
        default:
          throw new HandshakeError('bad-handshake', `handshake frame received in state ${this.state}`);
      }
    } catch (e) {
      this.state = 'failed';
      throw e;
    }
  }

  private onHello(body: Uint8Array): Uint8Array[] {
    if (body[0] === FrameKind.hello && body.length >= 6 && body[5] !== HANDSHAKE_VERSION && hasMagic(body)) {
      throw new HandshakeError('version', `peer speaks handshake version ${body[5]!}, not ${HANDSHAKE_VERSION}`);
    }
    expect(body, FrameKind.hello, HELLO_BYTES, 'hello');
    if (!hasMagic(body)) throw new HandshakeError('bad-handshake', 'hello without the LRFT magic');
    const from = readId(body, 6, 'hello dialer id');
    const to = readId(body, 14, 'hello acceptor id');
    if (to !== this.id) throw new HandshakeError('wrong-peer', `peer ${from} meant to reach ${to}, this is ${this.id}`);
    const problem = from === this.id ? 'that is this replica' : this.checkPeer(from);
    if (problem !== null) throw new HandshakeError('unknown-peer', `peer claims id ${from}: ${problem}`);
    this.other = from;
    this.dialerNonce = body.slice(22, 22 + NONCE_BYTES);
    this.acceptorNonce = this.nonce();
    const challenge = new Uint8Array(CHALLENGE_BYTES);
    challenge[0] = FrameKind.challenge;
    writeId(challenge, 1, this.id);
    challenge.set(this.acceptorNonce, 9);
    challenge.set(this.proof(LABEL_ACCEPTOR), 9 + NONCE_BYTES);
    this.state = 'await-proof';
    return [challenge];
  }

  private onChallenge(body: Uint8Array): Uint8Array[] {
    expect(body, FrameKind.challenge, CHALLENGE_BYTES, 'challenge');
    const from = readId(body, 1, 'challenge acceptor id');
    if (from !== this.other) {
      throw new HandshakeError('wrong-peer', `dialed ${this.other!} but ${from} answered`);
    }
    this.acceptorNonce = body.slice(9, 9 + NONCE_BYTES);
    if (!this.verify(LABEL_ACCEPTOR, body.subarray(9 + NONCE_BYTES))) {
      throw new HandshakeError('bad-proof', `peer ${from} does not prove the cluster secret`);
    }
    const proof = new Uint8Array(PROOF_FRAME_BYTES);
    proof[0] = FrameKind.proof;
    proof.set(this.proof(LABEL_DIALER), 1);
    this.state = 'await-welcome';
    return [proof];
  }

  private onProof(body: Uint8Array): Uint8Array[] {
    expect(body, FrameKind.proof, PROOF_FRAME_BYTES, 'proof');
    if (!this.verify(LABEL_DIALER, body.subarray(1))) {
      throw new HandshakeError('bad-proof', `peer ${this.other!} does not prove the cluster secret`);
    }
    this.state = 'done';
    return [Uint8Array.of(FrameKind.welcome)];
  }

  private nonce(): Uint8Array {
    const nonce = this.random(NONCE_BYTES);
    if (!(nonce instanceof Uint8Array) || nonce.length !== NONCE_BYTES) {
      throw new Error(`randomBytes(${NONCE_BYTES}) returned no ${NONCE_BYTES}-byte Uint8Array`);
    }
    return nonce;
  }

  private proof(label: Uint8Array): Uint8Array {
    const ids = new Uint8Array(16);
    const [dialer, acceptor] = this.role === 'dialer' ? [this.id, this.other!] : [this.other!, this.id];
    writeId(ids, 0, dialer);
    writeId(ids, 8, acceptor);
    return createHmac('sha256', this.key)
      .update(label)
      .update(this.dialerNonce!)
      .update(this.acceptorNonce!)
      .update(ids)
      .digest();
  }

  private verify(label: Uint8Array, proof: Uint8Array): boolean {
    return proof.length === PROOF_BYTES && timingSafeEqual(this.proof(label), proof);
  }
}

function hasMagic(body: Uint8Array): boolean {
  return body[1] === MAGIC[0] && body[2] === MAGIC[1] && body[3] === MAGIC[2] && body[4] === MAGIC[3];
}

function expect(body: Uint8Array, kind: number, length: number, what: string): void {
  if (body.length === 0 || body[0] !== kind) {
    const got = body.length === 0 ? 'an empty frame' : `a frame of kind ${body[0]!}`;
    throw new HandshakeError('bad-handshake', `expected ${what}, got ${got}`);
  }
  if (body.length !== length) {
    throw new HandshakeError('bad-handshake', `${what} frame of ${body.length} bytes, expected ${length}`);
  }
}

function checkId(id: number, what: string): void {
  if (!Number.isSafeInteger(id) || id < 0) throw new RangeError(`${what} must be a non-negative safe integer`);
}

function writeId(buf: Uint8Array, at: number, id: number): void {
  const hi = Math.floor(id / 0x100000000);
  const lo = id >>> 0;
  buf[at] = hi >>> 24;
  buf[at + 1] = (hi >>> 16) & 0xff;
  buf[at + 2] = (hi >>> 8) & 0xff;
  buf[at + 3] = hi & 0xff;
  buf[at + 4] = lo >>> 24;
  buf[at + 5] = (lo >>> 16) & 0xff;
  buf[at + 6] = (lo >>> 8) & 0xff;
  buf[at + 7] = lo & 0xff;
}

function readId(buf: Uint8Array, at: number, what: string): ReplicaId {
  const hi = ((buf[at]! << 24) | (buf[at + 1]! << 16) | (buf[at + 2]! << 8) | buf[at + 3]!) >>> 0;
  const lo = ((buf[at + 4]! << 24) | (buf[at + 5]! << 16) | (buf[at + 6]! << 8) | buf[at + 7]!) >>> 0;
  if (hi >= 0x200000) throw new HandshakeError('bad-handshake', `${what} exceeds 2^53-1`);
  return hi * 0x100000000 + lo;
}
