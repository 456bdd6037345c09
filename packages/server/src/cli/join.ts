// `serve --join`: a new, empty node asks a member of a running cluster who the members are (and
// which cluster it is), starts as a learner-to-be that does not campaign, and asks the leader to
// add it. A node that already holds a configuration (a restart of a member) just starts: its
// storage says who the members are.

import { adminRequest, AdminRequestError } from './admin-client.js';
import { StartupError } from '../errors.js';
import type { ClientTls } from '../tls/http-client.js';

export interface ClusterInfo {
  cluster: string;
  clusterId: string | null;
  /** Raft addresses of the members the asked node knows of. */
  members: Map<number, string>;
}

/** What the member at `join` says of its cluster; throws a StartupError a person can act on. */
export async function discoverCluster(
  join: string,
  secret: Uint8Array | null,
  timeoutMs: number,
  tls?: ClientTls,
): Promise<ClusterInfo> {
  let reply: unknown;
  try {
    reply = await adminRequest({ node: join, secret, tls, method: 'GET', path: '/admin/members', timeoutMs });
  } catch (e) {
    throw new StartupError(`cannot join through ${join}: ${(e as Error).message}`);
  }
  const r = reply as { cluster?: unknown; clusterId?: unknown; members?: unknown };
  if (typeof r.cluster !== 'string' || !Array.isArray(r.members)) {
    throw new StartupError(`cannot join through ${join}: its answer does not describe a cluster`);
  }
  const clusterId = typeof r.clusterId === 'string' && /^[0-9a-f]{32}$/.test(r.clusterId) ? r.clusterId : null;
  const members = new Map<number, string>();
  for (const m of r.members as { id?: unknown; raft?: unknown }[]) {
    if (Number.isSafeInteger(m.id) && typeof m.raft === 'string') members.set(m.id as number, m.raft);
  }
  return { cluster: r.cluster, clusterId, members };
}

/**
 * Asks the leader (through `join`) to add this node as a learner; it is promoted once caught up.
 * Retries while the cluster has no leader or is busy with another change, until `timeoutMs`.
 */
export async function requestJoin(
  join: string,
  secret: Uint8Array | null,
  self: { id: number; raft: string; redis: string; http: string },
  timeoutMs: number,
  tls?: ClientTls,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await adminRequest({
        node: join,
        secret,
        tls,
        method: 'POST',
        path: '/admin/members',
        body: self,
        timeoutMs: Math.max(1000, deadline - Date.now()),
      });
      return;
    } catch (e) {
      const busy = e instanceof AdminRequestError && /already in progress/.test(e.message);
      if (!busy || Date.now() >= deadline) {
        throw new StartupError(`joining through ${join} failed: ${(e as Error).message}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}
