// The dashboard over HTTP: GET / (the page), GET /dashboard/<asset> (its script and styles, built
// by scripts/build-dashboard.mjs into dist/dashboard-page/), GET /dashboard/events (the cluster
// pushed as server-sent events: `data: <DashboardState JSON>`, at once, then after every poll).

import { existsSync, readFileSync } from 'node:fs';
import type * as http from 'node:http';
import { join } from 'node:path';

import type { ClusterWatcher } from './cluster-watcher.js';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json',
};

/** An asset's name: no path, nothing but what the build writes. */
const ASSET = /^[a-z0-9-]+\.(js|css)(\.map)?$/;

/**
 * Where the built page is: beside this module's folder in dist/, or in dist/ when the server runs
 * from its TypeScript sources (the process tests, through tsx).
 */
const PAGE_DIRS = [
  join(import.meta.dirname, '../dashboard-page'),
  join(import.meta.dirname, '../../dist/dashboard-page'),
];

const NOT_BUILT = 'the dashboard page is not built: run `npm run build` in packages/server\n';

const files = new Map<string, Buffer>();

/** A built file's bytes (read once), or null when the page is not built. */
function asset(name: string): Buffer | null {
  const cached = files.get(name);
  if (cached !== undefined) return cached;
  const dir = PAGE_DIRS.find((d) => existsSync(join(d, 'index.html')));
  if (dir === undefined || !existsSync(join(dir, name))) return null;
  const bytes = readFileSync(join(dir, name));
  files.set(name, bytes);
  return bytes;
}

function send(res: http.ServerResponse, name: string): void {
  const bytes = asset(name);
  if (bytes === null) {
    const built = asset('index.html') !== null;
    res.writeHead(built ? 404 : 503, { 'content-type': 'text/plain' }).end(built ? `no asset ${name}\n` : NOT_BUILT);
    return;
  }
  const type = TYPES[name.slice(name.lastIndexOf('.'))] ?? 'application/octet-stream';
  res.writeHead(200, { 'content-type': type, 'cache-control': 'no-cache', 'x-content-type-options': 'nosniff' });
  res.end(bytes);
}

function streamEvents(req: http.IncomingMessage, res: http.ServerResponse, watcher: ClusterWatcher): void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
  const push = (state: unknown): void => {
    res.write(`data: ${JSON.stringify(state)}\n\n`);
  };
  // Before the first poll there is nothing to show: the page waits for it.
  if (watcher.current().members.length > 0) push(watcher.current());
  const unsubscribe = watcher.subscribe(push);
  req.on('close', unsubscribe);
  res.on('error', unsubscribe);
}

/** Serves a dashboard path (true), or leaves the request alone (false: not one). */
export function serveDashboard(req: http.IncomingMessage, res: http.ServerResponse, watcher: ClusterWatcher): boolean {
  const path = (req.url ?? '/').split('?')[0]!;
  if (path === '/' || path === '/index.html') {
    send(res, 'index.html');
    return true;
  }
  if (path === '/dashboard/events') {
    streamEvents(req, res, watcher);
    return true;
  }
  if (path.startsWith('/dashboard/')) {
    const name = path.slice('/dashboard/'.length);
    if (ASSET.test(name)) send(res, name);
    else res.writeHead(404, { 'content-type': 'text/plain' }).end(`no asset ${name}\n`);
    return true;
  }
  return false;
}
