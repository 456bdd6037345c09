// The dashboard end to end: a real 3-node cluster (with the cluster secret), node 1 with
// --open-status so a browser may read its page, nodes 2 and 3 closed. Headless Chromium opens
// node 1's GET /: three member cards, one leader, the commit index moving with writes, a follower
// shown down after a SIGKILL (node 1's watcher reads the others' /status signed with the secret);
// no console errors; a screenshot per step in test-output/<test name>/.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { openBrowser } from '../support/browser.js';
import { KvTestCluster, sleep, withLogs } from '../support/kv-cluster.js';

/** Generous: CI is a loaded 2-core machine. A deadline fails the test only when nothing happens. */
const WAIT_MS = 20_000;

/** Polls the page until `check` holds; fails when it never does. */
async function until(what: string, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not within ${WAIT_MS} ms: ${what}`);
    await sleep(100);
  }
}

test('the dashboard shows the cluster live, a killed follower down, and stays closed without credentials', async (t) => {
  // Chromium starts while the cluster does.
  const browser = openBrowser(t);
  const cluster = await KvTestCluster.start(t, { nodeArgs: { 1: ['--open-status'] } });
  const leader = await cluster.waitForLeader();
  await t.test(
    'closed without credentials where /status is',
    withLogs(cluster, async () => {
      for (const path of ['/', '/status', '/dashboard/events', '/dashboard/app.js']) {
        const res = await fetch(`http://127.0.0.1:${cluster.node(2).httpPort}${path}`);
        assert.equal(res.status, 401, `${path} on a node without --open-status`);
        assert.doesNotMatch(await res.text(), /little-raft|"role"/, 'nothing about the node');
      }
      const open = await fetch(`http://127.0.0.1:${cluster.node(1).httpPort}/`);
      assert.equal(open.status, 200, 'open with --open-status');
      assert.match(await open.text(), /<script type="module" src="\/dashboard\/app.js">/);
    }),
  );

  const { page, errors, screenshot } = await browser;
  await page.goto(`http://127.0.0.1:${cluster.node(1).httpPort}/`);
  const cards = page.locator('.card[data-member-id]');
  const card = (id: number) => page.locator(`.card[data-member-id="${id}"]`);

  await t.test(
    'three member cards, exactly one leader',
    withLogs(cluster, async () => {
      await page.locator(`.card[data-member-id="${leader}"][data-role="leader"]`).waitFor({ timeout: WAIT_MS });
      await until('two followers', async () => (await page.locator('.card[data-role="follower"]').count()) === 2);
      assert.equal(await cards.count(), 3);
      const ids = await Promise.all([0, 1, 2].map((i) => cards.nth(i).getAttribute('data-member-id')));
      assert.deepEqual(ids, ['1', '2', '3']);
      assert.equal(await page.locator('.card[data-role="leader"]').count(), 1);
      await screenshot('three-members');
      // The theme toggle: dark and light, whatever the system prefers.
      const before = await page.locator('html').getAttribute('data-theme');
      await page.locator('button.theme').click();
      const after = await page.locator('html').getAttribute('data-theme');
      assert.deepEqual([before, after].sort(), ['dark', 'light']);
      await screenshot(`three-members-${after}`);
    }),
  );

  await t.test(
    'the commit index grows with writes',
    withLogs(cluster, async () => {
      const commitOf = async (id: number): Promise<number> =>
        Number((await card(id).locator('[data-field="commit-index"]').textContent())!.replace(/,/g, ''));
      const before = await commitOf(leader);
      const client = cluster.client(leader);
      for (let i = 0; i < 20; i++) await client.set(`dashboard-key-${i}`, String(i));
      await until('the commit index grows by 20', async () => (await commitOf(leader)) >= before + 20);
      await until('every member holds the 20 keys', async () => {
        const keys = await page.locator('.card [data-field="keys"]').allTextContents();
        return keys.length === 3 && keys.every((k) => Number(k) >= 20);
      });
      await screenshot('after-writes');
    }),
  );

  await t.test(
    'a follower killed with SIGKILL is shown down on the page another node serves',
    withLogs(cluster, async () => {
      const victim = [2, 3].find((id) => id !== leader)!;
      await cluster.kill(victim, 'SIGKILL');
      await card(victim).and(page.locator('[data-role="down"]')).waitFor({ timeout: WAIT_MS });
      assert.match((await card(victim).locator('.down-reason').textContent()) ?? '', /^unreachable/);
      await page.getByText(`node ${victim} down`).waitFor({ timeout: WAIT_MS });
      assert.equal(await page.locator('.card[data-role="leader"]').count(), 1, 'the leader still leads');
      await screenshot('follower-down');
    }),
  );

  // A copy: the page's stream breaks later, when the cluster stops.
  assert.deepEqual([...errors], [], 'no console errors on the page');
});
