// The operations port: GET /metrics (Prometheus), /status (JSON), /health (200 when this node
// knows a leader and hears from a member, 503 otherwise), the dashboard (GET /, behind the same
// guard as /status: src/dashboard/), and the admin API (admin-api.ts) behind the cluster secret.

import * as http from 'node:http';
import * as https from 'node:https';

import { handleAdmin, type AdminApiOptions } from './admin-api.js';
import { ClusterWatcher } from '../dashboard/cluster-watcher.js';
import { serveDashboard } from '../dashboard/dashboard-http.js';
import { nodeSources, statusRequester } from '../dashboard/node-sources.js';
import { EventLoopDelay } from './event-loop-delay.js';
import { statusLoad } from './status-load.js';
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

async function statusOf(
  node: KvNode,
  metrics: KvMetrics,
  delay: EventLoopDelay,
  extras: StatusExtras,
): Promise<Record<string, unknown>> {
  const load = await statusLoad(node, metrics, delay);
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
    ...load,
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
  /** The cluster secret, which the dashboard signs its /status requests to the members with. */
  secret: Uint8Array | null = null,
): http.Server | https.Server {
  const delay = new EventLoopDelay();
  // Polls the members only while a dashboard page is open (cluster-watcher.ts).
  const watcher = new ClusterWatcher({
    controls: false,
    sources: () => nodeSources(node, extras().http, tls !== null),
    request: statusRequester(secret),
  });
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
      statusOf(node, metrics, delay, extras()).then(
        (status) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(status) + '\n'),
        (e: unknown) => res.writeHead(500).end(`status failed: ${String(e)}\n`),
      );
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
    } else if (!serveDashboard(req, res, watcher)) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /, /metrics, /status or /health\n');
    }
  };
  return tls === null ? http.createServer(handler) : https.createServer(httpsServerOptions(tls), handler);
}
