// TcpCluster over mutual TLS, with certificates made for the test by the openssl command line:
// replicas with certificates from the cluster CA talk; a certificate from another CA, none at
// all, or one for another replica id is refused, on either end of the connection.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tls from 'node:tls';

import { TcpCluster, type TcpTlsOptions } from '../../src/transport/tcp/index.js';
import type { Op } from '../support/replica-net.js';
import { hasOpenssl, TestCa, type Pem } from '../support/certs.js';
import { freePorts, RecordingLogger, TcpNet, until } from '../support/tcp.js';

const skip = hasOpenssl() ? false : 'the openssl command line is not installed (it makes the test certificates)';

let ca: TestCa;
let rogueCa: TestCa;
const leaf = new Map<string, Pem>();

before(() => {
  if (skip) return;
  ca = TestCa.create('cluster-ca');
  rogueCa = ca.sibling('rogue-ca');
  for (const id of [1, 2, 3, 9]) leaf.set(`replica-${id}`, ca.issue(`replica-${id}`));
  leaf.set('rogue-replica-1', rogueCa.issue('replica-1'));
  leaf.set('rogue-replica-2', rogueCa.issue('replica-2'));
});

after(() => {
  if (!skip) ca.dispose();
});

function tlsFor(name: string, checkPeerId = true): TcpTlsOptions {
  const pem = leaf.get(name)!;
  return { key: pem.key, cert: pem.cert, ca: ca.pem.cert, checkPeerId };
}

