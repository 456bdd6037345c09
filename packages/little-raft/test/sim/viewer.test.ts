// simulationHtml (src/sim/viewer/): a recorded run as one self-contained page. What the page does
// in a browser is tested in packages/server/test/sim-viewer/; here, what goes into the file: the
// data a run gives, text from a user's state machine that must not break out of the page's script,
// the thinning of long runs, and the refusal of a run that was not recorded.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { StateMachine } from '../../src/driver/replica.js';
import { simulate } from '../../src/sim/simulator.js';
import type { TimelineMessage } from '../../src/sim/timeline.js';
import { thinMessages, type ViewerData } from '../../src/sim/viewer/data.js';
import { simulationHtml } from '../../src/sim/viewer/html.js';
import type { SimWorkload } from '../../src/sim/workload.js';

interface Note {
  id: string;
}

/** A state machine whose transitions' ids are hostile text: HTML, a script's end, a JSON line break. */
function hostileWorkload(text: string): SimWorkload<Note> {
  const machine = (): StateMachine<Note, Uint8Array> => ({
    registerTransitionState() {},
    applyTransition() {},
    getPendingTransitions: () => [],
  });
  return {
    noop: { id: 'noop' },
    createMachine: machine,
    nextTransition: (_random, client, seq) => ({ id: `${text}${client}.${seq}` }),
  };
}

/** The page's embedded data, read back as the page reads it (up to the first `</script>`). */
function embeddedData(html: string): ViewerData {
  const match = /<script type="application\/json" id="run-data">([\s\S]*?)<\/script>/.exec(html);
  assert.ok(match, 'the page embeds its data');
  return JSON.parse(match[1]!) as ViewerData;
}

test('text from the state machine cannot end the page script early', async () => {
  const hostile = '</script><script>window.pwned=1</script><!--\u2028&"\'';
  const run = await simulate({ seed: 3, nodes: 3, faults: [], trace: true, workload: hostileWorkload(hostile) });
  assert.equal(run.violation, null);
  const html = simulationHtml(run, { title: '<b>mine</b> & "yours"' });
  // Two script elements (data, code) and nothing else opens or closes one.
  assert.equal(html.match(/<\/script>/gi)?.length, 2);
  assert.equal(html.match(/<script/gi)?.length, 2);
  assert.ok(!html.includes('\u2028'), 'no raw line separator');
  const data = embeddedData(html);
  const entries = data.events.map((e) => e[6]).filter((x) => typeof x === 'string' && x.startsWith(hostile));
  assert.ok(entries.length > 0, 'the committed entries keep their text, exactly');
  assert.ok(html.includes('<title>&lt;b&gt;mine&lt;/b&gt; &amp; &quot;yours&quot;</title>'), 'the title is escaped');
  assert.equal(data.title, '<b>mine</b> & "yours"');
});

test('a recorded run becomes a self-contained page with its replicas, messages and events', async () => {
  const run = await simulate({ seed: 11, nodes: 3, trace: true });
  const html = simulationHtml(run);
  assert.ok(html.startsWith('<!doctype html>'));
  assert.ok(!/\b(src|href)=/.test(html), 'nothing to fetch: no src or href attributes');
  const data = embeddedData(html);
  assert.deepEqual(data.nodes, [1, 2, 3, 4, 5]);
  assert.equal(data.ok, true);
  assert.equal(data.end, run.time);
  const sent = run.timeline.filter((e) => e.kind === 'message').length;
  assert.equal(data.totalMessages, sent);
  assert.equal(data.messages.length, sent, 'a short run is not thinned');
  // Every message row points at a real type and at replicas that have lanes.
  for (const m of data.messages) {
    assert.ok(data.types[m[4]!] !== undefined);
    assert.ok(data.nodes.includes(m[2]!) && data.nodes.includes(m[3]!));
  }
  const kinds = new Set(run.timeline.map((e) => e.kind));
  for (const kind of ['message', 'role', 'elected', 'commit', 'crash', 'restart', 'network'])
    assert.ok(kinds.has(kind as never), `the run recorded ${kind}`);
});

test('a failing run carries its violation into the page', async () => {
  // A state machine that applies differently on one replica (the second machine made: the first is
  // the simulator's probe): the end states differ.
  let made = 0;
  const workload: SimWorkload<{ id: string }> = {
    noop: { id: 'noop' },
    createMachine: () => {
      const who = ++made;
      let applied = 0;
      return {
        registerTransitionState() {},
        applyTransition: () => void (applied += who === 2 ? 2 : 1),
        getPendingTransitions: () => [],
        describeState: () => applied,
      } as StateMachine<{ id: string }, Uint8Array> & { describeState(): number };
    },
    nextTransition: (_r, client, seq) => ({ id: `c${client}.${seq}` }),
    describe: (m) => String((m as unknown as { describeState(): number }).describeState()),
  };
  const run = await simulate({ seed: 1, nodes: 3, faults: [], trace: true, workload });
  assert.equal(
    run.violation?.endsWith('replicas ended with different state machine states'),
    true,
    run.violation ?? '',
  );
  const data = embeddedData(simulationHtml(run));
  assert.equal(data.ok, false);
  assert.equal(data.violation, run.violation);
  const violation = data.events.find((e) => e[1] === 8);
  assert.equal(violation?.[5], `VIOLATION: ${run.violation}`);
});

test('long runs are thinned: routine heartbeats and acknowledgements go first', () => {
  const message = (type: TimelineMessage['type'], entries: number, fate: TimelineMessage['fate']): TimelineMessage => ({
    t: 0,
    kind: 'message',
    from: 1,
    to: 2,
    type,
    term: 1,
    first: null,
    last: null,
    entries,
    arrives: 1,
    fate,
    duplicate: false,
  });
  const routine = Array.from({ length: 900 }, (_, i) =>
    i % 2 === 0 ? message('append', 0, 'delivered') : message('append-response', 0, 'delivered'),
  );
  const important = [
    ...Array.from({ length: 40 }, () => message('vote-request', 0, 'delivered')),
    ...Array.from({ length: 30 }, () => message('append', 3, 'delivered')),
    ...Array.from({ length: 30 }, () => message('append', 0, 'dropped')),
  ];
  const all = [...important.slice(0, 50), ...routine, ...important.slice(50)];
  assert.equal(thinMessages(all, 5_000), all, 'under the cap: untouched');
  const kept = thinMessages(all, 300);
  assert.ok(kept.length <= 300, `kept ${kept.length}`);
  assert.ok(kept.length >= 250, `kept ${kept.length}: the cap is used`);
  for (const m of important) assert.ok(kept.includes(m), 'every vote, entry and lost message kept');
  // Too many even of those: every k-th of them, none routine.
  const few = thinMessages(all, 20);
  assert.ok(few.length <= 20 && few.length > 0);
  assert.ok(few.every((m) => important.includes(m)));
});

test('a run that was not recorded is refused with the fix', async () => {
  const run = await simulate({ seed: 1, nodes: 3, faults: [] });
  assert.throws(() => simulationHtml(run), /the run has no timeline: simulate it with \{ trace: true \}/);
  const traced = await simulate({ seed: 1, nodes: 3, faults: [], trace: true });
  assert.throws(() => simulationHtml(traced, { maxMessages: 0 }), /maxMessages must be a positive integer, got 0/);
});
