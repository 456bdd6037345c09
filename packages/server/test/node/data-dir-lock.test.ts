// The data directory lock, with real processes holding it: a live holder refuses everyone else; a
// holder that stops cleanly leaves nothing behind; one that is SIGKILLed leaves a stale lock the
// next process takes over and says so; of several processes taking over one stale lock at once,
// exactly one gets it.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, test, type TestContext } from 'node:test';

import { lockDataDir } from '../../src/node/data-dir-lock.js';
import { DataDirError } from '../../src/errors.js';
import { tempDir } from '../../../little-raft/test/support/temp-dir.js';

const LOCK_MODULE = join(import.meta.dirname, '../../src/node/data-dir-lock.ts');

/**
 * A process that takes the lock of `dir` and prints 'locked' or 'refused: <message>', then holds
 * it until stdin closes (releasing it) or it is killed.
 */
class Holder {
  readonly child: ChildProcess;
  readonly result: Promise<string>;
  readonly exited: Promise<number | null>;

  constructor(t: TestContext, dir: string) {
    const code = `
      import { lockDataDir } from ${JSON.stringify(LOCK_MODULE)};
      let lock;
      try {
        lock = await lockDataDir(${JSON.stringify(dir)});
        console.log('locked');
      } catch (e) {
        console.log('refused: ' + e.message);
      }
      process.stdin.resume();
      process.stdin.on('end', async () => {
        await lock?.release();
        process.exit(0);
      });`;
    this.child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    t.after(() => this.child.kill('SIGKILL'));
    const lines = createInterface({ input: this.child.stdout! });
    this.result = new Promise((resolve, reject) => {
      lines.once('line', resolve);
      this.child.once('exit', () => reject(new Error('the lock holder exited before it said anything')));
    });
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
  }

  /** Releases the lock and exits cleanly. */
  async stop(): Promise<void> {
    this.child.stdin!.end();
    assert.equal(await this.exited, 0);
  }

  async kill(): Promise<void> {
    this.child.kill('SIGKILL');
    await this.exited;
  }
}

async function refusal(dir: string): Promise<string> {
  const e = await lockDataDir(dir).then(
    () => assert.fail('locked a directory in use'),
    (e: unknown) => e,
  );
  assert.ok(e instanceof DataDirError, String(e));
  return e.message;
}

