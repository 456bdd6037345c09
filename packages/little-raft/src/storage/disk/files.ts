// The files of a DiskStorage directory, by name, and the file I/O its parts share.
//
//   wal-<seq, 16 hex digits>.log   log segments, replayed in seq order
//   snap-<seq, 16 hex digits>.snap snapshot files; the log names the current one
//   *.tmp                          a file being written, renamed into place once synced

import type { FileHandle } from 'node:fs/promises';

export const SEGMENT = /^wal-([0-9a-f]{16})\.log$/;
export const SNAPSHOT = /^snap-([0-9a-f]{16})\.snap$/;
export const TEMPORARY = /\.tmp$/;

const hex = (n: number): string => n.toString(16).padStart(16, '0');
export const segmentName = (seq: number): string => `wal-${hex(seq)}.log`;
export const snapshotName = (seq: number): string => `snap-${hex(seq)}.snap`;

export async function writeFully(file: FileHandle, bytes: Uint8Array, position: number): Promise<void> {
  for (let done = 0; done < bytes.length;) {
    const { bytesWritten } = await file.write(bytes, done, bytes.length - done, position + done);
    done += bytesWritten;
  }
}

/** Writes `pieces` one after the other from `position`, in one system call while the file takes them all. */
export async function writevFully(file: FileHandle, pieces: readonly Uint8Array[], position: number): Promise<void> {
  let total = 0;
  for (const piece of pieces) total += piece.length;
  const { bytesWritten } = await file.writev(pieces as Uint8Array[], position);
  if (bytesWritten === total) return;
  // A short write (rare for a file): the rest, piece by piece.
  let at = position + bytesWritten;
  let skip = bytesWritten;
  for (const piece of pieces) {
    if (skip >= piece.length) {
      skip -= piece.length;
      continue;
    }
    const rest = piece.subarray(skip);
    skip = 0;
    await writeFully(file, rest, at);
    at += rest.length;
  }
}

/** For a deletion's catch: a file already gone is no error. */
export function ignoreMissing(error: unknown): void {
  if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
}
