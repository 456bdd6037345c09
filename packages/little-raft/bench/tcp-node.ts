// One replica of the TCP + disk bench (bench/tcp-cluster.ts) in its own process: TcpCluster
// (HMAC auth) + DiskStorage, driven by its parent over IPC. Started as
//   node --import tsx bench/tcp-node.ts '{"id":1,"dir":"...","peers":{...},"lifetimeMs":...}'
// with the cluster secret in LITTLE_RAFT_BENCH_SECRET.
//
// Parent -> child: { type: 'measure', req, inFlight, seconds } (on the leader: the closed loop
//                  below), { type: 'cpu', req }, { type: 'stop' }.
// Child -> parent: { type: 'status', status } every 100 ms;
//                  { type: 'reply', req, ... } to each request.
//
// The child exits on its own when the IPC channel closes (the parent died) and after
// `lifetimeMs` whatever happens, so a bench that goes wrong leaves no process behind.
import { Replica, type ReplicaStatus, type Storage, type StorageWrite, type StoredState } from 'little-raft';
import { DiskStorage } from 'little-raft/disk';
import { TcpCluster } from 'little-raft/tcp';
import { BenchMachine, NOOP, PAYLOAD, type Tx } from './harness.js';
import { percentile } from './stats.js';

export interface TcpNodeConfig {
  id: number;
  dir: string;
  peers: Record<number, string>;
  /** The process exits after this long, whatever happens. */
  lifetimeMs: number;
  heartbeatTimeout: number;
  electionTimeoutRange: [number, number];
  snapshotDelta: number;
}

export type ToTcpNode =
  { type: 'measure'; req: number; inFlight: number; seconds: number } | { type: 'cpu'; req: number } | { type: 'stop' };

/** The leader's account of one closed-loop row. */
export interface MeasuredRow {
  inFlight: number;
  /** Proposals applied on the leader inside the measured window. */
  entries: number;
  seconds: number;
  p50: number;
  p99: number;
  /** Storage writes (each one write + fdatasync) the leader made in the window, and the entries they carried. */
  writes: number;
  writtenEntries: number;
}

export type FromTcpNode =
  | { type: 'status'; status: ReplicaStatus }
  | { type: 'reply'; req: number; row: MeasuredRow }
  | { type: 'reply'; req: number; error: string }
  | { type: 'reply'; req: number; cpu: NodeJS.CpuUsage };

/** Counts the writes that reach the disk (each is one frame + one fdatasync at most). */
class CountingStorage implements Storage<Tx, Uint8Array> {
  writes = 0;
  entries = 0;
  constructor(readonly inner: DiskStorage<Tx, Uint8Array>) {}
  load(): Promise<StoredState<Tx, Uint8Array>> {
    return this.inner.load();
  }
  write(batch: StorageWrite<Tx, Uint8Array>): Promise<void> {
    this.writes++;
    this.entries += batch.entries?.length ?? 0;
    return this.inner.write(batch);
  }
}

let nextId = 1;

/**
 * Keeps exactly `inFlight` proposals outstanding for `seconds`: each one applied here is
 * replaced at once. Latency is propose() -> its promise resolving (applied on this replica).
 * Completions inside the window count; then the outstanding ones are let finish.
 */