test(
  'three replicas over mutual TLS elect, replicate, and refuse foreign, missing and mismatched certificates',
  { skip },
  async () => {
    const net = await TcpNet.create([1, 2, 3], { handshakeTimeout: 2000 });
    const [roguePort] = await freePorts(1);
    try {
      for (const id of net.ids) net.start(id, { tls: tlsFor(`replica-${id}`) });
      await net.waitForLeader();
      for (let i = 1; i <= 10; i++) await net.propose({ id: i, delta: i });
      await net.waitForHistory(10);

      // 1. A replica "1" whose certificate another CA signed: TLS refuses it on 2 and 3.
      const rogueLog = new RecordingLogger();
      const rogue = new TcpCluster<Op, Uint8Array>({
        id: 1,
        listen: `127.0.0.1:${roguePort!}`,
        peers: { ...net.peers, 1: `127.0.0.1:${roguePort!}` },
        tls: { ...tlsFor('rogue-replica-1'), ca: rogueCa.pem.cert },
        logger: rogueLog,
      });
      await until(
        () => [2, 3].every((id) => (net.node(id).cluster.stats().rejected.tls ?? 0) >= 1),
        'the foreign certificate refused by 2 and 3',
      );
      await rogue.close();
      assert.deepEqual(rogue.connectedPeers(), []);

      // 2. A TLS client with no certificate at all.
      const port3 = Number(net.peers[3]!.split(':')[1]);
      const before3 = net.node(3).cluster.stats().rejected.tls ?? 0;
      await new Promise<void>((resolve) => {
        const socket = tls.connect({
          host: '127.0.0.1',
          port: port3,
          ca: ca.pem.cert,
          checkServerIdentity: () => undefined,
        });
        socket.on('error', () => {});
        socket.on('close', () => resolve());
        socket.on('secureConnect', () => socket.write('hello'));
      });
      await until(
        () => (net.node(3).cluster.stats().rejected.tls ?? 0) > before3,
        'the certificate-less client refused',
      );

      // 3. A certificate from the cluster CA, but for replica 9, claiming to be replica 1.
      const impostor = new TcpCluster<Op, Uint8Array>({
        id: 1,
        listen: `127.0.0.1:${roguePort!}`,
        peers: { ...net.peers, 1: `127.0.0.1:${roguePort!}` },
        tls: tlsFor('replica-9'),
        quiet: true,
      });
      await until(
        () => [2, 3].every((id) => (net.node(id).cluster.stats().rejected.certificate ?? 0) >= 1),
        'the mismatched certificate refused by 2 and 3',
      );
      await impostor.close();
      assert.deepEqual(impostor.connectedPeers(), []);
      assert.match(net.node(3).logger.warnings.join('\n'), /peer claims id 1 but its certificate is not replica-1's/);

      // The cluster is unaffected.
      await until(() => net.ids.every((id) => net.node(id).cluster.connectedPeers().length === 2), 'all connected');
      for (let i = 11; i <= 15; i++) await net.propose({ id: i, delta: i });
      await net.waitForHistory(15);
      const history = net.node(1).machine.history;
      for (const id of net.ids) assert.deepEqual(net.node(id).machine.history, history);
    } finally {
      await net.stopAll();
    }
  },
);

test(
  'a dialer refuses an acceptor whose certificate another CA signed, or that belongs to another id',
  { skip },
  async () => {
    const [p1, p2] = await freePorts(2);
    const peers = { 1: `127.0.0.1:${p1!}`, 2: `127.0.0.1:${p2!}` };
    const log = new RecordingLogger();
    const dialer = new TcpCluster<Op, Uint8Array>({
      id: 1,
      listen: peers[1],
      peers,
      tls: tlsFor('replica-1'),
      logger: log,
    });
    let acceptor = new TcpCluster<Op, Uint8Array>({
      id: 2,
      listen: peers[2],
      peers,
      tls: { ...tlsFor('rogue-replica-2'), ca: rogueCa.pem.cert },
      quiet: true,
    });
    try {
      await until(() => (dialer.stats().rejected.tls ?? 0) >= 1, 'the dialer refuses the foreign certificate');
      assert.match(log.warnings.join('\n'), /TLS handshake with peer 2/);
      await acceptor.close();

      // Right CA, wrong id: the acceptor at 2's address holds replica-3's certificate.
      acceptor = new TcpCluster<Op, Uint8Array>({
        id: 2,
        listen: peers[2],
        peers,
        tls: tlsFor('replica-3', false),
        quiet: true,
      });
      await until(() => (dialer.stats().rejected.certificate ?? 0) >= 1, "the dialer refuses replica-3's certificate");
      assert.deepEqual(dialer.connectedPeers(), []);
      await acceptor.close();

      // The right certificate: connected.
      acceptor = new TcpCluster<Op, Uint8Array>({
        id: 2,
        listen: peers[2],
        peers,
        tls: tlsFor('replica-2'),
        quiet: true,
      });
      await until(() => dialer.connectedPeers().includes(2), 'connected with the right certificate');
    } finally {
      await dialer.close();
      await acceptor.close();
    }
  },
);

test('TLS and a shared secret together: the HMAC handshake runs inside TLS', { skip }, async () => {
  const [p1, p2] = await freePorts(2);
  const peers = { 1: `127.0.0.1:${p1!}`, 2: `127.0.0.1:${p2!}` };
  const secret = 'the secret inside the TLS tunnel';
  const a = new TcpCluster<Op, Uint8Array>({
    id: 1,
    listen: peers[1],
    peers,
    tls: tlsFor('replica-1'),
    secret,
    quiet: true,
  });
  let b = new TcpCluster<Op, Uint8Array>({
    id: 2,
    listen: peers[2],
    peers,
    tls: tlsFor('replica-2'),
    secret: 'not the secret inside the tunnel',
    quiet: true,
  });
  try {
    await until(
      () => (a.stats().rejected['bad-proof'] ?? 0) >= 1,
      'a valid certificate with the wrong secret is refused',
    );
    await b.close();
    b = new TcpCluster<Op, Uint8Array>({
      id: 2,
      listen: peers[2],
      peers,
      tls: tlsFor('replica-2'),
      secret,
      quiet: true,
    });
    await until(() => a.connectedPeers().includes(2) && b.connectedPeers().includes(1), 'connected');
    a.sendMessage(2, { type: 'timeout-now', from: 1, to: 2, term: 5 });
    await until(() => b.stats().messagesReceived === 1, 'the message over TLS');
    assert.deepEqual(b.receiveMessages(), [{ type: 'timeout-now', from: 1, to: 2, term: 5 }]);
  } finally {
    await a.close();
    await b.close();
  }
});
