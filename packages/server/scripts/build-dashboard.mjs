// Builds the dashboard page (dashboard-page/) into dist/dashboard-page/: one script and one style
// sheet with preact and uPlot inside (no CDN: a node may have no internet), and index.html.
// dashboard/dashboard-http.ts serves them, from dist/ and from the sources (tsx) alike.
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

import { build } from 'esbuild';

const root = join(import.meta.dirname, '..');
const out = join(root, 'dist/dashboard-page');
mkdirSync(out, { recursive: true });
await build({
  entryPoints: { app: join(root, 'dashboard-page/main.tsx') },
  bundle: true,
  minify: true,
  sourcemap: 'linked',
  format: 'esm',
  target: 'es2022',
  jsx: 'automatic',
  jsxImportSource: 'preact',
  outdir: out,
  logLevel: 'warning',
});
copyFileSync(join(root, 'dashboard-page/index.html'), join(out, 'index.html'));
