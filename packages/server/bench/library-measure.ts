// The library's cluster bench, one row: a closed loop of N transitions in flight on the leader
// of three Replicas in one process (bench/run.ts prints the rows, bench/limits.ts compares the
// 1,024-in-flight rows with issue 18's targets).
import { PAYLOAD, type Node, type Tx, type World } from '../../little-raft/bench/harness.js';
import { Samples } from '../../little-raft/bench/stats.js';

export type Path = 'transitions' | 'propose';

export interface Row {
  path: Path;
  inFlight: number;
  entries: number;
  seconds: number;
  /** Process CPU time (user + system, all threads) over the row, in milliseconds. */
  cpuMs: number;
  /** Commit latencies (ms) of the `entries` completions. */
  samples: Samples;
}

let nextId = 1;
/** Submit times by id; ids complete in order and fewer than this many are ever outstanding. */
const START_MASK = (1 << 16) - 1;
const startTimes = new Float64Array(START_MASK + 1);

function leaderOf(world: World): Node {
  const node = world.nodes.find((n) => n.id === world.net.leader);
  if (node === undefined || node.replica.status().role !== 'leader') throw new Error('no leader');
  return node;
}

/**
 * Keeps `inFlight` transitions outstanding for `seconds`, then lets the outstanding ones
 * finish. Entries/s and latency count only completions inside the measured window.
 */
export function measure(world: World, path: Path, inFlight: number, seconds: number): Promise<Row> {
  const leader = leaderOf(world);
  const { replica, machine } = leader;
  const samples = new Samples();
  let outstanding = 0;
  let completed = 0;
  let measuring = true;
  let failure: Error | null = null;
  let startedAt = 0;
  let endedAt = 0;
  let cpuAtStart = process.cpuUsage();
  let cpuAtEnd = cpuAtStart;

  return new Promise<Row>((resolve, reject) => {
    const finish = (): void => {
      machine.onApplied = null;
      machine.onAbandoned = null;
      clearInterval(watchdog);
      if (failure) return reject(failure);
      const seconds = (endedAt - startedAt) / 1000;
      resolve({ path, inFlight, entries: completed, seconds, cpuMs: cpuMs(cpuAtStart, cpuAtEnd), samples });
    };
    const completeOne = (id: number, now: number): void => {
      outstanding--;
      if (measuring) {
        samples.push(now - startTimes[id & START_MASK]!);
        completed++;
      } else if (outstanding === 0) {
        finish();
      }
    };

    // A completion and the submission replacing it share one clock reading.
    let submit: (now: number) => void;
    if (path === 'transitions') {
      machine.onApplied = (id) => {
        const now = performance.now();
        completeOne(id, now);
        if (measuring) submit(now);
      };
      submit = (now) => {
        const id = nextId++;
        startTimes[id & START_MASK] = now;
        machine.queue.push({ id, payload: PAYLOAD });
        outstanding++;
        replica.notifyTransitions();
      };
    } else {
      const onError = (error: unknown): void => {
        failure ??= error instanceof Error ? error : new Error(String(error));
        outstanding--;
        if (!measuring && outstanding === 0) finish();
      };
      submit = (now) => {
        const id = nextId++;
        startTimes[id & START_MASK] = now;
        outstanding++;
        const tx: Tx = { id, payload: PAYLOAD };
        replica.propose(tx).then(() => {
          const now = performance.now();
          completeOne(id, now);
          if (measuring) submit(now);
        }, onError);
      };
    }
    machine.onAbandoned = (id) => {
      failure ??= new Error(`transition ${id} abandoned (leader changed during the bench?)`);
    };

    let lastCompleted = -1;
    const watchdog = setInterval(() => {
      if (completed === lastCompleted && (measuring || outstanding > 0)) {
        failure ??= new Error(`stalled: no transition completed in 5 s (${outstanding} outstanding)`);
        measuring = false;
        outstanding = 0;
        finish();
      }
      lastCompleted = completed;
    }, 5000);

    cpuAtStart = process.cpuUsage();
    startedAt = performance.now();
    for (let i = 0; i < inFlight; i++) submit(performance.now());
    setTimeout(() => {
      endedAt = performance.now();
      cpuAtEnd = process.cpuUsage();
      measuring = false;
      if (outstanding === 0) finish();
    }, seconds * 1000);
  });
}

export const label: Record<Path, string> = {
  transitions: 'getPendingTransitions',
  propose: 'propose()',
};

function cpuMs(from: NodeJS.CpuUsage, to: NodeJS.CpuUsage): number {
  return (to.user - from.user + to.system - from.system) / 1000;
}
