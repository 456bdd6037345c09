// The events of a cluster, read off two successive views of it: what changed between two polls.
// A poll a second misses what comes and goes within one (an election lost in between), which a
// dashboard can live with: it shows where the cluster went, not every step.

import type { ClusterEvent, MemberView } from './types.js';

function leaderOf(views: MemberView[]): MemberView | null {
  let leader: MemberView | null = null;
  // Two leaders are seen when the old one has not yet heard of the new term: the higher term leads.
  for (const v of views) if (v.role === 'leader' && (leader === null || v.term > leader.term)) leader = v;
  return leader;
}

function highestTerm(views: MemberView[]): number {
  return views.reduce((t, v) => (v.role === 'down' ? t : Math.max(t, v.term)), 0);
}

/** The events between `previous` (null: the first view, which has none) and `next`. */
export function deriveEvents(previous: MemberView[] | null, next: MemberView[], at: number): ClusterEvent[] {
  if (previous === null) return [];
  const events: ClusterEvent[] = [];
  const event = (kind: ClusterEvent['kind'], member: number | null, term: number | null, text: string): void => {
    events.push({ at, kind, member, term, text });
  };
  const before = new Map(previous.map((v) => [v.id, v]));
  const after = new Map(next.map((v) => [v.id, v]));
  for (const v of next) {
    const was = before.get(v.id);
    if (was === undefined) {
      event('membership', v.id, null, `node ${v.id} added`);
      continue;
    }
    if (was.role !== 'down' && v.role === 'down')
      event('down', v.id, null, `node ${v.id} down: ${v.down ?? 'unknown'}`);
    if (was.role === 'down' && v.role !== 'down') event('up', v.id, v.term, `node ${v.id} back as ${v.role}`);
    if (was.role === 'learner' && (v.role === 'follower' || v.role === 'leader' || v.role === 'candidate')) {
      event('membership', v.id, v.term, `node ${v.id} promoted to voter`);
    }
  }
  for (const v of previous) if (!after.has(v.id)) event('membership', v.id, null, `node ${v.id} removed`);

  const term = highestTerm(next);
  if (term > highestTerm(previous)) {
    const starter =
      next.find((v) => v.role === 'candidate' && v.term === term) ??
      next.find((v) => v.role === 'leader' && v.term === term);
    const by = starter === undefined ? '' : `, started by node ${starter.id}`;
    event('election', starter?.id ?? null, term, `election for term ${term}${by}`);
  }
  const leader = leaderOf(next);
  const formerLeader = leaderOf(previous);
  if (leader !== null && (formerLeader?.id !== leader.id || formerLeader.term !== leader.term)) {
    event('leader', leader.id, leader.term, `node ${leader.id} leads (term ${leader.term})`);
  } else if (leader === null && formerLeader !== null) {
    event('leader', null, null, `no leader (node ${formerLeader.id} led term ${formerLeader.term})`);
  }

  for (const v of next) {
    const was = before.get(v.id);
    if (was === undefined || was.role === 'down' || v.role === 'down' || v.snapshotIndex <= was.snapshotIndex) continue;
    // Past what its log held: the leader sent it; within it: it compacted its own log.
    if (v.snapshotIndex > was.lastLogIndex) {
      event('snapshot-installed', v.id, v.term, `node ${v.id} installed a snapshot up to index ${v.snapshotIndex}`);
    } else {
      event('snapshot-taken', v.id, v.term, `node ${v.id} took a snapshot up to index ${v.snapshotIndex}`);
    }
  }
  return events;
}
