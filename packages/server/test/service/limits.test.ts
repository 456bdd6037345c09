// End to end: commands too big for a Raft entry are refused up front, a big value that fits is
// replicated, a client announcing a bulk string over Redis's 512 MB is cut off, and one streaming a
// too big command is refused with its connection kept; the cluster keeps serving.
import assert from 'node:assert/strict';
import * as net from 'node:net';
import { test } from 'node:test';

import { KvTestCluster } from '../support/kv-cluster.js';

test('size limits: big values replicate, oversized commands get an error, oversized bulk lengths are cut off', async (t) => {
  const cluster = await KvTestCluster.start(t);
  const leader = await cluster.waitForLeader();
  const follower = cluster.nodes.find((n) => n.id !== leader)!.id;
  const other = cluster.nodes.find((n) => n.id !== leader && n.id !== follower)!.id;

  // Just under the limit, through a follower (forwarded) and on the leader, each read back whole on
  // another node: big values go in slices and pieces (encoded a MiB per turn, written to peers
  // and to disk as they are), and a byte out of place anywhere shows in this pattern.
  const big = Buffer.alloc(8 * 1024 * 1024 - 64);
  for (let i = 0; i < big.length; i++) big[i] = (i * 7 + (i >>> 13)) & 0xff;
  assert.equal(await cluster.client(follower).set('big', big), 'OK');
  assert.ok((await cluster.client(other).getBuffer('big'))!.equals(big), 'set through a follower');
  const reversed = Buffer.from(big).reverse();
  assert.equal(await cluster.client(leader).set('big', reversed), 'OK');
  assert.ok((await cluster.client(follower).getBuffer('big'))!.equals(reversed), 'set on the leader');

  // 9 MiB: refused before it reaches the log.
  await assert.rejects(cluster.client(leader).set('huge', Buffer.alloc(9 * 1024 * 1024, 'y')), /exceeds/);
  assert.equal(await cluster.client(other).exists('huge'), 0);

  const port = cluster.node(leader).redisPort;
  // A bulk string announced as 1 GB: refused on its header alone, as Redis refuses one over its
  // proto-max-bulk-len.
  const announced = await new Promise<string>((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let text = '';
    socket.on('data', (d) => (text += d.toString('latin1')));
    socket.on('close', () => resolve(text));
    socket.write('*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1000000000\r\n');
  });
  assert.equal(announced, '-ERR Protocol error: invalid bulk length\r\n');

  // Bulk strings of allowed lengths that add up to more than a command may take: dropped as they
  // arrive, refused, and the connection goes on.
  const answer = await new Promise<string>((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let text = '';
    socket.on('data', (d) => {
      text += d.toString('latin1');
      if (text.endsWith('+PONG\r\n')) {
        socket.destroy();
        resolve(text);
      }
    });
    socket.on('error', reject);
    socket.on('close', () => reject(new Error(`closed after ${JSON.stringify(text)}`)));
    socket.write('*3\r\n$3\r\nSET\r\n$20000000\r\n');
    socket.write(Buffer.alloc(20_000_000, 'k'));
    socket.write('\r\n$20000000\r\n');
    socket.write(Buffer.alloc(20_000_000, 'z'));
    socket.write('\r\nPING\r\n');
  });
  assert.equal(answer, '-ERR command of 40000003 bytes exceeds the limit of 8388608 bytes\r\n+PONG\r\n');

  // Everyone still serves.
  assert.equal(await cluster.client(leader).set('after', 'ok'), 'OK');
  assert.equal(await cluster.client(follower).get('after'), 'ok');
});
