// Fuzzer for what a TcpCluster connection reads: the frame parser, the handshake (both roles)
// and message decoding, through Inbound (the exact code a connection runs, without a socket).
//
// Each input is one byte stream, fed in random chunks to a fresh connection's Inbound: pure
// random bytes, random frames, or a recorded valid connection (handshake, then messages of
// every type) mutated at the frame, body or byte level. Checked for every input:
// - nothing but an InboundError is ever thrown (no crash);
// - the parser holds at most 4 + its current limit bytes (no unbounded memory);
// - each input finishes within a time bound (no hang);
// - an unmutated recording authenticates and yields exactly its messages;
// - every message that comes out is from the authenticated peer, to this replica (whether it is
//   a well-formed Message is the Replica's check; the run counts those it would drop).
//
//   npm run fuzz                                      1,000,000 inputs, seed 1
//   npm run fuzz -- --inputs 5000000 --seed 42
//   npm run fuzz -- --seed 42 --replay 12345          one input, printed in hex

import { pathToFileURL } from 'node:url';

import type { Message } from '../../src/core/types.js';
import { messageShapeError } from '../../src/encoding/message-shape.js';
import { encodeMessage, jsonCodec, type MessageCodecs } from '../../src/encoding/codec.js';
import { FrameKind, FRAME_HEADER_BYTES } from '../../src/transport/tcp/frames.js';
import { Handshake, MAX_HANDSHAKE_FRAME_BYTES } from '../../src/transport/tcp/handshake.js';
import { Inbound, InboundError } from '../../src/transport/tcp/inbound.js';
import { prng } from '../support/prng.js';

type T = { id: string | number; key?: string; value?: unknown };
type D = unknown;
type Msg = Message<T, D>;

const codecs: MessageCodecs<T, D> = { transition: jsonCodec<T>(), snapshot: jsonCodec<D>() };
const KEY = new TextEncoder().encode('the fuzzed cluster secret, 32 b');
/** Frame limit after the handshake: small, so random lengths sometimes fit. */
export const FUZZ_MAX_FRAME_BYTES = 2048;
const DIALER = 1;
const ACCEPTOR = 2;

/** The same bytes every time: a recorded handshake stays valid across inputs. */
function fixedBytes(fill: number): (n: number) => Uint8Array {
  return (n) => new Uint8Array(n).fill(fill);
}

function newHandshake(role: 'dialer' | 'acceptor'): Handshake {
  return role === 'dialer'
    ? new Handshake({ role, id: DIALER, peerId: ACCEPTOR, key: KEY, randomBytes: fixedBytes(0x11) })
    : new Handshake({
        role,
        id: ACCEPTOR,
        key: KEY,
        checkPeer: (id) => (id === DIALER ? null : 'not a configured peer'),
        randomBytes: fixedBytes(0x22),
      });
}

/** A sample of every message type from `from` to `to`, boundary values included. */
function sampleMessages(from: number, to: number): Msg[] {
  const base = { from, to, term: 7 };
  return [
    { ...base, type: 'vote-request', lastLogIndex: 100, lastLogTerm: 6, preVote: true, transfer: false },
    { ...base, type: 'vote-response', granted: true, preVote: false },
    {
      ...base,
      type: 'append',
      prevLogIndex: 10,
      prevLogTerm: 6,
      leaderCommit: 9,
      seq: 3,
      entries: [
        { index: 11, term: 7, transition: { id: 'a', key: 'k', value: 'v' } },
        { index: 12, term: 7, config: { voters: [1, 2, 3], learners: [4], outgoing: [] } },
        { index: 13, term: 7, transition: { id: 13, value: [1, { x: null }] } },
      ],
    },
    { ...base, type: 'append', prevLogIndex: 0, prevLogTerm: 0, leaderCommit: 0, seq: 0, entries: [] },
    { ...base, type: 'append-response', success: false, index: 12, hintIndex: 9, hintTerm: 5, seq: 3 },
    {
      ...base,
      type: 'snapshot',
      lastIncludedIndex: 50,
      lastIncludedTerm: 6,
      config: { voters: [1, 2, 3], learners: [], outgoing: [1, 2] },
      termStarts: [1, 1, 20, 4, 40, 6],
      offset: 0,
      data: Uint8Array.of(1, 2, 3, 4, 5),
      done: false,
      seq: 4,
    },
    {
      ...base,
      type: 'snapshot',
      lastIncludedIndex: 50,
      lastIncludedTerm: 6,
      config: { voters: [1], learners: [], outgoing: [] },
      termStarts: [],
      offset: 0,
      data: { kv: { a: '1' } },
      done: true,
      seq: 5,
    },
    { ...base, type: 'snapshot-response', lastIncludedIndex: 50, nextOffset: 5, seq: 4 },
    { ...base, type: 'timeout-now' },
    { ...base, type: 'read-index', requestId: Number.MAX_SAFE_INTEGER },
    { ...base, type: 'read-index-response', requestId: 8, readIndex: 77 },
  ];
}

