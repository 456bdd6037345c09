// Each member's log as a strip, as RaftScope draws it: the part a snapshot covers, the committed
// entries, the ones not yet committed; all on one scale, so a member behind shows a shorter strip.
import type { MemberView } from '../src/dashboard/types.js';
import { count } from './format.js';

export function LogStrips({ members }: { members: MemberView[] }) {
  const longest = Math.max(1, ...members.map((m) => m.lastLogIndex));
  const pct = (n: number): string => `${((100 * n) / longest).toFixed(3)}%`;
  return (
    <section class="panel">
      <h3>
        Logs <span class="legend snapshot">snapshot</span> <span class="legend committed">committed</span>{' '}
        <span class="legend uncommitted">uncommitted</span>
      </h3>
      {members.map((m) => {
        const snapshot = Math.min(m.snapshotIndex, m.lastLogIndex);
        const committed = Math.min(Math.max(m.commitIndex, snapshot), m.lastLogIndex);
        return (
          <div class={`strip-row role-${m.role}`} key={m.id} data-log-member-id={m.id}>
            <span class="strip-label">node {m.id}</span>
            <div class="strip" title={`snapshot ≤ ${snapshot}, committed ≤ ${m.commitIndex}, last ${m.lastLogIndex}`}>
              <div class="seg snapshot" style={{ width: pct(snapshot) }} />
              <div class="seg committed" style={{ width: pct(committed - snapshot) }} />
              <div class="seg uncommitted" style={{ width: pct(m.lastLogIndex - committed) }} />
            </div>
            <span class="strip-index">{count(m.lastLogIndex)}</span>
          </div>
        );
      })}
    </section>
  );
}
