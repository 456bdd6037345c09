// The cluster's events, newest first.
import type { ClusterEvent } from '../src/dashboard/types.js';
import { clock } from './format.js';

const LABELS: Record<ClusterEvent['kind'], string> = {
  election: 'election',
  leader: 'leader',
  membership: 'members',
  'snapshot-taken': 'snapshot',
  'snapshot-installed': 'snapshot',
  down: 'down',
  up: 'up',
};

export function Timeline({ events }: { events: ClusterEvent[] }) {
  return (
    <section class="panel timeline">
      <h3>Events</h3>
      {events.length === 0 ? (
        <p class="muted">Nothing yet: elections, leader changes, members down and back, snapshots show here.</p>
      ) : (
        <ol>
          {[...events].reverse().map((e, i) => (
            <li key={`${e.at}-${i}`} class={`event kind-${e.kind}`}>
              <time>{clock(e.at)}</time>
              <span class="kind">{LABELS[e.kind]}</span>
              <span class="text">{e.text}</span>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
