// The admin API's handling of requests (ops/admin-api.ts), on a real HTTP server (createHttpServer)
// around a stand-in node whose membership records what it was asked: bad input gets a 4xx with a
// precise one-line reason and reaches nothing; an unauthenticated request gets 401; a refusal from
// the membership keeps its status (421 with where the leader is).
import assert from 'node:assert/strict';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { test, type TestContext } from 'node:test';

import type { AdminAuthenticate } from '../../src/ops/admin-api.js';
import { createHttpServer } from '../../src/ops/http.js';
import type { KvMetrics } from '../../src/ops/metrics.js';
import { MembershipError, type MemberRow } from '../../src/node/membership.js';
import type { KvNode } from '../../src/node/node.js';
import type { MemberAddresses } from '../../src/store/members.js';

const ROWS: MemberRow[] = [1, 2].map((id) => ({
  id,
  raft: `127.0.0.1:700${id}`,
  redis: `127.0.0.1:600${id}`,
  http: `127.0.0.1:800${id}`,
  role: id === 2 ? 'leader' : 'follower',
  matchIndex: null,
  lag: null,
  connected: true,
}));

/** What a KvNode's membership was asked; `refuse` makes every change throw it. */
class StandInMembership {
  readonly calls: unknown[] = [];
  refuse: Error | null = null;
  changeInProgress = false;
  rows(): MemberRow[] {
    return ROWS;
  }
  private call(what: unknown): Promise<void> {
    this.calls.push(what);
    return this.refuse === null ? Promise.resolve() : Promise.reject(this.refuse);
  }
  add(id: number, addresses: MemberAddresses): Promise<void> {
    return this.call({ add: id, ...addresses });
  }
  remove(id: number, force: boolean): Promise<void> {
    return this.call({ remove: id, force });
  }
  transfer(to: number): Promise<void> {
    return this.call({ transfer: to });
  }
}

interface Api {
  membership: StandInMembership;
  /** What the authenticator was asked: method, path, body, authorization header. */
  checked: [string, string, string, string | undefined][];
  request(
    method: string,
    path: string,
    body?: string | Buffer,
  ): Promise<{ status: number; body: Record<string, unknown> }>;
}

async function adminApi(
  t: TestContext,
  o: { authenticate?: AdminAuthenticate | null; starting?: boolean } = {},
): Promise<Api> {
  const membership = new StandInMembership();
  const node = {
    id: 1,
    identity: { cluster: 'test-cluster', clusterId: null },
    membership: o.starting ? null : membership,
    status: () => null,
  };
  const checked: Api['checked'] = [];
  const authenticate: AdminAuthenticate | null =
    o.authenticate === undefined
      ? (method, path, body, header) => {
          checked.push([method, path, Buffer.from(body).toString(), header]);
          return null;
        }
      : o.authenticate;
  const server = createHttpServer(
    node as unknown as KvNode,
    null as unknown as KvMetrics,
    () => ({ redis: '', http: '', connections: 0 }),
    { authenticate, backup: () => Promise.reject(new Error('no backups here')) },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    server.closeAllConnections();
    server.close();
  });
  const { port } = server.address() as AddressInfo;
  const request: Api['request'] = (method, path, body) =>
    new Promise((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port, method, path, headers: { authorization: 'sig' } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString();
          assert.ok(text.endsWith('\n') && text.indexOf('\n') === text.length - 1, `one line: ${text}`);
          resolve({ status: res.statusCode!, body: JSON.parse(text) as Record<string, unknown> });
        });
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(body);
    });
  return { membership, checked, request };
}

test('POST /admin/members: a good request reaches the membership, numbers as strings too', async (t) => {
  const api = await adminApi(t);
  const body = JSON.stringify({ id: '12', raft: '10.0.0.4:7004', http: '[::1]:8084' });
  const r = await api.request('POST', '/admin/members', body);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.equal(r.body['ok'], true);
  assert.equal(r.body['cluster'], 'test-cluster');
  assert.deepEqual(api.membership.calls, [{ add: 12, raft: '10.0.0.4:7004', redis: null, http: '[::1]:8084' }]);
  assert.deepEqual(
    api.checked,
    [['POST', '/admin/members', body, 'sig']],
    'the signature covers method, path and body',
  );
});

