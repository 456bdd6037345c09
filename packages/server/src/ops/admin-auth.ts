// Authentication of the admin HTTP API with the cluster secret, without sending the secret and
// without replay. The client signs each request:
//
//   authorization: LittleRaft-HMAC ts=<ms since epoch>,nonce=<32 hex>,sig=<64 hex>
//   sig = HMAC-SHA256(key, method \n pathWithQuery \n ts \n nonce \n sha256hex(body))
//
// with key = HMAC-SHA256(secret, 'little-raft admin v1'): a key of its own, so a signature made
// for the admin API is never a proof that the peer transport (which keys on the secret itself)
// would accept, nor the reverse. The server accepts a timestamp within 60 s of its clock and each
// nonce once within that window; a request replayed later is too old.

import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

const SCHEME = 'LittleRaft-HMAC';
const KEY_LABEL = 'little-raft admin v1';
/** How far a request's timestamp may be from the server's clock, either way. */
const MAX_SKEW_MS = 60_000;
/**
 * Nonces remembered at most. Admin traffic is a few requests a minute; this many within one
 * window is a flood from someone holding the secret, and only costs them the oldest of their
 * own requests being refused (see NonceCache.shrink).
 */
const MAX_NONCES = 100_000;

const HEADER = /^LittleRaft-HMAC ts=(\d{1,16}),nonce=([0-9a-f]{32}),sig=([0-9a-f]{64})$/;

function adminKey(secret: Uint8Array): Buffer {
  return createHmac('sha256', secret).update(KEY_LABEL).digest();
}

function signature(key: Buffer, method: string, pathWithQuery: string, ts: number, nonce: string, body: Uint8Array) {
  const bodyHash = createHash('sha256').update(body).digest('hex');
  return createHmac('sha256', key)
    .update(`${method.toUpperCase()}\n${pathWithQuery}\n${ts}\n${nonce}\n${bodyHash}`)
    .digest();
}

/** The `authorization` header value for one request (a fresh nonce each call). */
export function signAdminRequest(
  secret: Uint8Array,
  method: string,
  pathWithQuery: string,
  body: Uint8Array,
  now: () => number = Date.now,
): string {
  const ts = Math.floor(now());
  const nonce = randomBytes(16).toString('hex');
  const sig = signature(adminKey(secret), method, pathWithQuery, ts, nonce, body).toString('hex');
  return `${SCHEME} ts=${ts},nonce=${nonce},sig=${sig}`;
}

/** Checks signed admin requests on the server side. One per node: it remembers nonces. */
export class AdminAuthenticator {
  private readonly key: Buffer;
  private readonly nonces = new NonceCache();

  constructor(
    secret: Uint8Array,
    private readonly now: () => number = Date.now,
  ) {
    this.key = adminKey(secret);
  }

  /** null when the request is authentic and new, else why it is refused (for a 401 reply). */
  verify(method: string, pathWithQuery: string, body: Uint8Array, header: string | undefined): string | null {
    if (header === undefined || header === '') return 'missing authorization';
    const m = HEADER.exec(header);
    if (!m) return `malformed authorization (expected ${SCHEME} ts=<ms>,nonce=<32 hex>,sig=<64 hex>)`;
    const ts = Number(m[1]);
    const nonce = m[2]!;
    const expected = signature(this.key, method, pathWithQuery, ts, nonce, body);
    if (!timingSafeEqual(expected, Buffer.from(m[3]!, 'hex'))) return 'bad signature';
    // Checked only for signed requests, so nobody without the secret can fill the nonce cache.
    const now = this.now();
    if (Math.abs(now - ts) > MAX_SKEW_MS || ts <= this.nonces.floor) {
      return `request too old or clock skew over ${MAX_SKEW_MS / 1000} s`;
    }
    if (!this.nonces.add(nonce, ts, now)) return 'replayed request';
    return null;
  }
}

/**
 * The nonces of accepted requests, each kept until its timestamp leaves the accepted window (after
 * which the timestamp check refuses a replay by itself). When full, the oldest half is forgotten
 * and `floor` rises to their newest timestamp: requests stamped at or before it are refused as too
 * old, so forgetting a nonce never lets its request through again.
 */
class NonceCache {
  /** nonce -> its request's timestamp. */
  private readonly seen = new Map<string, number>();
  private lastSweep = 0;
  floor = 0;

  /** false if `nonce` was seen. */
  add(nonce: string, ts: number, now: number): boolean {
    if (this.seen.has(nonce)) return false;
    if (now - this.lastSweep >= MAX_SKEW_MS) this.sweep(now);
    if (this.seen.size >= MAX_NONCES) this.shrink();
    this.seen.set(nonce, ts);
    return true;
  }

  /** Forgets the nonces whose requests are too old to be accepted anyway. */
  private sweep(now: number): void {
    this.lastSweep = now;
    for (const [nonce, ts] of this.seen) if (now - ts > MAX_SKEW_MS) this.seen.delete(nonce);
  }

  private shrink(): void {
    const stamps = [...this.seen.values()].sort((a, b) => a - b);
    this.floor = Math.max(this.floor, stamps[Math.floor(stamps.length / 2) - 1]!);
    for (const [nonce, ts] of this.seen) if (ts <= this.floor) this.seen.delete(nonce);
  }
}
