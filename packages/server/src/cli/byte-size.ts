// Sizes in bytes for flags, written as Redis's config file writes them: 1048576, 512mb, 1gb (k, m,
// g are powers of 1000; kb, mb, gb of 1024; case does not matter).

import { InvalidArgumentError } from 'commander';

const UNITS: Record<string, number> = { '': 1, k: 1e3, kb: 1024, m: 1e6, mb: 1024 ** 2, g: 1e9, gb: 1024 ** 3 };

/** A size in bytes (0 allowed: no limit, where a flag says so). */
export function byteSize(value: string): number {
  const m = /^(\d+)([kmg]b?)?$/i.exec(value.trim());
  const n = m ? Number(m[1]) * UNITS[(m[2] ?? '').toLowerCase()]! : NaN;
  if (!Number.isSafeInteger(n)) {
    throw new InvalidArgumentError('expected a size in bytes: a whole number, optionally with kb, mb or gb (512mb).');
  }
  return n;
}

/** A whole number of at least 0. */
export function nonNegative(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n)) throw new InvalidArgumentError('expected a whole number.');
  return n;
}
