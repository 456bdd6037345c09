// Command-line flags of the bench entry points (bench/run.ts, disk.ts, tcp-cluster.ts, kv.ts),
// read with node's util.parseArgs: `--flag VALUE` or `--flag=VALUE`, booleans alone. An unknown
// flag, a missing or bad value, or a stray argument ends the run with a one-line message on
// stderr (exit code 2); --help prints the entry's header comment (its options) and exits.
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, type ParseArgsConfig } from 'node:util';

type Values<S extends string, B extends string> = { [K in S]?: string } & { [K in B]?: boolean };

/** A bad flag or value; {@link parseFlags} reports it without a stack trace. */
export class UsageError extends Error {}

/** Prints `message` for the bench at `moduleUrl` (its import.meta.url) and exits with code 2. */
export function usageExit(moduleUrl: string, message: string): never {
  console.error(`bench/${basename(fileURLToPath(moduleUrl))}: ${message} (--help lists the options)`);
  process.exit(2);
}

/** The leading `//` comment of the file at `moduleUrl`, without the slashes. */
function headerComment(moduleUrl: string): string {
  const lines = readFileSync(fileURLToPath(moduleUrl), 'utf8').split('\n');
  const end = lines.findIndex((line) => !line.startsWith('//'));
  return lines
    .slice(0, end < 0 ? lines.length : end)
    .map((line) => line.replace(/^\/\/ ?/, ''))
    .join('\n');
}

/**
 * Parses `argv` for the bench at `moduleUrl` (its import.meta.url): the flags in `strings` take a
 * value, those in `booleans` none, and --help; then `build`s its options from the values. A
 * UsageError thrown by `build` is reported like an unknown flag. A flag in `bare` may also stand
 * alone, read as an empty value (`--profile` is `--profile=`): it takes a value only after `=`.
 */
export function parseFlags<R, const S extends string = never, const B extends string = never>(
  moduleUrl: string,
  argv: readonly string[],
  flags: { strings?: readonly S[]; booleans?: readonly B[]; bare?: readonly S[] },
  build: (values: Values<S, B>) => R,
): R {
  const options: NonNullable<ParseArgsConfig['options']> = { help: { type: 'boolean', short: 'h' } };
  for (const name of flags.strings ?? []) options[name] = { type: 'string' };
  for (const name of flags.booleans ?? []) options[name] = { type: 'boolean' };
  const args = argv.map((arg) => (flags.bare?.some((name) => arg === `--${name}`) ? `${arg}=` : arg));
  try {
    const { values } = parseArgs({ args, options, strict: true, allowPositionals: false });
    if (values['help'] === true) {
      console.log(headerComment(moduleUrl));
      process.exit(0);
    }
    return build(values as Values<S, B>);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (error instanceof UsageError || (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS_'))) {
      usageExit(moduleUrl, (error as Error).message.replaceAll('\n', ' '));
    }
    throw error;
  }
}

/** The flags of a bench measured in rows of a closed loop: --seconds, --warmup, --levels. */
export const ROW_FLAGS = ['seconds', 'warmup', 'levels'] as const;

/** Seconds per row (> 0, default 3), warm-up seconds (>= 0, default 2), the in-flight levels. */
export function rowOptions(
  values: Values<(typeof ROW_FLAGS)[number], never>,
  levels: number[],
): { seconds: number; warmup: number; levels: number[] } {
  return {
    seconds: numberFlag('seconds', values.seconds, 3, { above: true }),
    warmup: numberFlag('warmup', values.warmup, 2),
    levels: integerListFlag('levels', values.levels, levels),
  };
}

/**
 * `text` as a number (`fallback` when the flag is absent): at least `min`, or more than `min`
 * with `above`; a whole number with `integer`.
 */
export function numberFlag(
  flag: string,
  text: string | undefined,
  fallback: number,
  { min = 0, above = false, integer = false }: { min?: number; above?: boolean; integer?: boolean } = {},
): number {
  if (text === undefined) return fallback;
  const n = text.trim() === '' ? NaN : Number(text);
  if (!(above ? n > min : n >= min) || (integer && !Number.isInteger(n))) {
    const what = `${integer ? 'an integer' : 'a number'} ${above ? '>' : '>='} ${min}`;
    throw new UsageError(`--${flag} ${JSON.stringify(text)}: not ${what}`);
  }
  return n;
}

/** `text` as a comma-separated list of positive integers, at least one. */
export function integerListFlag(flag: string, text: string | undefined, fallback: number[]): number[] {
  if (text === undefined) return fallback;
  const list = text.split(',').map((item) => (item.trim() === '' ? NaN : Number(item)));
  if (list.some((n) => !(Number.isInteger(n) && n > 0))) {
    throw new UsageError(`--${flag} ${JSON.stringify(text)}: not a comma-separated list of positive integers`);
  }
  return list;
}

/** `text` if it is one of `allowed`. */
export function choiceFlag<T extends string>(
  flag: string,
  text: string | undefined,
  fallback: T,
  allowed: readonly T[],
): T {
  if (text === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(text)) {
    throw new UsageError(`--${flag} ${JSON.stringify(text)}: one of ${allowed.join(', ')}`);
  }
  return text as T;
}
