// The operations port: GET /metrics (Prometheus), /status (JSON), /health (200 when this node
// knows a leader and hears from a member, 503 otherwise), and the admin API (admin-api.ts) behind
// the cluster secret.

import * as http from 'node:http';
import * as https from 'node:https';

import { handleAdmin, type AdminApiOptions } from './admin-api.js';
import type { KvMetrics } from './metrics.js';
import type { KvNode } from '../node/node.js';
import { certifiedByClientCertificate, httpsServerOptions } from '../tls/https-server.js';
import type { ServerTlsFiles } from '../tls/server-files.js';
import type { HttpGuard } from '../auth/http-access.js';

export interface StatusExtras {
  redis: string;
  http: string;
  connections: number;
}

function statusOf(node: KvNode, extras: StatusExtras): Record<string, unknown> {
  const status = node.status();
  const transport = node.transportStats();
  return {
    ...status,
    incarnation: node.identity?.incarnation ?? null,
    cluster: node.identity?.cluster ?? null,
    clusterId: node.identity?.clusterId ?? null,
    redis: extras.redis,
    http: extras.http,
    clients: extras.connections,
    connectedPeers: node.connectedPeers(),
    members: node.membership?.rows() ?? [],
    ...(node.problem !== null && { problem: node.problem }),
    replicationLag: node.replicationLag(),
    counters: node.counters,
    transport: transport && {
      messagesSent: transport.messagesSent,
      messagesReceived: transport.messagesReceived,
      bytesSent: transport.bytesSent,
      bytesReceived: transport.bytesReceived,
      rejected: transport.rejected,
      dropped: transport.dropped,
    },
  };
}

export function createHttpServer(
  node: KvNode,
  metrics: KvMetrics,
  extras: () => StatusExtras,
  admin: Omit<AdminApiOptions, 'node'>,
  /** HTTPS with these (--http-tls-*); null: plain HTTP. */
  tls: ServerTlsFiles | null = null,
  /** Checks credentials for every page but /metrics and /health (src/auth/http-access.ts); null: open. */
  guard: HttpGuard | null = null,
): http.Server | https.Server {
  const handler = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    // A client certificate signed by --http-tls-ca authenticates admin requests and /status (src/tls/).
    const certified = certifiedByClientCertificate(req);
    const authenticate = certified ? null : admin.authenticate;
    if (handleAdmin({ node, ...admin, authenticate }, req, res)) return;
    const path = (req.url ?? '/').split('?')[0];
    if (guard !== null && !certified && path !== '/metrics' && path !== '/health' && guard(req, res)) return;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end('method not allowed\n');
      return;
    }
    if (path === '/metrics') {
      metrics.registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text),
        (e: unknown) => res.writeHead(500).end(`metrics failed: ${String(e)}\n`),
      );
    } else if (path === '/status') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(statusOf(node, extras())) + '\n');
    } else if (path === '/health') {
      const s = node.status();
      const excluded = node.exclusion;
      const problem = node.problem;
      // A learner keeps the id of a leader it no longer hears from: the problem says so.
      const ok = s !== null && node.leaderId !== null && excluded === null && problem === null;
      const body = {
        ok,
        role: s?.role ?? null,
        leaderId: node.leaderId,
        ...(excluded !== null && { excluded }),
        ...(problem !== null && { problem }),
      };
      res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify(body) + '\n');
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /metrics, /status or /health\n');
    }
  };
  return tls === null ? http.createServer(handler) : https.createServer(httpsServerOptions(tls), handler);
}
