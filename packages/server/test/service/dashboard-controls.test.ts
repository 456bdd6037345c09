// The dashboard of `little-raft local` in a real browser (headless Chromium), driving a real
// cluster with its buttons: three members and exactly one leader; kill on the leader's card shows
// it down (SIGKILL) and another leader; restart brings it back as a follower that catches up; cut
// isolates a follower (it falls behind the leader's commits) and heal rejoins it. No console
// errors; a screenshot of each step in test-output/<this test's name>/.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Redis } from 'ioredis';
import type { Page } from 'playwright-core';

import { openBrowser } from '../support/browser.js';
import { LocalRun } from '../support/local-run.js';

const ALL = [1, 2, 3];
const WAIT_MS = 20000;

/** What the page shows of each member: role, the down reason, commit and applied index. */
interface Shown {
  id: number;
  role: string;
  down: string | null;
  commit: number;
  applied: number;
}

/**
 * Read in the page in one go (one render's cards), as a script: the tests' types know no DOM, and
 * a function defined here would be named by the TypeScript loader with a helper the page lacks.
 */
const READ_CARDS = `[...document.querySelectorAll('[data-member-id]')].map((card) => ({
  id: card.getAttribute('data-member-id') ?? '',
  role: card.getAttribute('data-role') ?? '',
  down: card.querySelector('.down-reason')?.textContent ?? null,
  commit: card.querySelector('[data-field="commit-index"]')?.textContent ?? '',
  applied: card.querySelector('[data-field="applied-index"]')?.textContent ?? '',
}))`;

async function shown(page: Page): Promise<Shown[]> {
  const cards =
    await page.evaluate<{ id: string; role: string; down: string | null; commit: string; applied: string }[]>(
      READ_CARDS,
    );
  const number = (text: string): number => (text === '' ? NaN : Number(text.replace(/,/g, '')));
  return cards.map((c) => ({ ...c, id: Number(c.id), commit: number(c.commit), applied: number(c.applied) }));
}

/** Polls the page until `check` holds of what it shows; fails with what it showed last. */
async function pageShows(page: Page, what: string, check: (members: Shown[]) => boolean): Promise<Shown[]> {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const members = await shown(page);
    if (check(members)) return members;
    if (Date.now() > deadline) throw new Error(`the page never showed ${what}; it shows ${JSON.stringify(members)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const leaders = (members: Shown[]): Shown[] => members.filter((m) => m.role === 'leader');

async function press(page: Page, id: number, action: string): Promise<void> {
  await page.click(`[data-member-id="${id}"] [data-action="${action}"]`);
}

test('the dashboard of little-raft local: kill, restart, cut and heal from the page', async (t) => {
  const run = await LocalRun.start(t, ['--no-restart-dead']);
  const { page, errors, screenshot } = await openBrowser(t);
  // The supervisor prints the dashboard's address once it listens there.
  await run.until('the dashboard is served', () => run.stdout.includes('little-raft: dashboard http'));
  await page.goto(`${run.dashboard}/`);

  const start = await pageShows(
    page,
    'three members and one leader',
    (ms) => ms.length === 3 && leaders(ms).length === 1 && ms.every((m) => m.role !== 'down'),
  );
  await screenshot('three-members');
  const first = leaders(start)[0]!.id;
  assert.equal((await run.waitForLeader(ALL)).id, first, 'the page shows the leader the nodes follow');

  // kill the leader: shown down with the signal, another member leads.
  await press(page, first, 'kill');
  const afterKill = await pageShows(
    page,
    `node ${first} down and a new leader`,
    (ms) => ms.find((m) => m.id === first)?.role === 'down' && leaders(ms).length === 1,
  );
  assert.equal(afterKill.find((m) => m.id === first)!.down, 'SIGKILL');
  assert.notEqual(leaders(afterKill)[0]!.id, first);
  await screenshot('leader-killed');

  // restart: back as a follower, caught up with the leader's commits.
  await press(page, first, 'restart');
  await pageShows(page, `node ${first} back as a follower that caught up`, (ms) => {
    const leader = leaders(ms)[0];
    const back = ms.find((m) => m.id === first);
    return back?.role === 'follower' && leader !== undefined && back.applied >= leader.commit;
  });
  await screenshot('restarted');

  // cut a follower: it falls behind the writes the others commit; heal: it catches up.
  const leader = (await run.waitForLeader(ALL)).id;
  const cut = ALL.find((id) => id !== leader)!;
  await press(page, cut, 'cut');
  assert.equal((await run.node(cut)).cut, true, 'the supervisor cut it off');
  const client = new Redis({ port: run.redisPort(leader), host: '127.0.0.1', maxRetriesPerRequest: 0 });
  try {
    for (let i = 0; i < 5; i++) assert.equal(await client.set(`while cut ${i}`, 'x'), 'OK');
  } finally {
    client.disconnect();
  }
  const behind = await pageShows(page, `node ${cut} behind the leader`, (ms) => {
    const l = leaders(ms)[0];
    const c = ms.find((m) => m.id === cut);
    return l !== undefined && l.id !== cut && c !== undefined && c.commit < l.commit;
  });
  await screenshot('cut-off');
  await press(page, cut, 'heal');
  await pageShows(page, `node ${cut} caught up after the heal`, (ms) => {
    const l = leaders(ms);
    const c = ms.find((m) => m.id === cut);
    return l.length === 1 && c?.role === 'follower' && c.applied >= leaders(behind)[0]!.commit;
  });
  await screenshot('healed');
  assert.deepEqual(errors, [], 'no console errors on the page');
});
