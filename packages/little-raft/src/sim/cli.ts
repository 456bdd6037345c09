// `npm run sim -- --seeds N [--from S] [--nodes 3,5] [--faults drop,crash,...] [--no-faults x,y]`
// `npm run sim -- --seed S [--nodes 5] --trace`: replay one seed and print its timeline.
// `npm run sim -- --seed S --html run.html`: replay one seed and draw it as a page (viewer/).
import { statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { FAULTS, simulate, type Fault, type SimOptions } from './simulator.js';
import { simulationHtml } from './viewer/html.js';

function parseFaults(list: string | undefined, flag: string): Fault[] | undefined {
  if (list === undefined) return undefined;
  const names = list.split(',').filter((x) => x !== '');
  for (const name of names) {
    if (!(FAULTS as readonly string[]).includes(name)) {
      throw new Error(`${flag}: unknown fault '${name}' (known: ${FAULTS.join(', ')})`);
    }
  }
  return names as Fault[];
}

function parseCount(value: string | undefined, flag: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`${flag}: expected a non-negative integer, got '${value}'`);
  return n;
}

/** `--html` takes a file name: parseArgs would take the next flag for it, or say so in three lines. */
function checkHtmlFlag(args: readonly string[]): void {
  const at = args.findIndex((a) => a === '--html' || a.startsWith('--html='));
  if (at === -1) return;
  const value = args[at] === '--html' ? args[at + 1] : args[at]!.slice('--html='.length);
  if (value === undefined || value === '' || (args[at] === '--html' && value.startsWith('-')))
    throw new Error('--html: expected a file name, as in --html run.html');
}

/** Says in one line why `path` cannot be written. */
function cannotWrite(path: string, error: unknown): Error {
  const code = (error as NodeJS.ErrnoException).code;
  const why =
    code === 'ENOENT'
      ? 'no such directory'
      : code === 'EACCES' || code === 'EPERM' || code === 'EROFS'
        ? 'permission denied'
        : code === 'EISDIR'
          ? 'it is a directory'
          : code === 'ENOTDIR'
            ? 'a parent is not a directory'
            : (error as Error).message;
  return new Error(`--html: cannot write ${path}: ${why}`);
}

/** Before the run: the page's directory exists (a run takes seconds; its page should not be lost to a typo). */
function checkPageDirectory(path: string): void {
  try {
    if (!statSync(dirname(path)).isDirectory()) throw Object.assign(new Error('not a directory'), { code: 'ENOTDIR' });
  } catch (error) {
    throw cannotWrite(path, error);
  }
}

/** Writes the page, or says in one line why it cannot. */
function writePage(path: string, html: string): void {
  try {
    writeFileSync(path, html);
  } catch (error) {
    throw cannotWrite(path, error);
  }
}

async function main(): Promise<number> {
  checkHtmlFlag(process.argv.slice(2));
  const { values } = parseArgs({
    options: {
      html: { type: 'string' },
      seeds: { type: 'string' },
      from: { type: 'string' },
      seed: { type: 'string' },
      nodes: { type: 'string' },
      faults: { type: 'string' },
      'no-faults': { type: 'string' },
      trace: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(`usage: npm run sim -- --seeds N [--from S] [--nodes 3,5,7] [--faults a,b] [--no-faults a,b]
       npm run sim -- --seed S [--nodes 5] [--trace] [--html run.html]
faults (all on by default): ${FAULTS.join(', ')}`);
    return 0;
  }
  const nodeCounts = (values.nodes ?? (values.seed !== undefined ? '3' : '3,5')).split(',').map((x) => {
    const n = parseCount(x, '--nodes', 3);
    if (n < 1 || n > 9) throw new Error(`--nodes: ${n} is out of range 1..9`);
    return n;
  });
  const only = parseFaults(values.faults, '--faults');
  const without = parseFaults(values['no-faults'], '--no-faults') ?? [];
  const faults = (only ?? [...FAULTS]).filter((f) => !without.includes(f));
  if (values.html !== undefined && values.seed === undefined) throw new Error('--html: needs --seed S (one run)');
  if (values.seed !== undefined) {
    const seed = parseCount(values.seed, '--seed', 0);
    const html = values.html;
    if (html !== undefined) checkPageDirectory(html);
    const result = await simulate({ seed, nodes: nodeCounts[0]!, faults, trace: values.trace || html !== undefined });
    if (values.trace) for (const line of result.trace) console.log(line);
    if (html !== undefined) {
      writePage(html, simulationHtml(result));
      console.error(`sim: wrote ${html}: open it in a browser`);
    }
    console.log(JSON.stringify({ ...result, trace: undefined, timeline: undefined }));
    return result.ok ? 0 : 1;
  }
  const count = parseCount(values.seeds, '--seeds', 100);
  const from = parseCount(values.from, '--from', 1);
  const started = performance.now();
  let failures = 0;
  let runs = 0;
  for (let seed = from; seed < from + count; seed++) {
    for (const nodes of nodeCounts) {
      const options: SimOptions = { seed, nodes, faults };
      const result = await simulate(options);
      runs++;
      if (!result.ok) {
        failures++;
        console.log(`FAIL seed ${seed} nodes ${nodes}: ${result.violation}`);
        console.log(`  replay: npm run sim -- --seed ${seed} --nodes ${nodes} --trace`);
      }
    }
  }
  const seconds = (performance.now() - started) / 1000;
  console.log(
    `${runs} runs (${count} seeds x nodes ${nodeCounts.join(',')}), ${failures} failed, ${seconds.toFixed(1)} s, ${(runs / seconds).toFixed(1)} runs/s`,
  );
  return failures === 0 ? 0 : 1;
}

main().then(
  (code) => (process.exitCode = code),
  (error: unknown) => {
    console.error(`sim: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 2;
  },
);
