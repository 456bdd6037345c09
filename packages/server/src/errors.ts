// The errors the server raises, in one place: matched with instanceof.

/** A start-up problem the user can fix (a flag, a port, a file): printed as one line, exit 1. */
export class StartupError extends Error {
  override name = 'StartupError';
}

/** A data directory that cannot be used: a file, unreadable, or another node's or cluster's. */
export class DataDirError extends StartupError {
  override name = 'DataDirError';
}

/** Bytes that are not a key space snapshot this version wrote. */
export class SnapshotError extends Error {
  override readonly name = 'SnapshotError';
  constructor(message: string) {
    super(`bad key space snapshot: ${message}`);
  }
}

/** A backup file that is not one, damaged or truncated, or a backup or restore that failed. */
export class BackupError extends StartupError {
  override name = 'BackupError';
}
