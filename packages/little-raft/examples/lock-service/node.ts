// One node of a replicated lock service: a Raft replica over TCP (little-raft/tcp), its log and
// snapshots on disk (little-raft/disk), and a small HTTP API for clients.
//
// Run three of them (each in its own terminal; from packages/little-raft):
//
//   export LOCK_SECRET=$(node -e "console.log(require('crypto').randomBytes(32).toString('hex'))")
//   PEERS=1=127.0.0.1:7101,2=127.0.0.1:7102,3=127.0.0.1:7103
//   npm run example:lock -- --id 1 --dir data/lock-1 --peers $PEERS --http 127.0.0.1:8101
//   npm run example:lock -- --id 2 --dir data/lock-2 --peers $PEERS --http 127.0.0.1:8102
//   npm run example:lock -- --id 3 --dir data/lock-3 --peers $PEERS --http 127.0.0.1:8103
//
// (npm run example:lock is `node --import tsx examples/lock-service/node.ts`.) The three share
// LOCK_SECRET: peers prove they hold it before anything else is read. Then, against the leader
// (any other node answers 421 with the leader's id):
//
//   curl -X POST localhost:8101/locks/db-migrations/acquire -d '{"owner":"alice","leaseMs":60000}'
//   curl -X POST localhost:8101/locks/db-migrations/release -d '{"owner":"alice"}'
//   curl localhost:8102/locks/db-migrations          # linearizable read, from any node
//   curl 'localhost:8102/locks/db-migrations?stale'  # this node's own state, no round trip
//   curl localhost:8103/status
//
// Acquiring a lock you hold renews its lease and keeps its fencing token; a new holder gets a
// larger token. Stop a node (even with kill -9) and start it again with the same --dir: it
// recovers from disk and catches up from the leader (by snapshot if the log moved on).
import { randomUUID } from 'node:crypto';
import * as http from 'node:http';
import { parseArgs } from 'node:util';

import { NotLeaderError, Replica } from 'little-raft';
import { DiskStorage } from 'little-raft/disk';
import { TcpCluster } from 'little-raft/tcp';

import { LockMachine, NOOP, type LockOp } from './machine.js';

const { values: args } = parseArgs({
  options: {
    id: { type: 'string' },
    dir: { type: 'string' },
    peers: { type: 'string' },
    http: { type: 'string' },
    'snapshot-every': { type: 'string', default: '1000' },
  },
});
if (!args.id || !args.dir || !args.peers || !args.http) {
  console.error('usage: node.ts --id N --dir DIR --peers 1=host:port,2=host:port,... --http host:port');
  process.exit(2);
}
const secret = process.env['LOCK_SECRET'];
if (!secret || secret.length < 16) {
  console.error('set LOCK_SECRET (the same on every node, at least 16 characters)');
  process.exit(2);
}
const id = Number(args.id);
const peers: Record<number, string> = {};
for (const entry of args.peers.split(',')) {
  const [peer, address] = entry.split('=');
  peers[Number(peer)] = address ?? '';
}
const listen = peers[id];
if (listen === undefined) {
  console.error(`--peers has no address for --id ${id}`);
  process.exit(2);
}
const [httpHost, httpPort] = args.http.split(':');
const log = (message: string): void => console.log(`lock node ${id}: ${message}`);

// The replica: a state machine, a cluster (TCP), a storage (disk).
const machine = new LockMachine();
const storage = new DiskStorage<LockOp>({ dir: args.dir });
const cluster = new TcpCluster<LockOp>({ id, listen, peers, secret });
try {
  await cluster.listening();
} catch (e) {
  console.error(`lock node ${id}: cannot listen on ${listen}: ${(e as Error).message}`);
  process.exit(3);
}
const replica = new Replica<LockOp>({
  id,
  peerIds: Object.keys(peers)
    .map(Number)
    .filter((p) => p !== id),
  cluster: {
    // TcpCluster is the Cluster; this wrapper only adds a log line on leader changes.
    sendMessage: (to, message) => cluster.sendMessage(to, message),
    receiveMessages: () => cluster.receiveMessages(),
    halt: () => cluster.halt(),
    registerLeader: (leaderId) => {
      cluster.registerLeader(leaderId);
      log(leaderId === null ? 'no leader' : leaderId === id ? 'leading' : `following ${leaderId}`);
    },
  },
  stateMachine: machine,
  noopTransition: NOOP,
  heartbeatTimeout: 50,
  electionTimeoutRange: [400, 800],
  snapshotDelta: Number(args['snapshot-every']),
  storage,
});
cluster.attach(replica);
const run = replica.start();