function messageBody(m: Msg): Uint8Array {
  const encoded = encodeMessage(m, codecs);
  const body = new Uint8Array(1 + encoded.length);
  body[0] = FrameKind.message;
  body.set(encoded, 1);
  return body;
}

interface Recording {
  role: 'dialer' | 'acceptor';
  /** The frame bodies the other end sends: handshake, then messages and pings. */
  bodies: Uint8Array[];
  messages: Msg[];
}

/** A valid connection as seen from `role`: what the other end sends, frame body by frame body. */
function record(role: 'dialer' | 'acceptor'): Recording {
  const dialer = newHandshake('dialer');
  const acceptor = newHandshake('acceptor');
  acceptor.start();
  const hello = dialer.start()[0]!;
  const challenge = acceptor.receive(hello)[0]!;
  const proof = dialer.receive(challenge)[0]!;
  const welcome = acceptor.receive(proof)[0]!;
  dialer.receive(welcome);
  const messages = role === 'acceptor' ? sampleMessages(DIALER, ACCEPTOR) : sampleMessages(ACCEPTOR, DIALER);
  const handshake = role === 'acceptor' ? [hello, proof] : [challenge, welcome];
  const bodies = [...handshake, ...messages.map(messageBody)];
  bodies.splice(handshake.length + 2, 0, Uint8Array.of(FrameKind.ping));
  return { role, bodies, messages };
}

function concat(parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

const INTERESTING = [0, 1, 0x7f, 0x80, 0xff, FrameKind.message, FrameKind.hello, FrameKind.proof, FrameKind.ping];
const INTERESTING_LENGTHS = [
  0,
  1,
  MAX_HANDSHAKE_FRAME_BYTES,
  MAX_HANDSHAKE_FRAME_BYTES + 1,
  FUZZ_MAX_FRAME_BYTES,
  FUZZ_MAX_FRAME_BYTES + 1,
  0x7fffffff,
  0xffffffff,
];

class Mutator {
  constructor(private readonly random: () => number) {}

  int(n: number): number {
    return Math.floor(this.random() * n);
  }

  pick<V>(values: readonly V[]): V {
    return values[this.int(values.length)]!;
  }

  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = this.int(256);
    return out;
  }

  /** One byte-level mutation of `b` (which may come back shorter, longer or empty). */
  mutateBytes(b: Uint8Array): Uint8Array {
    const len = b.length;
    const at = len === 0 ? 0 : this.int(len);
    switch (this.int(8)) {
      case 0: {
        if (len === 0) return this.bytes(1);
        const out = b.slice();
        out[at] = out[at]! ^ (1 << this.int(8));
        return out;
      }
      case 1: {
        if (len === 0) return Uint8Array.of(this.pick(INTERESTING));
        const out = b.slice();
        out[at] = this.pick(INTERESTING);
        return out;
      }
      case 2:
        return concat([b.subarray(0, at), this.bytes(1 + this.int(16)), b.subarray(at)]);
      case 3:
        return concat([b.subarray(0, at), b.subarray(Math.min(len, at + 1 + this.int(16)))]);
      case 4: {
        const end = Math.min(len, at + 1 + this.int(32));
        const to = this.int(len + 1);
        return concat([b.subarray(0, to), b.subarray(at, end), b.subarray(to)]);
      }
      case 5:
        return b.subarray(0, at);
      case 6: {
        // A varint-looking run: continuation bits that go on and on.
        const run = new Uint8Array(1 + this.int(12)).fill(0x80 | this.int(128));
        return concat([b.subarray(0, at), run, b.subarray(at)]);
      }
      default: {
        if (len < 4) return this.bytes(this.int(8));
        const out = b.slice();
        const v = this.pick([0, 1, 0xff, 0x7f, 0x80, 0x3f]);
        out.fill(v, at, Math.min(len, at + 1 + this.int(8)));
        return out;
      }
    }
  }

  /** Mutates a list of frame bodies: the bodies themselves, or their order and number. */
  mutateBodies(bodies: Uint8Array[], other: Uint8Array[]): Uint8Array[] {
    const out = bodies.slice();
    const rounds = 1 + this.int(4);
    for (let r = 0; r < rounds; r++) {
      const i = this.int(out.length || 1);
      switch (this.int(7)) {
        case 0:
        case 1:
        case 2:
          if (out.length > 0) out[i] = this.mutateBytes(out[i]!);
          break;
        case 3:
          out.splice(i, 1);
          break;
        case 4:
          if (out.length > 0) out.splice(this.int(out.length + 1), 0, out[i]!);
          break;
        case 5:
          out.splice(this.int(out.length + 1), 0, this.pick(other));
          break;
        default:
          out.splice(this.int(out.length + 1), 0, this.bytes(this.int(80)));
      }
    }
    return out;
  }

  /** Frames `bodies` (bodies of length 0 included: they make empty frames). */
  frame(bodies: Uint8Array[]): Uint8Array {
    return concat(
      bodies.map((b) => {
        const f = new Uint8Array(FRAME_HEADER_BYTES + b.length);
        new DataView(f.buffer).setUint32(0, b.length);
        f.set(b, FRAME_HEADER_BYTES);
        return f;
      }),
    );
  }

  /** Stream-level mutation: byte edits, or a length prefix rewritten to an edge value. */
  mutateStream(s: Uint8Array): Uint8Array {
    if (this.int(3) === 0 && s.length >= 4) {
      const out = s.slice();
      const at = this.int(s.length - 3);
      new DataView(out.buffer).setUint32(at, this.pick(INTERESTING_LENGTHS));
      return out;
    }
    let out = s;
    const rounds = 1 + this.int(3);
    for (let r = 0; r < rounds; r++) out = this.mutateBytes(out);
    return out;
  }

  /** Cuts `s` into random chunks (sometimes single bytes, sometimes all at once). */
  chunks(s: Uint8Array): Uint8Array[] {
    const mode = this.int(4);
    if (mode === 0 || s.length === 0) return [s];
    const out: Uint8Array[] = [];
    for (let at = 0; at < s.length;) {
      const n = mode === 1 ? 1 : 1 + this.int(mode === 2 ? 8 : 200);
      out.push(s.subarray(at, at + n));
      at += n;
    }
    return out;
  }
}

