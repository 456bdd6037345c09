// What the dashboard page is sent (GET /dashboard/events): the cluster as one watcher sees it,
// member by member, and the events it derived. Shared by the server and the page's sources.

export type MemberRole = 'leader' | 'follower' | 'learner' | 'candidate' | 'down';

export interface MemberView {
  id: number;
  redis: string | null;
  raft: string | null;
  http: string | null;
  role: MemberRole;
  /** Why it is down: 'SIGKILL', 'paused (SIGSTOP)', 'exited with code 1', 'unreachable', ...; null when up. */
  down: string | null;
  term: number;
  commitIndex: number;
  appliedIndex: number;
  lastLogIndex: number;
  snapshotIndex: number;
  /** Entries behind the leader's last index; null when no leader is known. */
  lagBehindLeader: number | null;
  connectedPeers: number[];
  keys: number;
  memoryBytes: number;
  writesPerSec: number;
  readsPerSec: number;
  /** Over the requests since the previous poll; null when there were none. */
  latencyP50Ms: number | null;
  latencyP99Ms: number | null;
  eventLoopDelayMs: number | null;
}

export interface ClusterEvent {
  /** ms since the epoch, when the watcher saw it. */
  at: number;
  kind: 'election' | 'leader' | 'membership' | 'snapshot-taken' | 'snapshot-installed' | 'down' | 'up';
  member: number | null;
  term: number | null;
  text: string;
}

export interface DashboardState {
  at: number;
  members: MemberView[];
  events: ClusterEvent[];
  /** The page shows the fault and load buttons (`little-raft local` only). */
  controls: boolean;
  /** Whether the built-in load runs; null where there is none. */
  load: boolean | null;
}
