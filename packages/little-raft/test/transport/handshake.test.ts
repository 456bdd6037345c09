// The HMAC challenge-response handshake as a pure exchange of frame bodies.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { FrameKind } from '../../src/transport/tcp/frames.js';
import { Handshake, HandshakeError, type HandshakeFailure } from '../../src/transport/tcp/handshake.js';
import { prng } from '../support/prng.js';

const enc = new TextEncoder();
const KEY = enc.encode('the cluster secret, 32 bytes lo');

function seeded(seed: number): (n: number) => Uint8Array {
  const random = prng(seed);
  return (n) => Uint8Array.from({ length: n }, () => Math.floor(random() * 256));
}

function pair(options: { dialerKey?: Uint8Array; acceptorKey?: Uint8Array; target?: number; peers?: number[] } = {}) {
  const dialer = new Handshake({
    role: 'dialer',
    id: 1,
    peerId: options.target ?? 2,
    key: options.dialerKey ?? KEY,
    randomBytes: seeded(1),
  });
  const acceptor = new Handshake({
    role: 'acceptor',
    id: 2,
    key: options.acceptorKey ?? KEY,
    checkPeer: (id) => ((options.peers ?? [1, 3]).includes(id) ? null : 'not a configured peer'),
    randomBytes: seeded(2),
  });
  return { dialer, acceptor };
}

function failsWith(reason: HandshakeFailure, fn: () => unknown): void {
  assert.throws(fn, (e: unknown) => e instanceof HandshakeError && e.reason === reason);
}

test('both sides complete the handshake and learn each other', () => {
  const { dialer, acceptor } = pair();
  assert.deepEqual(acceptor.start(), []);
  const [hello] = dialer.start();
  assert.equal(hello![0], FrameKind.hello);
  const [challenge] = acceptor.receive(hello!);
  assert.equal(acceptor.done, false);
  const [proof] = dialer.receive(challenge!);
  assert.equal(dialer.done, false);
  const [welcome] = acceptor.receive(proof!);
  assert.equal(acceptor.done, true);
  assert.equal(acceptor.peerId, 1);
  assert.deepEqual(dialer.receive(welcome!), []);
  assert.equal(dialer.done, true);
  assert.equal(dialer.peerId, 2);
  // Nothing more is a handshake frame.
  failsWith('bad-handshake', () => dialer.receive(welcome!));
});

test('a wrong secret fails on both sides', () => {
  // The dialer holds the wrong secret: it cannot verify the acceptor's proof.
  const a = pair({ dialerKey: enc.encode('another secret, long enough too') });
  a.acceptor.start();
  failsWith('bad-proof', () => a.dialer.receive(a.acceptor.receive(a.dialer.start()[0]!)[0]!));

  // The acceptor holds the wrong secret: the dialer refuses its challenge; a forged proof fails there.
  const b = pair({ acceptorKey: enc.encode('another secret, long enough too') });
  b.acceptor.start();
  const challenge = b.acceptor.receive(b.dialer.start()[0]!)[0]!;
  failsWith('bad-proof', () => b.dialer.receive(challenge));
  failsWith('bad-proof', () => b.acceptor.receive(Uint8Array.of(FrameKind.proof, ...new Uint8Array(32))));
});

test('proofs cannot be reflected or replayed', () => {
  // Reflection: the acceptor's own proof sent back as the dialer's.
  const { dialer, acceptor } = pair();
  acceptor.start();
  const challenge = acceptor.receive(dialer.start()[0]!)[0]!;
  const reflected = Uint8Array.of(FrameKind.proof, ...challenge.subarray(1 + 8 + 32));
  failsWith('bad-proof', () => acceptor.receive(reflected));

  // Replay: a genuine dialer proof from one connection, on another connection.
  const first = pair();
  first.acceptor.start();
  const proof = first.dialer.receive(first.acceptor.receive(first.dialer.start()[0]!)[0]!)[0]!;
  const second = new Handshake({
    role: 'acceptor',
    id: 2,
    key: KEY,
    checkPeer: () => null,
    randomBytes: seeded(99), // a fresh acceptor nonce
  });
  second.start();
  second.receive(new Handshake({ role: 'dialer', id: 1, peerId: 2, key: KEY, randomBytes: seeded(1) }).start()[0]!);
  failsWith('bad-proof', () => second.receive(proof));
});

