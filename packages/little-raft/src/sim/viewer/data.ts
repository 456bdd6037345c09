import type { ReplicaId } from '../../core/types.js';
import type { TimelineEvent, TimelineMessage } from '../timeline.js';

/** Message fates, by their number in ViewerData. */
const FATES = ['delivered', 'dropped', 'cut', 'receiver-down'] as const;
/** Event kinds other than messages, by their number in ViewerData. */
const KINDS = ['role', 'elected', 'commit', 'crash', 'restart', 'disk-lost', 'network', 'note', 'violation'] as const;

/**
 * What the page draws, in columns of numbers where a run has thousands of rows (a message is about
 * 40 bytes of JSON): times in virtual ms rounded to 0.1; -1 where a field does not apply.
 */
export interface ViewerData {
  title: string;
  seed: number;
  ok: boolean;
  violation: string | null;
  /** Virtual time the run reached. */
  end: number;
  nodes: ReplicaId[];
  /** Message type names; a message row's type is an index here. */
  types: string[];
  /** [sent, arrives, from, to, type, term, first index, last index, fate, duplicate 0/1, entries] */
  messages: number[][];
  /** Messages sent in the run; more than `messages.length` when thinned. */
  totalMessages: number;
  /** [time, kind, node, term, index, text, extra]: extra is a role name, a commit's entry, or cut links "1>2,2>1". */
  events: (number | string)[][];
}

/** At most this many arrows go into a page by default: about 800 KB of data. */
export const DEFAULT_MAX_MESSAGES = 20_000;

const round = (t: number): number => Math.round(t * 10) / 10;

/**
 * Routine traffic: heartbeats (appends without entries) and append acknowledgements that arrived.
 * Thinned first when a run has more messages than the page takes; votes, entries, snapshots,
 * transfers, reads and every lost message are kept.
 */
function routine(m: TimelineMessage): boolean {
  return m.fate === 'delivered' && ((m.type === 'append' && m.entries === 0) || m.type === 'append-response');
}

/** Keeps at most `max` messages: every k-th routine one, and (only if still too many) every k-th of the rest. */
export function thinMessages(messages: TimelineMessage[], max: number): TimelineMessage[] {
  if (messages.length <= max) return messages;
  const routineCount = messages.filter(routine).length;
  const important = messages.length - routineCount;
  if (important < max) {
    const every = Math.ceil(routineCount / Math.max(1, max - important));
    let seen = 0;
    return messages.filter((m) => !routine(m) || seen++ % every === 0);
  }
  const every = Math.ceil(important / max);
  let seen = 0;
  return messages.filter((m) => !routine(m) && seen++ % every === 0);
}

/** The page's data for a recorded run. */
export function viewerData(
  run: { seed: number; ok: boolean; violation: string | null; time: number; timeline: readonly TimelineEvent[] },
  title: string,
  maxMessages: number,
): ViewerData {
  const nodes = new Set<ReplicaId>();
  const all: TimelineMessage[] = [];
  const events: (number | string)[][] = [];
  for (const e of run.timeline) {
    if (e.kind === 'message') {
      all.push(e);
      nodes.add(e.from).add(e.to);
      continue;
    }
    const node = 'node' in e ? e.node : -1;
    if (node !== -1) nodes.add(node);
    const term = 'term' in e ? e.term : -1;
    const index = e.kind === 'commit' ? e.index : -1;
    const text = 'text' in e ? e.text : `n${node} ${e.kind === 'role' ? e.role : ''} (term ${term})`;
    const extra =
      e.kind === 'role'
        ? e.role
        : e.kind === 'commit'
          ? e.entry
          : e.kind === 'network'
            ? e.cuts.map((c) => c.join('>')).join(',')
            : '';
    events.push([round(e.t), KINDS.indexOf(e.kind), node, term, index, text, extra]);
  }
  const types: string[] = [];
  const typeIndex = (type: string): number => {
    const at = types.indexOf(type);
    return at !== -1 ? at : types.push(type) - 1;
  };
  const messages = thinMessages(all, maxMessages).map((m) => [
    round(m.t),
    round(m.arrives),
    m.from,
    m.to,
    typeIndex(m.type),
    m.term,
    m.first ?? -1,
    m.last ?? -1,
    FATES.indexOf(m.fate),
    m.duplicate ? 1 : 0,
    m.entries,
  ]);
  return {
    title,
    seed: run.seed,
    ok: run.ok,
    violation: run.violation,
    end: round(run.time),
    nodes: [...nodes].sort((a, b) => a - b),
    types,
    messages,
    totalMessages: all.length,
    events,
  };
}