export type Category = 'random-bytes' | 'random-frames' | 'mutated-bodies' | 'mutated-stream' | 'valid' | 'large';

export interface FuzzStats {
  seed: number;
  inputs: number;
  byCategory: Record<Category, number>;
  authenticated: number;
  messages: number;
  /** Of those, well-formed bytes that the Replica's shape check drops. */
  malformedForReplica: number;
  rejected: Record<string, number>;
  /** Largest bytes the parser held, and its largest limit. */
  maxBuffered: number;
  maxAllocated: number;
  maxMsPerInput: number;
  elapsedMs: number;
  heapUsedMB: number;
}

export interface FuzzOptions {
  seed?: number;
  inputs: number;
  /** An input taking longer than this fails the run (no hang). Default 2,000 ms. */
  maxMsPerInput?: number;
  /** Called every `progressEvery` inputs. */
  onProgress?: (stats: FuzzStats) => void;
  progressEvery?: number;
}

/** A fuzzer failure: which input (replay it with --seed and --replay), and the stream's bytes. */
export class FuzzFailure extends Error {
  constructor(
    message: string,
    readonly input: number,
    readonly stream: Uint8Array,
  ) {
    super(message);
    this.name = 'FuzzFailure';
  }
}

interface Input {
  category: Category;
  role: 'dialer' | 'acceptor';
  stream: Uint8Array;
  chunks: Uint8Array[];
  expect?: Msg[];
}