test('bad bodies and ids: 400 with the reason, and nothing reaches the membership', async (t) => {
  const api = await adminApi(t);
  const cases: [string, string, string, RegExp][] = [
    ['POST', '/admin/members', '{"id":4,', /^the body is not valid JSON$/],
    ['POST', '/admin/members', '', /^the body is not valid JSON$/],
    ['POST', '/admin/members', '[4]', /^the body must be a JSON object$/],
    ['POST', '/admin/members', 'null', /^the body must be a JSON object$/],
    ['POST', '/admin/members', '"x"', /^the body must be a JSON object$/],
    ['POST', '/admin/members', '{"raft":"h:1"}', /^id must be a positive integer$/],
    ['POST', '/admin/members', '{"id":0,"raft":"h:1"}', /^id must be a positive integer$/],
    ['POST', '/admin/members', '{"id":-4,"raft":"h:1"}', /^id must be a positive integer$/],
    ['POST', '/admin/members', '{"id":4.5,"raft":"h:1"}', /^id must be a positive integer$/],
    ['POST', '/admin/members', '{"id":"4x","raft":"h:1"}', /^id must be a positive integer$/],
    ['POST', '/admin/members', '{"id":"-4","raft":"h:1"}', /^id must be a positive integer$/],
    ['POST', '/admin/members', '{"id":2147483648,"raft":"h:1"}', /^id must be a positive integer$/],
    ['POST', '/admin/members', '{"id":true,"raft":"h:1"}', /^id must be a positive integer$/],
    ['POST', '/admin/members', '{"id":4}', /^raft is required \(host:port\)$/],
    ['POST', '/admin/members', '{"id":4,"raft":null}', /^raft is required \(host:port\)$/],
    ['POST', '/admin/members', '{"id":4,"raft":7004}', /^raft must be a string \(host:port\)$/],
    ['POST', '/admin/members', '{"id":4,"raft":"h"}', /^raft: 'h' is not a 'host:port' address \(port 1-65535\)$/],
    ['POST', '/admin/members', '{"id":4,"raft":"h:0"}', /^raft: 'h:0' is not a 'host:port' address/],
    ['POST', '/admin/members', '{"id":4,"raft":"h:70000"}', /^raft: 'h:70000' is not a 'host:port' address/],
    ['POST', '/admin/members', '{"id":4,"raft":"h:1","redis":"h"}', /^redis: 'h' is not a 'host:port' address/],
    ['POST', '/admin/members', '{"id":4,"raft":"h:1","http":["h:1"]}', /^http must be a string \(host:port\)$/],
    ['DELETE', '/admin/members/abc', '', /^the member id must be a positive integer$/],
    ['DELETE', '/admin/members/0', '', /^the member id must be a positive integer$/],
    ['DELETE', '/admin/members/', '', /^the member id must be a positive integer$/],
    ['DELETE', '/admin/members/%E0%A4%A', '', /^the member id must be a positive integer$/],
    ['POST', '/admin/transfer-leader', '{}', /^to must be a positive integer$/],
    ['POST', '/admin/transfer-leader', '{"to":"two"}', /^to must be a positive integer$/],
    ['POST', '/admin/transfer-leader', 'to=2', /^the body is not valid JSON$/],
  ];
  for (const [method, path, body, error] of cases) {
    const r = await api.request(method, path, body);
    const what = `${method} ${path} ${body}`;
    assert.equal(r.status, 400, `${what}: ${JSON.stringify(r.body)}`);
    assert.match(String(r.body['error']), error, what);
  }
  assert.deepEqual(api.membership.calls, []);
});

test('DELETE /admin/members/<id> and transfer-leader: the id and ?force reach the membership', async (t) => {
  const api = await adminApi(t);
  for (const path of [
    '/admin/members/3',
    '/admin/members/3?force=1',
    '/admin/members/3?force=true',
    '/admin/members/3?force=yes',
  ]) {
    const r = await api.request('DELETE', path);
    assert.equal(r.status, 200, path);
  }
  const r = await api.request('POST', '/admin/transfer-leader', '{"to":2}');
  assert.deepEqual([r.status, r.body], [200, { ok: true, leaderId: 2 }]);
  assert.deepEqual(api.membership.calls, [
    { remove: 3, force: false },
    { remove: 3, force: true },
    { remove: 3, force: true },
    { remove: 3, force: false },
    { transfer: 2 },
  ]);
});