describe('lockDataDir', { concurrency: 3 }, () => {
  test('a live process holds the lock; after it stops cleanly the directory is free and clean', async (t) => {
    const dir = join(tempDir(t), 'data');
    const holder = new Holder(t, dir);
    assert.equal(await holder.result, 'locked');
    assert.equal(
      await refusal(dir),
      `data directory ${dir} is in use by process ${holder.child.pid} (${join(dir, 'lock')})`,
    );
    await holder.stop();
    assert.deepEqual(readdirSync(dir), [], 'no lock file, no temporary file left');
    const lock = await lockDataDir(dir);
    assert.equal(lock.takenOver, null);
    await lock.release();
    await lock.release();
    assert.deepEqual(readdirSync(dir), []);
  });

  test('the lock of a SIGKILLed process is taken over, with a note', async (t) => {
    const dir = join(tempDir(t), 'data');
    const holder = new Holder(t, dir);
    assert.equal(await holder.result, 'locked');
    await holder.kill();
    assert.ok(existsSync(join(dir, 'lock')), 'a killed process leaves its lock');
    const lock = await lockDataDir(dir);
    assert.equal(
      lock.takenOver,
      `took over the lock of data directory ${dir} from process ${holder.child.pid}, which is no longer running (it did not stop cleanly)`,
    );
    // And now this process holds it against others.
    const other = new Holder(t, dir);
    assert.equal(
      await other.result,
      `refused: data directory ${dir} is in use by process ${process.pid} (${join(dir, 'lock')})`,
    );
    await other.stop();
    await lock.release();
    assert.deepEqual(readdirSync(dir), []);
  });

  test('one process cannot take the same directory twice', async (t) => {
    const dir = tempDir(t);
    const lock = await lockDataDir(dir);
    assert.equal(
      await refusal(dir),
      `data directory ${dir} is in use by process ${process.pid} (${join(dir, 'lock')})`,
    );
    await lock.release();
    const again = await lockDataDir(dir);
    assert.equal(again.takenOver, null);
    await again.release();
  });

  test('several processes taking over one stale lock at once: exactly one gets it', async (t) => {
    const dir = join(tempDir(t), 'data');
    const first = new Holder(t, dir);
    assert.equal(await first.result, 'locked');
    await first.kill();
    const racers = Array.from({ length: 5 }, () => new Holder(t, dir));
    const results = await Promise.all(racers.map((r) => r.result));
    const winners = racers.filter((_, i) => results[i] === 'locked');
    assert.equal(winners.length, 1, results.join('\n'));
    const winner = winners[0]!.child.pid;
    for (const result of results.filter((r) => r !== 'locked')) {
      assert.equal(result, `refused: data directory ${dir} is in use by process ${winner} (${join(dir, 'lock')})`);
    }
    await Promise.all(racers.map((r) => r.stop()));
    assert.deepEqual(readdirSync(dir), []);
  });

  test("another host's lock is never taken over", async (t) => {
    const dir = tempDir(t);
    const lock = { pid: process.pid, host: `not-${hostname()}`, started: null, token: '00' };
    writeFileSync(join(dir, 'lock'), JSON.stringify(lock));
    assert.equal(
      await refusal(dir),
      `data directory ${dir} is in use by process ${process.pid} on host not-${hostname()} (${join(dir, 'lock')}); if it no longer runs there, delete the lock file`,
    );
  });

  test("a lock naming this process's pid, or a live pid that started later, is stale", async (t) => {
    // A container restarted: its node is pid 1 again, the same pid as in the lock it left.
    const dir = tempDir(t);
    writeFileSync(
      join(dir, 'lock'),
      JSON.stringify({ pid: process.pid, host: hostname(), started: null, token: '01' }),
    );
    const lock = await lockDataDir(dir);
    assert.match(
      lock.takenOver ?? '',
      new RegExp(`from process ${process.pid}, which had the same process id as this one`),
    );
    await lock.release();

    // The pid was reused by another process: alive, but not the one that took the lock.
    if (!existsSync('/proc/self/stat')) return t.skip('no /proc: process start times unknown');
    const elsewhere = join(tempDir(t), 'elsewhere');
    const other = new Holder(t, elsewhere);
    assert.equal(await other.result, 'locked');
    const pid = other.child.pid!;
    // Its own lock, copied: the same process, so in use.
    const dir2 = tempDir(t);
    writeFileSync(join(dir2, 'lock'), readFileSync(join(elsewhere, 'lock')));
    assert.equal(await refusal(dir2), `data directory ${dir2} is in use by process ${pid} (${join(dir2, 'lock')})`);
    // The same pid with another start: a process that reused the pid.
    writeFileSync(
      join(dir2, 'lock'),
      JSON.stringify({ pid, host: hostname(), started: 'another boot 1', token: '02' }),
    );
    const reused = await lockDataDir(dir2);
    assert.match(
      reused.takenOver ?? '',
      new RegExp(`from process ${pid}, which is no longer running \\(its process id was reused\\)`),
    );
    await reused.release();
    await other.stop();
  });

  test('a lock file little-raft did not write is not removed', async (t) => {
    const dir = tempDir(t);
    writeFileSync(join(dir, 'lock'), 'garbage');
    assert.equal(
      await refusal(dir),
      `the lock file ${join(dir, 'lock')} is not one little-raft wrote; delete it if no little-raft process uses the directory`,
    );
    assert.equal(readFileSync(join(dir, 'lock'), 'utf8'), 'garbage');
  });
});
