// What a node's dashboard watches: the members of its member table, each at its HTTP address, and
// how it asks them: GET /status, signed with the cluster secret when there is one (the guard of
// /status asks for it: auth/http-access.ts).

import { signAdminRequest } from '../ops/admin-auth.js';
import type { KvNode } from '../node/node.js';
import type { MemberSource } from './cluster-watcher.js';

/** The members as the node's table has them; just itself before it has one. */
export function nodeSources(node: KvNode, ownHttp: string, https: boolean): MemberSource[] {
  const scheme = https ? 'https://' : 'http://';
  const rows = node.membership?.rows() ?? [];
  if (rows.length === 0) return [{ id: node.id, http: scheme + ownHttp, down: null }];
  return rows.map((row) => {
    const http = row.id === node.id ? ownHttp : row.http;
    return http === null
      ? { id: row.id, http: '', down: 'no HTTP address known' }
      : { id: row.id, http: scheme + http, down: null };
  });
}

/** GET <url> with a body of JSON, signed with `secret` when there is one; throws on a non-2xx answer. */
export function statusRequester(secret: Uint8Array | null): (url: string) => Promise<unknown> {
  return async (url) => {
    const { pathname, search } = new URL(url);
    const headers: Record<string, string> =
      secret === null ? {} : { authorization: signAdminRequest(secret, 'GET', pathname + search, new Uint8Array(0)) };
    const res = await fetch(url, { headers, signal: AbortSignal.timeout(2000) });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    return await res.json();
  };
}
