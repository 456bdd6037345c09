// Helpers for the tests of examples/ and of the packed package. Both run the library as its
// users get it: through the package's exports, which point at dist/. So dist/ must be built
// from the current src/ (`npm run build -w little-raft`; `npm test` builds first).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/** packages/little-raft */
export const PACKAGE_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The workspace root. */
export const ROOT_DIR = join(PACKAGE_DIR, '..', '..');

function sources(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) sources(path, out);
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

/** Throws unless every src/*.ts has a dist/*.js at least as new. */
export function assertBuilt(): void {
  const src = join(PACKAGE_DIR, 'src');
  const stale = sources(src).filter((path) => {
    const js = join(PACKAGE_DIR, 'dist', relative(src, path)).replace(/\.ts$/, '.js');
    return !existsSync(js) || statSync(js).mtimeMs < statSync(path).mtimeMs;
  });
  if (stale.length > 0) {
    const some = stale.slice(0, 3).map((p) => relative(PACKAGE_DIR, p));
    throw new Error(
      `dist/ is missing or older than ${some.join(', ')}${stale.length > 3 ? ', ...' : ''}: ` +
        'run `npm run build -w little-raft` first (examples use the package as its users do, through dist/)',
    );
  }
}

/** A child process with its stdout and stderr gathered. */
export interface Child {
  process: ChildProcess;
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Runs `node --import tsx <args>` in packages/little-raft. */
export function spawnTsx(args: string[], env: Record<string, string> = {}): Child {
  const child = spawn(process.execPath, ['--import', 'tsx', ...args], {
    cwd: PACKAGE_DIR,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => (output += s));
  child.stderr.setEncoding('utf8').on('data', (s: string) => (output += s));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal })),
  );
  return { process: child, output: () => output, exited };
}

/** Runs an example to its end; resolves with its exit code and output. */
export async function runTsx(args: string[], ms = 60_000): Promise<{ code: number | null; output: string }> {
  const child = spawnTsx(args);
  const timer = setTimeout(() => child.process.kill('SIGKILL'), ms);
  const { code } = await child.exited;
  clearTimeout(timer);
  return { code, output: child.output() };
}
