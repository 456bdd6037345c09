// Admin API signatures: a signed request is accepted once; any change to what was signed, another
// secret, a timestamp out of the window and a replay are refused with the reason.
import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { describe, test } from 'node:test';

import { AdminAuthenticator, signAdminRequest } from '../../src/ops/admin-auth.js';

const SECRET = Buffer.from('the cluster secret, long enough');
const T = 1_700_000_000_000;
const body = Buffer.from('{"id":4,"raft":"127.0.0.1:7004"}');

/** An authenticator whose clock reads `clock.now`. */
function authenticator(): { auth: AdminAuthenticator; clock: { now: number } } {
  const clock = { now: T };
  return { auth: new AdminAuthenticator(SECRET, () => clock.now), clock };
}

function sign(at = T, method = 'POST', path = '/admin/members', b: Uint8Array = body, secret = SECRET): string {
  return signAdminRequest(secret, method, path, b, () => at);
}

/** `header` with one of its fields replaced. */
function withField(header: string, field: 'ts' | 'nonce' | 'sig', value: string): string {
  return header.replace(new RegExp(`${field}=[0-9a-f]+`), `${field}=${value}`);
}

describe('AdminAuthenticator', () => {
  test('a signed request is accepted; the header has the documented shape', () => {
    const { auth } = authenticator();
    const header = sign();
    assert.match(header, /^LittleRaft-HMAC ts=1700000000000,nonce=[0-9a-f]{32},sig=[0-9a-f]{64}$/);
    assert.equal(auth.verify('POST', '/admin/members', body, header), null);
    // Each signing draws a new nonce.
    assert.notEqual(withField(sign(), 'sig', ''), withField(sign(), 'sig', ''));
  });

  test('a missing or malformed header', () => {
    const { auth } = authenticator();
    assert.equal(auth.verify('GET', '/admin/members', Buffer.alloc(0), undefined), 'missing authorization');
    assert.equal(auth.verify('GET', '/admin/members', Buffer.alloc(0), ''), 'missing authorization');
    for (const header of ['Basic dXNlcjpwYXNz', sign().replace('nonce=', 'nonce=a'), sign() + ',x=1']) {
      assert.match(auth.verify('POST', '/admin/members', body, header) ?? '', /^malformed authorization \(expected /);
    }
  });

  test('any change to what was signed breaks the signature', () => {
    const { auth } = authenticator();
    const header = sign(T, 'DELETE', '/admin/members/3?force=1', Buffer.alloc(0));
    const empty = Buffer.alloc(0);
    assert.equal(auth.verify('POST', '/admin/members/3?force=1', empty, header), 'bad signature', 'method');
    assert.equal(auth.verify('DELETE', '/admin/members/2?force=1', empty, header), 'bad signature', 'path');
    assert.equal(auth.verify('DELETE', '/admin/members/3', empty, header), 'bad signature', 'query');
    assert.equal(auth.verify('DELETE', '/admin/members/3?force=1', Buffer.from('x'), header), 'bad signature', 'body');
    assert.equal(auth.verify('DELETE', '/admin/members/3?force=1', empty, withField(header, 'ts', String(T + 1))), 'bad signature', 'ts'); // prettier-ignore
    assert.equal(auth.verify('DELETE', '/admin/members/3?force=1', empty, withField(header, 'nonce', 'f'.repeat(32))), 'bad signature', 'nonce'); // prettier-ignore
    assert.equal(auth.verify('DELETE', '/admin/members/3?force=1', empty, withField(header, 'sig', '0'.repeat(64))), 'bad signature', 'sig'); // prettier-ignore
    // None of the refused attempts used up the nonce: the genuine request still goes through.
    assert.equal(auth.verify('DELETE', '/admin/members/3?force=1', empty, header), null);
  });

  test('another secret, or the bare secret as the key (the peer transport keys on it), is refused', () => {
    const { auth } = authenticator();
    assert.equal(
      auth.verify('POST', '/admin/members', body, sign(T, 'POST', '/admin/members', body, Buffer.from('another secret, long enough'))),
      'bad signature',
    ); // prettier-ignore
    const nonce = 'a'.repeat(32);
    const bodyHash = createHash('sha256').update(body).digest('hex');
    const bareSig = createHmac('sha256', SECRET)
      .update(`POST\n/admin/members\n${T}\n${nonce}\n${bodyHash}`)
      .digest('hex');
    const bare = `LittleRaft-HMAC ts=${T},nonce=${nonce},sig=${bareSig}`;
    assert.equal(auth.verify('POST', '/admin/members', body, bare), 'bad signature');
  });

  test('a replayed request is refused, within the window and after it', () => {
    const { auth, clock } = authenticator();
    const header = sign();
    assert.equal(auth.verify('POST', '/admin/members', body, header), null);
    clock.now = T + 59_000;
    assert.equal(auth.verify('POST', '/admin/members', body, header), 'replayed request');
    clock.now = T + 61_000;
    assert.equal(auth.verify('POST', '/admin/members', body, header), 'request too old or clock skew over 60 s');
  });

  test('timestamps more than 60 s off the clock either way are refused', () => {
    const { auth } = authenticator();
    const tooOld = 'request too old or clock skew over 60 s';
    assert.equal(auth.verify('POST', '/admin/members', body, sign(T - 60_001)), tooOld);
    assert.equal(auth.verify('POST', '/admin/members', body, sign(T + 60_001)), tooOld);
    assert.equal(auth.verify('POST', '/admin/members', body, sign(T - 60_000)), null);
    assert.equal(auth.verify('POST', '/admin/members', body, sign(T + 60_000)), null);
  });

  test('nonces are forgotten once their time has passed, and replays stay refused', () => {
    const { auth, clock } = authenticator();
    const first = sign(T);
    assert.equal(auth.verify('POST', '/admin/members', body, first), null);
    // Long after, the cache has swept `first` out, but its timestamp alone refuses it.
    clock.now = T + 3_600_000;
    assert.equal(auth.verify('POST', '/admin/members', body, sign(clock.now)), null);
    assert.equal(auth.verify('POST', '/admin/members', body, first), 'request too old or clock skew over 60 s');
  });

  test('a full nonce cache forgets its oldest half and refuses requests stamped that old', () => {
    const { auth } = authenticator();
    const old = T - 30_000;
    const recent = T - 10_000;
    const oldHeaders: string[] = [];
    const recentHeaders: string[] = [];
    // 100,000 nonces fill the cache: half stamped `old`, half `recent`.
    for (let i = 0; i < 50_000; i++) {
      const header = sign(old);
      oldHeaders.push(header);
      assert.equal(auth.verify('POST', '/admin/members', body, header), null);
    }
    for (let i = 0; i < 50_000; i++) {
      const header = sign(recent);
      recentHeaders.push(header);
      assert.equal(auth.verify('POST', '/admin/members', body, header), null);
    }
    // The next one makes room by forgetting the `old` half.
    assert.equal(auth.verify('POST', '/admin/members', body, sign(T)), null);
    const tooOld = 'request too old or clock skew over 60 s';
    assert.equal(auth.verify('POST', '/admin/members', body, oldHeaders[0]), tooOld, 'a forgotten nonce replayed');
    assert.equal(auth.verify('POST', '/admin/members', body, sign(old)), tooOld, 'a new request stamped as old');
    assert.equal(auth.verify('POST', '/admin/members', body, recentHeaders[0]), 'replayed request');
    assert.equal(auth.verify('POST', '/admin/members', body, sign(recent + 1)), null);
  });
});
