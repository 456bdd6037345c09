// What the big key space bench (bench/bigkeys.ts) reads of a running node: its /status (a node
// started with --open-status), the event-loop delay its /metrics report, and its resident
// memory from /proc.
import { readFile } from 'node:fs/promises';

/** The fields of /status the bench reads. */
export interface NodeStatus {
  role: string;
  term: number;
  leaderId: number | null;
  commitIndex: number;
  lastApplied: number;
  lastLogIndex: number;
  snapshotIndex: number;
  /** What its transport sent to the other nodes. */
  transport?: { messagesSent: number } | null;
}

/** /status of the node whose HTTP port is `port`; null when it does not answer in `timeoutMs`. */
export async function nodeStatus(port: number, timeoutMs = 1000): Promise<NodeStatus | null> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/status`, { signal: AbortSignal.timeout(timeoutMs) });
    if (!res.ok) return null;
    return (await res.json()) as NodeStatus;
  } catch {
    return null;
  }
}

// prom-client's default metric, with or without the prefix a node gives its process metrics
// (little_raft_process_ today). prom-client resets the histogram behind it at every scrape, so
// the value is the largest delay since the previous scrape (or since the node started).
const LAG_MAX = /^(?:[a-z_]*_)?nodejs_eventloop_lag_max_seconds\s+(\S+)$/m;

/**
 * The largest event-loop delay (ms) of the node whose HTTP port is `port` since the previous
 * call (or since it started); null when /metrics does not answer in `timeoutMs` or has no such
 * metric. A scrape waits for the node's event loop, so a node holding it answers late.
 */
export async function eventLoopMaxMs(port: number, timeoutMs = 15_000): Promise<number | null> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(timeoutMs) });
    const match = LAG_MAX.exec(await res.text());
    return match === null ? null : Number(match[1]) * 1000;
  } catch {
    return null;
  }
}

/** VmRSS of process `pid`, in bytes (null once it is gone). */
export async function rssBytes(pid: number): Promise<number | null> {
  try {
    const match = /^VmRSS:\s+(\d+) kB$/m.exec(await readFile(`/proc/${pid}/status`, 'utf8'));
    return match === null ? null : Number(match[1]) * 1024;
  } catch {
    return null;
  }
}
