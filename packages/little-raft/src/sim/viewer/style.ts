/** The viewer's stylesheet: light and dark (from the system's setting), readable on a laptop screen. */
export const VIEWER_CSS = `
:root { color-scheme: light dark; --bg: #ffffff; --fg: #1d2127; --muted: #6a7280; --grid: #e6e8ec; --lane: #c3c8d0;
  --leader: #2563eb; --candidate: #d97706; --down: #9ca3af; --vote: #7c3aed; --append: #2563eb; --heartbeat: #a3aab5;
  --snapshot: #0d9488; --other: #64748b; --lost: #dc2626; --commit: #16a34a; --hit: #f59e0b; --bad: #dc2626; --ok: #16a34a;
  --partition: rgba(220, 38, 38, 0.10); --panel: #f5f6f8; }
@media (prefers-color-scheme: dark) { :root { --bg: #14171c; --fg: #e3e6eb; --muted: #9aa3b0; --grid: #252a32; --lane: #3a414c;
  --leader: #60a5fa; --candidate: #fbbf24; --down: #4b5563; --vote: #a78bfa; --append: #60a5fa; --heartbeat: #59616d;
  --snapshot: #2dd4bf; --other: #94a3b8; --lost: #f87171; --commit: #4ade80; --hit: #fbbf24; --bad: #f87171; --ok: #4ade80;
  --partition: rgba(248, 113, 113, 0.12); --panel: #1c2027; } }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; background: var(--bg); color: var(--fg); }
header { display: flex; flex-wrap: wrap; gap: 8px 16px; align-items: center; padding: 10px 16px; background: var(--panel); border-bottom: 1px solid var(--grid); }
h1 { font-size: 16px; margin: 0; }
#status { font-weight: 600; padding: 2px 8px; border-radius: 10px; color: #fff; background: var(--ok); }
#status[data-ok="false"] { background: var(--bad); }
#summary, #note, #search-count { color: var(--muted); }
.tools { display: flex; gap: 6px; align-items: center; margin-left: auto; }
button, input { font: inherit; color: inherit; background: var(--bg); border: 1px solid var(--lane); border-radius: 6px; padding: 3px 9px; }
button { cursor: pointer; min-width: 32px; }
input { width: 16em; }
#violation { margin: 10px 16px 0; padding: 8px 12px; border: 2px solid var(--bad); border-radius: 8px; cursor: pointer; }
#violation strong { color: var(--bad); }
#chart { display: flex; margin: 10px 16px 0; border: 1px solid var(--grid); border-radius: 8px; overflow: hidden; }
#labels { flex: none; background: var(--panel); font-weight: 600; }
.lane-label.blamed text { fill: var(--bad); }
#scroller { flex: 1; overflow-x: auto; overflow-y: hidden; cursor: grab; touch-action: none; }
#scroller:active { cursor: grabbing; }
#spacer { height: 1px; }
#plot { position: sticky; left: 0; display: block; user-select: none; }
#note, #details, .legend { margin: 6px 16px; min-height: 1.4em; }
#details { font-family: ui-monospace, monospace; font-size: 13px; }
.legend { display: flex; flex-wrap: wrap; gap: 4px 16px; color: var(--muted); font-size: 13px; }
.legend i { display: inline-block; width: 18px; height: 3px; vertical-align: middle; margin-right: 5px; }
svg text { fill: var(--fg); font-size: 11px; }
.tick { stroke: var(--grid); }
.tick-label { fill: var(--muted); }
.lane { stroke: var(--lane); stroke-width: 1; }
.seg-leader { fill: var(--leader); }
.seg-candidate, .seg-pre-candidate { fill: var(--candidate); }
.seg-pre-candidate { opacity: 0.5; }
.seg-down { fill: var(--down); opacity: 0.6; }
.seg-label { fill: var(--leader); font-weight: 600; }
.partition { fill: var(--partition); }
.msg line { stroke: var(--other); stroke-width: 1.2; }
.msg-vote-request line, .msg-vote-response line { stroke: var(--vote); }
.msg-append line, .msg-append-response line { stroke: var(--append); }
.msg-heartbeat line { stroke: var(--heartbeat); stroke-width: 0.8; }
.msg-snapshot line, .msg-snapshot-response line { stroke: var(--snapshot); }
.msg.lost line { stroke: var(--lost); stroke-dasharray: 3 2; }
.cross { stroke: var(--lost); stroke-width: 1.6; fill: none; }
.arrowhead { fill: var(--muted); }
.msg.hit line { stroke: var(--hit); stroke-width: 3; }
.ev-commit circle { fill: var(--commit); }
.ev-commit text { fill: var(--commit); font-size: 9px; }
.ev-elected path { fill: var(--leader); }
.ev-crash path, .ev-disk-lost path { stroke: var(--bad); stroke-width: 2.5; }
.ev-restart path { fill: var(--ok); }
.ev-note path { fill: var(--muted); }
.ev.hit circle, .ev.hit path { fill: var(--hit); stroke: var(--hit); }
.ev-violation line { stroke: var(--bad); stroke-width: 3; }
.ev-violation text { fill: var(--bad); font-weight: 700; font-size: 12px; }
`;
