// `little-raft member ...` as users run it (a child process), against fake admin HTTP servers that
// check every request's signature with the real AdminAuthenticator: the list as a table and as
// JSON, following 421 to the leader, waiting for a leader, and one line on stderr with exit code 1
// for each failure (wrong secret, unreachable node, server errors, bad flags before any request).
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { describe, test, type TestContext } from 'node:test';

import { AdminAuthenticator } from '../../src/ops/admin-auth.js';
import { freePorts } from '../../../little-raft/test/support/tcp.js';
import { tempDir } from '../../../little-raft/test/support/temp-dir.js';
import { runCli, type CliRun } from '../support/run-cli.js';

const SECRET = 'the member test cluster secret';

interface Seen {
  method: string;
  url: string;
  body: string;
  /** The authenticator's verdict: null when the signature was good and new. */
  refused: string | null;
}

type Handler = (req: Seen) => { status: number; body: unknown } | 'never';

/** An HTTP server that answers the admin API as `handle` says, after checking the signature. */
class FakeAdminNode {
  readonly seen: Seen[] = [];
  handle: Handler = () => ({ status: 500, body: { error: 'no handler' } });

  private constructor(readonly address: string) {}

  static async start(t: TestContext): Promise<FakeAdminNode> {
    const auth = new AdminAuthenticator(Buffer.from(SECRET));
    let node: FakeAdminNode | null = null;
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        const refused = auth.verify(req.method!, req.url!, body, req.headers.authorization);
        const seen = { method: req.method!, url: req.url!, body: body.toString(), refused };
        node!.seen.push(seen);
        const reply = refused !== null ? { status: 401, body: { error: refused } } : node!.handle(seen);
        if (reply === 'never') return;
        res.writeHead(reply.status, { 'content-type': 'application/json' }).end(JSON.stringify(reply.body));
      });
    });
    await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: 0 }, resolve));
    t.after(() => {
      server.closeAllConnections();
      server.close();
    });
    node = new FakeAdminNode(`127.0.0.1:${(server.address() as AddressInfo).port}`);
    return node;
  }
}

/** Runs `little-raft member <args>` with the secret file of `dir` (unless args name one). */
function member(dir: string, args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  const secretFile = join(dir, 'secret');
  writeFileSync(secretFile, SECRET + '\n');
  const withSecret = args.includes('--secret-file') || 'LITTLE_RAFT_SECRET_FILE' in env;
  return runCli(['member', ...args, ...(withSecret ? [] : ['--secret-file', secretFile])], { env });
}

/** Exit code 1, nothing on stdout, and exactly `line` on stderr. */
function assertFailed(r: CliRun, line: string | RegExp): void {
  assert.equal(r.code, 1, r.stderr);
  assert.equal(r.stdout, '');
  const lines = r.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, `one line on stderr:\n${r.stderr}`);
  if (typeof line === 'string') assert.equal(lines[0], line);
  else assert.match(lines[0]!, line);
}

/** Exit code 0, nothing on stderr, and `line` on stdout. */
function assertSucceeded(r: CliRun, line: string): void {
  assert.equal(r.stderr, '');
  assert.equal(r.code, 0);
  assert.equal(r.stdout, line + '\n');
}

/** The members as the leader (node 1, HTTP `leaderHttp`) sees them; node 3 is down. */
function leaderView(leaderHttp: string, followerHttp: string) {
  return {
    leaderId: 1,
    changing: false,
    members: [
      { id: 2, raft: '127.0.0.1:7002', redis: null, http: followerHttp, role: 'follower', matchIndex: 118, lag: 2, connected: true }, // prettier-ignore
      { id: 1, raft: '127.0.0.1:7001', redis: '127.0.0.1:6379', http: leaderHttp, role: 'leader', matchIndex: 120, lag: 0, connected: true }, // prettier-ignore
      { connected: false, id: 3, raft: '127.0.0.1:7003', redis: '127.0.0.1:6381', http: null, role: 'down', matchIndex: 7, lag: 113, extra: 'x' }, // prettier-ignore
    ],
  };
}

/** The same members seen by a follower: no match index or lag. */
function followerView(leaderHttp: string, followerHttp: string) {
  const view = leaderView(leaderHttp, followerHttp);
  return { ...view, members: view.members.map((m) => ({ ...m, matchIndex: null, lag: null })) };
}

