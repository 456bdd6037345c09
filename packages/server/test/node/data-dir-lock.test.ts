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
 * A process that, once told to go, takes the lock of `dir` and prints 'locked' or 'refused:
 * <message>', then holds it until stdin closes (releasing it) or it is killed.
 */
class Holder {
  readonly child: ChildProcess;
  /** Resolves with 'ready' once it is loaded, then with its result. */
  private readonly lines: AsyncIterator<string>;
  readonly exited: Promise<number | null>;

  constructor(t: TestContext, dir: string) {
    const code = `
      import { once } from 'node:events';
      import { lockDataDir } from ${JSON.stringify(LOCK_MODULE)};
      console.log('ready');
      await once(process.stdin, 'data');
      let lock;
      try {
        lock = await lockDataDir(${JSON.stringify(dir)});
        console.log('locked');
      } catch (e) {
        console.log('refused: ' + e.message);
      }
      process.stdin.on('end', async () => {
        await lock?.release();
        process.exit(0);
      });`;
    this.child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    t.after(() => this.child.kill('SIGKILL'));
    this.lines = createInterface({ input: this.child.stdout! })[Symbol.asyncIterator]();
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
  }

  /** A holder that has tried to take the lock: its result. */
  static async run(t: TestContext, dir: string): Promise<{ holder: Holder; result: string }> {
    const holder = new Holder(t, dir);
    await holder.ready();
    return { holder, result: await holder.go() };
  }

  private async line(): Promise<string> {
    const next = await this.lines.next();
    if (next.done === true) throw new Error('the lock holder exited before it said anything');
    return next.value;
  }

  async ready(): Promise<void> {
    assert.equal(await this.line(), 'ready');
  }

  /** Tells it to take the lock; resolves with what it printed. */
  go(): Promise<string> {
    this.child.stdin!.write('go\n');
    return this.line();
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
    const { holder, result } = await Holder.run(t, dir);
    assert.equal(result, 'locked');
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
    const { holder, result } = await Holder.run(t, dir);
    assert.equal(result, 'locked');
    await holder.kill();
    assert.ok(existsSync(join(dir, 'lock')), 'a killed process leaves its lock');
    const lock = await lockDataDir(dir);
    assert.equal(
      lock.takenOver,
      `took over the lock of data directory ${dir} from process ${holder.child.pid}, which is no longer running (it did not stop cleanly)`,
    );
    // And now this process holds it against others.
    const other = await Holder.run(t, dir);
    assert.equal(
      other.result,
      `refused: data directory ${dir} is in use by process ${process.pid} (${join(dir, 'lock')})`,
    );
    await other.holder.stop();
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
    for (let round = 0; round < 2; round++) {
      const first = await Holder.run(t, dir);
      assert.equal(first.result, 'locked');
      await first.holder.kill();
      const racers = Array.from({ length: 4 }, () => new Holder(t, dir));
      await Promise.all(racers.map((r) => r.ready()));
      const results = await Promise.all(racers.map((r) => r.go()));
      const winners = racers.filter((_, i) => results[i] === 'locked');
      assert.equal(winners.length, 1, results.join('\n'));
      const winner = winners[0]!.child.pid;
      for (const result of results.filter((r) => r !== 'locked')) {
        assert.equal(result, `refused: data directory ${dir} is in use by process ${winner} (${join(dir, 'lock')})`);
      }
      await Promise.all(racers.map((r) => r.stop()));
      assert.deepEqual(readdirSync(dir), []);
    }
  });

  test('concurrent takeovers of a stale lock within one process: exactly one gets it', async (t) => {
    const dir = tempDir(t);
    const dead = spawn(process.execPath, ['-e', '']);
    const deadPid = dead.pid!;
    await new Promise((resolve) => dead.once('exit', resolve));
    for (let round = 0; round < 150; round++) {
      const stale = { pid: deadPid, host: hostname(), started: null, token: round.toString(16).padStart(16, '0') };
      writeFileSync(join(dir, 'lock'), JSON.stringify(stale));
      const attempts = await Promise.allSettled(Array.from({ length: 8 }, () => lockDataDir(dir)));
      const won = attempts.filter((a) => a.status === 'fulfilled');
      assert.equal(won.length, 1, `round ${round}: ${attempts.map((a) => a.status).join(', ')}`);
      for (const a of attempts) {
        if (a.status === 'rejected') assert.match(String(a.reason), new RegExp(`is in use by process ${process.pid} `));
      }
      await won[0]!.value.release();
      assert.deepEqual(readdirSync(dir), []);
    }
  });

  test("another host's lock is never taken over", async (t) => {
    const dir = tempDir(t);
    const lock = { pid: process.pid, host: `not-${hostname()}`, started: null, token: '0000000000000000' };
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
      JSON.stringify({ pid: process.pid, host: hostname(), started: null, token: '0000000000000001' }),
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
    const other = await Holder.run(t, elsewhere);
    assert.equal(other.result, 'locked');
    const pid = other.holder.child.pid!;
    // Its own lock, copied: the same process, so in use.
    const dir2 = tempDir(t);
    writeFileSync(join(dir2, 'lock'), readFileSync(join(elsewhere, 'lock')));
    assert.equal(await refusal(dir2), `data directory ${dir2} is in use by process ${pid} (${join(dir2, 'lock')})`);
    // The same pid with another start: a process that reused the pid.
    writeFileSync(
      join(dir2, 'lock'),
      JSON.stringify({ pid, host: hostname(), started: 'another boot 1', token: '0000000000000002' }),
    );
    const reused = await lockDataDir(dir2);
    assert.match(
      reused.takenOver ?? '',
      new RegExp(`from process ${pid}, which is no longer running \\(its process id was reused\\)`),
    );
    await reused.release();
    await other.holder.stop();
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
