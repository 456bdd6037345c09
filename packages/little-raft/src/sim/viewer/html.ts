import type { TimelineEvent } from '../timeline.js';
import { DEFAULT_MAX_MESSAGES, viewerData } from './data.js';
import { viewerPage } from './page.js';
import { VIEWER_CSS } from './style.js';

/** A recorded run, as `simulate({ ..., trace: true })` resolves it (a `SimResult`). */
export interface RecordedRun {
  seed: number;
  ok: boolean;
  violation: string | null;
  time: number;
  timeline: readonly TimelineEvent[];
}

/** Options of {@link simulationHtml}. */
export interface SimulationHtmlOptions {
  /** The page's title (default: "little-raft simulation, seed S"). */
  title?: string;
  /**
   * Arrows kept in the file at most (default 20,000, about 800 KB): beyond it, delivered heartbeats
   * and append acknowledgements are thinned evenly; every vote, entry, snapshot and lost message stays.
   */
  maxMessages?: number;
}

const escapeHtml = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/**
 * JSON that is safe inside a `<script>` element: no `<` (so no `</script>` or `<!--` can end it
 * early), and no U+2028/U+2029, which old parsers take for line ends.
 */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(
    /[<\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/**
 * Draws a recorded run as one self-contained HTML page (its script and styles inline, nothing
 * fetched): a space-time diagram with a lane per replica, messages as arrows (lost ones crossed
 * out), elections, commits, crashes, restarts and partitions; zoom, pan and a search by index or
 * term; the violated invariant, if any, highlighted and in view. Throws when the run was not traced.
 */
export function simulationHtml(run: RecordedRun, options: SimulationHtmlOptions = {}): string {
  if (run.timeline.length === 0)
    throw new Error('simulationHtml: the run has no timeline: simulate it with { trace: true }');
  const maxMessages = options.maxMessages ?? DEFAULT_MAX_MESSAGES;
  if (!Number.isSafeInteger(maxMessages) || maxMessages < 1)
    throw new RangeError(`simulationHtml: maxMessages must be a positive integer, got ${maxMessages}`);
  const title = options.title ?? `little-raft simulation, seed ${run.seed}`;
  const data = viewerData(run, title, maxMessages);
  // tsx (esbuild with keepNames) wraps the page's inner functions in __name(...): defined here, so
  // the function's source runs in a page whether it was compiled by tsc or transformed by tsx.
  const script = `var __name = function (f) { return f; };\n(${viewerPage.toString()})();`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${VIEWER_CSS}</style>
</head>
<body>
<header>
  <h1 id="title"></h1>
  <span id="status"></span>
  <span id="summary"></span>
  <div class="tools">
    <input id="search" type="search" placeholder="index or term: 12, i12, t3, text" aria-label="Search by index or term">
    <span id="search-count" data-matches="0"></span>
    <button id="zoom-out" title="Zoom out" aria-label="Zoom out">−</button>
    <button id="zoom-in" title="Zoom in" aria-label="Zoom in">+</button>
    <button id="zoom-fit" title="Whole run">fit</button>
  </div>
</header>
<div id="violation" hidden><strong>First violated invariant:</strong> <span id="violation-text"></span></div>
<div id="chart">
  <svg id="labels" width="64" role="list" aria-label="Replicas"></svg>
  <div id="scroller"><div id="spacer"></div><svg id="plot" role="img" aria-label="Space-time diagram"></svg></div>
</div>
<div id="note"></div>
<div class="legend">
  <span><i style="background:var(--leader)"></i>leader</span><span><i style="background:var(--candidate)"></i>candidate</span>
  <span><i style="background:var(--down)"></i>down</span><span><i style="background:var(--vote)"></i>votes</span>
  <span><i style="background:var(--append)"></i>entries</span><span><i style="background:var(--heartbeat)"></i>heartbeats</span>
  <span><i style="background:var(--snapshot)"></i>snapshots</span><span><i style="background:var(--lost)"></i>lost (✕)</span>
  <span><i style="background:var(--commit)"></i>commit (index)</span><span><i style="background:var(--partition)"></i>cut off</span>
  <span>wheel: zoom · drag: pan · click: details · Enter: next match</span>
</div>
<div id="details"></div>
<script type="application/json" id="run-data">${scriptJson(data)}</script>
<script>${script}</script>
</body>
</html>
`;
}
