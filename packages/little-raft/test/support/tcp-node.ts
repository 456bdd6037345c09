// One replica in its own process, for the real-process tests: TcpCluster + DiskStorage, driven
// by its parent over IPC. Started as
//   node --import tsx test/support/tcp-node.ts '{"id":1,"dir":"...","peers":{...},"secret":"..."}'
// Parent -> child: { type: 'propose', op } | { type: 'history' } | { type: 'stop' }
// Child -> parent: { type: 'status', status } every 50 ms and on leader changes,
//                  { type: 'result', id, ok, error? } for each proposal,
//                  { type: 'history', history, status } when asked.

import { Replica, type StateMachine } from '../../src/driver/replica.js';
import type { ReplicaId, TransitionState } from '../../src/core/types.js';
import { DiskStorage } from '../../src/storage/disk/index.js';
import { TcpCluster } from '../../src/transport/tcp/index.js';

interface Op {
  id: string | number;
}

export interface NodeConfig {
  id: ReplicaId;
  dir: string;
  peers: Record<ReplicaId, string>;
  secret: string;
}

export type ToChild = { type: 'propose'; op: Op } | { type: 'history' } | { type: 'stop' };

class Log implements StateMachine<Op> {
  /** Ids applied, in log order (the noop, id 0, left out). */
  history: Op['id'][] = [];
  registerTransitionState(_id: Op['id'], _state: TransitionState): void {}
  applyTransition(op: Op): void {
    if (op.id !== 0) this.history.push(op.id);
  }
  getPendingTransitions(): Op[] {
    return [];
  }
}

async function main(): Promise<void> {
  const config = JSON.parse(process.argv[2]!) as NodeConfig;
  const send = (message: object): void => {
    if (process.connected) process.send!(message);
  };
  const storage = new DiskStorage<Op>({ dir: config.dir, onWarning: () => {} });
  const cluster = new TcpCluster<Op>({
    id: config.id,
    listen: config.peers[config.id]!,
    peers: config.peers,
    secret: config.secret,
    quiet: true,
    reconnectDelay: { min: 20, max: 300 },
  });
  try {
    await cluster.listening();
  } catch {
    process.exit(3); // the port is not free yet: the parent starts us again
  }
  const machine = new Log();
  const replica = new Replica<Op>({
    id: config.id,
    peerIds: Object.keys(config.peers)
      .map(Number)
      .filter((id) => id !== config.id),
    cluster,
    stateMachine: machine,
    noopTransition: { id: 0 },
    heartbeatTimeout: 50,
    electionTimeoutRange: [400, 800],
    storage,
  });
  cluster.attach(replica);
  const run = replica.start();
  const status = setInterval(() => send({ type: 'status', status: replica.status() }), 50);

  process.on('message', (m: ToChild) => {
    if (m.type === 'propose') {
      replica.propose(m.op).then(
        () => send({ type: 'result', id: m.op.id, ok: true }),
        (e: Error) => send({ type: 'result', id: m.op.id, ok: false, error: `${e.name}: ${e.message}` }),
      );
    } else if (m.type === 'history') {
      send({ type: 'history', history: machine.history, status: replica.status() });
    } else if (m.type === 'stop') {
      void (async () => {
        clearInterval(status);
        await cluster.close();
        await replica.stop();
        await run.catch(() => undefined);
        await storage.close();
        process.exit(0);
      })();
    }
  });
  process.on('disconnect', () => process.exit(0));
  await run.catch((e: unknown) => {
    console.error(`replica ${config.id} crashed:`, e);
    process.exit(4);
  });
}

void main();