/** The table's cells, and a check that every column starts at the same place on every line. */
function tableCells(stdout: string): string[][] {
  const lines = stdout.trimEnd().split('\n');
  const starts = (line: string): number[] => [...line.matchAll(/(?:^|\s)(\S)/g)].map((m) => m.index + m[0].length - 1);
  for (const line of lines) assert.deepEqual(starts(line), starts(lines[0]!), `columns line up:\n${stdout}`);
  return lines.map((l) => l.split(/\s+/));
}

const GET_MEMBERS = { method: 'GET', url: '/admin/members', body: '', refused: null };

describe('little-raft member', { concurrency: 4 }, () => {
  test('list: a table of the members, from the leader', async (t) => {
    const leader = await FakeAdminNode.start(t);
    leader.handle = () => ({ status: 200, body: leaderView(leader.address, '127.0.0.1:8082') });
    const r = await member(tempDir(t), ['list', '--node', leader.address]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    assert.deepEqual(tableCells(r.stdout), [
      ['ID', 'RAFT', 'REDIS', 'HTTP', 'ROLE', 'MATCH', 'LAG', 'CONNECTED'],
      ['1', '127.0.0.1:7001', '127.0.0.1:6379', leader.address, 'leader', '120', '0', 'yes'],
      ['2', '127.0.0.1:7002', '-', '127.0.0.1:8082', 'follower', '118', '2', 'yes'],
      ['3', '127.0.0.1:7003', '127.0.0.1:6381', '-', 'down', '7', '113', 'no'],
    ]);
    assert.deepEqual(leader.seen, [GET_MEMBERS]);
  });

  test('list --json: the members array with exactly the documented fields', async (t) => {
    const leader = await FakeAdminNode.start(t);
    leader.handle = () => ({ status: 200, body: { ...leaderView(leader.address, '127.0.0.1:8082'), changing: true } });
    const r = await member(tempDir(t), ['list', '--json', '--node', leader.address]);
    assert.equal(r.code, 0, r.stderr);
    const printed = JSON.parse(r.stdout) as Record<string, unknown>[];
    const expected = leaderView(leader.address, '127.0.0.1:8082').members.map((m) => ({
      id: m.id,
      raft: m.raft,
      redis: m.redis,
      http: m.http,
      role: m.role,
      matchIndex: m.matchIndex,
      lag: m.lag,
      connected: m.connected,
    }));
    assert.deepEqual(printed, expected);
    // Same keys in the documented order (deepEqual does not look at order).
    for (const row of printed) assert.deepEqual(Object.keys(row), Object.keys(expected[0]!));
  });

  test('list through a follower asks the leader too, for match index and lag', async (t) => {
    const [leader, follower] = [await FakeAdminNode.start(t), await FakeAdminNode.start(t)];
    leader.handle = () => ({ status: 200, body: leaderView(leader.address, follower.address) });
    follower.handle = () => ({ status: 200, body: followerView(leader.address, follower.address) });
    const r = await member(tempDir(t), ['list', '--node', follower.address]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(
      tableCells(r.stdout).map((row) => row.slice(5, 7)),
      [
        ['MATCH', 'LAG'],
        ['120', '0'],
        ['118', '2'],
        ['7', '113'],
      ],
    );
    assert.deepEqual(follower.seen, [GET_MEMBERS]);
    assert.deepEqual(leader.seen, [GET_MEMBERS]);

    // A leader that cannot be reached: the follower's view, and why match and lag are missing.
    const [port] = await freePorts(1);
    const unreachable = `127.0.0.1:${port}`;
    follower.handle = () => ({ status: 200, body: followerView(unreachable, follower.address) });
    const fallback = await member(tempDir(t), ['list', '--node', follower.address]);
    assert.equal(fallback.code, 0, fallback.stderr);
    const lines = fallback.stdout.trimEnd().split('\n');
    assert.deepEqual(
      tableCells(lines.slice(0, -1).join('\n')).map((row) => row.slice(4, 7)),
      [
        ['ROLE', 'MATCH', 'LAG'],
        ['leader', '-', '-'],
        ['follower', '-', '-'],
        ['down', '-', '-'],
      ],
    );
    assert.equal(
      lines.at(-1),
      `(match and lag unknown: the leader did not answer: cannot reach node ${unreachable}: connection refused)`,
    );
  });

  test('list waits for a leader, and gives up after --timeout', async (t) => {
    const node = await FakeAdminNode.start(t);
    const view = leaderView(node.address, '127.0.0.1:8082');
    // Leaderless for the first two asks, then this node leads.
    node.handle = () => ({ status: 200, body: node.seen.length <= 2 ? { ...view, leaderId: null } : view });
    const r = await member(tempDir(t), ['list', '--node', node.address]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(tableCells(r.stdout)[1]![4], 'leader');
    assert.equal(node.seen.length, 3);

    const leaderless = await FakeAdminNode.start(t);
    leaderless.handle = () => ({
      status: 200,
      body: { ...followerView('127.0.0.1:1', '127.0.0.1:2'), leaderId: null },
    });
    assertFailed(
      await member(tempDir(t), ['list', '--node', leaderless.address, '--timeout', '2000']),
      'little-raft: no leader within 2000 ms',
    );
    assert.ok(leaderless.seen.length >= 1);
  });

  test('list refuses a reply that is not the documented shape', async (t) => {
    const node = await FakeAdminNode.start(t);
    const view = leaderView(node.address, '127.0.0.1:8082');
    node.handle = () => ({ status: 200, body: { ...view, members: [{ ...view.members[0], role: 'boss' }] } });
    assertFailed(
      await member(tempDir(t), ['list', '--node', node.address]),
      `little-raft: node ${node.address} answered GET /admin/members with an unexpected reply: members[0].role is not one of leader, follower, learner, candidate, down`,
    );
    // Nor is a reply of megabytes one.
    node.handle = () => ({ status: 200, body: 'x'.repeat(2 << 20) });
    assertFailed(
      await member(tempDir(t), ['list', '--node', node.address]),
      `little-raft: node ${node.address} sent a reply over 1 MiB`,
    );
  });

  test('add goes to the leader a non-leader names (421) and prints a confirmation', async (t) => {
    const [leader, follower] = [await FakeAdminNode.start(t), await FakeAdminNode.start(t)];
    follower.handle = () => ({
      status: 421,
      body: { error: 'node 2 is not the leader', leaderId: 1, leaderHttp: leader.address },
    });
    leader.handle = () => ({ status: 200, body: { ok: true, members: [] } });
    const r = await member(tempDir(t), [
      'add', '--node', follower.address, '--id', '4', '--raft', '127.0.0.1:7004',
      '--redis', '127.0.0.1:6382', '--http', '127.0.0.1:8083',
    ]); // prettier-ignore
    assertSucceeded(r, 'node 4 (raft 127.0.0.1:7004) added as a learner; it becomes a voter once it has caught up');
    const body = JSON.stringify({ id: 4, raft: '127.0.0.1:7004', redis: '127.0.0.1:6382', http: '127.0.0.1:8083' });
    assert.deepEqual(follower.seen, [{ method: 'POST', url: '/admin/members', body, refused: null }]);
    assert.deepEqual(leader.seen, [{ method: 'POST', url: '/admin/members', body, refused: null }]);
  });

  test('redirects are followed at most 3 times', async (t) => {
    const [a, b] = [await FakeAdminNode.start(t), await FakeAdminNode.start(t)];
    a.handle = () => ({ status: 421, body: { error: 'node 1 is not the leader', leaderId: 2, leaderHttp: b.address } });
    b.handle = () => ({ status: 421, body: { error: 'node 2 is not the leader', leaderId: 1, leaderHttp: a.address } });
    const r = await member(tempDir(t), ['transfer-leader', '--node', a.address, '--to', '2']);
    assertFailed(r, 'little-raft: node 2 is not the leader (gave up after 3 redirects to the leader)');
    assert.equal(a.seen.length + b.seen.length, 4);
  });

  test('a change waits out "no leader" (503) and is signed afresh each time', async (t) => {
    const node = await FakeAdminNode.start(t);
    node.handle = () =>
      node.seen.length === 1 ? { status: 503, body: { error: 'no leader' } } : { status: 200, body: { ok: true } };
    const r = await member(tempDir(t), ['remove', '--node', node.address, '--id', '3', '--force']);
    assertSucceeded(r, 'node 3 removed');
    const request = { method: 'DELETE', url: '/admin/members/3?force=1', body: '', refused: null };
    // The second request reusing the first one's nonce would be refused as a replay.
    assert.deepEqual(node.seen, [request, request]);

    const leaderless = await FakeAdminNode.start(t);
    leaderless.handle = () => ({ status: 503, body: { error: 'no leader' } });
    assertFailed(
      await member(tempDir(t), ['remove', '--node', leaderless.address, '--id', '3', '--timeout', '2000']),
      `little-raft: no leader within 2000 ms (${leaderless.address}: no leader)`,
    );
  });

  test("the server's error for other statuses; transfer-leader", async (t) => {
    const node = await FakeAdminNode.start(t);
    node.handle = (req) => {
      if (req.url === '/admin/members/3') {
        return { status: 409, body: { error: 'removing node 3 would leave 1 of 3 voters live: no quorum (--force)' } };
      }
      if (req.url === '/admin/members/9') return { status: 404, body: { error: 'node 9 is not a member' } };
      return { status: 200, body: { ok: true, leaderId: 2 } };
    };
    const dir = tempDir(t);
    assertFailed(
      await member(dir, ['remove', '--node', node.address, '--id', '3']),
      'little-raft: removing node 3 would leave 1 of 3 voters live: no quorum (--force)',
    );
    assertFailed(
      await member(dir, ['remove', '--node', node.address, '--id', '9']),
      'little-raft: node 9 is not a member',
    );
    assertSucceeded(
      await member(dir, ['transfer-leader', '--node', node.address, '--to', '2']),
      'node 2 is the leader',
    );
    assert.deepEqual(node.seen.at(-1), {
      method: 'POST',
      url: '/admin/transfer-leader',
      body: JSON.stringify({ to: 2 }),
      refused: null,
    });
  });

  test('a wrong secret: 401 and the reason, in one line', async (t) => {
    const node = await FakeAdminNode.start(t);
    node.handle = () => ({ status: 200, body: leaderView(node.address, '127.0.0.1:8082') });
    const dir = tempDir(t);
    writeFileSync(join(dir, 'wrong'), 'not the cluster secret at all\n');
    const r = await member(dir, ['list', '--node', node.address, '--secret-file', join(dir, 'wrong')]);
    assertFailed(r, 'little-raft: authentication failed: bad signature');
    assert.equal(node.seen[0]!.refused, 'bad signature');
    // The same secret through the environment works.
    writeFileSync(join(dir, 'right'), SECRET);
    const ok = await member(dir, ['list', '--node', node.address], { LITTLE_RAFT_SECRET_FILE: join(dir, 'right') });
    assert.equal(ok.code, 0, ok.stderr);
    assertFailed(
      await member(dir, ['list', '--node', node.address, '--secret-file', join(dir, 'absent')]),
      `little-raft: cannot read --secret-file ${join(dir, 'absent')}: ENOENT: no such file or directory, open '${join(dir, 'absent')}'`,
    );
  });

  test('an unreachable node, and one that does not answer in time', async (t) => {
    const [port] = await freePorts(1);
    assertFailed(
      await member(tempDir(t), ['list', '--node', `127.0.0.1:${port}`]),
      `little-raft: cannot reach node 127.0.0.1:${port}: connection refused`,
    );
    const silent = await FakeAdminNode.start(t);
    silent.handle = () => 'never';
    assertFailed(
      await member(tempDir(t), [
        'add',
        '--node',
        silent.address,
        '--id',
        '4',
        '--raft',
        '127.0.0.1:7004',
        '--timeout',
        '500',
      ]),
      `little-raft: node ${silent.address} did not answer within 500 ms`,
    );
  });

  test('bad flags are refused before any request', async (t) => {
    const node = await FakeAdminNode.start(t);
    const dir = tempDir(t);
    const cases: [string[], RegExp][] = [
      [['add', '--node', node.address, '--id', '0', '--raft', '127.0.0.1:7004'], /^error: option '--id <n>' argument '0' is invalid\. a node id is a whole number/],
      [['add', '--node', node.address, '--id', '4', '--raft', '127.0.0.1'], /^error: option '--raft <host:port>' argument '127\.0\.0\.1' is invalid\./],
      [['add', '--node', node.address, '--id', '4'], /^error: required option '--raft <host:port>' not specified$/],
      [['remove', '--node', 'nowhere', '--id', '3'], /^error: option '--node <host:port>' argument 'nowhere' is invalid\./],
      [['transfer-leader', '--node', node.address, '--to', 'two'], /^error: option '--to <n>' argument 'two' is invalid\./],
      [['list', '--node', node.address, '--timeout', '0'], /^error: option '--timeout <ms>' argument '0' is invalid\./],
    ]; // prettier-ignore
    for (const [args, message] of cases) {
      const r = await member(dir, args);
      assert.equal(r.code, 1, args.join(' '));
      assert.equal(r.stdout, '');
      assert.match(r.stderr.split('\n')[0]!, message);
    }
    assert.deepEqual(node.seen, []);
  });
});
