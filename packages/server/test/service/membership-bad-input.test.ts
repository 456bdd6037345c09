// The membership commands and the admin API given bad input, against a real cluster: each gets a
// clear one-line error and exit 1 (or 401 / 4xx), and the membership is what it was.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { signAdminRequest } from '../../src/ops/admin-auth.js';
import { freePorts } from '../../../little-raft/test/support/tcp.js';
import { eventually } from '../support/eventually.js';
import { KvTestCluster, withLogs } from '../support/kv-cluster.js';

test('bad membership requests are refused with a clear error and change nothing', async (t) => {
  const cluster = await KvTestCluster.start(t);
  const secret = Buffer.from('an end-to-end test cluster secret');
  const via = `127.0.0.1:${cluster.node(1).httpPort}`;
  const member = (args: string[], secretFile = cluster.secretFile, node = via) =>
    cluster.cli(['member', ...args, '--node', node, '--secret-file', secretFile]);
  const oneLine = (r: { code: number | null; stderr: string }, pattern: RegExp): void => {
    assert.equal(r.code, 1, r.stderr);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, pattern);
  };
  const voters = async (): Promise<string> => {
    const leader = await cluster.waitForLeader();
    const s = (await cluster.status(leader))!;
    return JSON.stringify([s['voters'], s['learners']]);
  };

  await withLogs(cluster, async () => {
    const before = await voters();

    // A wrong secret, an unsigned request and a replayed one: 401, nothing changed.
    const wrongSecret = `${cluster.dir}/wrong-secret`;
    (await import('node:fs')).writeFileSync(wrongSecret, 'not the secret of this cluster\n');
    oneLine(await member(['add', '--id', '7', '--raft', '127.0.0.1:1'], wrongSecret), /authentication failed/);
    const body = JSON.stringify({ id: 7, raft: '127.0.0.1:1' });
    const unsigned = await fetch(`http://${via}/admin/members`, { method: 'POST', body });
    assert.equal(unsigned.status, 401);
    const authorization = signAdminRequest(secret, 'GET', '/admin/members', new Uint8Array(0));
    const first = await fetch(`http://${via}/admin/members`, { headers: { authorization } });
    assert.equal(first.status, 200, 'a signed request is accepted once');
    const replayed = await fetch(`http://${via}/admin/members`, { headers: { authorization } });
    assert.equal(replayed.status, 401, 'and refused when replayed');
    assert.match(((await replayed.json()) as { error: string }).error, /replay/);
    // Open endpoints stay open.
    assert.equal((await fetch(`http://${via}/health`)).status, 200);

    // Unknown ids; an id already in use by another server; the same raft address twice.
    oneLine(await member(['remove', '--id', '9']), /node 9 is not a member/);
    oneLine(await member(['transfer-leader', '--to', '9']), /node 9 is not a voter/);
    oneLine(await member(['add', '--id', '2', '--raft', '127.0.0.1:1']), /node 2 is already a member/);
    oneLine(
      await member(['add', '--id', '8', '--raft', `127.0.0.1:${cluster.node(3).raftPort}`]),
      /belongs to member 3/,
    );
    assert.equal(await voters(), before, 'nothing changed');

    // A second change while one is in progress: a hand-over to a node that is down waits (and fails).
    const leader = await cluster.waitForLeader();
    const down = [2, 3].find((id) => id !== leader)!; // never node 1, which the commands go through
    await cluster.kill(down);
    // Asked of the leader: node 1 may be the one that is down.
    const handOver = member(
      ['transfer-leader', '--to', String(down)],
      cluster.secretFile,
      `127.0.0.1:${cluster.node(leader).httpPort}`,
    );
    const signed = (method: string, path: string, body = ''): Promise<Response> =>
      fetch(`http://127.0.0.1:${cluster.node(leader).httpPort}${path}`, {
        method,
        ...(body !== '' && { body }),
        headers: { authorization: signAdminRequest(secret, method, path, Buffer.from(body)) },
      });
    // Once the leader says a change is under way, a second one is refused.
    await eventually(
      async () => ((await (await signed('GET', '/admin/members')).json()) as { changing: boolean }).changing,
      'the hand-over is under way',
    );
    const second = await signed('POST', '/admin/members', JSON.stringify({ id: 8, raft: '127.0.0.1:2' }));
    assert.equal(second.status, 409);
    assert.match(((await second.json()) as { error: string }).error, /a membership change is already in progress/);
    assert.equal((await handOver).code, 1);
    cluster.launch(cluster.node(down));
    assert.equal(await voters(), before, 'nothing changed');

    // A server of another cluster (by name) cannot join this one; a data directory in use is refused.
    const [p1, p2, p3, p4] = (await freePorts(4)) as [number, number, number, number];
    const other = await cluster.cli([
      'serve', '--id', '5', '--join', via, '--raft', '127.0.0.1:1', '--cluster', 'another',
      '--data', `${cluster.dir}/other`, '--redis', `127.0.0.1:${p1}`, '--http', `127.0.0.1:${p2}`,
      '--secret-file', cluster.secretFile,
    ]); // prettier-ignore
    oneLine(other, /is a node of cluster 'little-raft', not 'another'/);
    const n1 = cluster.node(1);
    const twice = await cluster.cli([
      'serve', '--id', '1', '--peers', cluster.peersOf(n1), '--data', n1.dataDir,
      '--redis', `127.0.0.1:${p3}`, '--http', `127.0.0.1:${p4}`, '--secret-file', cluster.secretFile,
    ]); // prettier-ignore
    oneLine(twice, /data directory .* is in use by process \d+/);
    assert.equal(await voters(), before, 'nothing changed');
    assert.match(await cluster.client(1).info('raft'), /member_2:raft=127\.0\.0\.1:\d+,redis=127\.0\.0\.1:\d+/);
  })();
});
