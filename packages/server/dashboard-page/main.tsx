// The dashboard page: subscribes to /dashboard/events and draws the cluster.
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';

import type { DashboardState, MemberRole, MemberView } from '../src/dashboard/types.js';
import './style.css';

const ROLE_NAMES: Record<MemberRole, string> = {
  leader: 'leader',
  follower: 'follower',
  learner: 'learner',
  candidate: 'candidate',
  down: 'down',
};

function Card({ m }: { m: MemberView }) {
  return (
    <article class={`card role-${m.role}`} data-member-id={m.id} data-role={m.role}>
      <h2>
        node {m.id} <span class="role">{ROLE_NAMES[m.role]}</span>
      </h2>
      <dl>
        <dt>term</dt>
        <dd>{m.term}</dd>
        <dt>commit</dt>
        <dd class="commit-index">{m.commitIndex}</dd>
      </dl>
    </article>
  );
}

function App() {
  const [state, setState] = useState<DashboardState | null>(null);
  useEffect(() => {
    const source = new EventSource('/dashboard/events');
    source.onmessage = (e: MessageEvent<string>) => setState(JSON.parse(e.data) as DashboardState);
    return () => source.close();
  }, []);
  if (state === null) return <p>connecting…</p>;
  return (
    <main>
      {state.members.map((m) => (
        <Card key={m.id} m={m} />
      ))}
    </main>
  );
}

render(<App />, document.getElementById('app')!);
