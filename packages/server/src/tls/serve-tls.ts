// The TLS flags of `serve`, read and checked together before the node starts: the Redis port's
// (TLS on --redis, or on --redis-tls beside a plain --redis, as Redis's port and tls-port), the
// HTTP port's (HTTPS), and how --join reaches the member it names (HTTPS when it says https://, or
// when this node serves HTTPS itself: a cluster serves HTTPS on every node or on none; the node's
// --http-tls-ca checks the member's certificate and its --http-tls-cert/-key authenticate it).

import { parseHostPort, type HostPort } from 'little-raft/tcp';

import { StartupError } from '../errors.js';
import { resolveTarget, type ResolvedTarget } from './client-files.js';
import { loadServerTls, type ServerTlsFiles } from './server-files.js';

export interface ServeTlsFlags {
  redisTls?: string | undefined;
  redisTlsCert?: string | undefined;
  redisTlsKey?: string | undefined;
  redisTlsCa?: string | undefined;
  httpTlsCert?: string | undefined;
  httpTlsKey?: string | undefined;
  httpTlsCa?: string | undefined;
  join?: string | undefined;
}

export interface ServeTls {
  /** The Redis port's TLS files; null: plain only. */
  redis: ServerTlsFiles | null;
  /** Where TLS is served beside the plain --redis (--redis-tls); null: --redis itself is TLS. */
  redisTlsAddress: HostPort | null;
  /** The HTTP port's TLS files; null: plain HTTP. */
  http: ServerTlsFiles | null;
  /** --join resolved: address and, for HTTPS, the TLS files; null without --join. */
  join: ResolvedTarget | null;
}

export async function loadServeTls(o: ServeTlsFlags): Promise<ServeTls> {
  const redis = await loadServerTls('redis-tls', { cert: o.redisTlsCert, key: o.redisTlsKey, ca: o.redisTlsCa });
  if (o.redisTls !== undefined && redis === null) {
    throw new StartupError('--redis-tls needs --redis-tls-cert and --redis-tls-key');
  }
  const http = await loadServerTls('http-tls', { cert: o.httpTlsCert, key: o.httpTlsKey, ca: o.httpTlsCa });
  const join =
    o.join === undefined
      ? null
      : await resolveTarget(
          '--join',
          o.join,
          { ca: o.httpTlsCa, cert: o.httpTlsCert, key: o.httpTlsKey },
          { ca: '--http-tls-ca', cert: '--http-tls-cert', key: '--http-tls-key' },
          http !== null,
        );
  return { redis, redisTlsAddress: o.redisTls === undefined ? null : parseHostPort(o.redisTls), http, join };
}