/** The input number `index` of the run with `seed`: the same every time. */
export function makeInput(seed: number, index: number): Input {
  const m = new Mutator(prng((seed * 0x9e3779b1 + index * 0x85ebca6b) >>> 0 || 1));
  const role = m.int(3) === 0 ? 'dialer' : 'acceptor';
  const rec = RECORDINGS[role];
  const other = RECORDINGS[role === 'dialer' ? 'acceptor' : 'dialer'].bodies;
  const roll = m.int(100);
  let category: Category;
  let stream: Uint8Array;
  let expect: Msg[] | undefined;
  if (roll < 10) {
    category = 'random-bytes';
    stream = m.bytes(m.int(300));
  } else if (roll < 20) {
    category = 'random-frames';
    const n = 1 + m.int(6);
    const bodies: Uint8Array[] = [];
    for (let i = 0; i < n; i++) {
      const b = m.bytes(m.int(100));
      if (b.length > 0) b[0] = 1 + m.int(7);
      bodies.push(b);
    }
    stream = m.frame(m.int(2) === 0 ? [...rec.bodies.slice(0, 2), ...bodies] : bodies);
  } else if (roll < 70) {
    category = 'mutated-bodies';
    stream = m.frame(m.mutateBodies(rec.bodies, other));
    if (m.int(4) === 0) stream = m.mutateStream(stream);
  } else if (roll < 85) {
    category = 'mutated-stream';
    stream = m.mutateStream(m.frame(rec.bodies));
  } else if (roll < 92) {
    category = 'valid';
    stream = m.frame(rec.bodies);
    expect = rec.messages;
  } else {
    // Authenticated, then frames at and beyond the limit, and many small ones.
    category = 'large';
    const big = m.bytes(FUZZ_MAX_FRAME_BYTES - 1 + m.int(3));
    big[0] = m.int(2) === 0 ? FrameKind.message : m.int(256);
    const many = Array.from({ length: m.int(50) }, () => Uint8Array.of(FrameKind.ping));
    stream = m.frame([...rec.bodies.slice(0, 2), ...many, big, ...rec.bodies.slice(2)]);
  }
  return { category, role, stream, chunks: m.chunks(stream), ...(expect && { expect }) };
}

const RECORDINGS = { dialer: record('dialer'), acceptor: record('acceptor') };

interface Outcome {
  authenticated: boolean;
  messages: Msg[];
  rejected: string | null;
  /** Messages the Replica's own shape check will drop. */
  malformed: number;
  maxBuffered: number;
  maxAllocated: number;
  limit: number;
}

/** Runs one input through a fresh Inbound. Throws anything that is not an InboundError. */
export function runInput(input: Input): Outcome {
  const handshake = newHandshake(input.role);
  const inbound = new Inbound<T, D>({
    id: input.role === 'acceptor' ? ACCEPTOR : DIALER,
    handshake,
    maxFrameBytes: FUZZ_MAX_FRAME_BYTES,
    codecs,
  });
  handshake.start();
  const out: Outcome = {
    authenticated: false,
    messages: [],
    rejected: null,
    malformed: 0,
    maxBuffered: 0,
    maxAllocated: 0,
    limit: 0,
  };
  const peer = input.role === 'acceptor' ? DIALER : ACCEPTOR;
  try {
    for (const chunk of input.chunks) {
      inbound.feed(chunk);
      for (let e = inbound.next(); e !== null; e = inbound.next()) {
        if (e.type === 'handshake' && e.peerId !== null) {
          if (e.peerId !== peer) throw new Error(`authenticated as ${e.peerId}, not ${peer}`);
          out.authenticated = true;
        }
        if (e.type === 'message') {
          const m = e.message;
          if (!out.authenticated) throw new Error('a message before the handshake completed');
          if (m.from !== peer || m.to !== (input.role === 'acceptor' ? ACCEPTOR : DIALER)) {
            throw new Error(`message from ${m.from} to ${m.to} got through`);
          }
          // The codec checks syntax; the Replica drops what is well-formed bytes but not a
          // well-formed message (e.g. non-byte snapshot data at offset > 0). Count those.
          if (messageShapeError(m) !== null) out.malformed++;
          out.messages.push(m);
        }
      }
      const d = inbound.decoder;
      out.maxBuffered = Math.max(out.maxBuffered, d.buffered);
      out.maxAllocated = Math.max(out.maxAllocated, d.allocated);
      out.limit = Math.max(out.limit, d.limit);
      if (d.buffered > FRAME_HEADER_BYTES + d.limit || d.allocated > FRAME_HEADER_BYTES + d.limit) {
        throw new Error(`parser holds ${d.buffered} bytes (${d.allocated} allocated) over its limit ${d.limit}`);
      }
    }
  } catch (e) {
    if (!(e instanceof InboundError)) throw e;
    out.rejected = e.reason;
  }
  return out;
}

function sameMessages(a: Msg[], b: Msg[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    if (!sameValue(a[i], b[i])) return false;
  }
  return true;
}

