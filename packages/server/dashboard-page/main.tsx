// The dashboard page: follows /dashboard/events (server-sent events) and draws the cluster: a
// card per member, charts over the last minutes, each member's log, the events. In `little-raft
// local` (state.controls) the cards carry the fault buttons of the control API.
import { render } from 'preact';
import { useCallback, useEffect, useState } from 'preact/hooks';
import 'uplot/dist/uPlot.min.css';

import { Card } from './cards.js';
import { Chart } from './chart.js';
import { addNode, nodeAction, setLoad, type NodeAction } from './controls.js';
import { addPoint, emptyHistory, type History, type Metric } from './history.js';
import { LogStrips } from './log-strips.js';
import { Timeline } from './timeline.js';
import type { DashboardState, MemberRole } from '../src/dashboard/types.js';
import './style.css';

type Theme = 'light' | 'dark';

/**
 * Set on <html> at once, not in an effect: the charts read the theme's colours when they are made,
 * and children's effects run before their parent's.
 */
function applyTheme(theme: Theme): Theme {
  document.documentElement.dataset.theme = theme;
  return theme;
}

function initialTheme(): Theme {
  const saved = localStorage.getItem('little-raft-theme');
  if (saved === 'light' || saved === 'dark') return applyTheme(saved);
  return applyTheme(matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light');
}

/** The charts, each with one line per member for each metric (the second drawn dashed). */
const CHARTS: { title: string; unit: string; metrics: Metric[] }[] = [
  { title: 'Writes', unit: '/s', metrics: ['writesPerSec'] },
  { title: 'Reads', unit: '/s', metrics: ['readsPerSec'] },
  { title: 'Latency p99 (dashed: p50)', unit: 'ms', metrics: ['latencyP99Ms', 'latencyP50Ms'] },
  { title: 'Replication lag', unit: 'entries', metrics: ['lagBehindLeader'] },
  { title: 'Event-loop delay p99', unit: 'ms', metrics: ['eventLoopDelayMs'] },
];

const ROLE_ORDER: MemberRole[] = ['leader', 'candidate', 'follower', 'learner', 'down'];

function Summary({ state }: { state: DashboardState }) {
  const leader = state.members.find((m) => m.role === 'leader');
  const up = state.members.filter((m) => m.role !== 'down').length;
  const counts = ROLE_ORDER.map((r) => [r, state.members.filter((m) => m.role === r).length] as const).filter(
    ([, n]) => n > 0,
  );
  return (
    <div class="summary">
      <span>
        leader <strong data-summary="leader">{leader === undefined ? 'none' : `node ${leader.id}`}</strong>
      </span>
      <span>
        term <strong>{leader?.term ?? Math.max(0, ...state.members.map((m) => m.term))}</strong>
      </span>
      <span>
        up{' '}
        <strong>
          {up} of {state.members.length}
        </strong>
      </span>
      {counts.map(([role, n]) => (
        <span key={role} class={`pill role-${role}`}>
          {n} {role}
        </span>
      ))}
    </div>
  );
}

function App() {
  const [state, setState] = useState<DashboardState | null>(null);
  const [history, setHistory] = useState<History>(emptyHistory);
  const [live, setLive] = useState(false);
  const [theme, setTheme] = useState<Theme>(initialTheme);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    const source = new EventSource('/dashboard/events');
    source.onopen = () => setLive(true);
    // EventSource reconnects by itself; the page says it is not live meanwhile.
    source.onerror = () => setLive(false);
    source.onmessage = (e: MessageEvent<string>) => {
      const next = JSON.parse(e.data) as DashboardState;
      setLive(true);
      setState(next);
      setHistory((h) => addPoint(h, next));
    };
    return () => source.close();
  }, []);

  const run = useCallback((what: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    what()
      .catch((e: unknown) => setError(e instanceof Error ? e.message : String(e)))
      .finally(() => setBusy(false));
  }, []);
  const onAction = useCallback((id: number, action: NodeAction) => run(() => nodeAction(id, action)), [run]);

  const toggleTheme = (): void => {
    const next = theme === 'dark' ? 'light' : 'dark';
    localStorage.setItem('little-raft-theme', next);
    setTheme(applyTheme(next));
  };

  return (
    <div class={`app${busy ? ' busy' : ''}`}>
      <header class="top">
        <h1>
          little-raft <span class="muted">cluster</span>
        </h1>
        <span class={`live ${live ? 'on' : 'off'}`}>{live ? 'live' : 'reconnecting…'}</span>
        {state !== null && <Summary state={state} />}
        <div class="spacer" />
        {state?.controls === true && (
          <div class="global-actions">
            <button type="button" data-action="add" onClick={() => run(addNode)}>
              add node
            </button>
            {state.load !== null && (
              <button
                type="button"
                data-action="load"
                class={state.load ? 'on' : ''}
                aria-pressed={state.load}
                onClick={() => run(() => setLoad(!state.load))}
              >
                {state.load ? 'stop load' : 'start load'}
              </button>
            )}
          </div>
        )}
        <button type="button" class="theme" onClick={toggleTheme} title="dark / light">
          {theme === 'dark' ? '☀ light' : '☾ dark'}
        </button>
      </header>
      {error !== null && (
        <div class="error" role="alert">
          <span>{error}</span>
          <button type="button" onClick={() => setError(null)} aria-label="dismiss">
            ×
          </button>
        </div>
      )}
      {state === null ? (
        <p class="muted connecting">Connecting to the cluster…</p>
      ) : (
        <main>
          <section class="cards">
            {state.members.map((m) => (
              <Card key={m.id} m={m} controls={state.controls} onAction={onAction} />
            ))}
          </section>
          <section class="charts">
            {CHARTS.map((c) => (
              <Chart key={c.title} {...c} history={history} theme={theme} />
            ))}
          </section>
          <div class="lower">
            <LogStrips members={state.members} />
            <Timeline events={state.events} />
          </div>
        </main>
      )}
    </div>
  );
}

render(<App />, document.getElementById('app')!);
