// The control API of `little-raft local`'s supervisor (never of `serve`), same origin as the
// dashboard page that calls it:
//   POST /local/nodes/<id>/<kill|restart|pause|resume|cut|heal|remove>
//   POST /local/nodes                 add a node; answers {"id": N}
//   POST /local/load {"on": bool}     start or stop the built-in load
//   GET  /local/nodes                 the supervisor's view of its nodes (pids, states)
// Answers 200 {"ok": true} (or the data asked for), else 4xx/5xx {"error": "<one line>"}; a bad
// request changes nothing.

import type * as http from 'node:http';

import { ControlError, type Supervisor } from './supervisor.js';
import type { LoadGenerator } from './load.js';

const MAX_BODY = 4096;

function send(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body) + '\n');
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY) chunks.push(chunk);
    });
    // Past the limit the rest is read and dropped, so that the answer is not lost to a reset.
    req.on('end', () =>
      size > MAX_BODY
        ? reject(new ControlError(413, `request body over ${MAX_BODY} bytes`))
        : resolve(Buffer.concat(chunks).toString('utf8')),
    );
    req.on('error', reject);
  });
}

async function loadSwitch(req: http.IncomingMessage): Promise<boolean> {
  const text = await readBody(req);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ControlError(400, 'the body is not valid JSON (send {"on": true} or {"on": false})');
  }
  const on = (value as { on?: unknown } | null)?.on;
  if (typeof on !== 'boolean') throw new ControlError(400, 'the body must be {"on": true} or {"on": false}');
  return on;
}

/** Answers a /local/ request; false: not a control path (the dashboard's, or nobody's). */
export function serveControls(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  supervisor: Supervisor,
  load: LoadGenerator,
): boolean {
  const path = (req.url ?? '/').split('?')[0]!;
  if (!path.startsWith('/local/') && path !== '/local') return false;
  void handle(req, path, supervisor, load).then(
    (body) => send(res, 200, body),
    (e: unknown) => {
      const status = e instanceof ControlError ? e.status : 500;
      send(res, status, { error: String((e as Error).message).split('\n')[0] });
    },
  );
  return true;
}

async function handle(
  req: http.IncomingMessage,
  path: string,
  supervisor: Supervisor,
  load: LoadGenerator,
): Promise<unknown> {
  if (path === '/local/nodes' && req.method === 'GET') return supervisor.view();
  if (req.method !== 'POST') throw new ControlError(405, `${req.method} ${path}: the controls take POST`);
  if (path === '/local/nodes') {
    await readBody(req);
    return { id: await supervisor.add() };
  }
  if (path === '/local/load') {
    const on = await loadSwitch(req);
    if (on) load.start();
    else load.stop();
    return { ok: true };
  }
  const m = /^\/local\/nodes\/([^/]+)\/([^/]+)$/.exec(path);
  if (m === null) throw new ControlError(404, `no control at ${path}`);
  await readBody(req);
  if (!/^[1-9]\d{0,9}$/.test(m[1]!)) throw new ControlError(404, `'${m[1]}' is not a node id`);
  await supervisor.control(Number(m[1]), m[2]!);
  return { ok: true };
}