test('unknown ids, the wrong replica and another version are refused', () => {
  const unknown = pair({ peers: [3] });
  unknown.acceptor.start();
  failsWith('unknown-peer', () => unknown.acceptor.receive(unknown.dialer.start()[0]!));

  const self = new Handshake({ role: 'acceptor', id: 1, key: KEY, checkPeer: () => null });
  self.start();
  const selfHello = new Handshake({ role: 'dialer', id: 1, peerId: 1, key: KEY }).start()[0]!;
  failsWith('unknown-peer', () => self.receive(selfHello));

  // The dialer meant to reach 5, but reached 2.
  const misdialed = pair({ target: 5 });
  misdialed.acceptor.start();
  failsWith('wrong-peer', () => misdialed.acceptor.receive(misdialed.dialer.start()[0]!));

  // A challenge answered by 3 when the dialer dialed 2.
  const { dialer } = pair();
  dialer.start();
  const impostor = new Handshake({ role: 'acceptor', id: 3, key: KEY, checkPeer: () => null, randomBytes: seeded(5) });
  impostor.start();
  const hello = new Handshake({ role: 'dialer', id: 1, peerId: 3, key: KEY, randomBytes: seeded(1) }).start()[0]!;
  failsWith('wrong-peer', () => dialer.receive(impostor.receive(hello)[0]!));

  const v2 = pair();
  v2.acceptor.start();
  const hello2 = v2.dialer.start()[0]!.slice();
  hello2[5] = 2;
  failsWith('version', () => v2.acceptor.receive(hello2));
});

test('malformed handshake frames fail with bad-handshake, and the side stays failed', () => {
  const { dialer, acceptor } = pair();
  acceptor.start();
  const hello = dialer.start()[0]!;
  for (const bad of [
    new Uint8Array(0),
    hello.subarray(0, hello.length - 1),
    Uint8Array.of(...hello, 0),
    Uint8Array.of(FrameKind.challenge, ...hello.subarray(1)),
    Uint8Array.of(FrameKind.hello, 0x4c, 0x52, 0x46, 0x55, ...hello.subarray(5)), // bad magic
  ]) {
    const fresh = new Handshake({ role: 'acceptor', id: 2, key: KEY, checkPeer: () => null });
    fresh.start();
    failsWith('bad-handshake', () => fresh.receive(bad));
    failsWith('bad-handshake', () => fresh.receive(hello));
  }
  // An id beyond 2^53-1.
  const far = hello.slice();
  far[6] = 0xff;
  failsWith('bad-handshake', () => acceptor.receive(far));
  assert.throws(() => new Handshake({ role: 'dialer', id: 1, key: KEY }), /needs the peerId/);
  assert.throws(() => new Handshake({ role: 'dialer', id: -1, peerId: 2, key: KEY }), RangeError);
  assert.throws(() => dialer.start(), /twice/);
});

test('ids up to 2^53-1 cross the handshake', () => {
  const big = Number.MAX_SAFE_INTEGER;
  const dialer = new Handshake({ role: 'dialer', id: big - 1, peerId: big, key: KEY });
  const acceptor = new Handshake({ role: 'acceptor', id: big, key: KEY, checkPeer: () => null });
  acceptor.start();
  const welcome = acceptor.receive(dialer.receive(acceptor.receive(dialer.start()[0]!)[0]!)[0]!);
  dialer.receive(welcome[0]!);
  assert.equal(acceptor.peerId, big - 1);
  assert.ok(dialer.done && acceptor.done);
});
