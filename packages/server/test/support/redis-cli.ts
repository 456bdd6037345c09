// Running programs from end-to-end tests, redis-cli above all (Debian's redis-tools; CI installs it):
// real clients as users run them.
import { spawn } from 'node:child_process';

export const REDIS_CLI = process.env['REDIS_CLI'] ?? 'redis-cli';

export interface Ran {
  stdout: string;
  stderr: string;
  code: number | null;
}

/** Runs `command args` with `input` on stdin; fails after 10 s. */
export function runProgram(
  command: string,
  args: string[],
  input = '',
  env: NodeJS.ProcessEnv = process.env,
): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'], env });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${command} ${args.join(' ')} did not finish in 10 s; stdout ${JSON.stringify(stdout)}`));
    }, 10000);
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ stdout, stderr, code });
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(input);
  });
}

/** redis-cli with `args` and `input` on stdin: its stdout. Fails on a non-zero exit or after 10 s. */
export async function redisCli(args: string[], input = ''): Promise<string> {
  const r = await runProgram(REDIS_CLI, args, input);
  if (r.code !== 0) throw new Error(`redis-cli ${args.join(' ')} exited with ${r.code}: ${r.stderr}`);
  return r.stdout;
}
