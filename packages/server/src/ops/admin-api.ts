// The admin API on the HTTP port, behind the cluster secret (every request signed, see
// admin-auth.ts): membership (`little-raft member ...`, a joining node) and backups.
//   GET    /admin/members              this node's view of the members, leader and cluster identity
//   POST   /admin/members              { id, raft, redis?, http? }: add as a learner (leader)
//   DELETE /admin/members/<id>[?force=1]  remove (leader)
//   POST   /admin/transfer-leader      { to }
//   GET    /admin/backup               a backup file of the state at one applied index
// A change sent to a node that does not lead is answered 421 with the leader's id and HTTP
// address, where the client sends it again.

import type * as http from 'node:http';

import type { KvNode } from '../node/node.js';
import { MembershipError } from '../node/membership.js';
import { parseHostPort } from 'little-raft/tcp';

/** Checks a request's signature: null when it is good, else why not. */
export type AdminAuthenticate = (
  method: string,
  path: string,
  body: Uint8Array,
  header: string | undefined,
) => string | null;

export interface AdminApiOptions {
  node: KvNode;
  /** null: no secret is configured (an --insecure cluster), and the admin API is open. */
  authenticate: AdminAuthenticate | null;
  /** Streams a backup (backup-endpoint.ts). */
  backup: (res: http.ServerResponse) => Promise<void>;
}

const MAX_BODY = 64 * 1024;
/** A body this far over the limit is not read to its end: the connection is cut. */
const MAX_DRAINED = 16 * MAX_BODY;

function send(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body) + '\n');
}

function readBody(req: http.IncomingMessage): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const tooLarge = (): MembershipError => new MembershipError(413, `request body over ${MAX_BODY} bytes`);
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY) chunks.push(chunk);
      else if (size > MAX_DRAINED) {
        reject(tooLarge());
        req.destroy();
      }
    });
    // Past the limit the rest is read and dropped, and the 413 sent at its end: a connection closed
    // with bytes unread is reset, and the answer lost with it.
    req.on('end', () => (size > MAX_BODY ? reject(tooLarge()) : resolve(Buffer.concat(chunks))));
    req.on('error', reject);
  });
}

function parseJson(body: Uint8Array): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(body).toString('utf8'));
  } catch {
    throw new MembershipError(400, 'the body is not valid JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new MembershipError(400, 'the body must be a JSON object');
  }
  return value as Record<string, unknown>;
}

function memberId(value: unknown, name: string): number {
  const id = typeof value === 'string' && /^[0-9]+$/.test(value) ? Number(value) : value;
  if (typeof id !== 'number' || !Number.isSafeInteger(id) || id <= 0 || id > 0x7fffffff) {
    throw new MembershipError(400, `${name} must be a positive integer`);
  }
  return id;
}

function address(value: unknown, name: string, required: boolean): string | null {
  if (value === undefined || value === null) {
    if (required) throw new MembershipError(400, `${name} is required (host:port)`);
    return null;
  }
  if (typeof value !== 'string') throw new MembershipError(400, `${name} must be a string (host:port)`);
  try {
    parseHostPort(value);
  } catch (e) {
    throw new MembershipError(400, `${name}: ${(e as Error).message}`);
  }
  return value;
}

/** A path segment decoded, or as it is when it is no valid percent-encoding (then a bad id anyway). */
function decodedOrRaw(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** Handles `req` if it is for the admin API (true), else leaves it (false). */
export function handleAdmin(o: AdminApiOptions, req: http.IncomingMessage, res: http.ServerResponse): boolean {
  const url = req.url ?? '/';
  if (!url.startsWith('/admin/') && url !== '/admin') return false;
  serveAdmin(o, req, res, url).catch((e: unknown) => {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    if (e instanceof MembershipError) {
      const leaderId = e.leaderId;
      const leaderHttp =
        leaderId === null ? null : (o.node.membership?.rows().find((m) => m.id === leaderId)?.http ?? null);
      send(res, e.status, { error: e.message, ...(e.status === 421 && { leaderId, leaderHttp }) });
    } else send(res, 500, { error: (e as Error).message });
  });
  return true;
}

async function serveAdmin(
  o: AdminApiOptions,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  url: string,
): Promise<void> {
  const method = req.method ?? 'GET';
  const body = await readBody(req);
  if (o.authenticate !== null) {
    const problem = o.authenticate(method, url, body, req.headers.authorization);
    if (problem !== null) {
      send(res, 401, { error: problem });
      return;
    }
  }
  const node = o.node;
  const membership = node.membership;
  if (membership === null) throw new MembershipError(503, 'the node is starting');
  const [path, query = ''] = url.split('?') as [string, string?];
  if (path === '/admin/members' && method === 'GET') {
    const status = node.status();
    send(res, 200, {
      id: node.id,
      cluster: node.identity?.cluster ?? null,
      clusterId: node.identity?.clusterId ?? null,
      leaderId: status?.leaderId ?? null,
      changing: membership.changeInProgress,
      members: membership.rows(),
    });
  } else if (path === '/admin/members' && method === 'POST') {
    const b = parseJson(body);
    const id = memberId(b['id'], 'id');
    const raft = address(b['raft'], 'raft', true)!;
    await membership.add(id, {
      raft,
      redis: address(b['redis'], 'redis', false),
      http: address(b['http'], 'http', false),
    });
    send(res, 200, {
      ok: true,
      cluster: node.identity?.cluster ?? null,
      clusterId: node.identity?.clusterId ?? null,
      members: membership.rows(),
    });
  } else if (path.startsWith('/admin/members/') && method === 'DELETE') {
    const id = memberId(decodedOrRaw(path.slice('/admin/members/'.length)), 'the member id');
    const force = new URLSearchParams(query).get('force');
    await membership.remove(id, force === '1' || force === 'true');
    send(res, 200, { ok: true });
  } else if (path === '/admin/transfer-leader' && method === 'POST') {
    const to = memberId(parseJson(body)['to'], 'to');
    await membership.transfer(to);
    send(res, 200, { ok: true, leaderId: to });
  } else if (path === '/admin/backup' && method === 'GET') {
    await o.backup(res);
  } else {
    send(res, 404, { error: `no admin endpoint ${method} ${path}` });
  }
}
