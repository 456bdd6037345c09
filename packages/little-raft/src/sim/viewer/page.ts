/// <reference lib="dom" />
// The viewer's page script. It runs in the browser, not in Node: html.ts ships this function's
// source text inside the page (`viewerPage.toString()`), so it must use nothing from outside its
// own body (types excepted, which compile away).
import type { ViewerData } from './data.js';

/** Draws the run whose data is in `<script id="run-data">`: lanes, arrows, events; zoom, pan, search. */
export function viewerPage(): void {
  const data = JSON.parse(document.getElementById('run-data')!.textContent) as ViewerData;
  const KINDS = ['role', 'elected', 'commit', 'crash', 'restart', 'disk-lost', 'network', 'note', 'violation'];
  const FATES = ['delivered', 'dropped', 'cut', 'receiver-down'];
  const LANE = 56;
  const TOP = 34;
  const LABEL_WIDTH = 64;
  /** Arrows drawn at most at once: beyond it, routine ones are sampled (zoom in to see them all). */
  const MAX_DRAWN = 1_200;

  const $ = <E extends Element>(selector: string): E => document.querySelector<E>(selector)!;
  const esc = (s: string): string =>
    s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
  const fmt = (t: number): string => (t >= 1000 ? `${+(t / 1000).toFixed(3)} s` : `${+t.toFixed(1)} ms`);

  const laneOf = new Map<number, number>(data.nodes.map((id, i) => [id, i]));
  const laneY = (id: number): number => TOP + (laneOf.get(id) ?? 0) * LANE + LANE / 2;
  const height = TOP + data.nodes.length * LANE + 8;

  type Row = (number | string)[];
  const messages = data.messages;
  const events = data.events;
  const kindOf = (e: Row): string => KINDS[e[1] as number]!;
  // Long delays let an arrow start well before the window: look back that far.
  const maxSpan = messages.reduce((m, r) => Math.max(m, r[1]! - r[0]!), 0);

  // Each lane's role over time: [start, end, role, term], down between a crash and its restart.
  const segments = new Map<number, [number, number, string, number][]>(data.nodes.map((id) => [id, []]));
  {
    const open = new Map<number, [number, number, string, number]>();
    const begin = (node: number, t: number, role: string, term: number): void => {
      const current = open.get(node);
      if (current) current[1] = t;
      const segment: [number, number, string, number] = [t, data.end, role, term];
      segments.get(node)?.push(segment);
      open.set(node, segment);
    };
    for (const e of events) {
      const kind = kindOf(e);
      const node = e[2] as number;
      if (kind === 'role') begin(node, e[0] as number, e[6] as string, e[3] as number);
      else if (kind === 'crash') begin(node, e[0] as number, 'down', -1);
    }
  }
  // The network's cut intervals: [start, end, links, text].
  const cuts: [number, number, string, string][] = [];
  for (const e of events) {
    if (kindOf(e) !== 'network') continue;
    const last = cuts[cuts.length - 1];
    if (last && last[1] === data.end) last[1] = e[0] as number;
    if (e[6] !== '') cuts.push([e[0] as number, data.end, e[6] as string, e[5] as string]);
  }
  const violationEvent = events.find((e) => kindOf(e) === 'violation');

  // ---- page frame ----------------------------------------------------------------------
  document.title = data.title;
  $('#title').textContent = data.title;
  const status = $<HTMLElement>('#status');
  status.textContent = data.ok ? 'all invariants held' : 'invariant violated';
  status.dataset['ok'] = String(data.ok);
  const thinned = data.totalMessages - messages.length;
  $('#summary').textContent =
    `seed ${data.seed} · ${data.nodes.length} replicas · ${fmt(data.end)} virtual · ${data.totalMessages} messages` +
    (thinned > 0 ? ` (${thinned} routine heartbeats and acks left out of the file)` : '');
  const banner = $<HTMLElement>('#violation');
  if (data.violation !== null) {
    banner.hidden = false;
    banner.dataset['violation'] = data.violation;
    $('#violation-text').textContent = data.violation;
  }

  const labels = $<SVGSVGElement>('#labels');
  const scroller = $<HTMLDivElement>('#scroller');
  const spacer = $<HTMLDivElement>('#spacer');
  const plot = $<SVGSVGElement>('#plot');
  const note = $<HTMLElement>('#note');
  const details = $<HTMLElement>('#details');
  labels.setAttribute('height', String(height));
  plot.setAttribute('height', String(height));
  labels.innerHTML = data.nodes
    .map((id) => {
      const y = laneY(id);
      const blamed = data.violation !== null && new RegExp(`\\bn${id}\\b`).test(data.violation);
      return `<g data-lane="${id}"${blamed ? ' data-violation-lane="1"' : ''} class="lane-label${blamed ? ' blamed' : ''}">
        <text x="${LABEL_WIDTH - 10}" y="${y + 4}" text-anchor="end">n${id}</text></g>`;
    })
    .join('');

  // ---- view state: px per virtual ms, and the window's left edge in ms ---------------------
  let scale = 1;
  const width = (): number => scroller.clientWidth;
  /** The drawing runs a little past the end, so that a violation at the very end is not on the edge. */
  const end = data.end * 1.02 + 5;
  const minScale = (): number => width() / end;
  const maxScale = 50;
  const setScale = (next: number, anchorX: number): void => {
    const anchorT = (scroller.scrollLeft + anchorX) / scale;
    scale = Math.min(maxScale, Math.max(minScale(), next));
    spacer.style.width = `${Math.ceil(end * scale)}px`;
    scroller.scrollLeft = anchorT * scale - anchorX;
    render();
  };
  const centreOn = (t: number): void => {
    scroller.scrollLeft = t * scale - width() / 2;
    render();
  };

  // ---- search ------------------------------------------------------------------------------
  type Query = { term: number | null; index: number | null; text: string | null } | null;
  let query: Query = null;
  const parseQuery = (raw: string): Query => {
    const s = raw.trim().toLowerCase();
    if (s === '') return null;
    let m = /^(?:t|term)\s*(\d+)$/.exec(s);
    if (m) return { term: Number(m[1]), index: null, text: null };
    m = /^(?:i|index|#)\s*(\d+)$/.exec(s);
    if (m) return { term: null, index: Number(m[1]), text: null };
    if (/^\d+$/.test(s)) return { term: Number(s), index: Number(s), text: null };
    return { term: null, index: null, text: s };
  };
  const messageMatches = (m: number[]): boolean => {
    if (!query) return false;
    if (query.term !== null && m[5] === query.term) return true;
    if (query.index !== null && m[6]! !== -1 && m[6]! <= query.index && query.index <= m[7]!) return true;
    return query.text !== null && data.types[m[4]!]!.includes(query.text);
  };
  const eventMatches = (e: Row): boolean => {
    if (!query) return false;
    if (query.term !== null && e[3] === query.term) return true;
    if (query.index !== null && e[4] === query.index) return true;
    return query.text !== null && `${e[5] as string} ${e[6] as string}`.toLowerCase().includes(query.text);
  };
  let hits: number[] = [];
  let hitAt = -1;
  const runSearch = (raw: string): void => {
    query = parseQuery(raw);
    const times: number[] = [];
    if (query) {
      for (const m of messages) if (messageMatches(m)) times.push(m[0]!);
      for (const e of events) if (kindOf(e) !== 'role' && eventMatches(e)) times.push(e[0] as number);
    }
    hits = times.sort((a, b) => a - b);
    hitAt = -1;
    const count = $<HTMLElement>('#search-count');
    count.dataset['matches'] = String(hits.length);
    count.textContent = query ? `${hits.length} match${hits.length === 1 ? '' : 'es'}` : '';
    if (hits.length > 0) nextHit();
    else render();
  };
  const nextHit = (): void => {
    if (hits.length === 0) return;
    hitAt = (hitAt + 1) % hits.length;
    centreOn(hits[hitAt]!);
  };

  // ---- drawing: only what the window shows ---------------------------------------------------
  const firstAtOrAfter = (t: number): number => {
    let lo = 0;
    let hi = messages.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (messages[mid]![0]! < t) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  const routine = (m: number[]): boolean => {
    const type = data.types[m[4]!];
    return m[8] === 0 && ((type === 'append' && m[10] === 0) || type === 'append-response');
  };
  const ticks = (t0: number, t1: number, x: (t: number) => number): string => {
    const raw = 90 / scale;
    const power = 10 ** Math.floor(Math.log10(raw));
    const step = [1, 2, 5, 10].map((k) => k * power).find((s) => s >= raw)!;
    let out = '';
    for (let t = Math.ceil(t0 / step) * step; t <= t1; t += step) {
      out += `<line class="tick" x1="${x(t)}" x2="${x(t)}" y1="${TOP - 6}" y2="${height}"/>`;
      out += `<text class="tick-label" x="${x(t) + 3}" y="${TOP - 10}">${fmt(+t.toFixed(3))}</text>`;
    }
    return out;
  };

  /** At most MAX_DRAWN arrows, evenly spread: the others first, then routine ones with what room is left. */
  const sample = (visible: number[][]): number[][] => {
    const others = visible.filter((m) => !routine(m));
    const every = (rows: number[][], room: number): number[][] => {
      const k = Math.ceil(rows.length / Math.max(1, room));
      return rows.filter((_, i) => i % k === 0);
    };
    const kept = others.length >= MAX_DRAWN ? every(others, MAX_DRAWN) : others;
    const room = MAX_DRAWN - kept.length;
    if (room > 0) kept.push(...every(visible.filter(routine), room));
    return kept.sort((a, b) => a[0]! - b[0]!);
  };

  function render(): void {
    const w = width();
    plot.setAttribute('width', String(w));
    const t0 = scroller.scrollLeft / scale;
    const t1 = t0 + w / scale;
    const x = (t: number): number => +((t - t0) * scale).toFixed(1);
    let out = ticks(t0, t1, x);
    let onTop = '';
    for (const [start, end, links, text] of cuts) {
      if (end < t0 || start > t1) continue;
      const a = x(Math.max(start, t0 - 1));
      const b = x(Math.min(end, t1 + 1));
      const tip = `<title>${esc(text)} (${fmt(start)} – ${fmt(end)})</title>`;
      out += `<g class="partition" data-kind="partition"><rect x="${a}" width="${b - a}" y="${TOP - 4}" height="4"/>${tip}</g>`;
      // Shade the lanes cut off from more peers than they reach: the minority side of a split, an isolated leader.
      const cutPeers = new Map<number, Set<number>>();
      for (const link of links.split(',')) {
        const [from, to] = link.split('>').map(Number) as [number, number];
        cutPeers.set(from, (cutPeers.get(from) ?? new Set()).add(to));
        cutPeers.set(to, (cutPeers.get(to) ?? new Set()).add(from));
      }
      for (const [id, peers] of cutPeers)
        if (peers.size * 2 > data.nodes.length - 1)
          out += `<g class="partition" data-kind="partition"><rect x="${a}" width="${b - a}" y="${laneY(id) - LANE / 2 + 3}" height="${LANE - 6}"/>${tip}</g>`;
    }
    for (const id of data.nodes) {
      const y = laneY(id);
      out += `<line class="lane" data-lane-line="${id}" x1="0" x2="${w}" y1="${y}" y2="${y}"/>`;
      for (const [start, end, role, term] of segments.get(id)!) {
        if (end < t0 || start > t1) continue;
        const a = x(Math.max(start, t0 - 1));
        const b = x(Math.min(end, t1 + 1));
        // Followers are the bare lane; a role too short to see at this zoom is not drawn.
        if (role === 'follower' || b - a < 0.5) continue;
        const label =
          role === 'leader' && b - a > 40
            ? `<text class="seg-label" x="${a + 12}" y="${y - 9}">leader T${term}</text>`
            : '';
        out += `<rect class="seg seg-${role}" data-role="${role}" x="${a}" width="${Math.max(1, b - a)}" y="${y - 5}" height="10"><title>n${id} ${role}${term >= 0 ? ` term ${term}` : ''}: ${fmt(start)} – ${fmt(end)}</title></rect>${label}`;
      }
    }
    // Arrows: those in flight during the window; a sample of routine ones when there are too many.
    const visible: number[][] = [];
    for (let i = firstAtOrAfter(t0 - maxSpan); i < messages.length && messages[i]![0]! <= t1; i++) {
      const m = messages[i]!;
      if (m[1]! >= t0) visible.push(m);
    }
    const shown = visible.length > MAX_DRAWN ? sample(visible) : visible;
    note.textContent =
      shown.length < visible.length
        ? `${shown.length} of ${visible.length} arrows in view drawn (votes, entries and lost ones first): zoom in to see them all`
        : '';
    for (const m of shown) {
      const type = data.types[m[4]!]!;
      const fate = FATES[m[8]!]!;
      const lost = fate !== 'delivered';
      const x1 = x(m[0]!);
      const y1 = laneY(m[2]!);
      const y2 = laneY(m[3]!);
      // A lost message stops halfway, where a cross marks it.
      const x2 = lost ? (x1 + x(m[1]!)) / 2 : x(m[1]!);
      const yEnd = lost ? (y1 + y2) / 2 : y2;
      const heartbeat = type === 'append' && m[10] === 0;
      const cls = `msg msg-${heartbeat ? 'heartbeat' : type}${lost ? ' lost' : ''}${messageMatches(m) ? ' hit' : ''}`;
      const idx = m[6] === -1 ? '' : m[6] === m[7] ? ` index ${m[6]}` : ` entries ${m[6]}–${m[7]}`;
      const tip = `${type}${heartbeat ? ' (heartbeat)' : ''} n${m[2]}→n${m[3]} term ${m[5]}${idx}, sent ${fmt(m[0]!)}${lost ? `, ${fate}` : `, arrived ${fmt(m[1]!)}`}${m[9] ? ' (duplicate)' : ''}`;
      const arrow = `<g class="${cls}" data-message="${type}" data-fate="${fate}" data-term="${m[5]}"${m[6] === -1 ? '' : ` data-first="${m[6]}" data-last="${m[7]}"`}${messageMatches(m) ? ' data-match="1"' : ''}><line x1="${x1}" y1="${y1}" x2="${x2}" y2="${yEnd}"${lost ? '' : ' marker-end="url(#arrow)"'}/>${
        lost ? `<path class="cross" d="M${x2 - 4} ${yEnd - 4}l8 8m0 -8l-8 8"/>` : ''
      }<title>${esc(tip)}</title></g>`;
      // Matches are drawn last, over the arrows they would hide behind.
      if (messageMatches(m)) onTop += arrow;
      else out += arrow;
    }
    const lastX = new Map<string, number>();
    for (const e of events) {
      const t = e[0] as number;
      if (t < t0 - 1 || t > t1 + 1) continue;
      const kind = kindOf(e);
      if (kind === 'role' || kind === 'network') continue;
      const hit = eventMatches(e);
      // Zoomed out, events of a kind on a lane crowd into the same pixels: one marker per 3 px is
      // all that shows, and all that is drawn (matches always are).
      const slot = `${kind}:${e[2] as number}`;
      const ex = x(t);
      if (!hit && kind !== 'violation' && ex - (lastX.get(slot) ?? -Infinity) < 3) continue;
      lastX.set(slot, ex);
      const attrs = `data-event="${kind}"${hit ? ' data-match="1"' : ''} class="ev ev-${kind}${hit ? ' hit' : ''}"`;
      const title = `<title>${esc(`${fmt(t)}: ${e[5] as string}`)}</title>`;
      if (kind === 'violation') {
        out += `<g ${attrs} data-violation-marker="1"><line x1="${ex}" x2="${ex}" y1="${TOP - 4}" y2="${height}"/><text x="${ex + 4}" y="${TOP + 10}">violation</text>${title}</g>`;
        continue;
      }
      const node = e[2] as number;
      if (node === -1) {
        out += `<g ${attrs}><path d="M${ex} ${TOP - 4}l4 -5l4 5l-4 5z" transform="translate(-4 0)"/>${title}</g>`;
        continue;
      }
      const y = laneY(node);
      if (kind === 'commit')
        out += `<g ${attrs} data-index="${e[4] as number}"><circle cx="${ex}" cy="${y + 14}" r="3"/>${scale > 0.6 ? `<text x="${ex}" y="${y + 26}" text-anchor="middle">${e[4] as number}</text>` : ''}${title}</g>`;
      else if (kind === 'elected')
        out += `<g ${attrs} data-term="${e[3] as number}"><path d="M${ex} ${y - 22}l3 6h6l-5 4l2 6l-6 -4l-6 4l2 -6l-5 -4h6z"/>${title}</g>`;
      else if (kind === 'crash' || kind === 'disk-lost')
        out += `<g ${attrs}><path d="M${ex - 6} ${y - 6}l12 12m0 -12l-12 12"/>${title}</g>`;
      else if (kind === 'restart') out += `<g ${attrs}><path d="M${ex} ${y - 7}l6 10h-12z"/>${title}</g>`;
      else out += `<g ${attrs}><circle cx="${ex}" cy="${y}" r="3"/>${title}</g>`;
    }
    out += onTop;
    plot.innerHTML = `<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" markerUnits="userSpaceOnUse" orient="auto-start-reverse"><path d="M0 0L10 5L0 10z" class="arrowhead"/></marker></defs>${out}`;
  }

  // ---- interaction ---------------------------------------------------------------------------
  let frame = 0;
  scroller.addEventListener('scroll', () => {
    if (frame === 0) frame = requestAnimationFrame(() => ((frame = 0), render()));
  });
  window.addEventListener('resize', () => setScale(scale, width() / 2));
  scroller.addEventListener(
    'wheel',
    (event) => {
      if (event.shiftKey) return; // the browser's own horizontal scroll
      event.preventDefault();
      const rect = scroller.getBoundingClientRect();
      setScale(scale * Math.exp(-event.deltaY * 0.002), event.clientX - rect.left);
    },
    { passive: false },
  );
  let drag: { x: number; left: number } | null = null;
  scroller.addEventListener('pointerdown', (event) => {
    drag = { x: event.clientX, left: scroller.scrollLeft };
    scroller.setPointerCapture(event.pointerId);
  });
  scroller.addEventListener('pointermove', (event) => {
    if (drag) scroller.scrollLeft = drag.left - (event.clientX - drag.x);
  });
  scroller.addEventListener('pointerup', () => (drag = null));
  plot.addEventListener('click', (event) => {
    const target = (event.target as Element).closest('g[data-message], g[data-event], rect');
    const title = target?.querySelector('title')?.textContent;
    if (title) details.textContent = title;
  });
  $('#zoom-in').addEventListener('click', () => setScale(scale * 2, width() / 2));
  $('#zoom-out').addEventListener('click', () => setScale(scale / 2, width() / 2));
  $('#zoom-fit').addEventListener('click', () => setScale(minScale(), 0));
  const search = $<HTMLInputElement>('#search');
  search.addEventListener('input', () => runSearch(search.value));
  search.addEventListener('keydown', (event) => {
    if (event.key === 'Enter') nextHit();
  });
  banner.addEventListener('click', () => violationEvent && centreOn(violationEvent[0] as number));

  // First view: around the violation when there is one, else the first three seconds.
  setScale(width() / Math.min(end, 3_000), 0);
  if (violationEvent) {
    // Half a second around it: the messages that led to it are legible.
    setScale(width() / 500, 0);
    centreOn(violationEvent[0] as number);
    document.documentElement.dataset['violationShown'] = '1';
  }
}