function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a instanceof Uint8Array && b instanceof Uint8Array) {
    return a.length === b.length && a.every((v, i) => v === b[i]);
  }
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => sameValue((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

export function fuzz(options: FuzzOptions): FuzzStats {
  const seed = options.seed ?? 1;
  const maxMs = options.maxMsPerInput ?? 2000;
  const every = options.progressEvery ?? 100000;
  const stats: FuzzStats = {
    seed,
    inputs: 0,
    byCategory: { 'random-bytes': 0, 'random-frames': 0, 'mutated-bodies': 0, 'mutated-stream': 0, valid: 0, large: 0 },
    authenticated: 0,
    messages: 0,
    malformedForReplica: 0,
    rejected: {},
    maxBuffered: 0,
    maxAllocated: 0,
    maxMsPerInput: 0,
    elapsedMs: 0,
    heapUsedMB: 0,
  };
  const started = performance.now();
  for (let i = 0; i < options.inputs; i++) {
    const input = makeInput(seed, i);
    const t0 = performance.now();
    let outcome: Outcome;
    try {
      outcome = runInput(input);
    } catch (e) {
      throw new FuzzFailure(
        `input ${i} (seed ${seed}, ${input.category}, ${input.role}) threw: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`,
        i,
        input.stream,
      );
    }
    const ms = performance.now() - t0;
    if (ms > maxMs) {
      throw new FuzzFailure(`input ${i} (seed ${seed}) took ${ms.toFixed(1)} ms (> ${maxMs})`, i, input.stream);
    }
    if (input.expect) {
      if (!outcome.authenticated || outcome.rejected !== null || !sameMessages(outcome.messages, input.expect)) {
        throw new FuzzFailure(
          `input ${i} (seed ${seed}): a valid recording did not authenticate and deliver its messages ` +
            `(rejected: ${outcome.rejected}, ${outcome.messages.length}/${input.expect.length} messages)`,
          i,
          input.stream,
        );
      }
    }
    stats.inputs++;
    stats.byCategory[input.category]++;
    if (outcome.authenticated) stats.authenticated++;
    stats.messages += outcome.messages.length;
    stats.malformedForReplica += outcome.malformed;
    if (outcome.rejected) stats.rejected[outcome.rejected] = (stats.rejected[outcome.rejected] ?? 0) + 1;
    stats.maxBuffered = Math.max(stats.maxBuffered, outcome.maxBuffered);
    stats.maxAllocated = Math.max(stats.maxAllocated, outcome.maxAllocated);
    stats.maxMsPerInput = Math.max(stats.maxMsPerInput, ms);
    if ((i + 1) % every === 0 && options.onProgress) {
      stats.elapsedMs = performance.now() - started;
      stats.heapUsedMB = process.memoryUsage().heapUsed / 2 ** 20;
      options.onProgress(stats);
    }
  }
  stats.elapsedMs = performance.now() - started;
  stats.heapUsedMB = process.memoryUsage().heapUsed / 2 ** 20;
  return stats;
}

function hex(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}

function main(argv: string[]): void {
  const arg = (name: string): string | undefined => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const seed = Number(arg('seed') ?? 1);
  const inputs = Number(arg('inputs') ?? 1_000_000);
  const replay = arg('replay');
  if (!Number.isSafeInteger(seed) || !Number.isSafeInteger(inputs) || inputs < 1) {
    console.error('usage: tcp-fuzz [--seed S] [--inputs N] [--replay I]');
    process.exit(2);
  }
  if (replay !== undefined) {
    const input = makeInput(seed, Number(replay));
    console.log(`input ${replay} (seed ${seed}): ${input.category}, as ${input.role}, ${input.stream.length} bytes`);
    console.log(hex(input.stream));
    console.log(runInput(input));
    return;
  }
  const line = (s: FuzzStats): string =>
    `${s.inputs.toLocaleString('en')} inputs in ${(s.elapsedMs / 1000).toFixed(1)} s, ` +
    `${s.authenticated.toLocaleString('en')} authenticated, ${s.messages.toLocaleString('en')} messages, ` +
    `max ${s.maxMsPerInput.toFixed(2)} ms/input, max ${s.maxBuffered} bytes buffered, heap ${s.heapUsedMB.toFixed(0)} MB`;
  try {
    const stats = fuzz({ seed, inputs, onProgress: (s) => console.log(line(s)) });
    console.log(`done (seed ${seed}): ${line(stats)}`);
    console.log(`by category: ${JSON.stringify(stats.byCategory)}`);
    console.log(`rejected by reason: ${JSON.stringify(stats.rejected)}`);
    console.log(`messages decoded that the Replica's shape check drops: ${stats.malformedForReplica}`);
    console.log(`largest allocation for a frame: ${stats.maxAllocated} bytes (limit ${FUZZ_MAX_FRAME_BYTES} + 4)`);
  } catch (e) {
    if (e instanceof FuzzFailure) {
      console.error(e.message);
      console.error(`stream: ${hex(e.stream)}`);
      console.error(`replay: npm run fuzz -- --seed ${seed} --replay ${e.input}`);
      process.exit(1);
    }
    throw e;
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href)
  main(process.argv.slice(2));
