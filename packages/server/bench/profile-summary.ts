// Prints where a V8 CPU profile (.cpuprofile) spends its time: the top functions by self
// time, with their inclusive (total) time, as file:line.
//
//   npx tsx bench/profile-summary.ts FILE.cpuprofile [--top N]
//
// Reads `npm run bench -- --profile` output and `node --cpu-prof --import tsx ...` output
// alike. tsx runs TypeScript transformed by esbuild (whitespace minified, so every function
// sits on line 1); positions in .ts files are mapped back to the source by repeating that
// transform with its source map. Without esbuild the transformed positions are shown.
import { readFileSync } from 'node:fs';
import { SourceMap, type SourceMapPayload } from 'node:module';
import { relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}

export interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

export interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

interface Row {
  name: string;
  where: string;
  self: number;
  total: number;
}

interface Locator {
  /** Prepares the source map of a script url. */
  load: (url: string) => Promise<void>;
  /** file:line of a 0-based position in a script. */
  locate: (url: string, line: number, column: number) => string;
}

/** Maps positions in tsx-transformed .ts files back to their sources (see top of file). */
async function sourceLocator(): Promise<Locator> {
  const maps = new Map<string, SourceMap | null>();
  let transform: typeof import('esbuild').transform | null = null;
  try {
    transform = (await import('esbuild')).transform;
  } catch {
    console.error('(esbuild not found: positions in .ts files are those of the transformed code)');
  }
  const at = (url: string): string => {
    const path = url.startsWith('file:') ? fileURLToPath(url) : url;
    const rel = relative(process.cwd(), path);
    return rel.startsWith('..') ? path : rel;
  };
  const load = async (url: string): Promise<void> => {
    if (maps.has(url)) return;
    maps.set(url, null);
    if (transform === null || !url.startsWith('file:') || !/\.[cm]?tsx?$/.test(url)) return;
    try {
      const source = readFileSync(fileURLToPath(url), 'utf8');
      const loader = url.endsWith('x') ? 'tsx' : 'ts';
      // The options tsx uses for ES modules.
      const out = await transform(source, {
        loader,
        format: 'esm',
        target: `node${process.versions.node}`,
        sourcemap: true,
        minifyWhitespace: true,
        keepNames: true,
        sourcefile: url,
      });
      maps.set(url, new SourceMap(JSON.parse(out.map) as SourceMapPayload));
    } catch {
      // unreadable or not TypeScript after all: keep the raw position
    }
  };
  const locate = (url: string, line: number, column: number): string => {
    if (url === '') return '(native)';
    const map = maps.get(url);
    if (map) {
      const e = map.findEntry(line, column) as { originalSource?: string; originalLine?: number };
      if (e.originalSource !== undefined && e.originalLine !== undefined) {
        return `${at(e.originalSource)}:${e.originalLine + 1}`;
      }
    }
    return `${at(url)}:${line + 1}`;
  };
  return { load, locate };
}

/** Self and inclusive milliseconds per function (name + position), largest self first. */
export async function summarize(profile: CpuProfile): Promise<{ rows: Row[]; totalMs: number }> {
  const byId = new Map<number, ProfileNode>();
  const parent = new Map<number, number>();
  for (const n of profile.nodes) {
    byId.set(n.id, n);
    for (const c of n.children ?? []) parent.set(c, n.id);
  }
  const { load, locate } = await sourceLocator();
  for (const url of new Set(profile.nodes.map((n) => n.callFrame.url))) await load(url);

  const keyOf = new Map<number, string>();
  const rows = new Map<string, Row>();
  for (const n of profile.nodes) {
    const f = n.callFrame;
    const name = f.functionName || '(anonymous)';
    const where = locate(f.url, f.lineNumber, f.columnNumber);
    const key = `${name} ${where}`;
    keyOf.set(n.id, key);
    if (!rows.has(key)) rows.set(key, { name, where, self: 0, total: 0 });
  }

  let totalMs = 0;
  const seen = new Set<string>();
  for (let i = 0; i < profile.samples.length; i++) {
    // timeDeltas[i] is the time since the previous sample; charge it to this sample's stack.
    const ms = (profile.timeDeltas[i] ?? 0) / 1000;
    totalMs += ms;
    const sample = profile.samples[i]!;
    rows.get(keyOf.get(sample)!)!.self += ms;
    seen.clear();
    for (let id: number | undefined = sample; id !== undefined; id = parent.get(id)) {
      const key = keyOf.get(id)!;
      if (seen.has(key)) continue; // recursion: count a stack once per function
      seen.add(key);
      rows.get(key)!.total += ms;
    }
  }
  return { rows: [...rows.values()].sort((a, b) => b.self - a.self), totalMs };
}

export async function printSummary(profile: CpuProfile, top = 25): Promise<void> {
  const { rows, totalMs } = await summarize(profile);
  const pct = (ms: number): string => `${((100 * ms) / totalMs).toFixed(1).padStart(5)}%`;
  console.log(`top ${top} functions by self time (of ${totalMs.toFixed(0)} ms sampled):`);
  console.log(`${'self ms'.padStart(9)}  ${'self'.padStart(6)}  ${'total'.padStart(6)}  function  (file:line)`);
  for (const r of rows.slice(0, top)) {
    console.log(`${r.self.toFixed(1).padStart(9)}  ${pct(r.self)}  ${pct(r.total)}  ${r.name}  (${r.where})`);
  }
}

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (isMain) {
  const args = process.argv.slice(2);
  const topAt = args.indexOf('--top');
  const top = topAt >= 0 ? Number(args.splice(topAt, 2)[1]) : 25;
  const file = args[0];
  if (file === undefined || !(top > 0)) {
    console.error('usage: npx tsx bench/profile-summary.ts FILE.cpuprofile [--top N]');
    process.exit(2);
  }
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  await printSummary(profile, top);
}
