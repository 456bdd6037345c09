// Long work done in slices of a few milliseconds, with the event loop free in between (clients,
// heartbeats, timers): taking, writing and loading snapshots of large key spaces.

import type { SnapshotBytes } from 'little-raft';

/** How long one slice may hold the event loop (tests set 0: a slice per check, many interleavings). */
export const sliceBudget = { ms: 4 };

/**
 * Runs `step(deadline)` until it returns true, one call per event-loop turn; `step` works until
 * performance.now() passes `deadline` and returns whether it is done ('later': call again after
 * a short pause). Rejects with what it throws.
 */
export function inSlices(step: (deadline: number) => boolean | 'later'): Promise<void> {
  return new Promise((resolve, reject) => {
    const turn = (): void => {
      try {
        const done = step(performance.now() + sliceBudget.ms);
        if (done === true) resolve();
        else if (done === 'later')
          setTimeout(turn, 10); // held: nothing to do for a while
        else setImmediate(turn);
      } catch (error) {
        reject(error instanceof Error ? error : new Error(String(error)));
      }
    };
    setImmediate(turn);
  });
}

/**
 * As inSlices, with `between()` awaited after each slice (writing what the slice made) before the
 * next: the work waits for it, and memory holds no more than a slice's output.
 */
export async function inSlicesThen(step: (deadline: number) => boolean, between: () => Promise<void>): Promise<void> {
  for (;;) {
    await new Promise<void>((resolve) => setImmediate(resolve));
    const done = step(performance.now() + sliceBudget.ms);
    await between();
    if (done) return;
  }
}

/**
 * One buffer of `parts`, copied 256 KiB at a time within the slices (a snapshot may be hundreds
 * of MB, and writing into fresh memory costs its page faults: 4 to 15 ms per MB measured here).
 */
export async function concatInSlices(parts: readonly Uint8Array[]): Promise<Buffer> {
  let total = 0;
  for (const p of parts) total += p.length;
  const out = Buffer.allocUnsafe(total);
  let i = 0;
  let at = 0;
  let within = 0; // bytes of parts[i] already copied
  const PIECE = 256 * 1024;
  await inSlices((deadline) => {
    while (i < parts.length) {
      const part = parts[i]!;
      const n = Math.min(part.length - within, PIECE);
      out.set(part.subarray(within, within + n), at);
      at += n;
      within += n;
      if (within === part.length) {
        i++;
        within = 0;
      }
      if (performance.now() > deadline) break;
    }
    return i === parts.length;
  });
  return out;
}

/** Bytes read per check of the time: a chunk of a snapshot file, read and checked, is about a ms. */
const READ_CHUNK = 1024 * 1024;

/** Copies `source` into `read.into` from `read.at` until `deadline`; true once all of it is in. */
function readInto(read: { into: Uint8Array; at: number }, source: SnapshotBytes, deadline: number): boolean {
  while (read.at < source.length) {
    const end = Math.min(source.length, read.at + READ_CHUNK);
    read.into.set(source.subarray(read.at, end), read.at);
    read.at = end;
    if (performance.now() > deadline) return read.at === source.length;
  }
  return true;
}

/** `data` in memory: itself if it is a Uint8Array, else read (from its file) within the slices. */
export async function inMemoryInSlices(data: SnapshotBytes): Promise<Uint8Array> {
  if (data instanceof Uint8Array) return data;
  const read = { into: Buffer.allocUnsafeSlow(data.length), at: 0 };
  await inSlices((deadline) => readInto(read, data, deadline));
  return read.into;
}