test('a body over 64 KiB is answered 413 and reaches nothing', async (t) => {
  const api = await adminApi(t);
  const big = JSON.stringify({ id: 4, raft: 'h:1', pad: 'x'.repeat(64 * 1024) });
  const r = await api.request('POST', '/admin/members', big);
  assert.equal(r.status, 413);
  assert.match(String(r.body['error']), /^request body over 65536 bytes$/);
  assert.deepEqual(api.membership.calls, []);
  assert.deepEqual(api.checked, [], 'not even checked');
  // Exactly 64 KiB is fine.
  const fits = JSON.stringify({ id: 4, raft: 'h:1', pad: '' });
  const padded = fits.slice(0, -3) + '"' + 'x'.repeat(64 * 1024 - fits.length) + '"}';
  assert.equal(Buffer.byteLength(padded), 64 * 1024);
  assert.equal((await api.request('POST', '/admin/members', padded)).status, 200);
});

test('a body far over the limit is cut off unread; the server carries on', async (t) => {
  const api = await adminApi(t);
  const huge = Buffer.alloc(4 * 1024 * 1024, 0x20);
  const r = await api.request('POST', '/admin/members', huge).catch((e: unknown) => e as Error);
  assert.ok(r instanceof Error, `cut off, not answered: ${JSON.stringify(r)}`);
  assert.deepEqual(api.membership.calls, []);
  assert.equal((await api.request('POST', '/admin/members', '{"id":4,"raft":"h:1"}')).status, 200);
});

test('an unknown endpoint or method is 404, naming it', async (t) => {
  const api = await adminApi(t);
  for (const [method, path] of [
    ['GET', '/admin/nothing'],
    ['PUT', '/admin/members'],
    ['GET', '/admin/members/3'],
    ['GET', '/admin/transfer-leader'],
    ['POST', '/admin'],
  ] as const) {
    const r = await api.request(method, path);
    assert.equal(r.status, 404, `${method} ${path}`);
    assert.equal(r.body['error'], `no admin endpoint ${method} ${path}`);
  }
  assert.deepEqual(api.membership.calls, []);
});

test('401 when the request is not authenticated: nothing is done, bad input or not', async (t) => {
  const api = await adminApi(t, { authenticate: () => 'authentication failed: bad signature' });
  for (const [method, path, body] of [
    ['POST', '/admin/members', '{"id":4,"raft":"h:1"}'],
    ['POST', '/admin/members', 'not json'],
    ['DELETE', '/admin/members/2?force=1', ''],
    ['POST', '/admin/transfer-leader', '{"to":2}'],
    ['GET', '/admin/members', ''],
    ['GET', '/admin/backup', ''],
    ['GET', '/admin/nothing', ''],
  ] as const) {
    const r = await api.request(method, path, body);
    assert.deepEqual([r.status, r.body], [401, { error: 'authentication failed: bad signature' }], `${method} ${path}`);
  }
  assert.deepEqual(api.membership.calls, []);
});

test('a refusal keeps its status; 421 says which node leads and where; a node starting is 503', async (t) => {
  const api = await adminApi(t);
  api.membership.refuse = new MembershipError(421, 'node 1 is not the leader', 2);
  const r = await api.request('POST', '/admin/members', '{"id":4,"raft":"h:1"}');
  assert.deepEqual(
    [r.status, r.body],
    [421, { error: 'node 1 is not the leader', leaderId: 2, leaderHttp: '127.0.0.1:8002' }],
  );
  api.membership.refuse = new MembershipError(409, 'a membership change is already in progress');
  const busy = await api.request('DELETE', '/admin/members/2');
  assert.deepEqual([busy.status, busy.body], [409, { error: 'a membership change is already in progress' }]);
  api.membership.refuse = new Error('something unexpected');
  const failed = await api.request('POST', '/admin/transfer-leader', '{"to":2}');
  assert.deepEqual([failed.status, failed.body], [500, { error: 'something unexpected' }]);

  const starting = await adminApi(t, { starting: true });
  const s = await starting.request('GET', '/admin/members');
  assert.deepEqual([s.status, s.body], [503, { error: 'the node is starting' }]);
});

test('GET /admin/members shows the members; with no authenticator (an --insecure cluster) it is open', async (t) => {
  const api = await adminApi(t, { authenticate: null });
  const r = await api.request('GET', '/admin/members');
  assert.equal(r.status, 200);
  assert.deepEqual(r.body, {
    id: 1,
    cluster: 'test-cluster',
    clusterId: null,
    leaderId: null,
    changing: false,
    members: ROWS,
  });
});