// The HTTP API.
type Reply = [status: number, body: unknown];

async function propose(op: LockOp): Promise<Reply> {
  if (replica.status().role !== 'leader') return notLeader(replica.status().leaderId);
  machine.watch(op.id);
  try {
    await replica.propose(op);
  } catch (e) {
    machine.take(op.id);
    if (e instanceof NotLeaderError) return notLeader(e.leaderId);
    throw e;
  }
  const outcome = machine.take(op.id);
  // Applied, but inside a snapshot from a newer leader: this node did not see the outcome.
  if (outcome === undefined) return [503, { error: 'outcome unknown: read the lock to see who holds it' }];
  return [outcome.ok ? 200 : 409, outcome];
}

function notLeader(leader: number | null): Reply {
  return [421, { error: 'not the leader', leader }];
}

async function route(method: string, url: URL, body: Record<string, unknown>): Promise<Reply> {
  if (method === 'GET' && url.pathname === '/status') return [200, replica.status()];
  const m = /^\/locks\/([^/]+)(?:\/(acquire|release))?$/.exec(url.pathname);
  if (!m) return [404, { error: 'no such route' }];
  const lock = decodeURIComponent(m[1]!);
  if (method === 'GET' && m[2] === undefined) {
    // Linearizable unless ?stale: a ReadIndex barrier through the leader, then the local state.
    if (!url.searchParams.has('stale')) await replica.ensureLinearizable({ allowFollower: true });
    return [200, { lock, holder: machine.peek(lock), lastApplied: replica.status().lastApplied }];
  }
  if (method !== 'POST' || m[2] === undefined) return [405, { error: 'method not allowed' }];
  const owner = body['owner'];
  if (typeof owner !== 'string' || owner === '') return [400, { error: 'owner (a string) is required' }];
  if (m[2] === 'release') return propose({ id: randomUUID(), kind: 'release', lock, owner, at: Date.now() });
  const leaseMs = body['leaseMs'] ?? 30_000;
  if (typeof leaseMs !== 'number' || !(leaseMs > 0)) return [400, { error: 'leaseMs must be a positive number' }];
  return propose({ id: randomUUID(), kind: 'acquire', lock, owner, leaseMs, at: Date.now() });
}

const server = http.createServer((req, res) => {
  let text = '';
  req.setEncoding('utf8');
  req.on('data', (chunk: string) => (text += chunk));
  req.on('end', () => {
    const reply = (status: number, body: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body) + '\n');
    };
    let body: Record<string, unknown> = {};
    try {
      if (text.trim() !== '') body = JSON.parse(text) as Record<string, unknown>;
    } catch {
      return reply(400, { error: 'the body is not JSON' });
    }
    route(req.method ?? 'GET', new URL(req.url ?? '/', 'http://localhost'), body).then(
      ([status, result]) => reply(status, result),
      (e: unknown) => reply(e instanceof NotLeaderError ? 421 : 503, { error: String(e) }),
    );
  });
});
server.on('error', (e) => {
  console.error(`lock node ${id}: cannot serve HTTP on ${args.http}: ${e.message}`);
  process.exit(3);
});
server.listen(Number(httpPort), httpHost, () => log(`raft on ${listen}, http on ${args.http}, data in ${args.dir}`));

// Stop cleanly on Ctrl-C or SIGTERM (a SIGKILL is fine too: the disk log is crash-safe).
async function shutdown(): Promise<void> {
  server.close();
  await cluster.close();
  await replica.stop();
  await run;
  await storage.close();
  process.exit(0);
}
process.once('SIGINT', () => void shutdown());
process.once('SIGTERM', () => void shutdown());
await run.catch((e: unknown) => {
  console.error(`lock node ${id}: the replica failed:`, e);
  process.exit(1);
});
