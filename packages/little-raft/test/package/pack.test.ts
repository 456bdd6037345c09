// The package as npm delivers it: `npm pack` of packages/little-raft, installed in an empty
// project, adds nothing but itself (zero runtime dependencies); its declaration and source maps
// point at files that ship; and strict TypeScript programs (the README's example and every
// program in examples/, unchanged) compile against it and run.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';

import { tempDir } from '../support/temp-dir.js';
import { assertBuilt, PACKAGE_DIR, ROOT_DIR } from '../examples/support.js';

const run = promisify(execFile);

/** The environment without npm's own variables (set when the tests run under `npm test`). */
function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.toLowerCase().startsWith('npm_')));
}

async function npm(args: string[], cwd: string): Promise<string> {
  const { stdout } = await run('npm', args, { cwd, env: cleanEnv(), maxBuffer: 16 << 20 });
  return stdout;
}

async function node(args: string[], cwd: string): Promise<string> {
  const { stdout } = await run(process.execPath, args, { cwd, timeout: 30_000 });
  return stdout;
}

function files(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) files(path, out);
    else out.push(path);
  }
  return out;
}

/** The README's complete program: the first TypeScript block that imports little-raft and starts replicas. */
function readmeProgram(): { path: string; code: string } {
  for (const path of [join(PACKAGE_DIR, 'README.md'), join(ROOT_DIR, 'README.md')]) {
    if (!existsSync(path)) continue;
    for (const [, code] of readFileSync(path, 'utf8').matchAll(/```ts\n([\s\S]*?)```/g)) {
      if (code!.includes("from 'little-raft'") && code!.includes('new Replica')) return { path, code: code! };
    }
  }
  throw new Error('no README holds a complete TypeScript program importing little-raft');
}

interface PackResult {
  filename: string;
  files: { path: string }[];
}

test('npm pack: zero dependencies installed, maps resolve, the README and examples compile strictly and run', async (t) => {
  assertBuilt();
  const dir = tempDir(t, 'little-raft-pack-');

  // 1. Pack, and look at what the tarball holds.
  const packOutput = await npm(['pack', '--json', '--ignore-scripts', '--pack-destination', dir], PACKAGE_DIR);
  const [pack] = JSON.parse(packOutput) as PackResult[];
  assert.ok(pack);
  const shipped = new Set(pack.files.map((f) => f.path));
  const manifest = JSON.parse(readFileSync(join(PACKAGE_DIR, 'package.json'), 'utf8')) as {
    dependencies?: object;
    peerDependencies?: object;
    optionalDependencies?: object;
    exports: Record<string, { types: string; import: string }>;
  };
  assert.equal(manifest.dependencies, undefined, 'no runtime dependencies');
  assert.equal(manifest.peerDependencies, undefined);
  assert.equal(manifest.optionalDependencies, undefined);
  for (const [entry, { types, import: js }] of Object.entries(manifest.exports)) {
    for (const file of [types, js, `${types}.map`, `${js}.map`]) {
      assert.ok(shipped.has(file.replace(/^\.\//, '')), `export ${entry}: ${file} is not in the tarball`);
    }
  }
  const strays = [...shipped].filter((p) => !/^(dist|src)\/|^package\.json$|^README(\.md)?$|^LICENSE/i.test(p));
  assert.deepEqual(strays, [], 'the tarball holds only dist/, src/, package.json, README and LICENSE');

  // 2. Install it into an empty project, without the network: nothing else comes with it.
  const project = join(dir, 'project');
  mkdirSync(project);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'user-project', private: true, type: 'module' }));
  await npm(
    [
      'install',
      join(dir, pack.filename),
      '--offline',
      '--no-audit',
      '--no-fund',
      '--ignore-scripts',
      '--cache',
      join(dir, 'npm-cache'),
    ],
    project,
  );
  const modules = readdirSync(join(project, 'node_modules')).filter((name) => !name.startsWith('.'));
  assert.deepEqual(modules, ['little-raft'], 'node_modules holds little-raft and nothing else');
  const installed = join(project, 'node_modules', 'little-raft');

  // 3. Every declaration map and source map points at files the package ships.
  const missing: string[] = [];
  const maps = files(join(installed, 'dist')).filter((p) => p.endsWith('.map'));
  assert.ok(
    maps.some((p) => p.endsWith('.d.ts.map')),
    'declaration maps ship',
  );
  for (const map of maps) {
    const { sources, sourceRoot } = JSON.parse(readFileSync(map, 'utf8')) as { sources: string[]; sourceRoot?: string };
    for (const source of sources) {
      const target = resolve(dirname(map), sourceRoot ?? '', source);
      if (!existsSync(target)) missing.push(`${relative(installed, map)} -> ${source}`);
    }
  }
  assert.deepEqual(missing, [], 'maps pointing at files the package does not ship');

  // 4. User programs, compiled strictly against the installed package (its .d.ts checked too).
  cpSync(join(PACKAGE_DIR, 'examples'), join(project, 'examples'), { recursive: true });
  const readme = readmeProgram();
  writeFileSync(join(project, 'readme.ts'), readme.code);
  const programs = ['readme.ts', ...files(join(project, 'examples')).map((p) => relative(project, p))];
  const tsc = join(ROOT_DIR, 'node_modules', 'typescript', 'bin', 'tsc');
  const flags = ['--strict', '--noUncheckedIndexedAccess', '--exactOptionalPropertyTypes'];
  flags.push('--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022', '--skipLibCheck', 'false');
  // The project's only devDependency would be @types/node; lend it the workspace's.
  flags.push('--typeRoots', join(ROOT_DIR, 'node_modules', '@types'), '--types', 'node', '--outDir', 'out');
  await run(process.execPath, [tsc, ...flags, ...programs], { cwd: project }).catch(
    (e: Error & { stdout?: string }) => {
      throw new Error(`tsc failed:\n${e.stdout || e.message}`);
    },
  );

  // 5. ...and run.
  const fifteen = '[ 15, 15, 15 ]';
  assert.equal((await node(['out/readme.js'], project)).trimEnd().split('\n').at(-1), fifteen, readme.path);
  assert.equal((await node(['out/examples/three-replicas.js'], project)).trimEnd().split('\n').at(-1), fifteen);
  assert.match(await node(['out/examples/sim-check.js', '1', '2'], project), /^all 2 seeds ok$/m);
  const entries = `
    import * as core from 'little-raft';
    import * as disk from 'little-raft/disk';
    import * as tcp from 'little-raft/tcp';
    import * as sim from 'little-raft/sim';
    console.log(typeof core.Replica, typeof disk.DiskStorage, typeof tcp.TcpCluster, typeof sim.simulate);`;
  writeFileSync(join(project, 'entries.mjs'), entries);
  assert.equal((await node(['entries.mjs'], project)).trim(), 'function function function function');
});
