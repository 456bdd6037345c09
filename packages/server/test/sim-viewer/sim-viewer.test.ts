// The simulator's viewer (little-raft/sim's simulationHtml) in a real browser: Debian's chromium,
// driven by playwright-core, opens the page from file:// (no server, no network) for a passing
// seed and for a seeded failing run, and reads what it shows through the page's data attributes.
// A screenshot of each step goes to test-output/sim-viewer/.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';

import type { Snapshot, StateMachine } from 'little-raft';
import { simulate, simulationHtml, type SimWorkload } from 'little-raft/sim';
import type { Browser, Page } from 'playwright-core';

import { collectErrors, launchChromium } from '../support/browser.js';

const OUT = fileURLToPath(new URL('../../test-output/sim-viewer/', import.meta.url));
/** Opens a page file, collecting console errors and uncaught exceptions into `errors`. */
async function open(browser: Browser, file: string, errors: string[]): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 640 } });
  collectErrors(page, errors);
  // Anything fetched would be a broken promise of a self-contained page.
  page.on('request', (request) => {
    if (!request.url().startsWith('file:')) errors.push(`${file}: fetched ${request.url()}`);
  });
  await page.goto(pathToFileURL(file).href);
  return page;
}

/** An attribute of every element a selector finds (playwright's own calls: this package has no DOM types). */
async function attributes(page: Page, selector: string, name: string): Promise<(string | null)[]> {
  return Promise.all((await page.locator(selector).all()).map((element) => element.getAttribute(name)));
}

function writePage(name: string, html: string): string {
  mkdirSync(OUT, { recursive: true });
  const file = `${OUT}${name}`;
  writeFileSync(file, html);
  return file;
}

interface Add {
  id: string;
  amount: number;
}

/**
 * A user's state machine, broken on purpose: the second machine the run creates writes one byte
 * more into its snapshots, so two replicas' snapshots of an index differ (a checker's finding).
 * Its transitions' ids carry `</script>`, which must not end the page's script early.
 */
function brokenWorkload(): SimWorkload<Add> {
  let made = 0;
  const create = (): StateMachine<Add, Uint8Array> => {
    const who = ++made;
    let total = 0;
    return {
      registerTransitionState() {},
      applyTransition: (t) => void (total += t.amount),
      getPendingTransitions: () => [],
      createSnapshot: (lastIncludedIndex, lastIncludedTerm): Snapshot<Uint8Array> => ({
        lastIncludedIndex,
        lastIncludedTerm,
        data: new TextEncoder().encode(`${total}${who === 2 ? '+' : ''}`),
      }),
      setSnapshot: (snapshot) => void (total = parseInt(new TextDecoder().decode(snapshot.data), 10)),
    };
  };
  return {
    noop: { id: 'noop', amount: 0 },
    createMachine: create,
    nextTransition: (random, client, seq) => ({ id: `c${client}.${seq}</script>`, amount: random.int(1, 9) }),
  };
}

test('the viewer draws a passing run and a failing one in Chromium', async (t) => {
  const browser = await launchChromium(t);
  const errors: string[] = [];

  // A passing seed of the key-value workload: 3 voters and the 2 spares membership changes add.
  const pass = await simulate({ seed: 7, nodes: 3, trace: true, faultTime: 3_000, settleTime: 3_000 });
  assert.equal(pass.violation, null);
  const passPage = await open(browser, writePage('pass.html', simulationHtml(pass)), errors);
  const lanes = await attributes(passPage, '#labels [data-lane]', 'data-lane');
  assert.deepEqual(lanes, ['1', '2', '3', '4', '5']);
  const arrows = await passPage.locator('#plot [data-message]').count();
  assert.ok(arrows > 20, `arrows drawn: ${arrows}`);
  assert.ok((await passPage.locator('#plot [data-event="commit"]').count()) > 0, 'commits drawn');
  assert.ok((await passPage.locator('#plot [data-event="elected"]').count()) > 0, 'an election drawn');
  assert.equal(await passPage.locator('[data-violation]').count(), 0, 'no violation on a passing run');
  assert.equal(await passPage.locator('#status').getAttribute('data-ok'), 'true');
  await passPage.screenshot({ path: `${OUT}01-pass-lanes.png` });

  // Search a term: the matches are counted, and every highlighted arrow carries that term.
  await passPage.fill('#search', 't2');
  const matches = Number(await passPage.locator('#search-count').getAttribute('data-matches'));
  assert.ok(matches > 0, 'term 2 matches something');
  const hitTerms = await attributes(passPage, '#plot [data-message][data-match]', 'data-term');
  assert.ok(hitTerms.length > 0, 'highlighted arrows in view');
  assert.deepEqual([...new Set(hitTerms)], ['2']);
  await passPage.screenshot({ path: `${OUT}02-pass-search-term.png` });

  // Search an index: the highlighted arrows carry it, the highlighted commit is of it.
  await passPage.fill('#search', 'i20');
  const firsts = (await attributes(passPage, '#plot [data-message][data-match]', 'data-first')).map(Number);
  const lasts = (await attributes(passPage, '#plot [data-message][data-match]', 'data-last')).map(Number);
  assert.ok(firsts.length > 0, 'arrows carrying index 20 highlighted');
  firsts.forEach((first, i) => assert.ok(first <= 20 && 20 <= lasts[i]!, `${first}..${lasts[i]} carries 20`));
  const commits = await attributes(passPage, '#plot [data-event="commit"][data-match]', 'data-index');
  assert.deepEqual(commits, ['20']);
  await passPage.screenshot({ path: `${OUT}03-pass-search-index.png` });

  // Zoom in: the drawing's full width doubles (and is drawn again for the narrower window).
  const widthOf = async (): Promise<number> => (await passPage.locator('#spacer').boundingBox())!.width;
  const before = await widthOf();
  await passPage.click('#zoom-in');
  assert.ok(Math.abs((await widthOf()) / before - 2) < 0.01, 'zoom in doubles the scale');
  await passPage.screenshot({ path: `${OUT}04-pass-zoomed.png` });

  // The failing run: the first violation is in the banner, and its marker is in view.
  const fail = await simulate({ seed: 1, nodes: 3, trace: true, workload: brokenWorkload() });
  assert.match(fail.violation ?? '', /snapshots at index \d+ differ/);
  const failPage = await open(browser, writePage('fail.html', simulationHtml(fail)), errors);
  assert.deepEqual(await attributes(failPage, '#labels [data-lane]', 'data-lane'), ['1', '2', '3', '4', '5']);
  const banner = failPage.locator('[data-violation]');
  assert.equal(await banner.getAttribute('data-violation'), fail.violation);
  assert.ok(await banner.isVisible(), 'the violation banner shows');
  assert.match((await banner.textContent()) ?? '', /snapshots at index \d+ differ/);
  assert.equal(await failPage.locator('#status').getAttribute('data-ok'), 'false');
  const marker = failPage.locator('#plot [data-violation-marker]');
  assert.equal(await marker.count(), 1, 'the violation marked on the diagram (scrolled to)');
  const box = (await marker.boundingBox())!;
  const plot = (await failPage.locator('#scroller').boundingBox())!;
  assert.ok(box.x >= plot.x && box.x <= plot.x + plot.width, 'the marker is inside the visible window');
  assert.ok((await failPage.locator('#plot [data-message]').count()) > 0, 'arrows around the violation');
  await failPage.screenshot({ path: `${OUT}05-fail-violation.png` });

  assert.deepEqual(errors, []);
});
