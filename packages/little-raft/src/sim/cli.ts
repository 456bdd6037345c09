// `npm run sim -- --seeds N [--from S] [--nodes 3,5] [--faults drop,crash,...] [--no-faults x,y]`
// `npm run sim -- --seed S [--nodes 5] --trace`: replay one seed and print its timeline.
import { parseArgs } from 'node:util';
import { FAULTS, simulate, type Fault, type SimOptions } from './simulator.js';

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

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
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
       npm run sim -- --seed S [--nodes 5] [--trace]
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
  if (values.seed !== undefined) {
    const seed = parseCount(values.seed, '--seed', 0);
    const result = await simulate({ seed, nodes: nodeCounts[0]!, faults, trace: values.trace });
    if (values.trace) for (const line of result.trace) console.log(line);
    console.log(JSON.stringify({ ...result, trace: undefined }));
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