function closedLoop(
  replica: Replica<Tx, Uint8Array>,
  storage: CountingStorage,
  inFlight: number,
  seconds: number,
): Promise<MeasuredRow> {
  let latencies = new Float64Array(1 << 16);
  let count = 0;
  let outstanding = 0;
  let measuring = true;
  let failure: Error | null = null;
  let endedAt = 0;
  return new Promise((resolve, reject) => {
    const writes0 = storage.writes;
    const entries0 = storage.entries;
    let writes = 0;
    let writtenEntries = 0;
    const finish = (): void => {
      clearInterval(watchdog);
      if (failure !== null) return reject(failure);
      const sorted = latencies.subarray(0, count).sort();
      resolve({
        inFlight,
        entries: count,
        seconds: (endedAt - startedAt) / 1000,
        p50: percentile(sorted, 0.5),
        p99: percentile(sorted, 0.99),
        writes,
        writtenEntries,
      });
    };
    const settle = (): void => {
      outstanding--;
      if (!measuring && outstanding === 0) finish();
    };
    const submit = (): void => {
      const started = performance.now();
      outstanding++;
      replica.propose({ id: nextId++, payload: PAYLOAD }).then(
        () => {
          if (measuring) {
            if (count === latencies.length) {
              const bigger = new Float64Array(latencies.length * 2);
              bigger.set(latencies);
              latencies = bigger;
            }
            latencies[count++] = performance.now() - started;
            submit();
          }
          settle();
        },
        (error: unknown) => {
          failure ??= error instanceof Error ? error : new Error(String(error));
          measuring = false;
          settle();
        },
      );
    };
    let last = -1;
    const watchdog = setInterval(() => {
      if (count === last) {
        failure ??= new Error(`stalled: nothing applied in 5 s (${outstanding} outstanding)`);
        measuring = false;
        clearTimeout(timer);
        finish();
      }
      last = count;
    }, 5000);
    const startedAt = performance.now();
    for (let i = 0; i < inFlight; i++) submit();
    const timer = setTimeout(() => {
      endedAt = performance.now();
      writes = storage.writes - writes0;
      writtenEntries = storage.entries - entries0;
      measuring = false;
      if (outstanding === 0) finish();
    }, seconds * 1000);
  });
}

async function main(): Promise<void> {
  const config = JSON.parse(process.argv[2]!) as TcpNodeConfig;
  setTimeout(() => {
    console.error(`bench replica ${config.id}: lifetime of ${config.lifetimeMs} ms over, exiting`);
    process.exit(5);
  }, config.lifetimeMs).unref();
  process.on('disconnect', () => process.exit(0));
  const send = (message: FromTcpNode): void => {
    if (process.connected) process.send!(message, () => {});
  };

  const storage = new CountingStorage(new DiskStorage<Tx, Uint8Array>({ dir: config.dir, onWarning: () => {} }));
  const cluster = new TcpCluster<Tx, Uint8Array>({
    id: config.id,
    listen: config.peers[config.id]!,
    peers: config.peers,
    secret: process.env['LITTLE_RAFT_BENCH_SECRET'],
    quiet: true,
    reconnectDelay: { min: 20, max: 300 },
  });
  try {
    await cluster.listening();
  } catch {
    process.exit(3); // the port was taken meanwhile: the parent starts the cluster again
  }
  const replica = new Replica<Tx, Uint8Array>({
    id: config.id,
    peerIds: Object.keys(config.peers)
      .map(Number)
      .filter((id) => id !== config.id),
    cluster,
    stateMachine: new BenchMachine(),
    noopTransition: NOOP,
    heartbeatTimeout: config.heartbeatTimeout,
    electionTimeoutRange: config.electionTimeoutRange,
    snapshotDelta: config.snapshotDelta,
    storage,
  });
  cluster.attach(replica);
  const run = replica.start();
  const status = setInterval(() => send({ type: 'status', status: replica.status() }), 100);

  process.on('message', (m: ToTcpNode) => {
    if (m.type === 'measure') {
      closedLoop(replica, storage, m.inFlight, m.seconds).then(
        (row) => send({ type: 'reply', req: m.req, row }),
        (e: Error) => send({ type: 'reply', req: m.req, error: `${e.name}: ${e.message}` }),
      );
    } else if (m.type === 'cpu') {
      send({ type: 'reply', req: m.req, cpu: process.cpuUsage() });
    } else if (m.type === 'stop') {
      void (async () => {
        clearInterval(status);
        await cluster.close();
        await replica.stop();
        await run.catch(() => undefined);
        await storage.inner.close();
        process.exit(0);
      })();
    }
  });
  await run.catch((e: unknown) => {
    console.error(`bench replica ${config.id} crashed:`, e);
    process.exit(4);
  });
}

void main();
