// One card per member: who it is, where, its role and how far along its log is.
import { NODE_ACTIONS, type NodeAction } from './controls.js';
import { bytes, count, ms, rate } from './format.js';
import type { MemberView } from '../src/dashboard/types.js';

/** Which buttons make sense for a member in this state. */
function usable(m: MemberView, action: NodeAction): boolean {
  const paused = m.down?.startsWith('paused') === true;
  switch (action) {
    case 'kill':
    case 'pause':
    case 'cut':
      return m.role !== 'down';
    case 'restart':
      return true;
    case 'resume':
      return paused;
    case 'heal':
      return true;
    case 'remove':
      return true;
  }
}

interface CardProps {
  m: MemberView;
  controls: boolean;
  onAction: (id: number, action: NodeAction) => void;
}

export function Card({ m, controls, onAction }: CardProps) {
  const down = m.role === 'down';
  return (
    <article class={`card role-${m.role}`} data-member-id={m.id} data-role={m.role}>
      <header>
        <h2>node {m.id}</h2>
        <span class="role-badge">{m.role}</span>
      </header>
      {down && <p class="down-reason">{m.down}</p>}
      <dl class="addresses">
        <dt>redis</dt>
        <dd>{m.redis ?? '–'}</dd>
        <dt>raft</dt>
        <dd>{m.raft ?? '–'}</dd>
        <dt>http</dt>
        <dd>{m.http ?? '–'}</dd>
      </dl>
      <dl class="numbers">
        <dt>term</dt>
        <dd data-field="term">{m.term}</dd>
        <dt>commit</dt>
        <dd data-field="commit-index">{count(m.commitIndex)}</dd>
        <dt>applied</dt>
        <dd data-field="applied-index">{count(m.appliedIndex)}</dd>
        <dt>last index</dt>
        <dd data-field="last-log-index">{count(m.lastLogIndex)}</dd>
        <dt>lag</dt>
        <dd data-field="lag">{m.lagBehindLeader === null ? '–' : count(m.lagBehindLeader)}</dd>
        <dt>peers</dt>
        <dd data-field="peers">{down ? '–' : m.connectedPeers.length === 0 ? 'none' : m.connectedPeers.join(', ')}</dd>
        <dt>keys</dt>
        <dd data-field="keys">{count(m.keys)}</dd>
        <dt>memory</dt>
        <dd data-field="memory">{down ? '–' : bytes(m.memoryBytes)}</dd>
        <dt>writes/s</dt>
        <dd>{down ? '–' : rate(m.writesPerSec)}</dd>
        <dt>p99</dt>
        <dd>{ms(m.latencyP99Ms)}</dd>
      </dl>
      {controls && (
        <div class="actions">
          {NODE_ACTIONS.map((action) => (
            <button
              key={action}
              type="button"
              data-action={action}
              disabled={!usable(m, action)}
              class={action === 'kill' || action === 'remove' ? 'danger' : ''}
              onClick={() => onAction(m.id, action)}
            >
              {action}
            </button>
          ))}
        </div>
      )}
    </article>
  );
}
